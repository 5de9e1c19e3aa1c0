"""Reads of the funds ledger; every queryset starts from visible_to(user)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.regions import RegionLevel, code_prefix
from households.models import AidMeasure
from projects.codes import FUNDABLE_STATUSES
from projects.models import Project
from villages.models import Region

from .models import Allocation, Disbursement, FundSource

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


def disbursement_rate(disbursed: Decimal, allocated: Decimal) -> Decimal | None:
    """报账率 = disbursed / allocated (docs/domain.md §11.5); None before anything is allocated."""
    return disbursed / allocated if allocated else None


@dataclass
class CountyFunds:
    allocated: Decimal = Decimal("0.00")
    disbursed: Decimal = Decimal("0.00")

    @property
    def rate(self) -> Decimal | None:
        return disbursement_rate(self.disbursed, self.allocated)


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


def fund_sources(user, *, county_code: str | None = None, year: int | None = None, prefix: str | None = None):
    """Sources the user may see, each with `allocated`, `disbursed` (net of reversals) and `remaining`."""
    sources = FundSource.objects.visible_to(user).select_related("county")
    if county_code:
        sources = sources.filter(county_id=county_code)
    if prefix:
        sources = sources.within_prefix(prefix)
    if year:
        sources = sources.filter(year=year)
    allocated = Allocation.objects.filter(source=OuterRef("pk"))
    disbursed = Disbursement.objects.filter(allocation__source=OuterRef("pk"))
    return (
        sources.annotate(allocated=_sum_of(allocated, "source"), disbursed=_sum_of(disbursed, "allocation__source"))
        .annotate(remaining=F("amount") - F("allocated"))
        .order_by("-year", "id")
    )


def allocations(
    user,
    *,
    source_id: int | None = None,
    county_code: str | None = None,
    year: int | None = None,
    prefix: str | None = None,
):
    """Allocations (reversals included, marked) with `disbursed` and `remaining` (still payable) each."""
    rows = Allocation.objects.visible_to(user).select_related(
        "source__county", "project", "aid_measure__household", "reverses"
    )
    if source_id:
        rows = rows.filter(source_id=source_id)
    if county_code:
        rows = rows.filter(source__county_id=county_code)
    if prefix:
        rows = rows.within_prefix(prefix)
    if year:
        rows = rows.filter(source__year=year)
    disbursed = Disbursement.objects.filter(allocation=OuterRef("pk"))
    return (
        rows.annotate(disbursed=_sum_of(disbursed, "allocation"), is_reversed=Q(reversal__isnull=False))
        .annotate(remaining=F("amount") - F("disbursed"))
        .order_by("allocated_on", "id")
    )


def disbursements(
    user,
    *,
    allocation_id: int | None = None,
    county_code: str | None = None,
    year: int | None = None,
    prefix: str | None = None,
):
    """Disbursements (reversals included, marked) the user may see."""
    rows = Disbursement.objects.visible_to(user).select_related(
        "allocation__source__county", "allocation__project", "allocation__aid_measure__household", "reverses"
    )
    if allocation_id:
        rows = rows.filter(allocation_id=allocation_id)
    if county_code:
        rows = rows.filter(allocation__source__county_id=county_code)
    if prefix:
        rows = rows.within_prefix(prefix)
    if year:
        rows = rows.filter(allocation__source__year=year)
    return rows.annotate(is_reversed=Q(reversal__isnull=False)).order_by("paid_on", "id")


def fund_years(user, *, county_code: str | None = None) -> list[int]:
    """Years with a source the user may see (newest first): the year choices of the ledger pages."""
    sources = FundSource.objects.visible_to(user)
    if county_code:
        sources = sources.filter(county_id=county_code)
    return list(sources.order_by("-year").values_list("year", flat=True).distinct())


def counties_with_funds(user, year: int) -> list[tuple[Region, CountyFunds]]:
    """Each county the user may see with its allocated, disbursed and 报账率 of `year` (two grouped sums)."""
    counties = list(Region.objects.visible_to(user).filter(level=RegionLevel.COUNTY).order_by("code"))
    funds = county_funds(year, [county.code for county in counties]) if counties else {}
    return [(county, funds[county.code]) for county in counties]


def open_allocations(user, *, county_code: str, year: int):
    """Allocations that may still be paid from: neither a reversal nor reversed, money left."""
    rows = allocations(user, county_code=county_code, year=year).filter(reverses__isnull=True, reversal__isnull=True)
    return rows.filter(remaining__gt=0)


def fundable_projects(user, *, county_code: str):
    """Projects of the county in a status that may receive money (批复 and after)."""
    projects = Project.objects.visible_to(user).filter(county_id=county_code, status__in=FUNDABLE_STATUSES)
    return projects.order_by("-year", "name", "id")


def county_aid_measures(user, *, county_code: str, year: int):
    """帮扶措施 of the county's households in `year`, for allocating money to households."""
    measures = (
        AidMeasure.objects.visible_to(user)
        .within_prefix(code_prefix(county_code, RegionLevel.COUNTY))
        .filter(year=year)
    )
    return measures.select_related("household__village").order_by("household__village_id", "household_id", "id")
