from decimal import Decimal

from django.db.models import Q

from .codes import ParameterKey
from .models import PolicyParameter
from .regions import ancestor_codes, code_prefix

# The national 扶贫监督举报电话, should the parameter's seed row be missing (docs/domain.md §10.5).
NATIONAL_SUPERVISION_PHONE = "12317"


class PolicyParameterMissing(LookupError):
    pass


def policy_value(key: str, *, year: int | None = None, region_code: str | None = None) -> Decimal:
    """The value of a policy parameter for a year and a region.

    The most specific row wins: the deepest region among `region_code` and its
    ancestors over a national row, then a row for `year` over one for every year.
    """
    return _most_specific(key, year, region_code)[2]


def policy_text(key: str, *, year: int | None = None, region_code: str | None = None) -> str:
    """The text of a text parameter (such as SUPERVISION_PHONE), chosen as policy_value chooses."""
    return _most_specific(key, year, region_code)[3]


def supervision_phone(region_code: str | None, year: int) -> str:
    """监督电话 named by every 公示 and 公告 in the region (households, projects, funds): the
    parameter SUPERVISION_PHONE, a county's own row over the national 12317."""
    try:
        phone = policy_text(ParameterKey.SUPERVISION_PHONE, year=year, region_code=region_code)
    except PolicyParameterMissing:
        return NATIONAL_SUPERVISION_PHONE
    return phone or NATIONAL_SUPERVISION_PHONE


def policy_values(key: str, *, year: int | None, region_codes) -> dict[str, Decimal]:
    """policy_value of `key` for `year` in each of `region_codes`, read in one query.

    A list of many villages (a review queue) would otherwise query once per village; each
    value is chosen among the rows as policy_value chooses it."""
    codes = set(region_codes)
    ancestors = {code: ancestor_codes(code, include_self=True) for code in codes}
    candidates = _candidates(key, year, {region for chain in ancestors.values() for region in chain})
    values = {}
    for code, chain in ancestors.items():
        rows = [row for row in candidates if row[0] is None or row[0] in chain]
        if not rows:
            raise PolicyParameterMissing(f"no PolicyParameter {key} for year={year} region={code}")
        values[code] = _most_specific_row(rows)[2]
    return values


def _candidates(key: str, year: int | None, region_codes) -> list[tuple]:
    """The rows of `key` that may apply to `year` in the regions `region_codes` (national rows too)."""
    rows = PolicyParameter.objects.for_key(key).filter(Q(year=year) | Q(year__isnull=True))
    regions = Q(region__isnull=True)
    if region_codes:
        regions |= Q(region_id__in=region_codes)
    return list(rows.filter(regions).values_list("region_id", "year", "value", "text"))


def _most_specific_row(candidates: list[tuple]) -> tuple:
    """The deepest region's row over a national one, then a row for the year over one for every year."""

    def specificity(row):
        region_id, row_year = row[0], row[1]
        depth = len(code_prefix(region_id)) if region_id else 0
        return depth, row_year is not None

    return max(candidates, key=specificity)


def _most_specific(key: str, year: int | None, region_code: str | None) -> tuple:
    """The row (region, year, value, text) that applies to `year` in `region_code`."""
    regions = ancestor_codes(region_code, include_self=True) if region_code else []
    candidates = _candidates(key, year, regions)
    if not candidates:
        raise PolicyParameterMissing(f"no PolicyParameter {key} for year={year} region={region_code}")
    return _most_specific_row(candidates)
