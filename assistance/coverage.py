"""结对覆盖率 (docs/domain.md §9.1): per region, the households with a current helper over those that need one.

"Need one" is households.quality.needs_helper_q, the rule of the no_helper 疑点; "a current helper"
is an open pairing (HelperAssignment without end date). One grouped query per page, in the user's
scope; the rows are the children of a region (a county's townships, a township's villages).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Left

from core.regions import CHILD_LEVEL, LEVEL_DIGITS, RegionLevel, code_of_prefix, code_prefix
from core.scoping import scope_prefix
from households.models import HelperAssignment, Household
from households.quality import needs_helper_q
from villages.models import Region

SORTS = {
    "code": lambda row: row.code,
    "name": lambda row: row.name,
    "needed": lambda row: row.needed,
    "covered": lambda row: row.covered,
    "missing": lambda row: row.missing,
    # No household needing a helper sorts after every real rate, whichever the direction.
    "rate": lambda row: -1 if row.rate is None else row.rate,
}


@dataclass
class CoverageRow:
    code: str
    name: str
    level: str
    needed: int
    covered: int

    @property
    def missing(self) -> int:
        return self.needed - self.covered

    @property
    def rate(self) -> float | None:
        """Covered over needed, in percent (None when no household needs a helper)."""
        return round(100 * self.covered / self.needed, 1) if self.needed else None


def with_current_helper():
    """An annotation: whether the household has an open pairing."""
    return Exists(HelperAssignment.objects.filter(household=OuterRef("pk"), end_date__isnull=True))


def households_needing_helper(user, prefix: str = ""):
    """The households in the user's scope (and under `prefix`) that need a current helper."""
    households = Household.objects.visible_to(user).filter(needs_helper_q())
    return households.within_prefix(prefix) if prefix else households


def total(user, region: Region) -> CoverageRow:
    """The figure of one region (the page's heading row, or a village's own row)."""
    households = households_needing_helper(user, code_prefix(region.code, region.level)).annotate(
        has_helper=with_current_helper()
    )
    found = households.aggregate(needed=Count("pk"), covered=Count("pk", filter=Q(has_helper=True)))
    return CoverageRow(region.code, region.name, region.level, found["needed"], found["covered"])


def coverage_rows(user, region: Region, *, sort: str = "code", descending: bool = False) -> list[CoverageRow]:
    """The children of `region` in the user's scope, each with its coverage; every child is listed (0 of 0 too)."""
    if region.level == RegionLevel.VILLAGE:
        return [total(user, region)]
    child_level = CHILD_LEVEL[region.level]
    digits = LEVEL_DIGITS[child_level]
    counted = (
        households_needing_helper(user, code_prefix(region.code, region.level))
        .annotate(has_helper=with_current_helper(), child=Left("village_id", digits))
        .values("child")
        .annotate(needed=Count("pk"), covered=Count("pk", filter=Q(has_helper=True)))
    )
    figures = {code_of_prefix(row["child"]): row for row in counted}
    children = Region.objects.visible_to(user).filter(parent=region).order_by("code")
    rows = [
        CoverageRow(
            child.code,
            child.name,
            child.level,
            figures.get(child.code, {}).get("needed", 0),
            figures.get(child.code, {}).get("covered", 0),
        )
        for child in children
    ]
    key = SORTS.get(sort, SORTS["code"])
    return sorted(rows, key=key, reverse=descending)


def start_region(user) -> Region | None:
    """Where the page opens: the user's own region (the province for an administrator)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return None
    if user.region_id:
        return user.region
    return Region.objects.filter(parent__isnull=True).order_by("code").first()
