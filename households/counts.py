"""Household counts per region for the home page and the region pages.

Four figures per region: villages, households on the register (any status), and the
households and people poor at the end of the year (households/poverty.py), by default the
current year, so these pages agree with the 贫困发生率 of that year. `member_count` is kept
on the household, so the poor population is a SUM, not a join.
"""

from django.core.cache import cache
from django.db import connection

from core.regions import LEVEL_DIGITS, RegionLevel, code_prefix, sql_code_prefix
from core.scoping import prefix_range, scope_prefix
from villages.models import Region

from .poverty import current_year, poor_at_end_of_year_sql

SUMMARY_CACHE_SECONDS = 600
COUNT_KEYS = ("villages", "households", "poor_households", "poor_population")
POOR = poor_at_end_of_year_sql("%(year)s")
# The levels a summary is kept for: every level that has villages below it.
SUMMARY_LEVELS = [level for level in LEVEL_DIGITS if level != RegionLevel.VILLAGE]

# The counts of one subtree, in one statement.
SUBTREE_COUNTS_SQL = f"""
SELECT
    (SELECT count(*) FROM villages_region
      WHERE level = 'village' AND code LIKE %(pattern)s) AS villages,
    count(*) AS households,
    count(*) FILTER (WHERE {POOR}) AS poor_households,
    coalesce(sum(member_count) FILTER (WHERE {POOR}), 0) AS poor_population
FROM households_household
WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s)
"""  # noqa: S608 - constant SQL text; every value is a parameter

# The same counts for every region above village level, in one pass over the households:
# GROUP BY GROUPING SETS over the code prefixes of SUMMARY_LEVELS.
_PREFIXES = [sql_code_prefix("code", level) for level in SUMMARY_LEVELS]
ALL_SUBTREE_COUNTS_SQL = f"""
WITH village_households AS (
    SELECT village_id,
           count(*) AS households,
           count(*) FILTER (WHERE {POOR}) AS poor_households,
           coalesce(sum(member_count) FILTER (WHERE {POOR}), 0) AS poor_population
    FROM households_household GROUP BY village_id
), villages AS (
    SELECT r.code, coalesce(h.households, 0) AS households,
           coalesce(h.poor_households, 0) AS poor_households,
           coalesce(h.poor_population, 0) AS poor_population
    FROM villages_region r LEFT JOIN village_households h ON h.village_id = r.code
    WHERE r.level = 'village'
)
SELECT {", ".join(_PREFIXES)},
       count(*) AS villages, sum(households) AS households,
       sum(poor_households) AS poor_households, sum(poor_population) AS poor_population
FROM villages
GROUP BY GROUPING SETS ({", ".join(f"({prefix})" for prefix in _PREFIXES)})
"""  # noqa: S608 - constant SQL text; every value is a parameter


def _cache_key(prefix: str) -> str:
    return f"scope-summary:{prefix or 'all'}"


def subtree_counts(prefix: str, *, year: int | None = None) -> dict[str, int]:
    """Villages, households, poor households and poor population under a code prefix."""
    low, high = prefix_range(prefix) if prefix else ("", None)
    parameters = {"pattern": prefix + "%", "low": low, "high": high, "year": year or current_year()}
    with connection.cursor() as cursor:
        cursor.execute(SUBTREE_COUNTS_SQL, parameters)
        return dict(zip(COUNT_KEYS, (int(value) for value in cursor.fetchone()), strict=True))


def all_subtree_counts(*, year: int | None = None) -> dict[str, dict[str, int]]:
    """The counts of every province, city, county and township, keyed by code prefix."""
    with connection.cursor() as cursor:
        cursor.execute(ALL_SUBTREE_COUNTS_SQL, {"year": year or current_year()})
        result = {}
        for row in cursor.fetchall():
            prefixes, counts = row[: len(SUMMARY_LEVELS)], row[len(SUMMARY_LEVELS) :]
            # A grouping set fills one prefix column; the others are NULL.
            prefix = next(prefix for prefix in prefixes if prefix is not None)
            result[prefix] = dict(zip(COUNT_KEYS, (int(value) for value in counts), strict=True))
        return result


def scope_summary(user) -> dict[str, int]:
    """The home-page counts for the user's scope, cached for a few minutes (one query on a miss)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return dict.fromkeys(COUNT_KEYS, 0)
    counts = cache.get(_cache_key(prefix))
    if counts is None:
        counts = subtree_counts(prefix)
        cache.set(_cache_key(prefix), counts, SUMMARY_CACHE_SECONDS)
    return counts


def refresh_summary_cache() -> int:
    """Recompute and cache the counts of every region above village level; returns how many."""
    counts = all_subtree_counts()
    cache.set_many({_cache_key(prefix): value for prefix, value in counts.items()}, SUMMARY_CACHE_SECONDS)
    # The whole-province total under the admin's "" prefix is the sum over provinces.
    provinces = [value for prefix, value in counts.items() if len(prefix) == LEVEL_DIGITS[RegionLevel.PROVINCE]]
    total = {key: sum(value[key] for value in provinces) for key in COUNT_KEYS}
    cache.set(_cache_key(""), total, SUMMARY_CACHE_SECONDS)
    return len(counts) + 1


def child_region_counts(region: Region | None, *, year: int | None = None) -> list[tuple[Region, dict[str, int]]]:
    """The children of a region (the provinces for None) with their counts, grouped in SQL."""
    if region is None:
        children = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    else:
        children = list(Region.objects.children_of(region).order_by("code"))
    if not children:
        return []
    child_level = children[0].level
    village_sql = f"""
        SELECT {sql_code_prefix("r.code", child_level)} AS prefix,
               count(*) FILTER (WHERE r.level = 'village') AS villages
        FROM villages_region r WHERE r.code LIKE %(pattern)s GROUP BY 1
    """  # noqa: S608 - the level's digit count comes from LEVEL_DIGITS
    household_sql = f"""
        SELECT {sql_code_prefix("village_id", child_level)} AS prefix, count(*),
               count(*) FILTER (WHERE {POOR}),
               coalesce(sum(member_count) FILTER (WHERE {POOR}), 0)
        FROM households_household
        WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s) GROUP BY 1
    """  # noqa: S608 - constant SQL text; every value is a parameter
    prefix = region.prefix if region else ""
    low, high = prefix_range(prefix) if prefix else ("", None)
    parameters = {"pattern": prefix + "%", "low": low, "high": high, "year": year or current_year()}
    with connection.cursor() as cursor:
        cursor.execute(village_sql, parameters)
        villages = dict(cursor.fetchall())
        cursor.execute(household_sql, parameters)
        households = {row[0]: row[1:] for row in cursor.fetchall()}
    result = []
    for child in children:
        child_prefix = code_prefix(child.code, child.level)
        household_counts = households.get(child_prefix, (0, 0, 0))
        counts = dict(zip(COUNT_KEYS, (villages.get(child_prefix, 0), *household_counts), strict=True))
        result.append((child, {key: int(value) for key, value in counts.items()}))
    return result
