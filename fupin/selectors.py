from decimal import Decimal

from django.db.models import Q

from .models import PolicyParameter


class PolicyParameterMissing(LookupError):
    pass


def policy_value(key: str, *, year: int | None = None, region_code: str | None = None) -> Decimal:
    """The value of a policy parameter for a year and a region.

    The most specific row wins: the deepest region among `region_code` and its
    ancestors over a national row, then a row for `year` over one for every year.
    """
    from villages.models import code_prefix, level_of

    rows = PolicyParameter.objects.for_key(key).filter(Q(year=year) | Q(year__isnull=True))
    regions = Q(region__isnull=True)
    if region_code:
        ancestors = {region_code[:digits].ljust(12, "0") for digits in (2, 4, 6, 9, 12)}
        regions |= Q(region_id__in=ancestors)
    candidates = list(rows.filter(regions).values_list("region_id", "year", "value"))
    if not candidates:
        raise PolicyParameterMissing(f"no PolicyParameter {key} for year={year} region={region_code}")

    def specificity(row):
        region_id, row_year, _ = row
        depth = len(code_prefix(region_id, level_of(region_id))) if region_id else 0
        return depth, row_year is not None

    return max(candidates, key=specificity)[2]
