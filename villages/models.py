from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from core.regions import RegionLevel, ancestor_codes, code_prefix
from core.scoping import ScopedQuerySet

region_code_validator = RegexValidator(r"^\d{12}$", "区划代码应为12位数字。")


class RegionQuerySet(ScopedQuerySet):
    def children_of(self, region: "Region"):
        return self.filter(parent=region)


class Region(models.Model):
    """One node of the administrative tree; the 12-digit code is the materialised path."""

    code = models.CharField("区划代码", max_length=12, primary_key=True, validators=[region_code_validator])
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    scope_code_field = "code"
    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["code"]
        indexes = [
            # Scoping and roll-ups are prefix matches: code LIKE '6201%'.
            models.Index(fields=["level", "code"], name="region_level_code_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^\d{12}$"), name="region_code_is_12_digits"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(level=RegionLevel.PROVINCE),
                name="region_province_has_no_parent",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        return code_prefix(self.code, self.level)

    def ancestor_codes(self) -> list[str]:
        """Codes of the ancestors, province first, derived from the code itself."""
        return ancestor_codes(self.code)


class County(models.Model):
    """县 profile: poverty-county flag, west flag (3 % threshold instead of 2 %), exit plan."""

    region = models.OneToOneField(
        Region, verbose_name="县", primary_key=True, on_delete=models.CASCADE, related_name="county_profile"
    )
    is_poverty_county = models.BooleanField("是否贫困县", default=False)
    is_west = models.BooleanField("是否西部地区", default=False)
    planned_exit_year = models.PositiveSmallIntegerField("计划摘帽年度", null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField("摘帽年度", null=True, blank=True)

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "县情况"
        verbose_name_plural = "县情况"

    def __str__(self):
        return self.region.name


class Village(models.Model):
    """村 profile: poor-village flag, infrastructure (docs/domain.md §6.3), collective income."""

    region = models.OneToOneField(
        Region, verbose_name="村", primary_key=True, on_delete=models.CASCADE, related_name="village_profile"
    )
    is_poor_village = models.BooleanField("是否贫困村", default=False)
    exit_year = models.PositiveSmallIntegerField("退出年度", null=True, blank=True)
    has_hardened_road = models.BooleanField("通硬化路", default=False)
    has_bus = models.BooleanField("通客车", default=False)
    has_safe_water = models.BooleanField("安全饮水", default=False)
    has_power = models.BooleanField("通生产生活用电", default=False)
    has_broadband = models.BooleanField("通宽带", default=False)
    has_clinic = models.BooleanField("标准化卫生室", default=False)
    has_culture_room = models.BooleanField("综合文化服务中心", default=False)
    collective_income = models.DecimalField(
        "村集体经济收入(元)", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "村情况"
        verbose_name_plural = "村情况"

    def __str__(self):
        return self.region.name


class VillagePopulation(models.Model):
    """农村户籍人口 of a village in a year: the denominator of the poverty incidence (docs/domain.md §7.3)."""

    village = models.ForeignKey(Village, verbose_name="村", on_delete=models.CASCADE, related_name="populations")
    year = models.PositiveSmallIntegerField("年度")
    rural_population = models.PositiveIntegerField("农村户籍人口")

    scope_code_field = "village__region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "村户籍人口"
        verbose_name_plural = "村户籍人口"
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="village_population_one_per_year"),
        ]

    def __str__(self):
        return f"{self.village_id} {self.year}"
