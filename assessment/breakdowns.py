"""统计分析: a region's households, people, measures and monitoring records broken down by code, and by year.

Every figure here reuses a definition kept elsewhere, so this page and the incidence page never
disagree:

- 年末未脱贫 is `households/poverty.py::poor_at_end_of_year_sql` and 当年脱贫 is
  `exited_in_year_sql` (docs/domain.md §7.4), people counted by `population_sql`: the
  breakdowns by 主要致贫原因, 贫困户属性 and 识别标准 add up to the incidence numerator of
  `assessment/statistics.py`, and the trend's poor households and people are the stored
  IncidenceRate rows themselves (assessment/figures.py shows the same).
- 监测对象 are the monitoring dashboard's records (`monitoring/statistics.py::scoped_records`,
  a record counted once under each of its risk types by `risk_type_aggregates`), those
  纳入监测 (identified_on) in the year (docs/domain.md §12.13).
- 帮扶措施 are the household measures of the year (AidMeasure.year, docs/domain.md §4.13) and
  the monitoring measures started in the year (docs/domain.md §12.10).

Scope: the region is found through `Region.objects.visible_to(user)` (404 outside), and every
statement is limited to the region's code prefix range (core/scoping.py), which lies inside the
user's. Each family is one GROUP BY statement. The two that read every household of the region
(the three household breakdowns; the exits by year) are kept per village in the cache, and each
region's sums for a few minutes, like the registry counts (households/counts.py); a write that
moves a village's figures forgets that village and its chain (assessment/tasks.py), so a
province's page then sums its cached villages and counts one again, not two million households.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils import timezone

from core.excel import Sheet
from core.regions import RegionLevel, ancestor_codes, code_prefix, township_of
from core.scoping import prefix_range
from households.codes import (
    AidCategory,
    HouseholdAttribute,
    HouseholdStatus,
    IdentificationStandard,
    MonitoringCategory,
    PovertyCause,
)
from households.poverty import exited_in_year_sql, poor_at_end_of_year_sql, population_sql
from monitoring.codes import AssistanceCategory, MonitoringStatus, RiskType
from monitoring.statistics import risk_type_aggregates, scoped_records
from villages.models import Region

from .models import IncidenceRate
from .selectors import incidence_trend, incidence_years

CACHE_SECONDS = 600
# Each village's own figures live longer: every write that moves them (a status change, members, a
# corrected 致贫原因, 属性 or 识别标准: households/services/corrections.py) forgets its village.
VILLAGE_CACHE_SECONDS = 6 * 3600
UNFILLED = "未填写"

# The household columns grouped on, by breakdown key; GROUPING() tells the sets apart.
_GROUPED = {"cause": "main_cause", "attribute": "attribute", "standard": "identification_standard"}

# One pass over the region's households: each household breakdown (poor at the end of the year,
# exited in the year, households and people) and the exits of every year, via GROUPING SETS.
# Only households poor or exited at some time can count (a 一般农户 or 拟识别 never does), and
# the exits by year come from the same rows through the exited_in_year_sql of each year.
_POOR = poor_at_end_of_year_sql("%(year)s")
_EXITED = exited_in_year_sql("%(year)s")
_PEOPLE = population_sql()
HOUSEHOLD_SQL = f"""
    SELECT village_id, GROUPING(main_cause, attribute, identification_standard) AS grouping,
           main_cause, attribute, identification_standard,
           count(*) FILTER (WHERE {_POOR}) AS poor_households,
           coalesce(sum({_PEOPLE}) FILTER (WHERE {_POOR}), 0) AS poor_population,
           count(*) FILTER (WHERE {_EXITED}) AS exited_households,
           coalesce(sum({_PEOPLE}) FILTER (WHERE {_EXITED}), 0) AS exited_population
      FROM households_household
     WHERE village_id >= %(low)s AND village_id < %(high)s
       AND (%(villages)s::varchar[] IS NULL OR village_id = ANY(%(villages)s::varchar[]))
       AND status NOT IN ('{HouseholdStatus.ORDINARY.value}', '{HouseholdStatus.CANDIDATE.value}')
       AND ({_POOR} OR {_EXITED})
     GROUP BY GROUPING SETS ((village_id, main_cause), (village_id, attribute), (village_id, identification_standard))
