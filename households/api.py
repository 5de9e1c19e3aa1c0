"""The registry API: thin serializers and viewsets over the selectors and services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from core.codes import ParameterKey
from core.pagination import CountedCursorPagination, IdCursorPagination
from core.parsing import MAX_INTEGER, date_validator, parse_int
from core.policy import PolicyParameterMissing, policy_value
from core.schema import ErrorDetailSerializer
from core.years import INCOME_YEAR_LIMITS, YEAR_LIMITS

from . import services
from .codes import (
    AdjustmentKind,
    Ethnicity,
    HouseholdAttribute,
    HouseholdStatus,
    MemberChangeReason,
    MonitoringCategory,
    PovertyCause,
)
from .fields import MEMBER_FIELDS
from .idnumbers import id_number_hash, is_id_shaped, normalize_id_number
from .imports import commit_import, start_import
from .models import AdjustmentRecord, AidMeasure, Helper, Household, ImportJob, IncomeRecord, Member
from .selectors import active_members, household_detail_queryset, household_list, household_total


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "修改前请在 If-Match 请求头（或 version 字段）中提供读取时的版本号。"


# --- members and households ------------------------------------------------------------


class MemberReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "id_number_masked",
            "relation",
            "gender",
            "birth_date",
            "ethnicity",
            "education",
            "school_status",
            "health",
            "labor_skill",
            "work_location",
            "work_months",
        ]
        read_only_fields = fields


class MemberWriteSerializer(serializers.ModelSerializer):
    """A member as written: the model's fields, the ID number as typed (the service normalises it)."""

    # Which member, on an update; a member without one is new.
    id = serializers.IntegerField(required=False)
    id_number = serializers.CharField(max_length=22, write_only=True)

    class Meta:
        model = Member
        fields = ["id", "id_number", *MEMBER_FIELDS]
        # An omitted 民族 is written as 汉族, as on the form.
        extra_kwargs = {"ethnicity": {"default": Ethnicity.HAN}}


class HouseholdReadSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    members = MemberReadSerializer(many=True, read_only=True, source="active_members")

    class Meta:
        model = Household
        fields = [
            "id",
            "household_no",
            "village",
            "group_name",
            "head_name",
            "attribute",
            "identification_standard",
            "main_cause",
            "other_causes",
            "status",
            "identified_year",
            "exit_year",
            "monitoring_category",
            "phone",
            *services.LIVING_CONDITION_FIELDS,
            "member_count",
            "warning_count",
            "version",
            "members",
        ]
        read_only_fields = fields


REQUIRED_ON_REGISTRATION = ("village", "attribute", "identified_year", "members")


