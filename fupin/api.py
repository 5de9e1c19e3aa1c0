from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, routers, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from assessment.api import ApplicationViewSet, CountyRatingViewSet, IncidenceRateViewSet, SampleSurveyViewSet
from assistance.pairing_api import CoverageViewSet, PairingViewSet
from assistance.team_api import AidUnitViewSet, TeamMemberViewSet, UnitAssignmentViewSet, VillageTeamViewSet
from assistance.visit_api import NotVisitedViewSet, VisitViewSet
from core.auth import API_REFUSED_UNTIL_CHANGED
from funds.api import AllocationViewSet, DisbursementViewSet, FundSourceViewSet
from fupin.export_api import ExportJobViewSet
from fupin.notification_api import NotificationViewSet
from households.api import AdjustmentViewSet, AidMeasureViewSet, HelperViewSet, HouseholdViewSet, ImportJobViewSet
from monitoring.api import MonitoringLineViewSet, MonitoringObjectViewSet
from monitoring.intake_api import DepartmentListViewSet, LeadViewSet
from monitoring.measures_api import AssistanceMeasureViewSet
from monitoring.statistics_api import MonitoringStatisticsViewSet
from projects.api import NoticeViewSet, ProjectViewSet
from villages.api import RegionViewSet

router = routers.DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("households", HouseholdViewSet, basename="household")
router.register("aid-measures", AidMeasureViewSet, basename="aid-measure")
router.register("helpers", HelperViewSet, basename="helper")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("pairing-coverage", CoverageViewSet, basename="pairing-coverage")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")
router.register("monitoring-objects", MonitoringObjectViewSet, basename="monitoring-object")
router.register("monitoring-lines", MonitoringLineViewSet, basename="monitoring-line")
router.register("monitoring-leads", LeadViewSet, basename="monitoring-lead")
router.register("department-lists", DepartmentListViewSet, basename="department-list")
router.register("monitoring-statistics", MonitoringStatisticsViewSet, basename="monitoring-statistics")
router.register("monitoring-measures", AssistanceMeasureViewSet, basename="monitoring-measure")
router.register("visits", VisitViewSet, basename="visit")
router.register("not-visited-households", NotVisitedViewSet, basename="not-visited-household")
router.register("aid-units", AidUnitViewSet, basename="aid-unit")
router.register("unit-assignments", UnitAssignmentViewSet, basename="unit-assignment")
router.register("village-teams", VillageTeamViewSet, basename="village-team")
router.register("team-members", TeamMemberViewSet, basename="team-member")
router.register("applications", ApplicationViewSet, basename="application")
router.register("incidence-rates", IncidenceRateViewSet, basename="incidence-rate")
router.register("county-ratings", CountyRatingViewSet, basename="county-rating")
router.register("sample-surveys", SampleSurveyViewSet, basename="sample-survey")
router.register("exports", ExportJobViewSet, basename="export")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("imports", ImportJobViewSet, basename="import")
router.register("projects", ProjectViewSet, basename="project")
router.register("notices", NoticeViewSet, basename="notice")
router.register("fund-sources", FundSourceViewSet, basename="fund-source")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("disbursements", DisbursementViewSet, basename="disbursement")


@extend_schema(
    request=AuthTokenSerializer,
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    summary="用用户名和密码换取令牌",
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([AnonRateThrottle])
def obtain_token(request):
    """POST {"username", "password"} → {"token"}; send it as `Authorization: Token …`."""
    serializer = AuthTokenSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    user = serializer.validated_data["user"]
    if user.must_change_password:
        raise exceptions.PermissionDenied(API_REFUSED_UNTIL_CHANGED)
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})


urlpatterns = [
    path("auth/token/", obtain_token, name="api-token"),
    path("", include(router.urls)),
]