"""  # noqa: S608 - constant SQL text; every value is a parameter

# Exits by year in one pass: each household's exit years (exited_in_year_sql tried for each
# year the region has figures for), households and people per year.
EXITS_BY_YEAR_SQL = f"""
    SELECT h.village_id, y.year, count(*), coalesce(sum({population_sql(table="h")}), 0)
      FROM households_household h
      JOIN unnest(%(years)s::int[]) AS y(year) ON {exited_in_year_sql("y.year", table="h")}
     WHERE h.village_id >= %(low)s AND h.village_id < %(high)s
       AND (%(villages)s::varchar[] IS NULL OR h.village_id = ANY(%(villages)s::varchar[]))
       AND h.status NOT IN ('{HouseholdStatus.ORDINARY.value}', '{HouseholdStatus.CANDIDATE.value}')
     GROUP BY h.village_id, y.year
"""  # noqa: S608 - constant SQL text; every value is a parameter

# Household measures of the year: (category, household) and (household) sets, so a household
# with measures of two categories counts once in each and once in the total.
AID_MEASURES_SQL = f"""
    SELECT category, count(*) AS households, coalesce(sum(people), 0) AS people,
           sum(measures) AS measures, coalesce(sum(amount), 0) AS amount
      FROM (SELECT m.category, m.household_id, max({population_sql(table="h")}) AS people,
                   count(*) AS measures, sum(m.amount) AS amount
              FROM households_aidmeasure m
              JOIN households_household h ON h.id = m.household_id
             WHERE h.village_id >= %(low)s AND h.village_id < %(high)s AND m.year = %(year)s
             GROUP BY GROUPING SETS ((m.category, m.household_id), (m.household_id))) per_household
     GROUP BY category
"""  # noqa: S608 - constant SQL text; every value is a parameter

# Monitoring measures started in the year, the same sets as above over the records.
ASSISTANCE_MEASURES_SQL = """
    SELECT category, count(*) AS records, coalesce(sum(people), 0) AS people,
           sum(measures) AS measures, coalesce(sum(amount), 0) AS amount
      FROM (SELECT m.category, m.monitoring_object_id, max(o.member_count) AS people,
                   count(*) AS measures, sum(m.amount) AS amount
              FROM monitoring_assistancemeasure m
              JOIN monitoring_monitoringobject o ON o.id = m.monitoring_object_id
              JOIN households_household h ON h.id = o.household_id
             WHERE h.village_id >= %(low)s AND h.village_id < %(high)s
               AND m.started_on >= %(start)s AND m.started_on < %(end)s
             GROUP BY GROUPING SETS ((m.category, m.monitoring_object_id), (m.monitoring_object_id))) per_record
     GROUP BY category
