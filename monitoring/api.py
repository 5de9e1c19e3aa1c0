"""The monitoring API: monitoring records (scoped read, and 干部排查's start) and the monitoring lines."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, money_validator, optional_year
from households.codes import MonitoringCategory

from . import services
from .codes import MonitoringStatus, RiskType
from .income import within_range
from .measures_api import FindingsSerializer
from .models import MonitoringLine, MonitoringObject
from .selectors import monitoring_list


class MonitoringObjectSerializer(serializers.ModelSerializer):
    household_no = serializers.CharField(source="household.household_no", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    village = serializers.CharField(source="household.village_id", read_only=True)
    within_range = serializers.SerializerMethodField(help_text="人均纯收入是否在监测范围内（不高于监测范围）")

    class Meta:
        model = MonitoringObject
        fields = [
            "id",
            "household",
            "household_no",
            "head_name",
            "village",
            "category",
            "risk_types",
            "status",
            "discovery_way",
            "discovered_on",
            "identified_on",
            "eliminated_on",
            "elimination_mode",
            "income_12_months",
            "compliant_costs",
            "member_count",
            "income_per_person",
            "line_year",
            "line_amount",
            "line_verified",
            "within_range",
            "housing_unsafe",
            "child_out_of_school",
            "without_medical_insurance",
            "water_unsafe",
            "no_labour_capacity",
            "consent_signed",
            "consent_signed_on",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_within_range(self, record) -> bool:
        return within_range(record.income_per_person, record.line_amount)


def Money(**options):
    return serializers.DecimalField(max_digits=12, decimal_places=2, validators=[money_validator], **options)


class StartIdentificationSerializer(serializers.Serializer):
    """入户核实: what the visit found (docs/domain.md §12.6 step 1). The way is not an input: it is the
    lead's when the identification starts from one, else 干部排查 (assessment/monitoring_workflows.py)."""

    household = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    discovered_on = serializers.DateField(
        validators=[date_validator],
        required=False,
        help_text="发现日期（必填；由线索发起时可省略，取线索登记之日，且不能晚于该日）",
    )
    category = serializers.ChoiceField(choices=MonitoringCategory.choices)
    risk_types = serializers.ListField(child=serializers.ChoiceField(choices=RiskType.choices), allow_empty=True)
    income_12_months = Money(help_text="申请前12个月家庭纯收入（元）")
    compliant_costs = Money(default=0, help_text="合规自付支出（元）")
    housing_unsafe = serializers.BooleanField(default=False)
    child_out_of_school = serializers.BooleanField(default=False)
    without_medical_insurance = serializers.BooleanField(default=False)
    water_unsafe = serializers.BooleanField(default=False)
    no_labour_capacity = serializers.BooleanField(default=False)
    consent_signed_on = serializers.DateField(
        validators=[date_validator], required=False, allow_null=True, help_text="承诺授权书签署日期（必填）"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MonitoringFilter(filters.FilterSet):
    region = filters.CharFilter(method="noop", help_text="区划代码前缀（1至12位数字）")
    status = filters.ChoiceFilter(choices=MonitoringStatus.choices, method="noop")
    category = filters.ChoiceFilter(choices=MonitoringCategory.choices, method="noop")
    risk_type = filters.ChoiceFilter(choices=RiskType.choices, method="noop")

    class Meta:
        model = MonitoringObject
        fields = []

    def noop(self, queryset, name, value):
        # The selector applies every filter (monitoring/selectors.py::monitoring_list).
        return queryset


class MonitoringObjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """监测对象 of the households in scope, and the findings' edit (PATCH).

    A record is opened only with its identification application (POST
    /api/v1/applications/monitoring-identification/, assessment): a record without one would wait
    in 识别中 with no procedure to decide it.
    """

    http_method_names = ["get", "patch", "head", "options"]

    filterset_class = MonitoringFilter
    pagination_class = IdCursorPagination
    # Any segment reaches the view, so …/-2.5e-60/ is the API's JSON 404, not the site's HTML one.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if self.action == "list":
            return monitoring_list(self.request.user, self.request.query_params)
        return monitoring_list(self.request.user)

    serializer_class = MonitoringObjectSerializer

    @extend_schema(request=FindingsSerializer, responses={200: MonitoringObjectSerializer})
    def partial_update(self, request, *args, **kwargs):
        """修改风险和核实情况 of an open record (services.update_findings; `updated_at` as read, else 412)."""
        record = self.get_object()  # scope first: 404 outside, whatever the body
        serializer = FindingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_findings(
            user=request.user, monitoring_object_id=record.pk, **serializer.service_arguments(record)
        )
        return Response(MonitoringObjectSerializer(monitoring_list(request.user).get(pk=record.pk)).data)


class MonitoringLineSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)

    class Meta:
        model = MonitoringLine
        fields = ["id", "province", "year", "amount", "source", "is_verified"]
        read_only_fields = fields


class MonitoringLineFilter(filters.FilterSet):
    year = filters.NumberFilter(method="noop", help_text="年度")

    class Meta:
        model = MonitoringLine
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # get_queryset reads the year through core.parsing


class MonitoringLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """监测范围 of the user's province, per year (docs/domain.md §12.3)."""

    serializer_class = MonitoringLineSerializer
    pagination_class = IdCursorPagination
    filterset_class = MonitoringLineFilter

    def get_queryset(self):
        lines = MonitoringLine.objects.visible_to(self.request.user)
        if self.action == "list" and (year := optional_year(self.request.query_params)) is not None:
            lines = lines.filter(year=year)
        return lines
