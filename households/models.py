import pghistory
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from encrypted_fields.fields import EncryptedCharField

from core.scoping import ScopedQuerySet
from core.transfer import TransferJob

from .codes import (
    AdjustmentKind,
    AidCategory,
    Education,
    EntryRoadType,
    Ethnicity,
    FuelType,
    Gender,
    Health,
    HelperLevel,
    HouseholdAttribute,
    HouseholdStatus,
    HouseSafetyGrade,
    IdentificationStandard,
    LaborSkill,
    MemberChangeReason,
    MonitoringCategory,
    PovertyCause,
    Relation,
    SchoolStatus,
    WorkLocation,
)
from .idnumbers import birth_date_of, gender_of, id_number_hash, mask_id_number, mask_phone


def MoneyField(verbose_name: str):
    """元, two decimals, never negative (money is Decimal end to end)."""
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )


class YearSpansField(models.Field):
    """A PostgreSQL int4multirange of whole years, e.g. {[2014,2017),[2019,)}; read and written in SQL.

    Holds the years at whose end a household was poor, derived from its adjustment log
    (households/poverty.py); Python holds psycopg's Multirange as read, so a save writes it back unchanged.
    """

    description = "年度区间集合"

    def db_type(self, connection):
        return "int4multirange"


def AreaField(verbose_name: str):
    """亩, two decimals, never negative; a database default so bulk loads may omit it."""
    return models.DecimalField(
        verbose_name, max_digits=10, decimal_places=2, default=0, db_default=0, validators=[MinValueValidator(0)]
    )


class CauseArray(models.Func):
    """ARRAY[main_cause]: lets a CHECK constraint compare a column with an array column."""

    template = "ARRAY[%(expressions)s]::varchar(2)[]"
    output_field = ArrayField(models.CharField(max_length=2))


def batch_insert_event() -> pghistory.InsertEvent:
    """The insert event of a table written in batches (a 采集表 commit: 10,000 households, 35,000 members).

    One statement-level trigger records every row of an INSERT or COPY from its transition
    table, attaching the history context once; a row-level trigger attached it (an upsert in
    an exception block) once per row, a fifth of the commit's COPY. The events are the same.
    """
    return pghistory.InsertEvent(level=pghistory.Statement)