"""


@dataclass
class Breakdown:
    """One table of the page and one sheet of the workbook: rows of [label, figures…], a total row."""

    key: str
    title: str
    headers: list[str]  # after the label column
    rows: list[list]
    total: list | None
    note: str = ""
    chart_column: int = 0  # the figure the chart draws (an index into a row's figures)
    percent_columns: frozenset[int] = field(default_factory=frozenset)

    @property
    def chart(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "series": self.headers[self.chart_column],
            "names": [row[0] for row in self.rows],
            "values": [row[1 + self.chart_column] for row in self.rows],
        }

    def _display(self, row: list) -> list:
        return [row[0], *(_cell_text(value, i in self.percent_columns) for i, value in enumerate(row[1:]))]

    @property
    def display_rows(self) -> list[list[str]]:
        """The rows as the page shows them: thousands separators, percentages, 无数据 for a missing figure."""
        return [self._display(row) for row in self.rows]

    @property
    def display_total(self) -> list[str] | None:
        return self._display(self.total) if self.total else None

    def sheet(self, region: Region, year: int) -> Sheet:
        rows = [*self.rows, *([self.total] if self.total else [])]
        return Sheet(
            self.title[:31],
            [f"{self.title}（{region.name}，{year}年）", *self.headers],
            iter(
                [
                    row[0],
                    *(_percent_text(value) if i in self.percent_columns else value for i, value in enumerate(row[1:])),
                ]
                for row in rows
            ),
            widths={1: 30},
            text_columns=frozenset({1}),
        )


def _cell_text(value, percent: bool) -> str:
    if percent:
        return _percent_text(value)
    if value is None:
        return "无数据"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def _percent_text(value) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _share(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 2) if whole else None


def _bounds(region: Region) -> dict:
    low, high = prefix_range(code_prefix(region.code, region.level))
    return {"low": low, "high": high or "a"}


def _cache_key(prefix: str, year: int) -> str:
    return f"breakdowns:{prefix}:{year}"


def _trend_key(prefix: str) -> str:
    return f"breakdowns-trend:{prefix}"


def _village_key(village_code: str, year: int) -> str:
    return f"breakdowns-village:{village_code}:{year}"


def _village_exits_key(village_code: str) -> str:
    return f"breakdowns-village-exits:{village_code}"


def _township_key(village_key: Callable[[str], str], township_code: str) -> str:
    """A township's sum of its villages' figures, kept under the name of what it sums."""
    return f"breakdowns-township:{village_key('')}:{township_code}"


def forget_cached_breakdowns(village_code: str, years: list[int]) -> None:
    """Drop the cached household figures of a village and its chain (village … province) for those years."""
    prefixes = [code_prefix(code) for code in ancestor_codes(village_code, include_self=True)]
    keys = [_cache_key(prefix, year) for prefix in prefixes for year in years]
    keys += [_trend_key(prefix) for prefix in prefixes]
    keys += [_village_key(village_code, year) for year in years] + [_village_exits_key(village_code)]
    township = township_of(village_code)
    keys += [_township_key(lambda code, year=year: _village_key(code, year), township) for year in years]
    keys += [_township_key(_village_exits_key, township)]
    cache.delete_many(keys)


def _village_codes(region: Region) -> list[str]:
    if region.level == RegionLevel.VILLAGE:
        return [region.code]
    bounds = _bounds(region)
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, code__gte=bounds["low"], code__lt=bounds["high"])
    return list(villages.order_by("code").values_list("code", flat=True))


def _per_village(region: Region, key_of, run) -> list:
    """Each village's cached figures, the missing ones computed by one statement and cached.

    A write forgets only its village (forget_cached_breakdowns), so after it a township's page
    reads its villages from the cache and recomputes one. With most villages missing (an empty
    cache) the statement runs over the region's range instead of a list.
    """
    villages = _village_codes(region)
    keys = {code: key_of(code) for code in villages}
    found = cache.get_many(list(keys.values()))
    missing = [code for code in villages if keys[code] not in found]
    if missing:
        computed = run(region, missing, whole_range=len(missing) * 2 > len(villages))
        fresh = {keys[code]: computed.get(code, {}) for code in missing}
        cache.set_many(fresh, VILLAGE_CACHE_SECONDS)
        found |= fresh
    return [found[keys[code]] for code in villages]


def _per_township(region: Region, key_of, run, combine) -> list:
    """Above a township: each township's figures (`combine` of its villages'), cached like a village's.

    A province of 20,000 villages then sums some 500 townships after a write: the written
    village's township is forgotten with it and sums its 40 villages again, one of them
    recounted. With most townships missing, the region's villages are read (or counted by one
    statement) at once and every township is summed from them.
    """
    if region.level in (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP):
        return [combine(_per_village(region, key_of, run))]
    bounds = _bounds(region)
    townships = list(
        Region.objects.filter(level=RegionLevel.TOWNSHIP, code__gte=bounds["low"], code__lt=bounds["high"])
        .order_by("code")
        .values_list("code", flat=True)
    )
    keys = {code: _township_key(key_of, code) for code in townships}
    found = cache.get_many(list(keys.values()))
    missing = [code for code in townships if keys[code] not in found]
    if missing:
        if len(missing) * 2 > len(townships):
            by_township: dict[str, list] = {code: [] for code in townships}
            for village, figures in zip(_village_codes(region), _per_village(region, key_of, run), strict=True):
                by_township[township_of(village)].append(figures)
            fresh = {keys[code]: combine(by_township[code]) for code in missing}
        else:
            fresh = {
                keys[code]: combine(_per_village(Region(code=code, level=RegionLevel.TOWNSHIP), key_of, run))
                for code in missing
            }
        cache.set_many(fresh, VILLAGE_CACHE_SECONDS)
        found |= fresh
    return [found[keys[code]] for code in townships]


def _summed_groups(villages: list[dict]) -> dict:
    """Villages' (or townships') {breakdown: {code: [4 figures]}} added up."""
    groups: dict[str, dict] = {}
    for village in villages:
        for name, by_code in village.items():
            for code, figures in by_code.items():
                total = groups.setdefault(name, {}).setdefault(code, [0, 0, 0, 0])
                for index, value in enumerate(figures):
                    total[index] += value
    return groups


def _village_groups(region: Region, year: int, villages: list[str] | None) -> dict[str, dict]:
    """{village: {breakdown: {code: [poor households, people, exited households, people]}}} from one statement."""
    # GROUPING() is a bit per column, the first column highest: 0b011 is the main_cause set.
    set_of = {0b011: "cause", 0b101: "attribute", 0b110: "standard"}
    result: dict[str, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(HOUSEHOLD_SQL, {**_bounds(region), "year": year, "villages": villages})
        for village, grouping, cause, attribute, standard, *figures in cursor.fetchall():
            name = set_of[grouping]
            code = {"cause": cause, "attribute": attribute, "standard": standard}[name]
            result.setdefault(village, {}).setdefault(name, {})[code or ""] = [int(value) for value in figures]
    return result


def household_groups(region: Region, year: int) -> dict:
    """The three household breakdowns of the region for `year`: {key: {code: [4 figures]}}, and when."""
    key = _cache_key(code_prefix(region.code, region.level), year)
    cached = cache.get(key)
    if cached is not None:
        return cached
    townships = _per_township(
        region,
        lambda code: _village_key(code, year),
        lambda within, missing, whole_range: _village_groups(within, year, None if whole_range else missing),
        _summed_groups,
    )
    groups = {name: {} for name in _GROUPED} | _summed_groups(townships)
    result = {"groups": groups, "computed_at": timezone.now()}
    cache.set(key, result, CACHE_SECONDS)
    return result


HOUSEHOLD_HEADERS = ["未脱贫户数", "未脱贫人数", "占比（按人数）", "当年脱贫户数", "当年脱贫人数"]
HOUSEHOLD_TITLES = {"cause": "主要致贫原因", "attribute": "贫困户属性", "standard": "识别标准"}
HOUSEHOLD_CODES = {"cause": PovertyCause, "attribute": HouseholdAttribute, "standard": IdentificationStandard}


def _household_breakdown(name: str, by_code: dict) -> Breakdown:
    choices = list(HOUSEHOLD_CODES[name].choices)
    if by_code.get(""):
        choices.append(("", UNFILLED))
    poor_people = sum(figures[1] for figures in by_code.values())
    rows = []
    for code, label in choices:
        households, people, exited, exited_people = by_code.get(code, [0, 0, 0, 0])
        rows.append([label, households, people, _share(people, poor_people), exited, exited_people])
    totals = [sum(row[i] for row in rows) for i in (1, 2, 4, 5)]
    total = ["合计", totals[0], totals[1], _share(totals[1], poor_people), totals[2], totals[3]]
    return Breakdown(
        name,
        HOUSEHOLD_TITLES[name],
        HOUSEHOLD_HEADERS,
        rows,
        total,
        note="年末未脱贫与当年脱贫的口径同贫困发生率（户状态按调整记录的生效年度）；人数为家庭人口数。",
        chart_column=1,
        percent_columns=frozenset({2}),
    )


# --- measures ------------------------------------------------------------------------------------


MEASURE_HEADERS = ["户数", "人数", "占比（按户数）", "措施数", "金额（元）"]


def _measure_rows(choices, by_code: dict, total_households: int) -> list[list]:
    rows = []
    for code, label in choices:
        households, people, measures, amount = by_code.get(code, (0, 0, 0, 0))
        rows.append([label, households, people, _share(households, total_households), measures, amount])
    return rows


def _measure_breakdown(key: str, title: str, sql: str, parameters: dict, choices, note: str) -> Breakdown:
    """Measures by category from `sql` (rows: category or NULL for the deduplicated total,
    households, people, measures, amount): a household counts once per category, once in the total."""
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        by_code = {row[0]: (int(row[1]), int(row[2]), int(row[3]), row[4]) for row in cursor.fetchall()}
    households, people, measures, amount = by_code.get(None, (0, 0, 0, 0))
    return Breakdown(
        key,
        title,
        MEASURE_HEADERS,
        _measure_rows(choices, by_code, households),
        ["有帮扶措施的户（去重）", households, people, _share(households, households), measures, amount],
        note=note,
        percent_columns=frozenset({2}),
    )


def aid_measure_breakdown(region: Region, year: int) -> Breakdown:
    """建档立卡户的帮扶措施 of the year by category: households (once per category), people, measures, amount."""
    return _measure_breakdown(
        "aid_measures",
        "帮扶措施类别（建档立卡户）",
        AID_MEASURES_SQL,
        {**_bounds(region), "year": year},
        AidCategory.choices,
        "一户有多类措施的，在每一类各计一次，合计行按户去重。",
    )


def assistance_measure_breakdown(region: Region, year: int) -> Breakdown:
    """监测对象的帮扶措施 started in the year, by category: records (once per category), people, measures, amount."""
    return _measure_breakdown(
        "assistance_measures",
        "帮扶措施类别（监测对象）",
        ASSISTANCE_MEASURES_SQL,
        {**_bounds(region), "start": date(year, 1, 1), "end": date(year + 1, 1, 1)},
        AssistanceCategory.choices,
        "当年开始的监测帮扶措施；一户有多类措施的，在每一类各计一次，合计行按户去重。",
    )


def _identified_in(user, region: Region, year: int):
    """The records 纳入监测 in `year` (identified_on), as the dashboard's 本年识别纳入 counts them."""
    return scoped_records(user, region).filter(identified_on__year=year)


