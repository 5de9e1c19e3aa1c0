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

from core.regions import RegionLevel, code_at
from core.scoping import ScopedQuerySet, scope_prefix
from households.codes import MonitoringCategory

from .codes import OPEN_STATUSES, DiscoveryWay, EliminationMode, MonitoringStatus, RiskType


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
        ]

    def __str__(self):
        return f"{self.household_id} {self.get_category_display()} {self.get_status_display()}"

    @property
    def risk_types_display(self) -> str:
        return "、".join(RiskType(code).label for code in self.risk_types) or "—"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
