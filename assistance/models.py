"""帮扶力量 (docs/domain.md §9): 帮扶单位 and their 定点帮扶, the 驻村工作队 of each village, and the 帮扶日志.

The 帮扶责任人 and their pairings (households.Helper, households.HelperAssignment) stay with the
registry: a household's form and its 疑点 read them. What is here is the force around them.
"""

import pghistory
from django.db import models
from encrypted_fields.fields import EncryptedCharField

from core.scoping import ScopedQuerySet
from households.idnumbers import mask_phone

from .codes import TeamRole, UnitLevel, UnitType


def ends_after_start(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")), name=name
    )


@pghistory.track()
class AidUnit(models.Model):
    """帮扶单位: an organisation that sends people and money; registered by the region that manages it."""

    name = models.CharField("单位名称", max_length=100)
    unit_type = models.CharField("单位类型", max_length=1, choices=UnitType.choices)
    level = models.CharField("单位层级", max_length=1, choices=UnitLevel.choices)
    region = models.ForeignKey(
        "villages.Region", verbose_name="登记区划", on_delete=models.PROTECT, related_name="aid_units"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶单位"
        verbose_name_plural = "帮扶单位"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="aid_unit_one_name_per_region"),
        ]

    def __str__(self):
        return self.name


@pghistory.track()
class UnitAssignment(models.Model):
    """定点帮扶: a unit assigned to a county or a village for a period."""

    unit = models.ForeignKey(AidUnit, verbose_name="帮扶单位", on_delete=models.PROTECT, related_name="assignments")
    region = models.ForeignKey(
        "villages.Region", verbose_name="帮扶对象（县或村）", on_delete=models.PROTECT, related_name="unit_assignments"
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)

    scope_code_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "定点帮扶"
        verbose_name_plural = "定点帮扶"
        ordering = ["region_id", "-start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "region"],
                condition=models.Q(end_date__isnull=True),
                name="unit_assignment_one_open_per_pair",
            ),
            ends_after_start("unit_assignment_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.unit} → {self.region_id}"


@pghistory.track()
class VillageTeam(models.Model):
    """驻村工作队: one team per village and period; its members come and go within it."""

    village = models.ForeignKey(
        "villages.Region", verbose_name="驻村", on_delete=models.PROTECT, related_name="village_teams"
    )
    unit = models.ForeignKey(
        AidUnit,
        verbose_name="派出单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="village_teams",
    )
    start_date = models.DateField("派驻日期")
    end_date = models.DateField("期满日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_code_field = "village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "驻村工作队"
        verbose_name_plural = "驻村工作队"
        ordering = ["village_id", "-start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["village"], condition=models.Q(end_date__isnull=True), name="village_team_one_open_per_village"
            ),
            ends_after_start("village_team_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.village_id} 驻村工作队（{self.start_date:%Y-%m-%d}起）"


@pghistory.track()
class TeamMember(models.Model):
    """A member of a 驻村工作队 from a date; a replacement ends the post with a reason and names the successor."""

    team = models.ForeignKey(VillageTeam, verbose_name="驻村工作队", on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=100)
    role = models.CharField("职务", max_length=1, choices=TeamRole.choices)
    phone = EncryptedCharField("联系电话", max_length=20, null=True, blank=True)
    start_date = models.DateField("到岗日期")
    end_date = models.DateField("离岗日期", null=True, blank=True)
    end_reason = models.CharField("离岗原因", max_length=200, blank=True)
    successor = models.OneToOneField(
        "self",
        verbose_name="接替人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessor",
    )

    scope_code_field = "team__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "驻村工作队员"
        verbose_name_plural = "驻村工作队员"
        ordering = ["team_id", "role", "start_date", "id"]
        constraints = [
            # One 第一书记 in post per team at a time.
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(end_date__isnull=True, role=TeamRole.FIRST_SECRETARY),
                name="team_one_first_secretary_in_post",
            ),
            ends_after_start("team_member_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | ~models.Q(end_reason=""),
                name="team_member_end_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone or "")


@pghistory.track()
class Visit(models.Model):
    """帮扶日志: one visit to a household, by its helper or recorded by a clerk, with an optional scanned file."""

    household = models.ForeignKey(
        "households.Household", verbose_name="走访户", on_delete=models.CASCADE, related_name="visits"
    )
    helper = models.ForeignKey(
        "households.Helper",
        verbose_name="帮扶责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    visited_on = models.DateField("走访日期")
    findings = models.TextField("了解情况", max_length=2000)
    actions = models.TextField("帮扶举措", max_length=2000, blank=True)
    follow_up = models.TextField("后续跟进", max_length=2000, blank=True)
    # A scanned photo or signed document under the private attachment store, never under MEDIA_ROOT's public URL.
    attachment = models.CharField("附件", max_length=200, blank=True)
    attachment_name = models.CharField("附件原名", max_length=200, blank=True)
    attachment_type = models.CharField("附件类型", max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        "fupin.User", verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "帮扶日志"
        verbose_name_plural = "帮扶日志"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "-visited_on"], name="visit_household_latest_idx")]

    def __str__(self):
        return f"{self.household_id} {self.visited_on:%Y-%m-%d}"
