"""贫困发生率 (docs/domain.md §7.3): the one definition, and the one statement that writes it.

Numerator: people of households poor at the end of `year` (households/poverty.py: registered
by the end of `year` and not exited by then; 清退 and 自然销户 never count). Denominator: the
village's 农村户籍人口 for `year`, or its latest earlier figure. Every level sums numerators and
denominators (GROUPING SETS over the villages' ancestor codes); rates are never averaged.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from core.regions import LEVEL_DIGITS, sql_code_at
from core.scoping import prefix_range
from households.poverty import poor_at_end_of_year_sql

# Per-village figures for a year, within a code range. Shared by the batch upsert and by
# the single-region figure that the exit checks read, so both count the same people.
VILLAGE_FIGURES_SQL = f"""
    SELECT r.code AS village_code,
           coalesce(h.poor_households, 0) AS poor_households,
           coalesce(h.poor_population, 0) AS poor_population,
           coalesce(p.rural_population, 0) AS rural_population
      FROM villages_region r
      LEFT JOIN (
            SELECT village_id, count(*) AS poor_households, sum(member_count) AS poor_population
              FROM households_household
             WHERE village_id >= %(low)s AND village_id < %(high)s
               AND {poor_at_end_of_year_sql("%(year)s")}
             GROUP BY village_id
           ) h ON h.village_id = r.code
      LEFT JOIN LATERAL (
            SELECT vp.rural_population
              FROM villages_villagepopulation vp
             WHERE vp.village_id = r.code AND vp.year <= %(year)s
             ORDER BY vp.year DESC
             LIMIT 1
           ) p ON true
     WHERE r.level = 'village' AND r.code >= %(low)s AND r.code < %(high)s
"""  # noqa: S608 - constant SQL text; every value is a parameter

# Each village's ancestor codes, one column per level (province … village), for GROUPING SETS.
_LEVELS = list(LEVEL_DIGITS)
_ANCESTOR_COLUMNS = ", ".join(f"{sql_code_at('village_code', level)} AS {level}" for level in _LEVELS)

# One statement per run: aggregate every level at once and upsert (idempotent).
UPSERT_SQL = f"""
    WITH village_figures AS ({VILLAGE_FIGURES_SQL})
    INSERT INTO assessment_incidencerate
           (region_id, year, poor_households, poor_population, rural_population, rate, computed_at)
    SELECT coalesce({", ".join(reversed(_LEVELS))}),
           %(year)s,
           sum(poor_households),
           sum(poor_population),
           sum(rural_population),
           CASE WHEN sum(rural_population) > 0
                THEN round(sum(poor_population)::numeric / sum(rural_population), 12) END,
           now()
      FROM (SELECT {_ANCESTOR_COLUMNS}, poor_households, poor_population, rural_population
              FROM village_figures) f
     GROUP BY GROUPING SETS ({", ".join(f"({level})" for level in _LEVELS)})
    ON CONFLICT (region_id, year) DO UPDATE
       SET poor_households = EXCLUDED.poor_households,
           poor_population = EXCLUDED.poor_population,
           rural_population = EXCLUDED.rural_population,
           rate = EXCLUDED.rate,
           computed_at = EXCLUDED.computed_at
"""  # noqa: S608 - constant SQL text; every value is a parameter

REGION_SQL = f"""
    SELECT coalesce(sum(poor_households), 0), coalesce(sum(poor_population), 0),
           coalesce(sum(rural_population), 0)
      FROM ({VILLAGE_FIGURES_SQL}) village_figures
"""  # noqa: S608 - constant SQL text; every value is a parameter


@dataclass(frozen=True)
class Incidence:
    poor_households: int
    poor_population: int
    rural_population: int

    @property
    def rate(self) -> Decimal | None:
        if not self.rural_population:
            return None
        return Decimal(self.poor_population) / Decimal(self.rural_population)

    def is_below(self, limit: Decimal) -> bool:
        """Strictly below `limit` on the exact integers: 2 of 100 people is not below 2 %."""
        return self.rural_population > 0 and Decimal(self.poor_population) < limit * self.rural_population


def _bounds(prefix: str, year: int) -> dict:
    low, high = prefix_range(prefix) if prefix else ("", None)
    return {"low": low, "high": high or "a", "year": year}


def recompute_incidence_rates(year: int) -> int:
    """Write IncidenceRate for every region of every level for `year`; returns rows written."""
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, _bounds("", year))
        return cursor.rowcount


def incidence_of(prefix: str, year: int) -> Incidence:
    """The live figure of one region (its code prefix), by the same definition as the upsert."""
    with connection.cursor() as cursor:
        cursor.execute(REGION_SQL, _bounds(prefix, year))
        return Incidence(*(int(value) for value in cursor.fetchone()))
