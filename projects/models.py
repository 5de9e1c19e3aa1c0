from django.core.validators import MinValueValidator
from django.db import models

from core.scoping import ScopedQuerySet

from .codes import NoticeKind, ProjectCategory, ProjectStatus


class Project(models.Model):
    """An entry of the county's 项目库, from 申报 to 完成 (docs/domain.md §10.3).

    `region` is where the project sits for scoping: its one village, the township of all its
    villages, or the county for a project across townships — so a township clerk sees the
    projects of their township and the county sees them all.
    """

    county = models.ForeignKey(
        "villages.Region", verbose_name="县", on_delete=models.PROTECT, related_name="county_projects"
    )
    region = models.ForeignKey(
        "villages.Region", verbose_name="实施区划", on_delete=models.PROTECT, related_name="region_projects"
    )
    villages = models.ManyToManyField("villages.Region", verbose_name="实施村", blank=True, related_name="+")
    name = models.CharField("项目名称", max_length=200)
    category = models.CharField("项目类别", max_length=2, choices=ProjectCategory.choices)
    year = models.PositiveSmallIntegerField("年度")
    budget = models.DecimalField("预算（元）", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    implementing_unit = models.CharField("实施单位", max_length=200)
    content = models.TextField("建设内容和规模", blank=True)
    performance_target = models.TextField("绩效目标", blank=True, help_text="入库前必须填写。")
    poverty_link = models.TextField("带贫减贫机制", blank=True)
    status = models.CharField("状态", max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DECLARED)
    created_by = models.ForeignKey("fupin.User", verbose_name="申报人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("申报时间", auto_now_add=True)

    scope_code_field = "region_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目库"
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["region", "year"], name="project_region_year_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(
                condition=models.Q(status__in=["DECLARED", "TOWNSHIP_REVIEWED", "COUNTY_APPRAISED"])
                | ~models.Q(performance_target=""),
                name="project_in_library_has_performance_target",
            ),
        ]

    def __str__(self):
        return self.name


class ProjectEvent(models.Model):
    """One move of a project: who, when, from which status to which."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=20, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=ProjectStatus.choices)
    user = models.ForeignKey("fupin.User", verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    comment = models.CharField("意见", max_length=500, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    scope_code_field = "project__region_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "项目流转记录"
        verbose_name_plural = "项目流转记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.project_id} → {self.get_to_status_display()}"


class Beneficiary(models.Model):
    """A household that benefits from a project, with the planned amount (受益对象)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="beneficiaries")
    household = models.ForeignKey(
        "households.Household", verbose_name="受益户", on_delete=models.PROTECT, related_name="project_benefits"
    )
    planned_amount = models.DecimalField(
        "计划受益金额（元）", max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    scope_code_field = "project__region_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "受益户"
        verbose_name_plural = "受益户"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "household"], name="beneficiary_once_per_project"),
            models.CheckConstraint(condition=models.Q(planned_amount__gte=0), name="beneficiary_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.project_id}: {self.household_id} {self.planned_amount}"


class Notice(models.Model):
    """公告公示 of a project or a fund source: what, where it is posted, from and to (docs/domain.md §10.5)."""

    kind = models.CharField("类型", max_length=12, choices=NoticeKind.choices, default=NoticeKind.PUBLICITY)
    project = models.ForeignKey(
        Project, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    fund_source = models.ForeignKey(
        "funds.FundSource",
        verbose_name="资金来源",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    region = models.ForeignKey("villages.Region", verbose_name="公示区划", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    content = models.TextField("公示内容")
    place = models.CharField("公示地点", max_length=200)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    created_by = models.ForeignKey("fupin.User", verbose_name="发布人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发布时间", auto_now_add=True)

    scope_code_field = "region_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "公告公示"
        verbose_name_plural = "公告公示"
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(project__isnull=True, fund_source__isnull=False)
                | models.Q(project__isnull=False, fund_source__isnull=True),
                name="notice_is_of_a_project_or_a_fund_source",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="notice_dates_ordered"
            ),
        ]

    def __str__(self):
        return self.title

    @classmethod
    def fund_source_model(cls):
        """funds.FundSource, named through this foreign key: projects sits below funds and imports none of it."""
        return cls._meta.get_field("fund_source").related_model


class NoticeObjection(models.Model):
    """An objection (异议) received during a notice; it blocks the project until resolved in writing."""

    notice = models.ForeignKey(Notice, verbose_name="公示", on_delete=models.CASCADE, related_name="objections")
    content = models.TextField("异议内容")
    received_on = models.DateField("收到日期")
    recorded_by = models.ForeignKey("fupin.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    outcome = models.TextField("处理结果", blank=True)
    resolved_by = models.ForeignKey(
        "fupin.User", verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    scope_code_field = "notice__region_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["received_on", "id"]

    def __str__(self):
        return f"{self.notice_id} {self.received_on}"
