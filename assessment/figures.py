"""The figures of a region for a year, one source for the home page, the region pages and the dashboard.

Poor households, poor population, rural population and the rate are the IncidenceRate row
of the region and year (docs/domain.md §7.3), written by assessment/statistics.py after every
write that moves them and nightly, with the time it was computed. Villages and households on
the register are registry counts (households/counts.py), not incidence figures. A region
without a row has no figures: the pages show 无数据, never 0.
"""

from decimal import Decimal

from django.db.models import Min, Sum

from core.regions import code_prefix
from core.scoping import scope_prefix
from households.counts import cached_subtree_counts, child_region_counts
from villages.models import Region

from .models import IncidenceRate

FIGURE_KEYS = ("poor_households", "poor_population", "rural_population", "rate", "computed_at")
NO_FIGURES = dict.fromkeys(FIGURE_KEYS)


def _figures(row: IncidenceRate | None) -> dict:
    if row is None:
        return dict(NO_FIGURES)
    return {key: getattr(row, key) for key in FIGURE_KEYS}


def _all_provinces_figures(year: int) -> dict:
    """The whole tree: the provinces' numerators and denominators summed, computed_at the oldest."""
    total = IncidenceRate.objects.filter(year=year, region__parent__isnull=True).aggregate(
        poor_households=Sum("poor_households"),
        poor_population=Sum("poor_population"),
        rural_population=Sum("rural_population"),
        computed_at=Min("computed_at"),
    )
    if total["computed_at"] is None:
        return dict(NO_FIGURES)
    rural, poor = total["rural_population"], total["poor_population"]
    return {**total, "rate": Decimal(poor) / Decimal(rural) if rural else None}


def region_figures(region: Region | None, year: int) -> dict:
    """Registry counts and the year's incidence figures of a region (None: the whole tree)."""
    if region is None:
        return {"year": year, **cached_subtree_counts(""), **_all_provinces_figures(year)}
    row = IncidenceRate.objects.filter(region=region, year=year).first()
    return {"year": year, **cached_subtree_counts(code_prefix(region.code, region.level)), **_figures(row)}


def scope_figures(user, year: int) -> dict:
    """The figures of the user's scope: their region, or the whole tree for an unscoped admin."""
    prefix = scope_prefix(user)
    if prefix is None:
        return {"year": year, "villages": 0, "households": 0, **NO_FIGURES}
    return region_figures(user.region if prefix else None, year)


def child_region_figures(region: Region | None, year: int) -> list[tuple[Region, dict]]:
    """The children of a region (the provinces for None), each with its counts and figures."""
    children = child_region_counts(region)
    rows = IncidenceRate.objects.filter(year=year, region__in=[child for child, _ in children])
    by_code = {row.region_id: row for row in rows}
    return [(child, {"year": year, **counts, **_figures(by_code.get(child.code))}) for child, counts in children]
