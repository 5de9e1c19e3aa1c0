"""The API of the ways in (docs/domain.md §12.11): the leads of the user's scope (list, detail, close)
and the county's department lists (upload, status). Scoped exactly as the pages; the public
农户自主申报 page has no API."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination

from . import departments, leads
from .codes import Department, DiscoveryWay, LeadStatus, RiskType
from .models import DepartmentList, MonitoringLead


class LeadSerializer(serializers.ModelSerializer):
    """A lead; the reporter's phone only masked (the full one is the page's audited 查看完整电话)."""

    reference = serializers.SerializerMethodField(help_text="农户自主申报的受理编号")
    reporter_phone = serializers.SerializerMethodField(help_text="联系电话（脱敏）")
    village_name = serializers.CharField(source="village.name", read_only=True)
    household_no = serializers.CharField(source="household.household_no", read_only=True, allow_null=True, default=None)
    member_id_number = serializers.CharField(
        source="member.id_number_masked",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="匹配成员证件号码（脱敏）",
    )

    class Meta:
        model = MonitoringLead
        fields = [
            "id",
            "reference",
            "way",
            "status",
            "village",
            "village_name",
            "reporter_name",
            "reporter_phone",
            "description",
            "household",
            "household_no",
            "member",
            "member_id_number",
            "department_list",
            "department",
            "risk_type",
            "monitoring_object",
            "closed_reason",
            "handled_by",
            "handled_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_reference(self, lead) -> str:
        return leads.reference_of(lead) if lead.way == DiscoveryWay.SELF_REPORT else ""

    def get_reporter_phone(self, lead) -> str:
        return leads.masked_phone(lead)


class CloseLeadSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="核实后不纳入的理由")


class LeadFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=LeadStatus.choices, method="noop")
    way = filters.ChoiceFilter(choices=leads.LEAD_WAYS, method="noop")

    class Meta:
        model = MonitoringLead
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # leads.lead_queue applies the filters


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """监测线索 of the user's scope; a township clerk closes one (核实后不纳入) with the reason."""

    serializer_class = LeadSerializer
    pagination_class = IdCursorPagination
    filterset_class = LeadFilter
    queryset = MonitoringLead.objects.none()  # the model, for the schema generator; get_queryset scopes
    # Any id reaches the view, which answers a malformed one (1.5e-38) with the API's JSON 404.
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return leads.lead_queue(self.request.user, self.request.query_params if self.action == "list" else None)

    @extend_schema(request=CloseLeadSerializer, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """核实后不纳入（乡镇）。"""
        serializer = CloseLeadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = leads.close_lead(
            user=request.user, lead_id=self.get_object().pk, reason=serializer.validated_data["reason"]
        )
        return Response(LeadSerializer(leads.lead_queue(request.user).get(pk=lead.pk)).data)


class DepartmentListSerializer(serializers.ModelSerializer):
    """A list's match: counts and the unmatched rows (row number and reason only)."""

    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = DepartmentList
        fields = [
            "id",
            "county",
            "department",
            "risk_type",
            "original_name",
            "status",
            "percent",
            "rows_total",
            "matched_count",
            "alert_count",
            "unmatched",
            "unmatched_total",
            "message",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class DepartmentListSummarySerializer(DepartmentListSerializer):
    """A list in a page of lists: without its unmatched rows (up to 20,000; the detail has them)."""

    class Meta(DepartmentListSerializer.Meta):
        fields = [name for name in DepartmentListSerializer.Meta.fields if name != "unmatched"]
        read_only_fields = fields


class DepartmentListUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx；第一行表头：姓名、身份证号（可另有“说明”列）")
    department = serializers.ChoiceField(choices=Department.choices)
    risk_type = serializers.ChoiceField(choices=RiskType.choices)


class DepartmentListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """部门筛查预警名单 of the user's scope; a county reviewer uploads one (multipart), then polls it."""

    serializer_class = DepartmentListSerializer
    pagination_class = IdCursorPagination
    queryset = DepartmentList.objects.none()  # the model, for the schema generator
    lookup_value_regex = r"[^/]+"  # as LeadViewSet

    def get_queryset(self):
        return departments.department_lists(self.request.user)

    def get_serializer_class(self):
        return DepartmentListSummarySerializer if self.action == "list" else DepartmentListSerializer

    @extend_schema(
        request={"multipart/form-data": DepartmentListUploadSerializer}, responses={202: DepartmentListSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = DepartmentListUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = departments.start_department_list(
            user=request.user,
            uploaded=serializer.validated_data["file"],
            department=serializer.validated_data["department"],
            risk_type=serializer.validated_data["risk_type"],
        )
        return Response(DepartmentListSerializer(job).data, status=status.HTTP_202_ACCEPTED)
