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
    return _most_specific(key, year, region_code, "value")


def policy_text(key: str, *, year: int | None = None, region_code: str | None = None) -> str:
    """The text of a text parameter (such as SUPERVISION_PHONE), chosen as policy_value chooses."""
    return _most_specific(key, year, region_code, "text")


def supervision_phone(region_code: str | None, year: int) -> str:
    """监督电话 named by every 公示 and 公告 in the region (households, projects, funds): the
    parameter SUPERVISION_PHONE, a county's own row over the national 12317."""
    try:
        phone = policy_text(ParameterKey.SUPERVISION_PHONE, year=year, region_code=region_code)
    except PolicyParameterMissing:
        return NATIONAL_SUPERVISION_PHONE
    return phone or NATIONAL_SUPERVISION_PHONE


def _most_specific(key: str, year: int | None, region_code: str | None, field: str):
    rows = PolicyParameter.objects.for_key(key).filter(Q(year=year) | Q(year__isnull=True))
    regions = Q(region__isnull=True)
    if region_code:
        regions |= Q(region_id__in=ancestor_codes(region_code, include_self=True))
    candidates = list(rows.filter(regions).values_list("region_id", "year", field))
    if not candidates:
        raise PolicyParameterMissing(f"no PolicyParameter {key} for year={year} region={region_code}")

    def specificity(row):
        region_id, row_year, _ = row
        depth = len(code_prefix(region_id)) if region_id else 0
        return depth, row_year is not None

    return max(candidates, key=specificity)[2]