# The poor years are derived from the adjustment log, which is itself the history: not snapshotted.
# The pinyin of the head's name is derived from head_name, which is tracked: not snapshotted either.
@pghistory.track(
    batch_insert_event(), pghistory.UpdateEvent(), exclude=["poor_years", "exit_years", "head_name_pinyin"]
)
class Household(models.Model):
    """A registered (建档立卡) household, in the order of the national form (docs/domain.md §3.2).

    `village_id` is the village's 12-digit code, so a scoped list needs no join.
    `member_count` counts active members; the registry services keep it in step.
    """

    household_no = models.CharField("户编号", max_length=30, unique=True)
    village = models.ForeignKey(
        "villages.Region",
        verbose_name="所在村",
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,  # household_scope_idx (village_id pattern_ops, id) serves both = and LIKE
    )
    group_name = models.CharField("村民小组", max_length=50, blank=True)
    head_name = models.CharField("户主姓名", max_length=50)
    head_name_initials = models.CharField("户主姓名拼音首字母", max_length=50, blank=True, editable=False)
    head_name_pinyin = models.CharField("户主姓名全拼", max_length=300, blank=True, editable=False)  # machengming
    phone = EncryptedCharField("联系电话", max_length=20, null=True, blank=True)
    identification_standard = models.CharField(
        "识别标准", max_length=2, choices=IdentificationStandard.choices, default=IdentificationStandard.NATIONAL
    )
    # Blank only for a 一般农户 (no poverty attributes); the registry services require them of the others.
    attribute = models.CharField("贫困户属性", max_length=2, choices=HouseholdAttribute.choices, blank=True)
    main_cause = models.CharField("主要致贫原因", max_length=2, choices=PovertyCause.choices, blank=True)
    other_causes = ArrayField(
        models.CharField(max_length=2, choices=PovertyCause.choices),
        verbose_name="其他致贫原因",
        default=list,
        blank=True,
        size=2,
    )
    status = models.CharField(
        "状态", max_length=10, choices=HouseholdStatus.choices, default=HouseholdStatus.CANDIDATE, editable=False
    )
    identified_year = models.PositiveSmallIntegerField("识别年度", null=True, blank=True)  # NULL: a 一般农户
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    # Derived from the adjustment log by households/poverty.py (refresh_poverty_years), never typed:
    # the years at whose end the household was poor, and the years it exited in (docs/domain.md §7.4).
    poor_years = YearSpansField("贫困年度区间", null=True, blank=True, editable=False)
    exit_years = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name="脱贫年度（历次）",
        default=list,
        db_default=models.Value([], output_field=ArrayField(models.PositiveSmallIntegerField())),  # COPY loads
        blank=True,
        editable=False,
    )
    # The category of the household's open monitoring record, written only by the monitoring services
    # in the same transaction as that record (docs/domain.md §12.2); never typed.
    monitoring_category = models.CharField(
        "监测对象类别", max_length=2, choices=MonitoringCategory.choices, blank=True, editable=False
    )
    # 二、生产生活条件 (docs/domain.md §3.3). Database defaults keep bulk COPY loads valid.
    arable_land_mu = AreaField("耕地面积（亩）")
    irrigated_land_mu = AreaField("其中有效灌溉面积（亩）")
    forest_land_mu = AreaField("林地面积（亩）")
    grain_for_green_mu = AreaField("退耕还林面积（亩）")
    orchard_mu = AreaField("林果面积（亩）")
    pasture_mu = AreaField("牧草地面积（亩）")
    water_surface_mu = AreaField("水面面积（亩）")
    has_production_power = models.BooleanField("是否通生产用电", default=True, db_default=True)
    has_household_power = models.BooleanField("是否通生活用电", default=True, db_default=True)
    has_radio_tv = models.BooleanField("是否通广播电视", default=True, db_default=True)
    water_difficulty = models.BooleanField("饮水是否困难", default=False, db_default=False)
    water_safe = models.BooleanField("饮水是否安全", default=True, db_default=True)
    distance_to_main_road_km = models.DecimalField(
        "与村主干路距离（公里）",
        max_digits=6,
        decimal_places=2,
        default=0,
        db_default=0,
        validators=[MinValueValidator(0)],
    )
    entry_road_type = models.CharField(
        "入户路类型", max_length=2, choices=EntryRoadType.choices, blank=True, default="", db_default=""
    )
    housing_area_m2 = models.DecimalField(
        "住房面积（㎡）", max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    house_safety_grade = models.CharField(
        "危房级别", max_length=1, choices=HouseSafetyGrade.choices, blank=True, default="", db_default=""
    )
    fuel_type = models.CharField(
        "主要燃料类型", max_length=2, choices=FuelType.choices, blank=True, default="", db_default=""
    )
    has_sanitary_toilet = models.BooleanField("有无卫生厕所", default=False, db_default=False)
    in_cooperative = models.BooleanField("是否加入农民专业合作社", default=False, db_default=False)
    relocation = models.BooleanField("是否纳入易地扶贫搬迁", default=False, db_default=False)
    member_count = models.PositiveSmallIntegerField("家庭人口数", default=0, editable=False)
    # The members a 清退/自然销户 household had when it closed: it still counts them in the years it was poor.
    closed_member_count = models.PositiveSmallIntegerField("销户时人口数", null=True, blank=True, editable=False)
    # Number of 疑点 (households/quality.py), refreshed by every registry write; NULL = not checked yet.
    warning_count = models.PositiveSmallIntegerField("疑点数", null=True, blank=True, editable=False)
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_code_field = "village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "贫困户"
        verbose_name_plural = "贫困户"
        indexes = [
            # Scoped lists: a range on village_id (core/scoping.py), in (village, id) order for keyset pages.
            models.Index(fields=["village", "id"], name="household_village_id_idx"),
            models.Index(fields=["status", "village"], name="household_status_village_idx"),
            # Search by the head's name in pinyin: a prefix (LIKE 'abc%') under any collation.
            models.Index(
                fields=["head_name_initials"], name="household_initials_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["head_name_pinyin"], name="household_pinyin_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(other_causes__contains=CauseArray("main_cause")),
                name="household_other_causes_exclude_main",
            ),
            models.CheckConstraint(
                condition=models.Q(exit_year__isnull=True) | models.Q(exit_year__gte=models.F("identified_year")),
                name="household_exit_after_identification",
            ),
        ]

    def __str__(self):
        return f"{self.household_no} {self.head_name}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone or "")

    @property
    def other_causes_display(self) -> str:
        return "、".join(PovertyCause(code).label for code in self.other_causes) or "无"


@pghistory.track(batch_insert_event(), pghistory.UpdateEvent())
class Member(models.Model):
    """A member of a household (docs/domain.md §3.5). Gender and birth date come from the ID.

    `id_number` is encrypted at rest; `id_number_hash` (HMAC) carries uniqueness and
    exact search; `id_number_masked` is what lists and exports show by default.
    """

    household = models.ForeignKey(Household, verbose_name="所属户", on_delete=models.CASCADE, related_name="members")
    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedCharField("证件号码", max_length=18)
    # Byte order ("C"): the hash is hex, compared only for equality, and its two indexes build in
    # half the time (the database's C.UTF-8 sorts through strcoll, without abbreviated keys).
    id_number_hash = models.CharField("证件号码索引", max_length=64, editable=False, db_collation="C")
    id_number_masked = models.CharField("证件号码（脱敏）", max_length=18, editable=False)
    relation = models.CharField("与户主关系", max_length=2, choices=Relation.choices)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, editable=False)
    birth_date = models.DateField("出生日期", editable=False)
    ethnicity = models.CharField("民族", max_length=2, choices=Ethnicity.choices, default=Ethnicity.HAN)
    education = models.CharField("文化程度", max_length=2, choices=Education.choices, blank=True)
    school_status = models.CharField("在校生状况", max_length=2, choices=SchoolStatus.choices, blank=True)
    health = ArrayField(
        models.CharField(max_length=2, choices=Health.choices),
        verbose_name="健康状况",
        default=list,
        blank=True,
    )
    labor_skill = models.CharField("劳动技能", max_length=2, choices=LaborSkill.choices, blank=True)
    work_location = models.CharField("务工状况", max_length=2, choices=WorkLocation.choices, blank=True)
    work_months = models.PositiveSmallIntegerField(
        "务工时间（月）", default=0, validators=[MinValueValidator(0), MaxValueValidator(12)]
    )
    is_active = models.BooleanField("在册", default=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        permissions = [("view_full_id", "查看完整证件号码、电话（每次查看均留痕）")]
        indexes = [models.Index(fields=["id_number_hash"], name="member_id_hash_idx")]
        constraints = [
            # One active registration per person in the whole database.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(is_active=True),
                name="member_one_active_registration",
            ),
            # Exactly one 户主 per household is a service rule; at most one is the database's.
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(is_active=True, relation="01"),
                name="member_one_head_per_household",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(is_active=True, relation="02"),
                name="member_one_spouse_per_household",
            ),
            models.CheckConstraint(
                condition=models.Q(work_months__gte=0, work_months__lte=12), name="member_work_months_0_12"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.id_number_masked}"

    @property
    def health_display(self) -> str:
        return "、".join(Health(code).label for code in self.health) or "—"

    def set_id_number(self, number: str, number_hash: str | None = None) -> None:
        """Set the (normalised) ID number and everything derived from it (`number_hash` if already computed)."""
        self.id_number = number
        self.id_number_hash = number_hash or id_number_hash(number)
        self.id_number_masked = mask_id_number(number)
        self.gender = gender_of(number)
        self.birth_date = birth_date_of(number)