class HouseholdWriteSerializer(serializers.ModelSerializer):
    """A household as registered or corrected: the model's fields, every one optional on an update.

    What the services check (the 户编号 unique, the causes within the policy's limit, the members
    as a family) is left to them, so the API and the form refuse with the same messages.
    """

    village = serializers.RegexField(r"^[0-9]{12}$", required=False)
    phone = serializers.RegexField(r"^[0-9]{7,20}$", required=False, allow_blank=True)
    other_causes = serializers.ListField(child=serializers.ChoiceField(choices=PovertyCause.choices), required=False)
    members = MemberWriteSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, write_only=True)
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True)
    ordinary = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="登记一般农户（从未建档立卡、纳入监测的边缘易致贫户）：不填贫困户属性、致贫原因和识别年度",
    )

    class Meta:
        model = Household
        fields = [
            "household_no",
            "village",
            "group_name",
            "phone",
            "identification_standard",
            "attribute",
            "main_cause",
            "other_causes",
            "identified_year",
            "members",
            "version",
            "reason",
            "ordinary",
            *services.LIVING_CONDITION_FIELDS,
        ]
        extra_kwargs = {
            "household_no": {"required": False, "allow_blank": True, "validators": []},
            "attribute": {"required": False},
            "main_cause": {"required": False, "allow_blank": True},
            "identified_year": {"required": False, **YEAR_LIMITS},
            **{field: {"required": False} for field in services.LIVING_CONDITION_FIELDS},
        }

    def to_internal_value(self, data):
        # The phone as read (masked, 138****5678) sent back unchanged keeps the stored number.
        phone = data.get("phone") if hasattr(data, "get") else None
        if self.instance is not None and isinstance(phone, str) and phone and phone == self.instance.phone_masked:
            data = {key: value for key, value in data.items() if key != "phone"}
        return super().to_internal_value(data)

    def validate(self, attrs):
        if self.instance is None:
            # A 一般农户 has no poverty attributes: the service refuses them if given.
            required = ("village", "members") if attrs.get("ordinary") else REQUIRED_ON_REGISTRATION
            missing = {field: ["该字段是必填项。"] for field in required if field not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


# --- incomes ---------------------------------------------------------------------------


class IncomeWriteSerializer(serializers.ModelSerializer):
    """One year's income: the model's items (元, two decimals, never negative); an omitted item is 0."""

    class Meta:
        model = IncomeRecord
        fields = ["year", *services.INCOME_ITEMS]
        extra_kwargs = {"year": INCOME_YEAR_LIMITS, **{item: {"default": 0} for item in services.INCOME_ITEMS}}


class IncomeReadSerializer(serializers.ModelSerializer):
    net_income = serializers.SerializerMethodField()
    net_income_per_capita = serializers.SerializerMethodField()
    poverty_line = serializers.SerializerMethodField()

    class Meta:
        model = IncomeRecord
        fields = [
            "year",
            *services.INCOME_ITEMS,
            "household_size",
            "net_income",
            "net_income_per_capita",
            "poverty_line",
        ]
        read_only_fields = fields

    def get_net_income(self, income) -> str:
        return f"{services.net_income_per_capita(income).net_income:.2f}"

    def get_net_income_per_capita(self, income) -> str:
        return f"{services.net_income_per_capita(income).net_income_per_capita:.2f}"

    def get_poverty_line(self, income) -> str | None:
        try:
            return f"{policy_value(ParameterKey.POVERTY_LINE, year=income.year):.2f}"
        except PolicyParameterMissing:
            return None


class HouseholdFilter(filters.FilterSet):
    region = filters.CharFilter(method="noop", help_text="区划代码（村或乡镇），按前缀筛选")
    status = filters.ChoiceFilter(choices=HouseholdStatus.choices, method="noop")
    attribute = filters.ChoiceFilter(choices=HouseholdAttribute.choices, method="noop")
    main_cause = filters.ChoiceFilter(choices=PovertyCause.choices, method="noop")
    monitoring_category = filters.ChoiceFilter(choices=MonitoringCategory.choices, method="noop")
    has_warnings = filters.BooleanFilter(method="noop")
    q = filters.CharFilter(
        method="noop",
        help_text="户主姓名、拼音首字母、全拼（machengming 或 ma cheng）或户编号。身份证号码不放进网址："
        "用 POST /api/v1/households/search/ 查询，或用它返回的 id_hash",
    )
    id_hash = filters.CharFilter(
        method="noop", help_text="身份证号码的密钥哈希（POST /api/v1/households/search/ 的返回值），精确查询并可翻页"
    )

    class Meta:
        model = Household
        fields = []

    def noop(self, queryset, name, value):
        # The selector applies every filter (households/selectors.py::household_list).
        return queryset


def expected_version(request) -> int:
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    value = header or request.data.get("version")
    try:
        return parse_int(value, field="version", minimum=0, maximum=MAX_INTEGER)
    except DjangoValidationError:
        raise PreconditionRequired() from None


class HouseholdCursorPagination(CountedCursorPagination):
    ordering = ("village_id", "id")  # the index order of household_village_id_idx


class UnmaskedMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()


class UnmaskedSerializer(serializers.Serializer):
    """The unmasked phone and ID numbers of a household (audited, never cached)."""

    phone = serializers.CharField(allow_blank=True)
    members = UnmaskedMemberSerializer(many=True)


class IdSearchSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=22, help_text="完整身份证号码（15位或18位），只放在请求体中")

    def validate_id_number(self, value):
        try:
            return normalize_id_number(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class IdSearchResultSerializer(serializers.Serializer):
    id_hash = serializers.CharField(help_text="号码的密钥哈希：GET /api/v1/households/?id_hash=… 可带其他筛选条件翻页")
    results = HouseholdReadSerializer(many=True)


ID_IN_URL = (
    "身份证号码不能放进网址：请用 POST /api/v1/households/search/（号码放在请求体中），或用它返回的 id_hash 参数。"
)
SEARCH_LIMIT = 50  # households found by one ID number: one active registration, a few closed ones at most


IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, description="读取时的 version")
VERSION_MISSING = OpenApiResponse(
    ErrorDetailSerializer, description="缺少版本号：请在 If-Match 请求头或 version 字段中提供读取时的 version"
)