def monitoring_category_breakdown(user, region: Region, year: int) -> Breakdown:
    """监测对象类别 of the records identified in the year: households, people, share, still monitored, eliminated."""
    rows_by_code = {
        row["category"]: row
        for row in _identified_in(user, region, year)
        .values("category")
        .annotate(
            records=Count("id"),
            people=Sum("member_count"),
            monitored=Count("id", filter=Q(status=MonitoringStatus.MONITORED)),
            eliminated=Count("id", filter=Q(status=MonitoringStatus.ELIMINATED)),
        )
    }
    total = sum(row["records"] for row in rows_by_code.values())
    rows = []
    for code, label in MonitoringCategory.choices:
        row = rows_by_code.get(code, {"records": 0, "people": 0, "monitored": 0, "eliminated": 0})
        rows.append(
            [
                label,
                row["records"],
                row["people"] or 0,
                _share(row["records"], total),
                row["monitored"],
                row["eliminated"],
            ]
        )
    sums = [sum(row[i] for row in rows) for i in (1, 2, 4, 5)]
    return Breakdown(
        "monitoring_category",
        "监测对象类别",
        ["户数", "人数", "占比（按户数）", "其中监测中", "其中已消除风险"],
        rows,
        ["合计", sums[0], sums[1], _share(sums[0], total), sums[2], sums[3]],
        note="当年识别纳入监测的对象（按识别日期），状态为当前状态。",
        percent_columns=frozenset({2}),
    )


