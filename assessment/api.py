"""Applications, incidence and ratings over the API: thin serializers over the engine and selectors."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, money_validator, optional_region_prefix, optional_year
from core.regions import RegionLevel
from monitoring.api import StartIdentificationSerializer
from monitoring.codes import EliminationMode

from . import monitoring_workflows, selectors, services
from .codes import ApplicationAction, ApplicationKind, ApplicationStatus, ObjectionConsequence
from .elimination import FINDINGS, MAX_MONTHS, unprefixed
from .models import Application, ApplicationStep, CountyRating, IncidenceRate, Objection, SampleSurvey


class StepSerializer(serializers.ModelSerializer):
    acted_by = serializers.CharField(source="acted_by.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = ApplicationStep
        fields = [
            "round",
            "index",
            "code",
            "name",
            "kind",
            "role",
            "status",
            "starts_on",
            "ends_on",
            "acted_by",
            "acted_at",
            "comment",
            "override_reason",
        ]
        read_only_fields = fields


class ObjectionSerializer(serializers.ModelSerializer):
    filed_by = serializers.CharField(source="filed_by.username", default=None, allow_null=True, read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", default=None, allow_null=True, read_only=True)
    step = serializers.CharField(source="step.name", read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "step",
            "content",
            "filed_by",
            "filed_at",
            "is_upheld",
            "consequence",
            "outcome",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = fields


class ApplicationReadSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    target = serializers.CharField(source="target_label", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, allow_null=True, read_only=True)
    withdrawn_by = serializers.CharField(source="withdrawn_by.username", default=None, allow_null=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "kind",
            "region",
            "household",
            "monitoring_object",
            "target",
            "year",
            "status",
            "figures",
            "reason",
            "check_passed",
            "check_items",
            "checked_at",
            "round",
            "current_step",
            "awaiting_role",
            "awaiting_since",
            "submitted_by",
            "submitted_at",
            "decided_at",
            "is_locked",
            "reopen_reason",
            "relocked_at",
            "relock_reason",
            "withdrawn_by",
            "withdrawn_at",
            "withdraw_reason",
            "steps",
        ]
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationReadSerializer):
    """One application, with what the requesting user may do to it now."""

    available_actions = serializers.SerializerMethodField(
        help_text="当前用户现在可以办理的操作；与页面上的按钮、办理时的校验是同一规则（assessment.services.available_actions）"
    )

    class Meta(ApplicationReadSerializer.Meta):
        fields = [*ApplicationReadSerializer.Meta.fields, "available_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ApplicationAction.choices)))
    def get_available_actions(self, application) -> list[str]:
        return sorted(services.available_actions(self.context["request"].user, application))


class ApplicationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplicationKind.choices)
    year = serializers.IntegerField()
    household = serializers.IntegerField(required=False)
    region = serializers.RegexField(r"^[0-9]{12}$", required=False)
    monitoring_object = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="监测识别、风险消除：监测记录"
    )
    figures = serializers.DictField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    submit = serializers.BooleanField(required=False, default=False, help_text="同时提交（运行标准核查）")


CONFIRM_HELP = "确认办理不可撤回的操作：不予通过、改变农户状态的审定（县审定）、终止申请、撤回申请时须为 true"


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(required=False, default=False, help_text=CONFIRM_HELP)


class SendBackSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="退回修改的理由（必填），申请人据此修改")


class ResubmitSerializer(serializers.Serializer):
    figures = serializers.DictField(required=False, help_text="更正后的两不愁三保障答复（识别、户退出、返贫）")
    reason = serializers.CharField(required=False, allow_blank=True)


class WithdrawSerializer(serializers.Serializer):
    # Blank passes: the engine refuses it (require_reason), with the same message as on the page.
    reason = serializers.CharField(allow_blank=True, help_text="撤回理由（必填），记入办理过程")
    confirm = serializers.BooleanField(required=False, default=False, help_text=CONFIRM_HELP)


class BatchApprovalSerializer(serializers.Serializer):
    applications = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(help_text="批量同意须为 true")

    def validate_confirm(self, value):
        if not value:
            raise serializers.ValidationError("批量同意须确认。")
        return value


class MonitoringIdentificationSerializer(StartIdentificationSerializer):
    """发起监测识别: the 入户核实 of monitoring's start, and the lead it came from (if any)."""

    lead = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="由线索发起时：线索编号（发现方式取线索的）"
    )