@extend_schema_view(
    partial_update=extend_schema(
        request=HouseholdWriteSerializer,
        responses={200: HouseholdReadSerializer, 428: VERSION_MISSING},
        parameters=[IF_MATCH],
    )
)
class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """建档立卡户: scoped list, registration, read and update (If-Match with the version)."""

    filterset_class = HouseholdFilter
    pagination_class = HouseholdCursorPagination

    def get_queryset(self):
        if self.action == "list":
            if is_id_shaped(self.request.query_params.get("q", "")):
                raise serializers.ValidationError({"q": [ID_IN_URL]})  # it would stay in the access log
            return household_list(self.request.user, self.request.query_params).prefetch_related(active_members())
        return household_detail_queryset(self.request.user)

    def list_total(self, queryset):
        """The list's `count` and `people` (households/selectors.py::household_total: exact within a township)."""
        return household_total(self.request.user, self.request.query_params)

    def get_serializer_class(self):
        return (
            HouseholdWriteSerializer
            if self.action in ("create", "update", "partial_update")
            else (HouseholdReadSerializer)
        )

    def respond(self, household, code=status.HTTP_200_OK):
        household = household_detail_queryset(self.request.user).get(pk=household.pk)
        response = Response(HouseholdReadSerializer(household).data, status=code)
        response["ETag"] = f'"{household.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())

    @extend_schema(request=HouseholdWriteSerializer, responses={201: HouseholdReadSerializer})
    def create(self, request, *args, **kwargs):
        serializer = HouseholdWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        household = services.register_household(
            user=request.user,
            ordinary=data.pop("ordinary", False),
            village_code=data.pop("village"),
            members=[dict(member) for member in data.pop("members")],
            reason=data.pop("reason", ""),
            data=data,
        )
        return self.respond(household, status.HTTP_201_CREATED)

    @extend_schema(
        request=HouseholdWriteSerializer,
        responses={200: HouseholdReadSerializer, 428: VERSION_MISSING},
        parameters=[IF_MATCH],
    )
    def update(self, request, *args, **kwargs):
        household = self.get_object()
        serializer = HouseholdWriteSerializer(household, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("village", None)
        data.pop("version", None)
        data.pop("ordinary", None)  # how a household registers, not a correction
        members = data.pop("members", None)
        household = services.update_household(
            user=request.user,
            household_id=household.pk,
            expected_version=expected_version(request),
            members=[dict(member) for member in members] if members is not None else None,
            reason=data.pop("reason", ""),
            data=data,
        )
        return self.respond(household)

    @extend_schema(request=None, responses={200: UnmaskedSerializer})
    @action(detail=True, methods=["post"])
    def unmask(self, request, pk=None):
        """完整证件号码和电话: needs the view_full_id permission; every call is audited."""
        household = self.get_object()
        full = services.unmask_household(user=request.user, household_id=household.pk)
        members = [{"id": member_id, "id_number": number} for member_id, number in full["members"].items()]
        response = Response({"phone": full["phone"], "members": members})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=IdSearchSerializer, responses={200: IdSearchResultSerializer})
    @action(detail=False, methods=["post"], pagination_class=None, filterset_class=None)
    def search(self, request):
        """按身份证号码精确查询：号码放在请求体中，不进网址和访问日志（GET ?q= 拒收身份证号码）。

        Answers the households of the scope with a member of that number, and the number's keyed
        hash (`id_hash`) for the list: GET /api/v1/households/?id_hash=… with other filters and pages.
        """
        serializer = IdSearchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        id_hash = id_number_hash(serializer.validated_data["id_number"])
        households = household_list(request.user, {"id_hash": id_hash}).prefetch_related(active_members())
        results = HouseholdReadSerializer(households[:SEARCH_LIMIT], many=True).data
        return Response({"id_hash": id_hash, "results": results})

    @extend_schema(methods=["GET"], request=None, responses={200: IncomeReadSerializer(many=True)})
    @extend_schema(methods=["POST"], request=IncomeWriteSerializer, responses={201: IncomeReadSerializer(many=True)})
    # Every year, never paged; the list's filters are not this action's.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def incomes(self, request, pk=None):
        """年度收入: GET the years with 人均纯收入 against the poverty line; POST one year."""
        household = self.get_object()
        if request.method == "POST":
            serializer = IncomeWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            items = dict(serializer.validated_data)
            services.save_income(user=request.user, household_id=household.pk, year=items.pop("year"), items=items)
        incomes = IncomeRecord.objects.visible_to(request.user).filter(household=household).order_by("-year")
        body = IncomeReadSerializer(incomes, many=True).data
        return Response(body, status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK)