def risk_type_breakdown(user, region: Region, year: int) -> Breakdown:
    """风险类型 of the records identified in the year; a record counts once under each of its risk types."""
    records = _identified_in(user, region, year)
    figures = records.aggregate(records=Count("id"), **risk_type_aggregates())
    total = figures["records"]
    rows = [
        [label, figures[f"risk_{code}"], _share(figures[f"risk_{code}"], total)] for code, label in RiskType.choices
    ]
    return Breakdown(
        "risk_type",
        "风险类型",
        ["户数", "占监测对象比例"],
        rows,
        ["监测对象（户）", total, _share(total, total)],
        note="一户有多项风险的，在每一项各计一次，比例之和可超过100%。",
        percent_columns=frozenset({1}),
    )


# --- the trend -----------------------------------------------------------------------------------


def trend(user, region: Region) -> Breakdown:
    """By year: poor households and people (IncidenceRate rows), exits, records identified and eliminated."""
    rates = list(incidence_trend(user, region))
    years = sorted({row.year for row in rates})
    exits = _exits_by_year(region, years)
    records = scoped_records(user, region)
    identified = _records_by_year(records.filter(identified_on__isnull=False), "identified_on")
    eliminated = _records_by_year(records.filter(status=MonitoringStatus.ELIMINATED), "eliminated_on")
    years = sorted(set(years) | set(identified) | set(eliminated))
    by_year = {row.year: row for row in rates}
    rows = []
    for year in years:
        rate = by_year.get(year)
        rows.append(
            [
                str(year),
                rate.poor_households if rate else None,
                rate.poor_population if rate else None,
                *exits.get(year, (0, 0)),
                identified.get(year, 0),
                eliminated.get(year, 0),
            ]
        )
    return Breakdown(
        "trend",
        "历年趋势",
        ["年末未脱贫户数", "年末未脱贫人数", "当年脱贫户数", "当年脱贫人数", "当年纳入监测户数", "当年风险消除户数"],
        rows,
        None,
        note="未脱贫户数、人数为贫困发生率的分子（无数据的年度留空）；纳入监测按识别日期，风险消除按消除日期。",
    )


