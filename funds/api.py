"""The funds ledger over the API: scoped reads from the selectors, writes only through the services.

Amounts are decimal strings both ways ("1234.50"), never floats. Entries are never edited:
a correction is the `reverse` action, which writes a reversing entry.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, money_validator, optional_region_code, optional_year
from core.permissions import Action, allows
from core.years import YEAR_LIMITS

from . import selectors, services
from .codes import FundLevel
from .models import Allocation, Disbursement, FundSource


def money_field(**kwargs):
    if not kwargs.get("read_only"):
        kwargs.setdefault("validators", [money_validator])
    return serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs)


class LedgerWritePermission(permissions.BasePermission):
    """Everyone in scope reads; only Action.WRITE_LEDGER writes (core/permissions.py).

    Only new entries are refused here, before their body is parsed; an action on an entry
    (冲销) looks the entry up first, so one out of scope is a 404, and the service checks the role.
    """

    message = "资金台账由县级录入；其他级别只读。"

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or view.detail:
            return True
        return allows(request.user, Action.WRITE_LEDGER)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("county", str, pattern=r"^[0-9]{12}$", description="县的12位区划代码"),
            OpenApiParameter("year", int, description="年度"),
        ]
    )
)
class LedgerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pagination_class = IdCursorPagination
    permission_classes = [permissions.IsAuthenticated, LedgerWritePermission]

    def filters(self) -> dict:
        params = self.request.query_params
        return {"county_code": optional_region_code(params, "county"), "year": optional_year(params, "year")}

    def created(self, entry) -> Response:
        row = self.get_queryset().get(pk=entry.pk)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


# --- sources ---------------------------------------------------------------------------------


class FundSourceSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county_id", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    amount = money_field(read_only=True)
    allocated = money_field(read_only=True, help_text="已分配（冲销已抵减）")
    disbursed = money_field(read_only=True, help_text="已报账（冲销已抵减）")
    remaining = money_field(read_only=True, help_text="可分配余额")
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = FundSource
        fields = [
            "id",
            "county",
            "county_name",
            "level",
            "level_label",
            "year",
            "document_no",
            "purpose",
            "amount",
            "received_on",
            "allocated",
            "disbursed",
            "remaining",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class FundSourceCreateSerializer(serializers.Serializer):
    county = serializers.RegexField(r"^[0-9]{12}$", help_text="县的12位区划代码")
    level = serializers.ChoiceField(choices=FundLevel.choices)
    year = serializers.IntegerField(**YEAR_LIMITS)
    document_no = serializers.CharField(max_length=100)
    purpose = serializers.CharField(max_length=300)
    amount = money_field(help_text="金额（元），字符串，最多两位小数")
    received_on = serializers.DateField(validators=[date_validator])


class FundSourceViewSet(LedgerViewSet):
    """资金来源 of the counties in scope, with allocated, disbursed and remaining (filters: county, year)."""

    serializer_class = FundSourceSerializer

    def get_queryset(self):
        return selectors.fund_sources(self.request.user, **self.filters())

    @extend_schema(request=FundSourceCreateSerializer, responses={201: FundSourceSerializer})
    def create(self, request, *args, **kwargs):
        serializer = FundSourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        source = services.create_fund_source(user=request.user, county_code=data.pop("county"), **data)
        return self.created(source)


# --- allocations -----------------------------------------------------------------------------


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=250)
    on = serializers.DateField(validators=[date_validator], required=False, help_text="冲销日期，默认今天")


class AllocationSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="source.county_id", read_only=True)
    source_document_no = serializers.CharField(source="source.document_no", read_only=True)
    year = serializers.IntegerField(source="source.year", read_only=True)
    target = serializers.CharField(source="target_label", read_only=True)
    amount = money_field(read_only=True)
    disbursed = money_field(read_only=True, help_text="已报账（冲销已抵减）")
    remaining = money_field(read_only=True, help_text="尚可报账")
    is_reversed = serializers.BooleanField(read_only=True, help_text="已被冲销")
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "source",
            "source_document_no",
            "county",
            "year",
            "project",
            "aid_measure",
            "target",
            "amount",
            "allocated_on",
            "disbursed",
            "remaining",
            "note",
            "reverses",
            "is_reversed",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AllocationCreateSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    project = serializers.IntegerField(required=False, allow_null=True, help_text="项目（与 aid_measure 二选一）")
    aid_measure = serializers.IntegerField(required=False, allow_null=True, help_text="到户帮扶措施")
    amount = money_field(help_text="金额（元），字符串，最多两位小数")
    allocated_on = serializers.DateField(validators=[date_validator])
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AllocationViewSet(LedgerViewSet):
    """资金分配 (下达) to a project or a household's aid measure; reversals are entries too (filters: county, year)."""

    serializer_class = AllocationSerializer

    def get_queryset(self):
        return selectors.allocations(self.request.user, **self.filters())

    @extend_schema(request=AllocationCreateSerializer, responses={201: AllocationSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AllocationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        allocation = services.allocate(
            user=request.user,
            source_id=data["source"],
            project_id=data.get("project"),
            aid_measure_id=data.get("aid_measure"),
            amount=data["amount"],
            allocated_on=data["allocated_on"],
            note=data["note"],
        )
        return self.created(allocation)

    @extend_schema(request=ReversalSerializer, responses={201: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """冲销整笔分配（须先冲销其报账），返回冲销记录。"""
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.reverse_allocation(
            user=request.user, allocation_id=self.get_object().pk, **serializer.validated_data
        )
        return self.created(reversal)


# --- disbursements ---------------------------------------------------------------------------


class DisbursementSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="allocation.source.county_id", read_only=True)
    year = serializers.IntegerField(source="allocation.source.year", read_only=True)
    amount = money_field(read_only=True)
    is_reversed = serializers.BooleanField(read_only=True, help_text="已被冲销")
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "allocation",
            "county",
            "year",
            "amount",
            "paid_on",
            "voucher_no",
            "note",
            "reverses",
            "is_reversed",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class DisbursementCreateSerializer(serializers.Serializer):
    allocation = serializers.IntegerField()
    amount = money_field(help_text="金额（元），字符串，最多两位小数")
    paid_on = serializers.DateField(validators=[date_validator])
    voucher_no = serializers.CharField(max_length=100)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DisbursementViewSet(LedgerViewSet):
    """报账 out of allocations, with voucher numbers; reversals are entries too (filters: county, year)."""

    serializer_class = DisbursementSerializer

    def get_queryset(self):
        return selectors.disbursements(self.request.user, **self.filters())

    @extend_schema(request=DisbursementCreateSerializer, responses={201: DisbursementSerializer})
    def create(self, request, *args, **kwargs):
        serializer = DisbursementCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        disbursement = services.disburse(user=request.user, allocation_id=data.pop("allocation"), **data)
        return self.created(disbursement)

    @extend_schema(request=ReversalSerializer, responses={201: DisbursementSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """冲销整笔报账，返回冲销记录；正确金额请重新登记。"""
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.reverse_disbursement(
            user=request.user, disbursement_id=self.get_object().pk, **serializer.validated_data
        )
        return self.created(reversal)