# --- aid measures, helpers, adjustments ---------------------------------------------------


class AidMeasureSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")

    class Meta:
        model = AidMeasure
        fields = ["id", "household", "category", "year", "amount", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


class AidMeasureViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """帮扶措施 of the households in scope."""

    serializer_class = AidMeasureSerializer
    filterset_fields = ["household", "category", "year"]

    def get_queryset(self):
        return AidMeasure.objects.visible_to(self.request.user).order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.add_aid_measure(
            user=self.request.user,
            household_id=data["household_id"],
            category=data["category"],
            year=data["year"],
            description=data["description"],
            amount=data.get("amount", 0),
        )


class HelperSerializer(serializers.ModelSerializer):
    region = serializers.RegexField(r"^[0-9]{12}$", source="region_id")
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True)
    phone_masked = serializers.CharField(read_only=True)
    households = serializers.SerializerMethodField()

    class Meta:
        model = Helper
        fields = ["id", "name", "unit", "level", "region", "phone", "phone_masked", "households"]
        read_only_fields = ["id", "phone_masked", "households"]

    def get_households(self, helper) -> list[int]:
        return [a.household_id for a in helper.assignments.all() if a.end_date is None]


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    household = serializers.IntegerField()
    start_date = serializers.DateField(validators=[date_validator])


class HelperViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """帮扶责任人 of the regions in scope, with their open pairings."""

    serializer_class = HelperSerializer

    def get_queryset(self):
        return Helper.objects.visible_to(self.request.user).prefetch_related("assignments").order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_helper(
            user=self.request.user,
            region_code=data["region_id"],
            name=data["name"],
            unit=data["unit"],
            level=data["level"],
            phone=data.get("phone", ""),
        )

    @extend_schema(request=AssignmentSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """结对: pair this helper with a household from a date."""
        helper = self.get_object()
        serializer = AssignmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.assign_helper(
            user=request.user,
            helper_id=helper.pk,
            household_id=serializer.validated_data["household"],
            start_date=serializer.validated_data["start_date"],
        )
        return Response(
            {"id": assignment.pk, "household": assignment.household_id, "start_date": assignment.start_date},
            status=status.HTTP_201_CREATED,
        )


class AdjustmentReadSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")
    member = serializers.IntegerField(source="member_id", allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)

    class Meta:
        model = AdjustmentRecord
        fields = [
            "id",
            "household",
            "member",
            "kind",
            "member_reason",
            "from_status",
            "to_status",
            "year",
            "effective_date",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AdjustmentWriteSerializer(serializers.Serializer):
    household = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=[c for c in AdjustmentKind.choices if c[0] != AdjustmentKind.NEW])
    reason = serializers.CharField()
    effective_date = serializers.DateField(validators=[date_validator], required=False)
    exit_year = serializers.IntegerField(required=False, **YEAR_LIMITS)
    member = serializers.IntegerField(required=False, help_text="成员减少时的成员 id")
    member_reason = serializers.ChoiceField(choices=MemberChangeReason.choices, required=False)
    new_member = MemberWriteSerializer(required=False, help_text="成员增加时的成员信息")


class AdjustmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """动态调整: 脱贫, 返贫, 清退, 自然销户, 成员增减 — the only way status and membership change."""

    filterset_fields = ["household", "kind", "year"]

    def get_queryset(self):
        return AdjustmentRecord.objects.visible_to(self.request.user).select_related("created_by").order_by("id")

    def get_serializer_class(self):
        return AdjustmentWriteSerializer if self.action == "create" else AdjustmentReadSerializer

    @extend_schema(request=AdjustmentWriteSerializer, responses={201: AdjustmentReadSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AdjustmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adjustment = apply_adjustment(request.user, serializer.validated_data)
        return Response(AdjustmentReadSerializer(adjustment).data, status=status.HTTP_201_CREATED)


def apply_adjustment(user, data: dict) -> AdjustmentRecord:
    """Route an adjustment request to its service (each kind has exactly one)."""
    kind = data["kind"]
    if kind == AdjustmentKind.MEMBER_DECREASE:
        if "member" not in data:
            raise serializers.ValidationError({"member": ["请指定减少的成员。"]})
        return services.remove_member(
            user=user,
            member_id=data["member"],
            member_reason=data.get("member_reason", ""),
            reason=data["reason"],
            effective_date=data.get("effective_date"),
        )
    household = get_object_or_404(Household.objects.visible_to(user), pk=data.get("household"))
    if kind == AdjustmentKind.MEMBER_INCREASE:
        if "new_member" not in data:
            raise serializers.ValidationError({"new_member": ["请填写新增成员的信息。"]})
        member = services.add_member(
            user=user,
            household_id=household.pk,
            member=dict(data["new_member"]),
            member_reason=data.get("member_reason", ""),
            reason=data["reason"],
            effective_date=data.get("effective_date"),
        )
        return member.adjustments.get()
    return services.change_status(
        user=user,
        household_id=household.pk,
        kind=kind,
        reason=data["reason"],
        effective_date=data.get("effective_date"),
        exit_year=data.get("exit_year"),
    )


# --- 采集表 import -------------------------------------------------------------------------


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    mode = serializers.CharField(read_only=True, help_text="REGULAR：采集表导入；HISTORICAL：历史数据导入")
    original_name = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    households_done = serializers.IntegerField(read_only=True)
    households_total = serializers.IntegerField(read_only=True)
    counts = serializers.JSONField(read_only=True)
    errors = serializers.JSONField(read_only=True, help_text="前 500 处错误（工作表、行、列、姓名、原因）")
    errors_total = serializers.IntegerField(
        source="error_count", read_only=True, help_text="错误总数，含 errors 未列出的"
    )
    message = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=True, help_text="true：只校验并给出预览；false：校验无误后直接导入")
    historical = serializers.BooleanField(
        default=False,
        help_text="历史数据导入（县级审核员、省级人员）：保留每户的户状态、识别年度和脱贫年度，并记录导入批次",
    )


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """采集表导入：multipart 上传（dry_run），轮询预览，commit 确认；每个用户只看到自己的导入。"""

    serializer_class = ImportJobSerializer
    pagination_class = IdCursorPagination
    queryset = ImportJob.objects.none()  # the model, for the schema generator; get_queryset scopes to the user

    def get_queryset(self):
        return ImportJob.objects.filter(user=self.request.user)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = start_import(
            user=request.user,
            uploaded=serializer.validated_data["file"],
            commit=not serializer.validated_data["dry_run"],
            historical=serializer.validated_data["historical"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """确认导入一个校验无误的预览。"""
        job = commit_import(user=request.user, job_id=self.get_object().pk)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
