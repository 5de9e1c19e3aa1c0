from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from core.scoping import ScopedQuerySet

from .codes import (
    HOUSEHOLD_KINDS,
    MONITORING_KINDS,
    OPEN_STATUSES,
    ApplicationKind,
    ApplicationStatus,
    Grade,
    ObjectionConsequence,
    RatingPeriod,
    StepStatus,
)
from .schemes import validate_scheme
from .workflow import STEPS


class ApplicationQuerySet(ScopedQuerySet):
    def holding_year_lock(self):
        """Approved and not reopened (or locked again since): the applications that keep their year locked.

        Monitoring kinds lock no year (their decision is a monitoring record's)."""
        return (
            self.filter(status=ApplicationStatus.APPROVED)
            .exclude(kind__in=sorted(MONITORING_KINDS))
            .filter(models.Q(reopened_at__isnull=True) | models.Q(relocked_at__gt=models.F("reopened_at")))
        )


class Application(models.Model):
    """One identification, exit, return, 清退 or 销户 application, moved along its steps by the engine.

    `region` anchors scope: the household's village for household kinds, the village or the
    county for village and county exits. The standard check runs at submission and again, on
    current data, at every approval; the latest result and its reasons are kept, and a failing
    check is never approved (docs/domain.md §6.6). A reviewer may send it back (退回修改): the
    submitter corrects and resubmits, which starts a new `round` of all the steps, or withdraws
    it (撤回, as a draft may be), which closes it for good and frees its target. An approved
    application locks its year for the target until a county reviewer reopens it with a reason;
    for a household the lock itself is the registry's (households.HouseholdYearLock), written and lifted by the engine.
    """

    kind = models.CharField("申请类别", max_length=30, choices=ApplicationKind.choices)
    region = models.ForeignKey(
        "villages.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="applications"
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name="贫困户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # 监测识别 and 风险消除 decide a monitoring record of the household (docs/domain.md §12.12).
    monitoring_object = models.ForeignKey(
        "monitoring.MonitoringObject",
        verbose_name="监测记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    # What the submitter entered: 两不愁三保障 answers, household consent, or the sample figures.
    figures = models.JSONField("申报数据", default=dict, blank=True)
    reason = models.TextField("申请说明", blank=True)
    check_passed = models.BooleanField("标准核查通过", null=True)
    check_items = models.JSONField("标准核查明细", default=list, blank=True)
    checked_at = models.DateTimeField("核查时间", null=True, blank=True)
    # Submissions so far: each resubmission after 退回修改 runs the steps again as a new round.
    round = models.PositiveSmallIntegerField("轮次", default=1)
    # Index of the step that waits (in the current round), and for whom: the review queue reads these.
    current_step = models.PositiveSmallIntegerField("当前步骤", default=0)
    awaiting_role = models.CharField("待办角色", max_length=20, blank=True)
    awaiting_since = models.DateField("可办理日期", null=True, blank=True)
    submitted_by = models.ForeignKey(
        "fupin.User", verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    reopened_by = models.ForeignKey(
        "fupin.User", verbose_name="重新开放人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField("重新开放时间", null=True, blank=True)
    reopen_reason = models.TextField("重新开放理由", blank=True)
    # A reopened year is locked again by the county, with its reason (a later reopen lifts it again).
    relocked_by = models.ForeignKey(
        "fupin.User", verbose_name="重新锁定人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    relocked_at = models.DateTimeField("重新锁定时间", null=True, blank=True)
    relock_reason = models.TextField("重新锁定理由", blank=True)
    # 撤回 by the submitter, with its reason: once, final, so fields (like the year lock's) and not a step
    # row, which is a step of the kind's step table (assessment/workflow.py) in its round.
    withdrawn_by = models.ForeignKey(
        "fupin.User", verbose_name="撤回人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.TextField("撤回理由", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_code_field = "region__code"
    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "审核申请"
        verbose_name_plural = "审核申请"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "awaiting_role", "region"], name="application_queue_idx"),
            models.Index(fields=["household", "year"], name="application_household_year_idx"),
        ]
        constraints = [
            # One open application per target and kind: a second one would race the first.
            models.UniqueConstraint(
                fields=["kind", "region", "household"],
                condition=models.Q(status__in=OPEN_STATUSES),
                nulls_distinct=False,
                name="application_one_open_per_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=sorted(HOUSEHOLD_KINDS)) | models.Q(household__isnull=False),
                name="application_household_kinds_name_household",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=sorted(MONITORING_KINDS))
                | models.Q(monitoring_object__isnull=False, household__isnull=False),
                name="application_monitoring_kinds_name_record",
            ),
            # A withdrawal is on record with its time and reason, and only a withdrawn application has one.
            models.CheckConstraint(
                condition=(
                    models.Q(status=ApplicationStatus.WITHDRAWN, withdrawn_at__isnull=False)
                    & ~models.Q(withdraw_reason="")
                )
                | (~models.Q(status=ApplicationStatus.WITHDRAWN) & models.Q(withdrawn_at__isnull=True)),
                name="application_withdrawal_on_record",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}申请 #{self.pk}"

    @property
    def awaiting_step_name(self) -> str:
        """The action step that waits (the one after a running 公示); 退回修改 waits for the submitter."""
        if self.status == ApplicationStatus.RETURNED:
            return "退回修改（待申请人修改后重新提交）"
        if self.status != ApplicationStatus.IN_REVIEW:
            return ""
        steps = STEPS[self.kind]
        current = steps[self.current_step]
        return steps[self.current_step + 1].name if current.is_publicity else current.name

    @property
    @admin.display(boolean=True, description="年度已锁定")
    def is_locked(self) -> bool:
        """Approved and not reopened, or locked again since (the same test as `holding_year_lock`).

        A monitoring decision changes a monitoring record, not the registry's year: it locks nothing."""
        if self.status != ApplicationStatus.APPROVED or self.kind in MONITORING_KINDS:
            return False
        return self.reopened_at is None or (self.relocked_at is not None and self.relocked_at > self.reopened_at)

    @property
    def target_label(self) -> str:
        if self.household_id:
            return f"{self.household.head_name}户（{self.household.household_no}）"
        return self.region.name


class ApplicationStep(models.Model):
    """One step of an application, in order; the timeline of who did what, when and why.

    Every round keeps its steps: a step sent back stays 退回修改 in its round, and the
    resubmission adds the steps of the next round.
    """

    application = models.ForeignKey(Application, verbose_name="申请", on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField("轮次", default=1)
    index = models.PositiveSmallIntegerField("序号")
    code = models.CharField("步骤代码", max_length=30)
    name = models.CharField("步骤", max_length=30)
    kind = models.CharField("类型", max_length=15)
    role = models.CharField("办理角色", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING)
    starts_on = models.DateField("公示开始", null=True, blank=True)
    ends_on = models.DateField("公示结束", null=True, blank=True)
    acted_by = models.ForeignKey(
        "fupin.User", verbose_name="办理人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField("办理时间", null=True, blank=True)
    comment = models.TextField("意见", blank=True)
    # Kept for approvals recorded before a failing check became a gate (docs/domain.md §6.6); no longer written.
    override_reason = models.TextField("核查未通过仍同意的理由", blank=True)

    scope_code_field = "application__region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "审核步骤"
        verbose_name_plural = "审核步骤"
        ordering = ["application", "round", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round", "index"], name="application_step_unique_round_index"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="application_step_publicity_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.application_id}.{self.round}.{self.index} {self.name}"

    @property
    def is_publicity(self) -> bool:
        return self.kind == "publicity"


class Objection(models.Model):
    """异议 filed during a 公示; it blocks the next step until resolved with a written outcome."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="objections"
    )
    step = models.ForeignKey(ApplicationStep, verbose_name="公示步骤", on_delete=models.CASCADE, related_name="+")
    content = models.TextField("异议内容")
    filed_by = models.ForeignKey(
        "fupin.User", verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField("登记时间", auto_now_add=True)
    is_upheld = models.BooleanField("异议成立", null=True)
    # An upheld 异议 stops the application: sent back for correction or ended, as the resolver chose.
    consequence = models.CharField("处理方式", max_length=10, blank=True, choices=ObjectionConsequence.choices)
    outcome = models.TextField("处理结果", blank=True)
    resolved_by = models.ForeignKey(
        "fupin.User", verbose_name="处理人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    scope_code_field = "application__region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["filed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True) | ~models.Q(outcome=""),
                name="objection_resolution_has_outcome",
            ),
        ]

    def __str__(self):
        return f"异议 #{self.pk}"


class SampleSurvey(models.Model):
    """Sample figures entered by assessors for a county and quarter (docs/domain.md §6.4 三率一度)."""

    county = models.ForeignKey(
        "villages.Region", verbose_name="县", on_delete=models.PROTECT, related_name="sample_surveys"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", choices=[(q, f"第{q}季度") for q in range(1, 5)])
    sampled_exited_population = models.PositiveIntegerField("抽样脱贫人口数")
    wrong_exit_population = models.PositiveIntegerField("抽样错退人口数")
    sampled_unregistered_population = models.PositiveIntegerField("抽查村未建档立卡农村人口数")
    omitted_population = models.PositiveIntegerField("调查核实漏评人口数")
    surveyed_households = models.PositiveIntegerField("调查户数")
    approving_households = models.PositiveIntegerField("认可户数")
    data_fraud = models.BooleanField("发现数据造假", default=False)
    entered_by = models.ForeignKey(
        "fupin.User", verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间", auto_now=True)

    scope_code_field = "county__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "抽样调查"
        verbose_name_plural = "抽样调查"
        ordering = ["county", "year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "quarter"], name="sample_survey_one_per_quarter"),
            models.CheckConstraint(
                condition=models.Q(wrong_exit_population__lte=models.F("sampled_exited_population")),
                name="sample_wrong_exits_within_sample",
            ),
            models.CheckConstraint(
                condition=models.Q(omitted_population__lte=models.F("sampled_unregistered_population")),
                name="sample_omitted_within_sample",
            ),
            models.CheckConstraint(
                condition=models.Q(approving_households__lte=models.F("surveyed_households")),
                name="sample_approving_within_surveyed",
            ),
        ]

    def __str__(self):
        return f"{self.county_id} {self.year}Q{self.quarter}"


class ReductionPlan(models.Model):
    """A county's planned number of people to lift out of poverty in a year (减贫计划)."""

    county = models.ForeignKey(
        "villages.Region", verbose_name="县", on_delete=models.PROTECT, related_name="reduction_plans"
    )
    year = models.PositiveSmallIntegerField("年度")
    planned_exit_population = models.PositiveIntegerField("计划脱贫人口数", validators=[MinValueValidator(1)])

    scope_code_field = "county__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "减贫计划"
        verbose_name_plural = "减贫计划"
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="reduction_plan_one_per_year"),
            models.CheckConstraint(condition=models.Q(planned_exit_population__gt=0), name="reduction_plan_positive"),
        ]

    def __str__(self):
        return f"{self.county_id} {self.year}"


class IncidenceRate(models.Model):
    """贫困发生率 of a region in a year: sums of numerators and denominators, never averaged rates.

    Written only by assessment/statistics.py::recompute_incidence_rates (one SQL upsert).
    `rate` keeps 12 decimals for sorting and display; threshold decisions compare the
    integers (poor_population < limit × rural_population), which is exact.
    """

    region = models.ForeignKey(
        "villages.Region", verbose_name="区划", on_delete=models.CASCADE, related_name="incidence_rates"
    )
    year = models.PositiveSmallIntegerField("年度")
    poor_households = models.PositiveIntegerField("未脱贫户数")
    poor_population = models.PositiveIntegerField("未脱贫人口")
    rural_population = models.PositiveIntegerField("农村户籍人口")
    rate = models.DecimalField("贫困发生率", max_digits=16, decimal_places=12, null=True)
    computed_at = models.DateTimeField("计算时间")

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "贫困发生率"
        verbose_name_plural = "贫困发生率"
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="incidence_rate_one_per_region_year"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.year}"

    def is_below(self, limit: Decimal) -> bool:
        """Strictly below `limit` (exactly 2.00 % does not pass), on the unrounded figures."""
        return self.rural_population > 0 and Decimal(self.poor_population) < limit * self.rural_population


class RatingScheme(models.Model):
    """考核评级方案 as data: indicators and weights, grade thresholds, quarter weights, vetoes.

    docs/domain.md §8.2: the provincial numbers are not in the corpus, so the default
    scheme (migration 0002) is a PROPOSAL that the province edits in the admin.
    `indicators`: [{"code", "name", "weight"}]; codes name formulas in assessment/ratings.py.
    `grade_thresholds`: {"A": "90", "B": "80", "C": "70"} (score ≥ value), else D.
    `quarter_weights`: {"Q1": "0.2", …}; `veto_rules`: [{"code", "name", "limit"?}] → D.
    `consequences`: the text each grade carries.
    """

    name = models.CharField("方案名称", max_length=100)
    year = models.PositiveSmallIntegerField("适用年度", null=True, blank=True, help_text="空表示各年通用")
    indicators = models.JSONField("指标及权重")
    grade_thresholds = models.JSONField("等级分数线")
    quarter_weights = models.JSONField("季度权重")
    veto_rules = models.JSONField("一票否决", default=list, blank=True)
    consequences = models.JSONField("等级运用", default=dict, blank=True)
    is_active = models.BooleanField("启用", default=True)
    source = models.CharField("依据", max_length=300, blank=True)

    class Meta:
        verbose_name = "考核评级方案"
        verbose_name_plural = "考核评级方案"
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(is_active=True),
                nulls_distinct=False,
                name="rating_scheme_one_active",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = validate_scheme(self)
        if errors:
            raise ValidationError(errors)


class CountyRating(models.Model):
    """A county's rating for a quarter or the year, with every indicator's value and score."""

    county = models.ForeignKey("villages.Region", verbose_name="县", on_delete=models.CASCADE, related_name="ratings")
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("期间", max_length=4, choices=RatingPeriod.choices)
    scheme = models.ForeignKey(RatingScheme, verbose_name="评级方案", on_delete=models.PROTECT, related_name="+")
    indicator_values = models.JSONField("指标得分")
    # Both null when the county had no data for the period (无数据): no grade is not a D.
    score = models.DecimalField("总分", max_digits=9, decimal_places=4, null=True, blank=True)
    grade = models.CharField("等级", max_length=1, choices=Grade.choices, null=True, blank=True)
    veto_reasons = models.JSONField("否决原因", default=list, blank=True)
    consequence = models.CharField("结果运用", max_length=100, blank=True)
    computed_at = models.DateTimeField("计算时间")

    scope_code_field = "county__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "县级考核评级"
        verbose_name_plural = "县级考核评级"
        ordering = ["county", "year", "period"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "period"], name="county_rating_one_per_period"),
        ]

    def __str__(self):
        return f"{self.county_id} {self.year} {self.period} {self.grade or '无数据'}"