class AdjustmentRecord(models.Model):
    """One dynamic adjustment (动态调整): the only way a household's status or membership changes."""

    household = models.ForeignKey(
        Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="adjustments"
    )
    member = models.ForeignKey(
        Member, verbose_name="成员", null=True, blank=True, on_delete=models.CASCADE, related_name="adjustments"
    )
    kind = models.CharField("调整类别", max_length=20, choices=AdjustmentKind.choices)
    member_reason = models.CharField("变更原因", max_length=20, choices=MemberChangeReason.choices, blank=True)
    from_status = models.CharField("原状态", max_length=10, choices=HouseholdStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=HouseholdStatus.choices, blank=True)
    year = models.PositiveSmallIntegerField("年度")
    effective_date = models.DateField("生效日期")
    # The year the change takes effect (an application's year), which need not be the date's year:
    # an exit for 2019 approved in 2020 counts in 2019 (docs/domain.md §7.4).
    effective_year = models.PositiveSmallIntegerField("生效年度")
    reason = models.TextField("情况说明")
    created_by = models.ForeignKey(
        "fupin.User", verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("操作时间", auto_now_add=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "动态调整记录"
        verbose_name_plural = "动态调整记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="adjustment_has_reason"),
        ]

    def __str__(self):
        return f"{self.household_id} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.effective_year is None:  # a change takes effect in its own year unless it says otherwise
            self.effective_year = self.year
        super().save(*args, **kwargs)


@pghistory.track()
class IncomeRecord(models.Model):
    """A household's income of one year, item by item (docs/domain.md §3.4 三、上年度收入)."""

    household = models.ForeignKey(Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    wage_income = MoneyField("工资性收入")
    business_income = MoneyField("生产经营性收入")
    asset_dividend_income = MoneyField("资产收益扶贫分红收入")
    other_property_income = MoneyField("其他财产性收入")
    family_planning_subsidy = MoneyField("计划生育金")
    dibao_benefit = MoneyField("低保金")
    tekun_benefit = MoneyField("特困供养金")
    pension = MoneyField("养老保险金")
    eco_compensation = MoneyField("生态补偿金")
    other_transfer_income = MoneyField("其他转移性收入")
    business_expense = MoneyField("生产经营性支出")
    household_size = models.PositiveSmallIntegerField("家庭人口数", editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "年度收入"
        verbose_name_plural = "年度收入"
        ordering = ["household", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="income_one_per_household_year"),
            models.CheckConstraint(condition=models.Q(household_size__gt=0), name="income_household_size_positive"),
        ]

    def __str__(self):
        return f"{self.household_id} {self.year}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HouseholdYearLock(models.Model):
    """A household's year settled by an approval: all of that year's data stays as approved until lifted.

    `reason` names what locked it (an approved application, "户退出申请 #12"); the workflow
    writes the lock when it approves and lifts it only when a county reviewer reopens with a
    reason (docs/architecture.md, the year lock). Every lock, re-lock and lift is kept in the
    history (who, when and why, from the pghistory context).
    """

    household = models.ForeignKey(Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="year_locks")
    year = models.PositiveSmallIntegerField("年度")
    reason = models.CharField("锁定依据", max_length=100)
    locked_at = models.DateTimeField("锁定时间")
    locked_by = models.ForeignKey(
        "fupin.User", verbose_name="锁定人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "年度锁定"
        verbose_name_plural = "年度锁定"
        ordering = ["household", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="year_lock_one_per_household_year"),
        ]

    def __str__(self):
        return f"{self.household_id} {self.year}（{self.reason}）"


class Helper(models.Model):
    """帮扶责任人: a cadre who helps households (assigned with dates)."""

    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=100)
    level = models.CharField("隶属关系", max_length=1, choices=HelperLevel.choices)
    phone = EncryptedCharField("联系电话", max_length=20, null=True, blank=True)
    region = models.ForeignKey(
        "villages.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="helpers"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶责任人"
        verbose_name_plural = "帮扶责任人"
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name}（{self.unit}）"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone or "")


@pghistory.track()
class HelperAssignment(models.Model):
    """结对帮扶: a helper paired with a household from a date, until an end date."""

    helper = models.ForeignKey(Helper, verbose_name="帮扶责任人", on_delete=models.CASCADE, related_name="assignments")
    household = models.ForeignKey(
        Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="helper_assignments"
    )
    start_date = models.DateField("结对日期")
    end_date = models.DateField("结束日期", null=True, blank=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        constraints = [
            models.UniqueConstraint(
                fields=["helper", "household"],
                condition=models.Q(end_date__isnull=True),
                name="assignment_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.helper} → {self.household_id}"


@pghistory.track()
class AidMeasure(models.Model):
    """帮扶措施 for a household in a year; a measure from a project names it (projects/services.py)."""

    household = models.ForeignKey(
        Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="aid_measures"
    )
    category = models.CharField("措施类别", max_length=2, choices=AidCategory.choices)
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField(
        "金额（元）", max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    description = models.CharField("措施内容", max_length=500)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="来源项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_measures",
    )
    created_by = models.ForeignKey(
        "fupin.User", verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        ordering = ["-year", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="aid_measure_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.household_id} {self.year} {self.get_category_display()}"


class ImportJob(TransferJob):
    """One uploaded 采集表: validated in the background into a preview, then committed (or not).

    The upload lives TRANSFER_FILE_HOURS (core/transfer.py); a preview not confirmed by then expires.
    """

    class Status(models.TextChoices):
        VALIDATING = "VALIDATING", "校验中"
        PREVIEW = "PREVIEW", "待确认"
        COMMITTING = "COMMITTING", "导入中"
        DONE = "DONE", "已导入"
        FAILED = "FAILED", "失败"
        EXPIRED = "EXPIRED", "已过期"

    class Mode(models.TextChoices):
        # 采集表导入: new households enter as 拟识别, existing ones are corrected.
        REGULAR = "REGULAR", "采集表导入"
        # 历史数据导入: an existing province's records with their status and original years (docs/domain.md §5).
        HISTORICAL = "HISTORICAL", "历史数据导入"

    user = models.ForeignKey("fupin.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField("导入方式", max_length=10, choices=Mode.choices, default=Mode.REGULAR)
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField("存储文件", max_length=100)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.VALIDATING)
    households_done = models.PositiveIntegerField("已处理户数", default=0)
    households_total = models.PositiveIntegerField("总户数", default=0)
    counts = models.JSONField("预览统计", default=dict, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)  # the first jobs.MAX_STORED_ERRORS
    errors_total = models.PositiveIntegerField("错误总数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    directory = "imports"
    file_field = "stored_name"
    file_time_field = "created_at"  # the upload is stored when the job is created
    done_field = "households_done"
    total_field = "households_total"
    message_field = "message"
    active_statuses = (Status.VALIDATING, Status.COMMITTING)
    expires_with_file = (Status.PREVIEW,)  # a preview cannot be confirmed without its file
    complete_statuses = (Status.PREVIEW, Status.DONE)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.original_name} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("households:import_detail", args=[self.pk])

    @property
    def error_count(self) -> int:
        """Every error of the file, of which `errors` lists the first."""
        return max(self.errors_total, len(self.errors))

    @property
    def errors_unlisted(self) -> int:
        return self.error_count - len(self.errors)

    def queue_options(self) -> dict:
        """The options of a run sent again (core.tasks.redispatch_transfer_jobs): a job in 导入中 commits."""
        return {"commit": self.status == self.Status.COMMITTING}


class HistoricalLoad(models.Model):
    """One 历史数据导入: who loaded which file's records with their original status and years, and how many.

    Written in the transaction that loads the records (an ImportJob in the HISTORICAL mode, or
    the demo province), so the audit row exists exactly when the records do (docs/domain.md §5).
    """

    loaded_by = models.ForeignKey("fupin.User", verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "villages.Region", verbose_name="导入范围", on_delete=models.PROTECT, related_name="historical_loads"
    )
    original_name = models.CharField("文件名", max_length=200)
    import_job = models.OneToOneField(
        ImportJob,
        verbose_name="导入任务",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="historical_load",
    )
    household_count = models.PositiveIntegerField("户数")
    member_count = models.PositiveIntegerField("人数")
    loaded_at = models.DateTimeField("导入时间", auto_now_add=True)

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "历史数据导入记录"
        verbose_name_plural = "历史数据导入记录"
        ordering = ["-loaded_at", "-id"]

    def __str__(self):
        return f"{self.original_name}（{self.household_count}户）"
