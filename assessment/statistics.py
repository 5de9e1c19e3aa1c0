"""贫困发生率 (docs/domain.md §7.3): the one definition, and the one statement that writes it.

Numerator: people of households poor at the end of `year` (households/poverty.py: registered
by the end of `year` and not exited by then; 清退 and 自然销户 never count). Denominator: the
village's 农村户籍人口 for `year`, or its latest earlier figure. Every level sums numerators and
denominators (GROUPING SETS over the villages' ancestor codes); rates are never averaged.

After a write, only the changed village's chain is recomputed (recompute_chain_rates): the
village by the same per-village definition, each ancestor as the sum of its children's stored
rows with the chain's child replaced by its fresh figure. Sums of sums are the sums, so the
chain equals the full upsert as long as the stored rows are; the nightly full run restores
that, and both take the same per-year lock so they never interleave (assessment/tasks.py).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from core.regions import CHILD_LEVEL, LEVEL_DIGITS, RegionLevel, ancestor_codes, code_prefix, sql_code_at
from core.scoping import prefix_range
from households.poverty import poor_at_end_of_year_sql, population_sql

from .models import IncidenceRate

# Per-village figures for a year, within a code range. Shared by the batch upsert and by
# the single-region figure that the exit checks read, so both count the same people.
VILLAGE_FIGURES_SQL = f"""
    SELECT r.code AS village_code,
           coalesce(h.poor_households, 0) AS poor_households,
           coalesce(h.poor_population, 0) AS poor_population,
           coalesce(p.rural_population, 0) AS rural_population
      FROM villages_region r
      LEFT JOIN (
            SELECT village_id, count(*) AS poor_households, sum({population_sql()}) AS poor_population
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

_RATE_SQL = "CASE WHEN {rural} > 0 THEN round({poor}::numeric / {rural}, 12) END"
_UPSERT_CONFLICT_SQL = """
    ON CONFLICT (region_id, year) DO UPDATE
       SET poor_households = EXCLUDED.poor_households,
           poor_population = EXCLUDED.poor_population,
           rural_population = EXCLUDED.rural_population,
           rate = EXCLUDED.rate,
           computed_at = EXCLUDED.computed_at
"""

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
           {_RATE_SQL.format(poor="sum(poor_population)", rural="sum(rural_population)")},
           now()
      FROM (SELECT {_ANCESTOR_COLUMNS}, poor_households, poor_population, rural_population
              FROM village_figures) f
     GROUP BY GROUPING SETS ({", ".join(f"({level})" for level in _LEVELS)})
    {_UPSERT_CONFLICT_SQL}
"""  # noqa: S608 - constant SQL text; every value is a parameter


def _chain_level_sql(level: str) -> str:
    """One ancestor of the chain: its children's stored rows, the chain's child replaced by its fresh row."""
    child = CHILD_LEVEL[level]
    return f"""
    fresh_{level} AS (
        SELECT %({level}_code)s::varchar AS code,
               f.poor_households + coalesce(s.poor_households, 0) AS poor_households,
               f.poor_population + coalesce(s.poor_population, 0) AS poor_population,
               f.rural_population + coalesce(s.rural_population, 0) AS rural_population
          FROM fresh_{child} f
          CROSS JOIN LATERAL (
                SELECT sum(ir.poor_households) AS poor_households,
                       sum(ir.poor_population) AS poor_population,
                       sum(ir.rural_population) AS rural_population
                  FROM villages_region r
                  JOIN assessment_incidencerate ir ON ir.region_id = r.code AND ir.year = %(year)s
                 WHERE r.level = '{child}' AND r.code >= %({level}_low)s AND r.code < %({level}_high)s
                   AND r.code <> f.code
               ) s
    )"""  # noqa: S608 - constant SQL text; every value is a parameter


_ANCESTOR_LEVELS = [level for level in reversed(_LEVELS) if level != RegionLevel.VILLAGE]

# One statement per chain and year: the village from the households, each ancestor from its
# children's stored rows (a few dozen index lookups per level), upserted like the full run.
# Measured at 2,000,000 households in 4,000 villages: about 6 ms, against 1.5 s for the full run.
CHAIN_UPSERT_SQL = f"""
    WITH fresh_village AS (
        SELECT village_code AS code, poor_households, poor_population, rural_population
          FROM ({VILLAGE_FIGURES_SQL}) village_figures
    ),
    {",".join(_chain_level_sql(level) for level in _ANCESTOR_LEVELS)},
    chain AS ({" UNION ALL ".join(f"SELECT * FROM fresh_{level}" for level in reversed(_LEVELS))})
    INSERT INTO assessment_incidencerate
           (region_id, year, poor_households, poor_population, rural_population, rate, computed_at)
    SELECT code, %(year)s, poor_households, poor_population, rural_population,
           {_RATE_SQL.format(poor="poor_population", rural="rural_population")},
           now()
      FROM chain
    {_UPSERT_CONFLICT_SQL}
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


def recompute_chain_rates(village_code: str, year: int) -> int:
    """Write IncidenceRate of one village and its township, county, city and province for `year`.

    The same figures as recompute_incidence_rates would write for these five regions, provided
    the other stored rows of the year are current. A year whose province row was never written
    has nothing to sum, so it gets the full upsert instead. Returns rows written. The caller
    holds the year's lock (assessment/tasks.py), so two chains never sum each other's old rows.
    """
    province = ancestor_codes(village_code)[0]
    if not IncidenceRate.objects.filter(region_id=province, year=year).exists():
        return recompute_incidence_rates(year)
    parameters = _bounds(village_code, year)
    for level, code in zip(reversed(_ANCESTOR_LEVELS), ancestor_codes(village_code), strict=True):
        low, high = prefix_range(code_prefix(code, level))
        parameters |= {f"{level}_code": code, f"{level}_low": low, f"{level}_high": high or "a"}
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_UPSERT_SQL, parameters)
        return cursor.rowcount


def incidence_of(prefix: str, year: int) -> Incidence:
    """The live figure of one region (its code prefix), by the same definition as the upsert."""
    with connection.cursor() as cursor:
        cursor.execute(REGION_SQL, _bounds(prefix, year))
        return Incidence(*(int(value) for value in cursor.fetchone()))
