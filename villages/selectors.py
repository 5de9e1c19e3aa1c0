from django.core.cache import cache
from django.db import connection

from core.regions import LEVEL_DIGITS, RegionLevel
from core.scoping import prefix_range, scope_prefix

from .models import Region, code_prefix

SUMMARY_CACHE_SECONDS = 600


def region_list(user, *, level: str | None = None, parent: str | None = None):
    """Regions the user may see, optionally one level or the children of one region."""
    regions = Region.objects.visible_to(user)
    if level:
        regions = regions.filter(level=level)
    if parent:
        regions = regions.filter(parent_id=parent)
    return regions.order_by("code")


# Counts of one subtree: villages, households, poor households and poor population.
# `member_count` is kept on the household, so the poor population is a SUM, not a join.
SUBTREE_COUNTS_SQL = """
SELECT
    (SELECT count(*) FROM villages_region
      WHERE level = 'village' AND code LIKE %(pattern)s) AS villages,
    count(*) AS households,
    count(*) FILTER (WHERE status = 'POOR') AS poor_households,
    coalesce(sum(member_count) FILTER (WHERE status = 'POOR'), 0) AS poor_population
FROM households_household
WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s)
"""

# The same four counts for every region above village level, in one pass over the
# households: GROUP BY GROUPING SETS over the code prefixes (2, 4, 6 and 9 digits).
ALL_SUBTREE_COUNTS_SQL = """
WITH village_households AS (
    SELECT village_id,
           count(*) AS households,
           count(*) FILTER (WHERE status = 'POOR') AS poor_households,
           coalesce(sum(member_count) FILTER (WHERE status = 'POOR'), 0) AS poor_population
    FROM households_household GROUP BY village_id
), villages AS (
    SELECT r.code, coalesce(h.households, 0) AS households,
           coalesce(h.poor_households, 0) AS poor_households,
           coalesce(h.poor_population, 0) AS poor_population
    FROM villages_region r LEFT JOIN village_households h ON h.village_id = r.code
    WHERE r.level = 'village'
)
SELECT left(code, 2) AS p2, left(code, 4) AS p4, left(code, 6) AS p6, left(code, 9) AS p9,
       count(*) AS villages, sum(households) AS households,
       sum(poor_households) AS poor_households, sum(poor_population) AS poor_population
FROM villages
GROUP BY GROUPING SETS ((left(code, 2)), (left(code, 4)), (left(code, 6)), (left(code, 9)))
"""

COUNT_KEYS = ("villages", "households", "poor_households", "poor_population")


def _cache_key(prefix: str) -> str:
    return f"scope-summary:{prefix or 'all'}"


def subtree_counts(prefix: str) -> dict[str, int]:
    """Villages, households, poor households and poor population under a code prefix."""
    with connection.cursor() as cursor:
        low, high = prefix_range(prefix) if prefix else ("", None)
        cursor.execute(SUBTREE_COUNTS_SQL, {"pattern": prefix + "%", "low": low, "high": high})
        return dict(zip(COUNT_KEYS, (int(value) for value in cursor.fetchone()), strict=True))


def all_subtree_counts() -> dict[str, dict[str, int]]:
    """The counts of every province, city, county and township, keyed by code prefix."""
    with connection.cursor() as cursor:
        cursor.execute(ALL_SUBTREE_COUNTS_SQL)
        result = {}
        for p2, p4, p6, p9, *counts in cursor.fetchall():
            prefix = p9 or p6 or p4 or p2
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


def child_region_counts(region: Region | None) -> list[tuple[Region, dict[str, int]]]:
    """The children of a region (the provinces for None) with their counts, grouped in SQL."""
    if region is None:
        children = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    else:
        children = list(Region.objects.children_of(region).order_by("code"))
    if not children:
        return []
    child_digits = LEVEL_DIGITS[children[0].level]
    sql = f"""
        SELECT left(r.code, {child_digits}) AS prefix,
               count(*) FILTER (WHERE r.level = 'village') AS villages
        FROM villages_region r WHERE r.code LIKE %(pattern)s GROUP BY 1
    """  # noqa: S608 - child_digits is an int from LEVEL_DIGITS
    household_sql = f"""
        SELECT left(village_id, {child_digits}) AS prefix, count(*),
               count(*) FILTER (WHERE status = 'POOR'),
               coalesce(sum(member_count) FILTER (WHERE status = 'POOR'), 0)
        FROM households_household
        WHERE village_id >= %(low)s AND (%(high)s::varchar IS NULL OR village_id < %(high)s) GROUP BY 1
    """  # noqa: S608
    prefix = region.prefix if region else ""
    low, high = prefix_range(prefix) if prefix else ("", None)
    pattern = {"pattern": prefix + "%", "low": low, "high": high}
    with connection.cursor() as cursor:
        cursor.execute(sql, pattern)
        villages = dict(cursor.fetchall())
        cursor.execute(household_sql, pattern)
        households = {row[0]: row[1:] for row in cursor.fetchall()}
    result = []
    for child in children:
        prefix = code_prefix(child.code, child.level)
        household_counts = households.get(prefix, (0, 0, 0))
        counts = dict(zip(COUNT_KEYS, (villages.get(prefix, 0), *household_counts), strict=True))
        result.append((child, {key: int(value) for key, value in counts.items()}))
    return result
