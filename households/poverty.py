"""Who counts as poor in a year: the one definition (docs/domain.md §7.4).

A household is poor at the end of year Y when the latest status-setting adjustment of its log
taking effect by Y (effective_year ≤ Y; in a year, in the order recorded) sets it 未脱贫
(新识别 or 返贫), not 已脱贫, 清退 or 自然销户. So a later 返贫, 清退 or 销户 never changes an
earlier year, and an exit for 2019 approved in 2020 counts in 2019. 拟识别 households have no
status-setting adjustment yet and never count.

The log is read once per change, not per query: `refresh_poverty_years` folds a household's
log into two derived columns — `poor_years`, the years at whose end it was poor (a PostgreSQL
int4multirange, e.g. {[2014,2017),[2019,)}), and `exit_years`, the years it exited in — and
every status-setting write (households/services/status.py, registration, the historical load)
calls it in the same transaction. The conditions below read those columns, so incidence over
two million households stays one statement without a join. A household whose log was never
folded (`poor_years` NULL: a 拟识别, or a row written outside the services) is read from its
status columns as before the log existed: identified by Y and not exited by the end of Y;
its first status change writes its earlier steps into the log (services/historical.py). "Poor now" is poor at the end of
the current year, so the home page, the region pages (households/counts.py), the incidence on
the dashboard (assessment/statistics.py) and the ratings (assessment/ratings.py) count the
same households for the same region and year.
"""

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from .codes import AdjustmentKind, HouseholdStatus

POOR = HouseholdStatus.POOR.value
EXITED = HouseholdStatus.EXITED.value

# The log folded into spans: each status-setting adjustment holds until the next one (by
# effective year, then id); the spans that set 未脱贫 are the poor years. Whole years: a span
# [2014, 2017) is poor at the end of 2014, 2015 and 2016; an exit in 2017 ends it within 2017.
REFRESH_POVERTY_YEARS_SQL = f"""
UPDATE households_household h
   SET poor_years = COALESCE(spans.poor_years, '{{}}'::int4multirange),
       exit_years = COALESCE(spans.exit_years, '{{}}'::smallint[])
  FROM (SELECT ids.id AS household_id,
               range_agg(int4range(steps.effective_year, steps.next_year))
                 FILTER (WHERE steps.to_status = '{POOR}') AS poor_years,
               array_agg(steps.effective_year ORDER BY steps.effective_year)
                 FILTER (WHERE steps.kind = '{AdjustmentKind.EXITED.value}') AS exit_years
          FROM unnest(%(ids)s::bigint[]) AS ids(id)
          LEFT JOIN (SELECT household_id, kind, to_status, effective_year,
                            lead(effective_year) OVER (PARTITION BY household_id ORDER BY effective_year, id)
                              AS next_year
                       FROM households_adjustmentrecord
                      WHERE to_status <> '' AND household_id = ANY(%(ids)s::bigint[])) AS steps
            ON steps.household_id = ids.id
         GROUP BY ids.id) AS spans
 WHERE h.id = spans.household_id
   AND (h.poor_years IS DISTINCT FROM COALESCE(spans.poor_years, '{{}}'::int4multirange)
        OR h.exit_years IS DISTINCT FROM COALESCE(spans.exit_years, '{{}}'::smallint[]))
"""  # noqa: S608 - constant SQL text; every value is a parameter

REFRESH_CHUNK = 20_000


def refresh_poverty_years(household_ids: Iterable[int]) -> None:
    """Fold the households' adjustment logs into `poor_years` / `exit_years` (in the caller's transaction)."""
    ids = sorted({int(pk) for pk in household_ids})
    with connection.cursor() as cursor:
        for start in range(0, len(ids), REFRESH_CHUNK):
            cursor.execute(REFRESH_POVERTY_YEARS_SQL, {"ids": ids[start : start + REFRESH_CHUNK]})


def _columns(table: str) -> str:
    return f"{table}." if table else ""


def poor_at_end_of_year_sql(year: str, *, table: str = "") -> str:
    """SQL condition on households_household: the household was poor at the end of `year`.

    `year` is SQL text, a placeholder such as "%(year)s"; `table` is the alias the statement
    gives households_household, if any.
    """
    h = _columns(table)
    return (
        f"(CASE WHEN {h}poor_years IS NOT NULL THEN {h}poor_years @> ({year})::integer"
        f" ELSE {h}identified_year <= {year}"
        f" AND ({h}status = '{POOR}' OR ({h}status = '{EXITED}' AND {h}exit_year > {year})) END)"
    )


def population_sql(*, table: str = "") -> str:
    """SQL expression: the people a household counts in a year it was poor (or exited in).

    Its active members; a 清退 or 自然销户 household, whose members are no longer active,
    counts those it had when it closed, so closing never changes an earlier year's figure.
    """
    h = _columns(table)
    return f"COALESCE({h}closed_member_count, {h}member_count)"


def exited_in_year_sql(year: str, *, table: str = "") -> str:
    """SQL condition: the household left poverty during `year` (an exit effective in it), even if it returned later."""
    h = _columns(table)
    return (
        f"(CASE WHEN {h}poor_years IS NOT NULL THEN ({year})::smallint = ANY({h}exit_years)"
        f" ELSE {h}status = '{EXITED}' AND {h}exit_year = {year} END)"
    )


def current_year() -> int:
    """The year whose end "poor now" refers to, and the work year of a write that names none."""
    return timezone.localdate().year
