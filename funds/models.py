"""The funds ledger: 资金来源 → 分配 → 报账 (docs/domain.md §11.4).

Allocations and disbursements are entries, never edited or deleted (database triggers refuse
it); a correction is a reversing entry of the opposite amount that names the entry it reverses.
The sums (Σ allocations ≤ source, Σ disbursements ≤ allocation) are kept by funds/services.py
under row locks.
"""

import pgtrigger
from django.db import models

from core.scoping import ScopedQuerySet

from .codes import FundLevel

ENTRY_SIGN = (models.Q(reverses__isnull=True) & models.Q(amount__gt=0)) | (
    models.Q(reverses__isnull=False) & models.Q(amount__lt=0)
)


def immutable_entries() -> list:
    return [
        pgtrigger.Protect(name="entries_are_never_updated", operation=pgtrigger.Update),
        pgtrigger.Protect(name="entries_are_never_deleted", operation=pgtrigger.Delete),
    ]


class FundSource(models.Model):
    """Money received by a county for a year: level, 文号, purpose and amount."""

    county = models.ForeignKey("villages.Region", verbose_name="县", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("资金级次", max_length=1, choices=FundLevel.choices)
    year = models.PositiveSmallIntegerField("年度")
    document_no = models.CharField("文号", max_length=100)
    purpose = models.CharField("资金用途", max_length=300)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    received_on = models.DateField("到位日期")
    created_by = models.ForeignKey("fupin.User", verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "county_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "资金来源"
        verbose_name_plural = "资金来源"
        ordering = ["-year", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_source_amount_positive")]
        triggers = [
            pgtrigger.Protect(
                name="fund_source_amount_fixed", operation=pgtrigger.Update, condition=pgtrigger.AnyChange("amount")
            )
        ]

    def __str__(self):
        return f"{self.document_no}（{self.get_level_display()}）"


class Allocation(models.Model):
    """Money of a source given to a project or to one household's aid measure."""

    source = models.ForeignKey(
        FundSource, verbose_name="资金来源", on_delete=models.PROTECT, related_name="allocations"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    aid_measure = models.ForeignKey(
        "households.AidMeasure",
        verbose_name="帮扶措施",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    allocated_on = models.DateField("下达日期")
    note = models.CharField("说明", max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name="冲销", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    created_by = models.ForeignKey("fupin.User", verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "source__county_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "资金分配"
        verbose_name_plural = "资金分配"
        ordering = ["allocated_on", "id"]
        constraints = [
            models.CheckConstraint(condition=ENTRY_SIGN, name="allocation_sign_matches_reversal"),
            models.CheckConstraint(
                condition=models.Q(project__isnull=True, aid_measure__isnull=False)
                | models.Q(project__isnull=False, aid_measure__isnull=True),
                name="allocation_to_a_project_or_a_measure",
            ),
        ]
        triggers = immutable_entries()

    def __str__(self):
        return f"{self.source} → {self.project or self.aid_measure}: {self.amount}"

    @property
    def target_label(self) -> str:
        """What the money pays for: the project, or one household's aid measure."""
        if self.project_id:
            return f"项目：{self.project.name}"
        return f"到户措施：{self.aid_measure.household.head_name}户 {self.aid_measure.description}"


class Disbursement(models.Model):
    """报账: money paid out of an allocation, with its voucher."""

    allocation = models.ForeignKey(
        Allocation, verbose_name="资金分配", on_delete=models.PROTECT, related_name="disbursements"
    )
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    paid_on = models.DateField("报账日期")
    voucher_no = models.CharField("凭证号", max_length=100)
    note = models.CharField("说明", max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name="冲销", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    created_by = models.ForeignKey("fupin.User", verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_code_field = "allocation__source__county_id"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "报账"
        verbose_name_plural = "报账"
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=ENTRY_SIGN, name="disbursement_sign_matches_reversal")]
        triggers = immutable_entries()

    def __str__(self):
        return f"{self.voucher_no}: {self.amount}"
