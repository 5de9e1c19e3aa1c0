"""Reads of the funds ledger; every queryset starts from visible_to(user)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Allocation, Disbursement, FundSource

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


@dataclass
class CountyFunds:
    allocated: Decimal = Decimal("0.00")
    disbursed: Decimal = Decimal("0.00")

    @property
    def rate(self) -> Decimal | None:
        """报账率 = disbursed / allocated (domain-reference §8.3); None before anything is allocated."""
        return self.disbursed / self.allocated if self.allocated else None


def county_funds(year: int, county_codes: list[str] | None = None, until: date | None = None) -> dict[str, CountyFunds]:
    """Allocated and disbursed money of each county's sources of `year`, net of reversals, as of `until`.

    Two grouped sums (allocations, disbursements); reversing entries are negative and so cancel.
    """
    allocations = Allocation.objects.filter(source__year=year)
    disbursements = Disbursement.objects.filter(allocation__source__year=year)
    if county_codes is not None:
        allocations = allocations.filter(source__county_id__in=county_codes)
        disbursements = disbursements.filter(allocation__source__county_id__in=county_codes)
    if until is not None:
        allocations = allocations.filter(allocated_on__lte=until)
        disbursements = disbursements.filter(paid_on__lte=until)
    funds: dict[str, CountyFunds] = {code: CountyFunds() for code in county_codes or []}
    for row in allocations.values("source__county_id").annotate(total=Sum("amount")):
        funds.setdefault(row["source__county_id"], CountyFunds()).allocated = row["total"]
    for row in disbursements.values("allocation__source__county_id").annotate(total=Sum("amount")):
        funds.setdefault(row["allocation__source__county_id"], CountyFunds()).disbursed = row["total"]
    return funds


def _sum_of(queryset, field: str):
    return Coalesce(Subquery(queryset.values(field).annotate(total=Sum("amount")).values("total")), ZERO)


def fund_sources(user, *, county_code: str | None = None, year: int | None = None):
    """Sources the user may see, each with `allocated` and `disbursed` (net of reversals)."""
    sources = FundSource.objects.visible_to(user).select_related("county")
    if county_code:
        sources = sources.filter(county_id=county_code)
    if year:
        sources = sources.filter(year=year)
    allocated = Allocation.objects.filter(source=OuterRef("pk"))
    disbursed = Disbursement.objects.filter(allocation__source=OuterRef("pk"))
    return sources.annotate(
        allocated=_sum_of(allocated, "source"), disbursed=_sum_of(disbursed, "allocation__source")
    ).order_by("-year", "id")


def allocations(user, *, source_id: int | None = None, county_code: str | None = None, year: int | None = None):
    """Allocations (reversals included, marked) with `disbursed` each."""
    rows = Allocation.objects.visible_to(user).select_related("source", "project", "aid_measure__household", "reverses")
    if source_id:
        rows = rows.filter(source_id=source_id)
    if county_code:
        rows = rows.filter(source__county_id=county_code)
    if year:
        rows = rows.filter(source__year=year)
    disbursed = Disbursement.objects.filter(allocation=OuterRef("pk"))
    return rows.annotate(
        disbursed=_sum_of(disbursed, "allocation"),
        is_reversed=Q(reversal__isnull=False),
    ).order_by("allocated_on", "id")


def disbursements(user, *, allocation_id: int | None = None, county_code: str | None = None, year: int | None = None):
    rows = Disbursement.objects.visible_to(user).select_related("allocation__source", "reverses")
    if allocation_id:
        rows = rows.filter(allocation_id=allocation_id)
    if county_code:
        rows = rows.filter(allocation__source__county_id=county_code)
    if year:
        rows = rows.filter(allocation__source__year=year)
    return rows.annotate(is_reversed=Q(reversal__isnull=False)).order_by("paid_on", "id")
