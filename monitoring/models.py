"""防返贫监测 (docs/domain.md §12): the monitoring range per province and year, and the monitoring records.

A monitoring object is a record of its own per household and episode (docs/domain.md §12.9): it
keeps the figures it was judged on, its findings and its dates, with its history. Its status
changes only through monitoring/services.py, which also keeps `Household.monitoring_category`
equal to the category of the household's open record, in the same transaction.
"""

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import Regex
from django.urls import reverse

from core.regions import RegionLevel, code_at
from core.scoping import ScopedQuerySet, scope_prefix
from core.transfer import TransferJob
from households.codes import MonitoringCategory

from .codes import (
    OPEN_STATUSES,
    AssistanceCategory,
    Department,
    DiscoveryWay,
    EliminationMode,
    LeadStatus,
    MonitoringStatus,
    RiskType,
)


def money(verbose_name: str, **options):
    """元, two decimals, never negative."""
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, validators=[MinValueValidator(0)], **options
    )


class MonitoringLineQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The lines of the user's own province (all of them for the administrator)."""
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        return self.filter(province_id=code_at(user.region_id, RegionLevel.PROVINCE))


class MonitoringLine(models.Model):
    """监测范围: the income per person at or below which a household is within a province's range in a year.

    Each province sets it every year (docs/domain.md §12.3): data, never a constant; values not
    confirmed for the province are stored with is_verified False and say so in their source.
    """

    # No database constraint: lines are seeded before any region is loaded (monitoring migration 0002).
    province = models.ForeignKey(
        "villages.Region",
        verbose_name="省份",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = money("监测范围（元/人·年）")
    source = models.CharField("依据", max_length=500)
    is_verified = models.BooleanField("已核实", default=False)

    objects = MonitoringLineQuerySet.as_manager()

    class Meta:
        verbose_name = "监测范围"
        verbose_name_plural = "监测范围"
        ordering = ["province_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="monitoring_line_one_per_province_year"),
            # A province's code: two digits, then zeros.
            models.CheckConstraint(
                condition=Regex(Cast("province", models.CharField()), r"^\d{2}0{10}$"), name="monitoring_line_province"
            ),
        ]

    def __str__(self):
        return f"{self.province_id} {self.year} {self.amount}"


@pghistory.track()
class MonitoringObject(models.Model):
    """One household's monitoring episode (监测对象), from discovery to 风险消除 or 未纳入 (docs/domain.md §12.9)."""

    household = models.ForeignKey(
        "households.Household", verbose_name="农户", on_delete=models.PROTECT, related_name="monitoring_objects"
    )
    category = models.CharField("监测对象类别", max_length=2, choices=MonitoringCategory.choices)
    risk_types = ArrayField(
        models.CharField(max_length=2, choices=RiskType.choices), verbose_name="风险类型", default=list, size=5
    )
    status = models.CharField(
        "状态", max_length=12, choices=MonitoringStatus.choices, default=MonitoringStatus.IDENTIFYING
    )
    discovery_way = models.CharField("发现方式", max_length=1, choices=DiscoveryWay.choices)
    discovered_on = models.DateField("发现日期")
    identified_on = models.DateField("识别日期", null=True, blank=True)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    # The day of the 未纳入 decision (the deadline and the figures date it by this, not by updated_at).
    closed_on = models.DateField("未纳入日期", null=True, blank=True)
    elimination_mode = models.CharField(
        "风险消除方式", max_length=1, choices=EliminationMode.choices, blank=True, default=""
    )
    # The figures it was judged on (docs/domain.md §12.3): income over the 12 months before the
    # application, net of 合规自付支出, per person, against the province's line of that year.
    income_12_months = money("申请前12个月家庭纯收入")
    compliant_costs = money("合规自付支出", default=0)
    member_count = models.PositiveSmallIntegerField("家庭人口数", validators=[MinValueValidator(1)])
    income_per_person = models.DecimalField("人均纯收入（扣除合规自付支出）", max_digits=12, decimal_places=2)
    line_year = models.PositiveSmallIntegerField("监测范围年度")
    line_amount = money("监测范围（元/人·年）")
    line_verified = models.BooleanField("监测范围已核实")
    # 三保障 and drinking water (docs/domain.md §12.9).
    housing_unsafe = models.BooleanField("住房不安全", default=False)
    child_out_of_school = models.BooleanField("有义务教育阶段适龄儿童少年失学辍学", default=False)
    without_medical_insurance = models.BooleanField("有成员未参加基本医疗保险", default=False)
    water_unsafe = models.BooleanField("饮水不安全", default=False)
    # 整户无劳动能力: never marked 风险消除, stays monitored under 兜底保障 (docs/domain.md §12.8).
    no_labour_capacity = models.BooleanField("整户无劳动能力", default=False)
    consent_signed = models.BooleanField("已签承诺授权书", default=False)
    consent_signed_on = models.DateField("承诺授权书签署日期", null=True, blank=True)
    note = models.TextField("情况说明", blank=True)
    created_by = models.ForeignKey(
        "fupin.User", verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测对象"
        verbose_name_plural = "监测对象"
        ordering = ["-discovered_on", "-id"]
        indexes = [models.Index(fields=["status", "category"], name="monitoring_status_category_idx")]
        constraints = [
            # One open episode per household; a closed one (已消除风险 / 未纳入) stays as history.
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="monitoring_one_open_record",
            ),
            models.CheckConstraint(condition=models.Q(risk_types__len__lte=5), name="monitoring_at_most_5_risks"),
            models.CheckConstraint(
                condition=models.Q(consent_signed=False, consent_signed_on__isnull=True)
                | models.Q(consent_signed=True, consent_signed_on__isnull=False),
                name="monitoring_consent_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=MonitoringStatus.ELIMINATED)
                | (models.Q(eliminated_on__isnull=False) & ~models.Q(elimination_mode="")),
                name="monitoring_eliminated_has_date_and_mode",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=MonitoringStatus.NOT_INCLUDED) | models.Q(closed_on__isnull=False),
                name="monitoring_not_included_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.household_id} {self.get_category_display()} {self.get_status_display()}"

    @property
    def risk_types_display(self) -> str:
        return "、".join(RiskType(code).label for code in self.risk_types) or "—"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@pghistory.track()
class AssistanceMeasure(models.Model):
    """帮扶措施 of a monitoring record, each answering one of its risks (docs/domain.md §12.10)."""

    monitoring_object = models.ForeignKey(
        MonitoringObject, verbose_name="监测对象", on_delete=models.CASCADE, related_name="measures"
    )
    category = models.CharField("措施类别", max_length=2, choices=AssistanceCategory.choices)
    risk_type = models.CharField("针对的风险", max_length=2, choices=RiskType.choices)
    description = models.CharField("措施内容", max_length=500)
    amount = money("金额（元）", default=0)
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    created_by = models.ForeignKey(
        "fupin.User", verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "monitoring_object__household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测帮扶措施"
        verbose_name_plural = "监测帮扶措施"
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="assistance_measure_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.monitoring_object_id} {self.get_category_display()}"


class DepartmentList(TransferJob):
    """One department's screening list (部门筛查预警) uploaded by a county, matched by the keyed ID hash.

    Its personal data is not kept (docs/domain.md §12.5): the file is deleted once matched, a
    matched row becomes a lead naming the registered member, and an unmatched row is reported by
    its row number and reason only.
    """

    class Status(models.TextChoices):
        MATCHING = "MATCHING", "比对中"
        DONE = "DONE", "已比对"
        FAILED = "FAILED", "失败"
        EXPIRED = "EXPIRED", "已过期"

    user = models.ForeignKey("fupin.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        "villages.Region", verbose_name="县", on_delete=models.PROTECT, related_name="department_lists"
    )
    department = models.CharField("预警部门", max_length=2, choices=Department.choices)
    risk_type = models.CharField("风险类型", max_length=2, choices=RiskType.choices)
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField("存储文件", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.MATCHING)
    rows_done = models.PositiveIntegerField("已比对行数", default=0)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    matched_count = models.PositiveIntegerField("匹配人数", default=0)
    alert_count = models.PositiveIntegerField("生成预警数", default=0)
    # Row numbers and reasons only, never a name or a number (the first MAX stored; the total beside).
    unmatched = models.JSONField("未匹配行", default=list, blank=True)
    unmatched_total = models.PositiveIntegerField("未匹配行数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    directory = "department_lists"
    file_field = "stored_name"
    file_time_field = "created_at"
    done_field = "rows_done"
    total_field = "rows_total"
    message_field = "message"
    active_statuses = (Status.MATCHING,)
    expires_with_file = ()

    scope_code_field = "county__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "部门筛查名单"
        verbose_name_plural = "部门筛查名单"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_department_display()} {self.original_name} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:department_list_detail", args=[self.pk])


@pghistory.track()
class MonitoringLead(models.Model):
    """A lead in the township's queue (docs/domain.md §12.5): a self-report or a department alert.

    Never a monitoring record by itself: a clerk checks it and either starts an identification
    from it (which links the record) or closes it with the reason.
    """

    way = models.CharField(
        "来源",
        max_length=1,
        choices=[
            (DiscoveryWay.SELF_REPORT, DiscoveryWay.SELF_REPORT.label),
            (DiscoveryWay.DEPARTMENT_ALERT, DiscoveryWay.DEPARTMENT_ALERT.label),
        ],
    )
    village = models.ForeignKey("villages.Region", verbose_name="村", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    # 农户自主申报: what the person gave on the public page.
    reporter_name = models.CharField("申报人姓名", max_length=50, blank=True)
    reporter_phone = models.CharField("联系电话", max_length=20, blank=True)
    description = models.TextField("困难情况", blank=True)
    # 部门筛查预警: the registered person the list's row matched, and the list.
    household = models.ForeignKey(
        "households.Household", verbose_name="农户", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "households.Member", verbose_name="成员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department_list = models.ForeignKey(
        DepartmentList,
        verbose_name="部门筛查名单",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    department = models.CharField("预警部门", max_length=2, choices=Department.choices, blank=True)
    risk_type = models.CharField("风险类型", max_length=2, choices=RiskType.choices, blank=True)
    monitoring_object = models.ForeignKey(
        MonitoringObject, verbose_name="监测记录", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    closed_reason = models.TextField("不纳入理由", blank=True)
    handled_by = models.ForeignKey(
        "fupin.User", verbose_name="处理人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    scope_code_field = "village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测线索"
        verbose_name_plural = "监测线索"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "village"], name="monitoring_lead_queue_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(way=DiscoveryWay.DEPARTMENT_ALERT)
                | (models.Q(member__isnull=False) & models.Q(household__isnull=False) & ~models.Q(department="")),
                name="monitoring_lead_alert_names_member",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LeadStatus.IDENTIFYING) | models.Q(monitoring_object__isnull=False),
                name="monitoring_lead_identifying_has_record",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LeadStatus.CLOSED) | ~models.Q(closed_reason=""),
                name="monitoring_lead_closed_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_way_display()} #{self.pk}"