def _records_by_year(records, date_field: str) -> dict[int, int]:
    grouped = records.annotate(year=ExtractYear(date_field)).values("year").annotate(records=Count("id"))
    return {row["year"]: row["records"] for row in grouped}


def _exits_by_year(region: Region, years: list[int]) -> dict[int, tuple[int, int]]:
    if not years:
        return {}
    key = _trend_key(code_prefix(region.code, region.level))
    cached = cache.get(key)
    if cached is not None and cached["years"] == years:
        return cached["exits"]

    def run(within, missing, whole_range):
        by_village: dict[str, dict] = {}
        villages = None if whole_range else missing
        with connection.cursor() as cursor:
            cursor.execute(EXITS_BY_YEAR_SQL, {**_bounds(within), "years": years, "villages": villages})
            for village, year, households, people in cursor.fetchall():
                by_village.setdefault(village, {"years": years, "exits": {}})["exits"][int(year)] = (
                    int(households),
                    int(people),
                )
        # A village without exits still records which years it was counted for.
        return {code: by_village.get(code, {"years": years, "exits": {}}) for code in missing}

    def combine(villages: list[dict]) -> dict:
        exits: dict[int, tuple[int, int]] = {}
        for village in villages:
            if village["years"] != years:
                return {"years": village["years"], "exits": {}}  # counted for other years: all again
            for year, (households, people) in village["exits"].items():
                before = exits.get(year, (0, 0))
                exits[year] = (before[0] + households, before[1] + people)
        return {"years": years, "exits": exits}

    summed = combine(_per_township(region, _village_exits_key, run, combine))
    if summed["years"] != years:
        _forget_village_exits(region)
        return _exits_by_year(region, years)
    cache.set(key, summed, CACHE_SECONDS)
    return summed["exits"]


def _forget_village_exits(region: Region) -> None:
    """A new year has figures: each village's exits are counted again for the longer list of years."""
    villages = _village_codes(region)
    keys = [_village_exits_key(code) for code in villages]
    keys += [_township_key(_village_exits_key, code) for code in {township_of(code) for code in villages}]
    cache.delete_many(keys)