class RiskEliminationSerializer(serializers.Serializer):
    """申请风险消除: the clerk's new visit of a 监测中 record (docs/domain.md §12.7)."""

    monitoring_object = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    visited_on = serializers.DateField(validators=[date_validator], help_text="入户核实日期（其年度的监测范围）")
    income_12_months = serializers.DecimalField(
        max_digits=12, decimal_places=2, validators=[money_validator], help_text="近12个月家庭纯收入（元）"
    )
    compliant_costs = serializers.DecimalField(
        max_digits=12, decimal_places=2, validators=[money_validator], default=0, help_text="合规自付支出（元）"
    )
    months_above_range = serializers.IntegerField(
        min_value=0, max_value=MAX_MONTHS, help_text="收入已连续高于监测范围的月数"
    )
    rigid_costs_solved = serializers.BooleanField(help_text=FINDINGS["rigid_costs_solved"])
    housing_safe = serializers.BooleanField(help_text=FINDINGS["housing_safe"])
    education_secured = serializers.BooleanField(help_text=FINDINGS["education_secured"])
    medical_insured = serializers.BooleanField(help_text=FINDINGS["medical_insured"])
    water_safe = serializers.BooleanField(help_text=FINDINGS["water_safe"])
    new_risk = serializers.BooleanField(help_text=FINDINGS["new_risk"])
    no_labour_capacity = serializers.BooleanField(default=False, help_text=FINDINGS["no_labour_capacity"])
    mode = serializers.ChoiceField(choices=EliminationMode.choices, help_text="风险消除方式")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ObjectionCreateSerializer(serializers.Serializer):
    content = serializers.CharField()


class ObjectionResolveSerializer(serializers.Serializer):
    objection = serializers.IntegerField()
    outcome = serializers.CharField()
    upheld = serializers.BooleanField()
    consequence = serializers.ChoiceField(
        choices=ObjectionConsequence.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="异议成立时必填：send_back 退回修改，end 终止申请",
    )
    confirm = serializers.BooleanField(required=False, default=False, help_text=CONFIRM_HELP)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


