"""Registry counts per region: villages and 建档立卡 households on the register (any status but 一般农户).

A 一般农户 (registered only to be monitored, docs/domain.md §12.2) is no 建档立卡 household: it is
left out of these counts as it is of every poverty figure.

These are not incidence figures: the households and people poor in a year are the
IncidenceRate rows of assessment (docs/domain.md §7.3), which the home page, the region pages
and the dashboard all read (assessment/figures.py). The counts here are kept in the cache for
a few minutes and forgotten for a village's chain whenever its figures are recomputed, so a
registration shows on the next page view.
"""

from django.core.cache import cache
from django.db import connection

from core.regions import LEVEL_DIGITS, RegionLevel, ancestor_codes, code_prefix, sql_code_prefix
from core.scoping import prefix_range
from villages.models import Region

from .codes import HouseholdStatus

_REGISTERED = f"status <> '{HouseholdStatus.ORDINARY.value}'"  # 建档立卡 households only

SUMMARY_CACHE_SECONDS = 600
COUNT_KEYS = ("villages", "households")
# The levels a summary is kept for: every level that has villages below it.
SUMMARY_LEVELS = [level for level in LEVEL_DIGITS if level != RegionLevel.VILLAGE]

# The counts of one subtree, in one statement.
SUBTREE_COUNTS_SQL = f"""
SELECT
    (SELECT count(*) FROM villages_region
      WHERE level = 'village' AND code LIKE %(pattern)s) AS villages,
    count(*) AS households
FROM households_household
WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s) AND {_REGISTERED}
"""  # noqa: S608 - constant SQL text; every value is a parameter

# The same counts for every region above village level, in one pass over the households:
# GROUP BY GROUPING SETS over the code prefixes of SUMMARY_LEVELS.
_PREFIXES = [sql_code_prefix("code", level) for level in SUMMARY_LEVELS]
ALL_SUBTREE_COUNTS_SQL = f"""
WITH village_households AS (
    SELECT village_id, count(*) AS households FROM households_household WHERE {_REGISTERED} GROUP BY village_id
), villages AS (
    SELECT r.code, coalesce(h.households, 0) AS households
    FROM villages_region r LEFT JOIN village_households h ON h.village_id = r.code
    WHERE r.level = 'village'
)
SELECT {", ".join(_PREFIXES)}, count(*) AS villages, sum(households) AS households
FROM villages
GROUP BY GROUPING SETS ({", ".join(f"({prefix})" for prefix in _PREFIXES)})
"""  # noqa: S608 - constant SQL text; the digit counts come from LEVEL_DIGITS


def _cache_key(prefix: str) -> str:
    return f"scope-summary:{prefix or 'all'}"


def subtree_counts(prefix: str) -> dict[str, int]:
    """Villages and households on the register under a code prefix ("" for all)."""
    low, high = prefix_range(prefix) if prefix else ("", None)
    parameters = {"pattern": prefix + "%", "low": low, "high": high}
    with connection.cursor() as cursor:
        cursor.execute(SUBTREE_COUNTS_SQL, parameters)
        return dict(zip(COUNT_KEYS, (int(value) for value in cursor.fetchone()), strict=True))


def cached_subtree_counts(prefix: str) -> dict[str, int]:
    """subtree_counts, kept for a few minutes (one query on a miss)."""
    counts = cache.get(_cache_key(prefix))
    if counts is None:
        counts = subtree_counts(prefix)
        cache.set(_cache_key(prefix), counts, SUMMARY_CACHE_SECONDS)
    return counts


def forget_cached_counts(village_code: str) -> None:
    """Drop the cached counts of a village, its township, county, city, province and the whole tree."""
    codes = ancestor_codes(village_code, include_self=True)
    cache.delete_many([_cache_key(code_prefix(code)) for code in codes] + [_cache_key("")])