# --- the page ------------------------------------------------------------------------------------


@dataclass
class RegionStatistics:
    region: Region
    year: int
    breakdowns: list[Breakdown]
    trend: Breakdown
    children: list
    computed_at: datetime

    def sheets(self) -> list[Sheet]:
        return [breakdown.sheet(self.region, self.year) for breakdown in [*self.breakdowns, self.trend]]

    def charts(self) -> dict:
        trend_rows = self.trend.rows
        return {
            "breakdowns": [breakdown.chart for breakdown in self.breakdowns],
            "trend": {
                "years": [row[0] for row in trend_rows],
                "series": [
                    {"name": header, "values": [row[1 + i] for row in trend_rows]}
                    for i, header in enumerate(self.trend.headers)
                    if "人数" not in header  # people beside households on one axis would flatten the households
                ],
            },
            "year": self.year,
            "children": {
                "codes": [child.code for child, _ in self.children],
                "names": [child.name for child, _ in self.children],
                "series": [
                    {"name": "未脱贫户", "values": [figures["poor_households"] for _, figures in self.children]}
                ],
            },
        }


def region_statistics(user, region: Region, year: int) -> RegionStatistics:
    """Every breakdown of a region visible to the user (the caller found it through visible_to) for `year`."""
    households = household_groups(region, year)
    breakdowns = [_household_breakdown(name, households["groups"][name]) for name in _GROUPED]
    breakdowns += [
        aid_measure_breakdown(region, year),
        assistance_measure_breakdown(region, year),
        monitoring_category_breakdown(user, region, year),
        risk_type_breakdown(user, region, year),
    ]
    return RegionStatistics(
        region=region,
        year=year,
        breakdowns=breakdowns,
        trend=trend(user, region),
        children=child_incidence(user, region, year),
        computed_at=households["computed_at"],
    )


def child_incidence(user, region: Region, year: int) -> list[tuple[Region, dict]]:
    """The child regions (in the user's scope) with their IncidenceRate figures of the year (None: 无数据).

    The stored rows, two index lookups: not figures.child_region_figures, whose registry counts
    scan every household of a province.
    """
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("code"))
    rows = IncidenceRate.objects.filter(year=year, region__in=children)
    by_code = {row.region_id: row for row in rows}
    empty = {"poor_households": None, "poor_population": None, "rate": None}
    return [
        (child, {key: getattr(by_code[child.code], key) for key in empty} if child.code in by_code else dict(empty))
        for child in children
    ]


def breakdown_years(region: Region) -> list[int]:
    """The years offered: those with incidence rows, then this year, newest first."""
    years = set(incidence_years()) | {timezone.localdate().year}
    return sorted(years, reverse=True)


def default_year(region: Region) -> int:
    """The latest year the region still had poor households (the year its breakdowns say most), else this year."""
    row = IncidenceRate.objects.filter(region=region, poor_households__gt=0).order_by("-year").first()
    return row.year if row else timezone.localdate().year


def region_page_charts(user, region: Region, children: list) -> dict:
    """The 区划浏览 page's charts: its children's households (each bar opens the child's page) and its trend.

    `children` are figures.child_region_figures rows. The trend is the region's IncidenceRate rows, so
    a village has a chart too, and the poor households of past years show after they all exited.
    """
    rates = list(incidence_trend(user, region))
    return {
        "breakdowns": [],
        "year": None,
        "children": {
            "codes": [child.code for child, _ in children],
            "names": [child.name for child, _ in children],
            "urls": [reverse("regions:detail", args=[child.code]) for child, _ in children],
            "series": [
                {"name": "建档立卡户", "values": [figures["households"] for _, figures in children]},
                {"name": "未脱贫户", "values": [figures["poor_households"] for _, figures in children]},
            ],
        },
        "trend": {
            "years": [str(row.year) for row in rates],
            "series": [
                {"name": "年末未脱贫户数", "values": [row.poor_households for row in rates]},
                {"name": "年末未脱贫人数", "values": [row.poor_population for row in rates]},
            ],
        },
    }