YEAR_PARAMETER = OpenApiParameter("year", int, description="年度")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("queue", bool, description="true：只列出等待本用户办理的申请（待办）"),
            OpenApiParameter("status", str, enum=ApplicationStatus.values),
            OpenApiParameter("kind", str, enum=ApplicationKind.values),
        ]
    )
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """识别、户退出、返贫、清退、自然销户、村退出、县摘帽 applications in the user's scope."""

    pagination_class = IdCursorPagination

    def get_serializer_class(self):
        return ApplicationReadSerializer if self.action == "list" else ApplicationDetailSerializer

    def get_queryset(self):
        if self.action != "list":
            return selectors.application_detail_queryset(self.request.user)
        params = self.request.query_params
        if params.get("queue"):
            return selectors.with_steps(selectors.review_queue(self.request.user, timezone.localdate()))
        return selectors.with_steps(
            selectors.application_list(self.request.user, status=params.get("status", ""), kind=params.get("kind", ""))
        )

    def respond(self, application, code=status.HTTP_200_OK):
        application = selectors.application_detail_queryset(self.request.user).get(pk=application.pk)
        return Response(self.get_serializer(application).data, status=code)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = services.draft_application(
            user=request.user,
            kind=data["kind"],
            year=data["year"],
            household_id=data.get("household"),
            region_code=data.get("region"),
            monitoring_object_id=data.get("monitoring_object"),
            figures=data.get("figures"),
            reason=data.get("reason", ""),
        )
        if data["submit"]:
            application = services.submit_application(user=request.user, application_id=application.pk)
        return self.respond(application, status.HTTP_201_CREATED)

    @extend_schema(request=MonitoringIdentificationSerializer, responses={201: ApplicationDetailSerializer})
    @action(detail=False, methods=["post"], url_path="monitoring-identification", pagination_class=None)
    def monitoring_identification(self, request):
        """发起监测识别（乡镇录入员）：入户核实（签署承诺授权书）建立识别中的监测记录，同时提交监测识别申请并运行标准核查；
        由线索发起时该线索即为已发起识别。之后为信息比对、民主评议、村内公示、乡镇审核、县级审定、公告。"""
        serializer = MonitoringIdentificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        application = monitoring_workflows.start_monitoring_identification(
            user=request.user, household_id=data.pop("household"), lead_id=data.pop("lead", None), **data
        )
        return self.respond(application, status.HTTP_201_CREATED)

    @extend_schema(request=RiskEliminationSerializer, responses={201: ApplicationDetailSerializer})
    @action(detail=False, methods=["post"], url_path="risk-elimination", pagination_class=None)
    def risk_elimination(self, request):
        """申请风险消除（乡镇录入员，监测中的记录）：录入新的入户核实情况，提交并按本年度监测范围运行标准核查。
        整户无劳动能力的不能风险消除（继续兜底保障和监测）。"""
        serializer = RiskEliminationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        record_id, reason = data.pop("monitoring_object"), data.pop("reason")
        figures = {
            **data,
            "visited_on": data["visited_on"].isoformat(),
            "income_12_months": str(data["income_12_months"]),
            "compliant_costs": str(data["compliant_costs"]),
        }
        try:
            application = monitoring_workflows.request_risk_elimination(
                user=request.user, monitoring_object_id=record_id, figures=figures, reason=reason
            )
        except ValidationError as error:
            raise unprefixed(error) from error  # the body is flat: its fields' names, not "figures.<name>"
        return self.respond(application, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """提交：运行标准核查并进入第一个公示或审核步骤。"""
        application = services.submit_application(user=request.user, application_id=self.get_object().pk)
        return self.respond(application)

    @extend_schema(request=DecisionSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """同意当前步骤。标准核查在当前数据上重新运行，未通过则不能同意（任何理由都不行）；
        改变农户状态的审定须 confirm=true。"""
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = self.get_object()
        services.require_confirmation(target, ApplicationAction.APPROVE, data["confirm"])
        application = services.approve_step(user=request.user, application_id=target.pk, comment=data["comment"])
        return self.respond(application)

    @extend_schema(request=SendBackSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """退回修改：退回申请人修改后重新提交，comment（理由）必填。"""
        serializer = SendBackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.send_back_application(
            user=request.user, application_id=self.get_object().pk, comment=serializer.validated_data["comment"]
        )
        return self.respond(application)

    @extend_schema(request=ResubmitSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """修改后重新提交（仅申请人，仅退回修改的申请）：重新核查，各步骤作为新一轮从头办理。"""
        serializer = ResubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = services.resubmit_application(
            user=request.user,
            application_id=self.get_object().pk,
            figures=data.get("figures"),
            reason=data.get("reason"),
        )
        return self.respond(application)

    @extend_schema(request=DecisionSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """不予通过（办结，不可撤回）：comment 必填，confirm=true。"""
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = self.get_object()
        services.require_confirmation(target, ApplicationAction.REJECT, data["confirm"])
        application = services.reject_application(user=request.user, application_id=target.pk, comment=data["comment"])
        return self.respond(application)

    @extend_schema(request=WithdrawSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤回申请（仅申请人，仅草稿或退回修改的申请；办结，不可恢复）：reason（理由）必填，confirm=true。
        撤回的识别申请，其拟识别户即清退，成员可重新登记；该对象可重新提出同类申请。"""
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = self.get_object()
        services.require_confirmation(target, ApplicationAction.WITHDRAW, data["confirm"])
        application = services.withdraw_application(user=request.user, application_id=target.pk, reason=data["reason"])
        return self.respond(application)

    @extend_schema(request=BatchApprovalSerializer, responses={200: ApplicationReadSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="batch-approve", pagination_class=None)
    def batch_approve(self, request):
        """同一村的多个户退出申请一并同意，全部成功或全部不变；confirm 须为 true。"""
        serializer = BatchApprovalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        approved = services.approve_many(
            user=request.user, application_ids=data["applications"], comment=data["comment"]
        )
        rows = selectors.application_detail_queryset(request.user).filter(pk__in=[a.pk for a in approved])
        return Response(ApplicationReadSerializer(rows, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses={200: ObjectionSerializer(many=True)})
    @extend_schema(methods=["POST"], request=ObjectionCreateSerializer, responses={201: ObjectionSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # all of them, never paged
    def objections(self, request, pk=None):
        """公示异议：GET 列出，POST 登记（仅公示期内）。"""
        application = self.get_object()
        code = status.HTTP_200_OK
        if request.method == "POST":
            serializer = ObjectionCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.file_objection(user=request.user, application_id=application.pk, **serializer.validated_data)
            code = status.HTTP_201_CREATED
        rows = Objection.objects.visible_to(request.user).filter(application=application).select_related("step")
        return Response(ObjectionSerializer(rows, many=True).data, status=code)

    @extend_schema(request=ObjectionResolveSerializer, responses={200: ObjectionSerializer})
    @action(detail=True, methods=["post"], url_path="resolve-objection")
    def resolve_objection(self, request, pk=None):
        """处理异议：写明处理结果。异议成立则申请即停止：consequence 选 send_back（退回修改）或
        end（终止申请，须 confirm=true）；不成立则继续办理。申请人不能处理对本申请的异议。"""
        target = self.get_object()
        serializer = ObjectionResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        consequence = data["consequence"] if data["upheld"] else ""
        if not target.objections.filter(pk=data["objection"]).exists():
            raise Http404("该申请没有这条异议。")  # an objection is resolved through its own application
        services.require_confirmation(target, ApplicationAction.RESOLVE, data["confirm"], consequence=consequence)
        objection = services.resolve_objection(
            user=request.user,
            objection_id=data["objection"],
            outcome=data["outcome"],
            upheld=data["upheld"],
            consequence=consequence,
        )
        return Response(ObjectionSerializer(objection).data)

    @extend_schema(request=ReopenSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """县级重新开放已审定锁定的年度，须写明理由。"""
        return self._with_reason(request, services.reopen_application)

    @extend_schema(request=ReopenSerializer, responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"])
    def relock(self, request, pk=None):
        """县级重新锁定已重新开放的年度，须写明理由。"""
        return self._with_reason(request, services.relock_application)

    def _with_reason(self, request, move):
        """A county move on the year lock: the application in scope, a written reason, the engine's move."""
        serializer = ReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = move(
            user=request.user, application_id=self.get_object().pk, reason=serializer.validated_data["reason"]
        )
        return self.respond(application)


class IncidenceRateSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    level = serializers.CharField(source="region.level", read_only=True)

    class Meta:
        model = IncidenceRate
        fields = [
            "id",
            "region",
            "region_name",
            "level",
            "year",
            "poor_households",
            "poor_population",
            "rural_population",
            "rate",
            "computed_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            YEAR_PARAMETER,
            OpenApiParameter("level", str, enum=RegionLevel.values, description="区划级别"),
            OpenApiParameter("region", str, pattern=r"^[0-9]{1,12}$", description="区划代码前缀"),
        ]
    )
)
class IncidenceRateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """贫困发生率 by region and year (filters: year, level, region prefix)."""

    serializer_class = IncidenceRateSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        rows = IncidenceRate.objects.visible_to(self.request.user).select_related("region")
        params = self.request.query_params
        if (year := optional_year(params, "year")) is not None:
            rows = rows.filter(year=year)
        if params.get("level"):
            rows = rows.filter(region__level=params["level"])
        if region := optional_region_prefix(params, "region"):
            rows = rows.within_prefix(region)
        return rows


class CountyRatingSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county_id", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = CountyRating
        fields = [
            "id",
            "county",
            "county_name",
            "year",
            "period",
            "score",
            "grade",
            "consequence",
            "veto_reasons",
            "indicator_values",
            "computed_at",
        ]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(parameters=[YEAR_PARAMETER]))
class CountyRatingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """县级考核评级 by county, year and period."""

    serializer_class = CountyRatingSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        rows = CountyRating.objects.visible_to(self.request.user).select_related("county")
        year = optional_year(self.request.query_params, "year")
        return rows if year is None else rows.filter(year=year)


class SampleSurveySerializer(serializers.ModelSerializer):
    county = serializers.RegexField(r"^[0-9]{12}$", source="county_id", help_text="县的12位区划代码")

    class Meta:
        model = SampleSurvey
        fields = ["id", "county", "year", "quarter", *services.SAMPLE_FIELDS, "entered_at"]
        read_only_fields = ["id", "entered_at"]
        validators = []


class SampleSurveyViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """抽样调查（错退、漏评、认可度）：市级、省级人员录入；同一县同一季度再次提交即更正。"""

    serializer_class = SampleSurveySerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return SampleSurvey.objects.visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = SampleSurveySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        survey = services.record_sample_survey(
            user=request.user,
            county_code=data.pop("county_id"),
            year=data.pop("year"),
            quarter=data.pop("quarter"),
            figures=data,
        )
        return Response(SampleSurveySerializer(survey).data, status=status.HTTP_201_CREATED)