def all_subtree_counts() -> dict[str, dict[str, int]]:
    """The counts of every province, city, county and township, keyed by code prefix."""
    with connection.cursor() as cursor:
        cursor.execute(ALL_SUBTREE_COUNTS_SQL)
        result = {}
        for row in cursor.fetchall():
            prefixes, counts = row[: len(SUMMARY_LEVELS)], row[len(SUMMARY_LEVELS) :]
            # A grouping set fills one prefix column; the others are NULL.
            prefix = next(prefix for prefix in prefixes if prefix is not None)
            result[prefix] = dict(zip(COUNT_KEYS, (int(value) for value in counts), strict=True))
        return result


def refresh_summary_cache() -> int:
    """Recompute and cache the counts of every region above village level; returns how many."""
    counts = all_subtree_counts()
    cache.set_many({_cache_key(prefix): value for prefix, value in counts.items()}, SUMMARY_CACHE_SECONDS)
    # The whole-tree total under the admin's "" prefix is the sum over provinces.
    provinces = [value for prefix, value in counts.items() if len(prefix) == LEVEL_DIGITS[RegionLevel.PROVINCE]]
    total = {key: sum(value[key] for value in provinces) for key in COUNT_KEYS}
    cache.set(_cache_key(""), total, SUMMARY_CACHE_SECONDS)
    return len(counts) + 1


def child_region_counts(region: Region | None) -> list[tuple[Region, dict[str, int]]]:
    """The children of a region (the provinces for None) with their counts.

    Each child's counts are its `cached_subtree_counts`: the figures the child's own page shows,
    and forgotten with them. The children not in the cache are counted together in one grouped
    pass over the region's households (a province's 首页 scanned all of them on every view, 0.2 s
    at 2,000,000 households), then kept for the next view."""
    if region is None:
        children = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    else:
        children = list(Region.objects.children_of(region).order_by("code"))
    if not children:
        return []
    keys = {child.code: _cache_key(code_prefix(child.code, child.level)) for child in children}
    counts = cache.get_many(list(keys.values()))
    missing = [child for child in children if keys[child.code] not in counts]
    if missing:
        grouped = _grouped_child_counts(region.prefix if region else "", children[0].level)
        fresh = {
            keys[child.code]: grouped.get(code_prefix(child.code, child.level), dict.fromkeys(COUNT_KEYS, 0))
            for child in missing
        }
        cache.set_many(fresh, SUMMARY_CACHE_SECONDS)
        counts.update(fresh)
    return [(child, counts[keys[child.code]]) for child in children]


def _grouped_child_counts(prefix: str, child_level: str) -> dict[str, dict[str, int]]:
    """Villages and registered households under `prefix`, by the code prefix of its children.

    On the primary, as subtree_counts: the result is cached for minutes, and a replica a moment
    behind would keep a count stale after forget_cached_counts."""
    village_sql = f"""
        SELECT {sql_code_prefix("r.code", child_level)} AS prefix,
               count(*) FILTER (WHERE r.level = 'village') AS villages
        FROM villages_region r WHERE r.code LIKE %(pattern)s GROUP BY 1
    """  # noqa: S608 - the level's digit count comes from LEVEL_DIGITS
    household_sql = f"""
        SELECT {sql_code_prefix("village_id", child_level)} AS prefix, count(*)
        FROM households_household
        WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s) AND {_REGISTERED}
        GROUP BY 1
    """  # noqa: S608 - the level's digit count comes from LEVEL_DIGITS
    low, high = prefix_range(prefix) if prefix else ("", None)
    parameters = {"pattern": prefix + "%", "low": low, "high": high}
    with connection.cursor() as cursor:
        cursor.execute(village_sql, parameters)
        villages = dict(cursor.fetchall())
        cursor.execute(household_sql, parameters)
        households = dict(cursor.fetchall())
    return {
        child: {"villages": int(villages.get(child, 0)), "households": int(households.get(child, 0))}
        for child in villages.keys() | households.keys()
    }
