"""The API of the 帮扶日志 (docs/domain.md §9.6): /api/v1/visits/ (list, one, record one with an optional
scan as multipart, correct one with its reason, the scan itself) and /api/v1/not-visited-households/
(未按期走访).

Scoped like the pages: a visit or household outside the user's region is absent (404), its scan
too. Every rule is in assistance/visits.py.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import attachments
from core.pagination import IdCursorPagination
from core.parsing import date_validator, optional_int
from households.models import Household

from . import visits
from .models import Visit

MAX_ID = 2**63 - 1
SCAN_LIMIT_MB = attachments.max_bytes() // 2**20


class VisitSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.name", read_only=True, allow_null=True, default=None)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "helper",
            "helper_name",
            "visited_on",
            "findings",
            "actions",
            "follow_up",
            "has_attachment",
            "attachment_name",
            "attachment_type",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_attachment(self, visit) -> bool:
        return bool(visit.attachment)


class CorrectedFieldSerializer(serializers.Serializer):
    field = serializers.CharField(source="label", help_text="更正的项目（走访日期、帮扶责任人、了解情况……）")
    old = serializers.CharField(help_text="更正前")
    new = serializers.CharField(help_text="更正后")


class CorrectionSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="更正时间")
    user = serializers.CharField(help_text="更正人（用户名）")
    reason = serializers.CharField(help_text="更正原因")
    changes = CorrectedFieldSerializer(many=True)


class VisitDetailSerializer(VisitSerializer):
    """One visit, with its 更正记录 as the page shows them (newest first)."""

    corrections = serializers.SerializerMethodField()

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "corrections"]
        read_only_fields = fields

    @extend_schema_field(CorrectionSerializer(many=True))
    def get_corrections(self, visit) -> list[dict]:
        return CorrectionSerializer(visits.corrections(visit), many=True).data


class RecordVisitSerializer(serializers.Serializer):
    """记录走访 (JSON, or multipart/form-data with `attachment`): the household, when, what was found and done."""

    household = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    helper = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="该户当前结对的帮扶责任人（可不填）"
    )
    visited_on = serializers.DateField(validators=[date_validator])
    findings = serializers.CharField(max_length=2000)
    actions = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    follow_up = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        help_text=f"照片或签字材料扫描件：JPG、PNG 或 PDF（按内容判断），不超过 {SCAN_LIMIT_MB} MB",
    )


class CorrectVisitSerializer(serializers.Serializer):
    """更正走访记录 (JSON, or multipart/form-data with a new `attachment`): what changes, and why.

    A field left out keeps its value; only the user who recorded the visit corrects it, and the
    reason is kept in its history (the page's 更正记录)."""

    helper = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="当前结对的帮扶责任人（null：不选）"
    )
    visited_on = serializers.DateField(required=False, validators=[date_validator])
    findings = serializers.CharField(max_length=2000, required=False)
    actions = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    follow_up = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    attachment = serializers.FileField(
        required=False, help_text=f"新的扫描件，替换原有的：JPG、PNG 或 PDF（按内容判断），不超过 {SCAN_LIMIT_MB} MB"
    )
    # Checked by the service (请填写更正原因 / 最多200字), keyed like the page's form.
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="更正原因（必填）")


class VisitFilter(filters.FilterSet):
    household = filters.NumberFilter(method="noop", help_text="农户 id")
    helper = filters.NumberFilter(method="noop", help_text="帮扶责任人 id")
    region = filters.CharFilter(method="noop", help_text="区划代码（村或乡镇，须在本用户范围内）")
    date_from = filters.DateFilter(method="noop", help_text="走访日期起（含）")
    date_to = filters.DateFilter(method="noop", help_text="走访日期止（含）")

    class Meta:
        model = Visit
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # get_queryset reads them through core.parsing and assistance/visits.py


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """帮扶日志 in scope (?household, ?helper, ?region, ?date_from, ?date_to); POST records one, PATCH corrects
    one (its recorder, with a reason); …/attachment/."""

    queryset = Visit.objects.none()  # the model, for the schema generator; get_queryset scopes
    # Any segment reaches the view, so …/2.5e-139/attachment/ is the API's JSON 404, not the site's HTML one.
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = VisitFilter

    def get_queryset(self):
        if self.action != "list":
            return Visit.objects.visible_to(self.request.user).select_related("helper")
        params = self.request.query_params
        found = visits.visit_list(self.request.user, {name: params.get(name) for name in visits.LIST_FILTERS})
        household = optional_int(params, "household", minimum=1, maximum=MAX_ID)
        return found.filter(household_id=household) if household is not None else found

    def get_serializer_class(self):
        by_action = {
            "create": RecordVisitSerializer,
            "partial_update": CorrectVisitSerializer,
            "retrieve": VisitDetailSerializer,
        }
        return by_action.get(self.action, VisitSerializer)

    @extend_schema(
        request={"application/json": RecordVisitSerializer, "multipart/form-data": RecordVisitSerializer},
        responses={201: VisitSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = RecordVisitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        visit = visits.record_visit(
            user=request.user,
            household_id=data["household"],
            helper_id=data.get("helper"),
            visited_on=data["visited_on"],
            findings=data["findings"],
            actions=data["actions"],
            follow_up=data["follow_up"],
            upload=data.get("attachment"),
        )
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/json": CorrectVisitSerializer, "multipart/form-data": CorrectVisitSerializer},
        responses={200: VisitDetailSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        visit = self.get_object()
        serializer = CorrectVisitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        corrected = visits.correct_visit(
            user=request.user,
            visit_id=visit.pk,
            visited_on=data.get("visited_on", visit.visited_on),
            findings=data.get("findings", visit.findings),
            actions=data.get("actions", visit.actions),
            follow_up=data.get("follow_up", visit.follow_up),
            helper_id=data.get("helper", visit.helper_id),
            upload=data.get("attachment"),
            reason=data["reason"],
        )
        return Response(VisitDetailSerializer(corrected).data)

    @extend_schema(
        responses={
            (200, "image/jpeg"): bytes,
            (200, "image/png"): bytes,
            (200, "application/pdf"): bytes,
        }
    )
    @action(detail=True, methods=["get"])
    def attachment(self, request, pk=None):
        """The visit's scan (404 when it has none); never cached."""
        visit = self.get_object()
        return attachments.attachment_response(visit.attachment, visit.attachment_name)


class NotVisitedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household_no = serializers.CharField()
    head_name = serializers.CharField()
    village = serializers.CharField(source="village_id")
    status = serializers.CharField()
    monitoring_category = serializers.CharField()
    last_visited_on = serializers.DateField(allow_null=True, help_text="最近走访日期；从未走访为 null")
    days_since_last_visit = serializers.SerializerMethodField(help_text="距今天数；从未走访为 null")
    interval_days = serializers.SerializerMethodField(help_text="该户所在区划的走访间隔上限（天）")

    def get_days_since_last_visit(self, household) -> int | None:
        return household.days_since.days if household.days_since is not None else None

    def get_interval_days(self, household) -> int:
        return household.interval.days


class NotVisitedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """未按期走访: households in scope that need a helper, not visited within the interval or never (?region)."""

    queryset = Household.objects.none()  # the model, for the schema generator; get_queryset scopes
    serializer_class = NotVisitedSerializer
    pagination_class = IdCursorPagination
    filter_backends = []

    @extend_schema(
        parameters=[OpenApiParameter("region", str, description="区划代码（须在本用户范围内）", required=False)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        region = self.request.query_params.get("region") or None
        return visits.not_visited(self.request.user, region_code=region)
