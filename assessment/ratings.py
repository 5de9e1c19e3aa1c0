"""County ratings (docs/architecture.md (Where each kind of rule lives); docs/domain.md §8.2).

The scheme (weights, grade thresholds, quarter weights, vetoes, consequences) is data in
RatingScheme. What each indicator code measures is defined here, once:

- REDUCTION 减贫成效: people exited in the year up to the period's end / the county's plan,
  capped at 1.
- IDENTIFICATION 精准识别: 1 − (错退率 / 错退上限 + 漏评率 / 漏评上限) / 2, floored at 0,
  from the latest sample survey of the year up to that quarter.
- ASSISTANCE 精准帮扶: the mean of (share of households under assistance with an aid measure
  in the year, share with a helper at the period's end, 认可度).
- FUNDS 扶贫资金: 报账率 (disbursed / allocated) of the county's sources of the year, as of the
  quarter's end (funds/selectors.py::county_funds); 0 while nothing is allocated.

score = Σ weight × achievement; grade by thresholds (≥), else D; a veto gives D.
The year is Σ quarter weight × quarter score; a veto in any quarter vetoes the year.

A county with no data for a period (no plan, no sample survey, no household under assistance,
no allocated funds) is not graded: score and grade stay null and the pages show 无数据. A D
is a result; the absence of every input is not. The year has data if any quarter has.
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.codes import ParameterKey
from core.policy import policy_value
from core.regions import RegionLevel, sql_code_at
from funds.selectors import county_funds
from households.poverty import exited_in_year_sql, poor_at_end_of_year_sql, population_sql
from villages.models import County

from .checks import sample_rates
from .codes import QUARTERS, Grade, RatingPeriod
from .models import CountyRating, RatingScheme, ReductionPlan, SampleSurvey
from .schemes import INDICATOR_NAMES, VETO_NAMES

ONE = Decimal(1)


def active_scheme(year: int) -> RatingScheme:
    scheme = RatingScheme.objects.filter(is_active=True, year=year).first()
    return scheme or RatingScheme.objects.get(is_active=True, year__isnull=True)


def quarter_end(year: int, quarter: int) -> date:
    month = quarter * 3
    return date(year, month, monthrange(year, month)[1])


@dataclass
class CountyFacts:
    """What the indicators read for one county and period (all counts of people or households)."""

    exited_population: int = 0
    planned_exit_population: int | None = None
    assisted_households: int = 0
    households_with_measures: int = 0
    households_with_helpers: int = 0
    sample: SampleSurvey | None = None
    disbursement_rate: Decimal | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        """Whether any indicator has an input to rate (else the period is 无数据, not a D)."""
        return bool(
            self.planned_exit_population is not None
            or self.sample is not None
            or self.assisted_households
            or self.disbursement_rate is not None
        )


_COUNTY = sql_code_at("h.village_id", RegionLevel.COUNTY)

# Exits taking effect in `year` up to the period's end: the date of the 脱贫 adjustment of that
# year, at the latest 31 December (an exit for 2019 approved in 2020 counts in 2019's Q4;
# docs/domain.md §7.4), 31 December too without a dated one. People = the household's members.
EXITS_SQL = f"""
    SELECT {_COUNTY} AS county, sum({population_sql(table="h")})
      FROM households_household h
      LEFT JOIN LATERAL (
            SELECT max(a.effective_date) AS exited_on
              FROM households_adjustmentrecord a
             WHERE a.household_id = h.id AND a.kind = 'EXITED' AND a.effective_year = %(year)s
           ) adjustment ON true
     WHERE {exited_in_year_sql("%(year)s", table="h")}
       AND least(coalesce(adjustment.exited_on, make_date(%(year)s, 12, 31)), make_date(%(year)s, 12, 31))
           <= %(until)s
     GROUP BY 1
"""  # noqa: S608 - constant SQL text; every value is a parameter

# Households under assistance in `year`: poor at some time in it, that is poor at its end or
# exited during it (an exit year is never before the identification year, so those were
# identified by then), and how many had an aid measure that year and a helper paired at the
# period's end. Not "poor at the end of `year`": a household that exited in May was assisted.
ASSISTANCE_SQL = f"""
    SELECT {_COUNTY} AS county,
           count(*),
           count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM households_aidmeasure m WHERE m.household_id = h.id AND m.year = %(year)s)),
           count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM households_helperassignment ha
                 WHERE ha.household_id = h.id AND ha.start_date <= %(until)s
                   AND (ha.end_date IS NULL OR ha.end_date >= %(until)s)))
      FROM households_household h
     WHERE ({poor_at_end_of_year_sql("%(year)s", table="h")} OR {exited_in_year_sql("%(year)s", table="h")})
     GROUP BY 1
"""  # noqa: S608 - constant SQL text; every value is a parameter


def county_facts(year: int, quarter: int, county_codes: list[str]) -> dict[str, CountyFacts]:
    """Every county's facts for a quarter: two grouped SQL aggregates plus plans and samples."""
    until = quarter_end(year, quarter)
    facts = {code: CountyFacts() for code in county_codes}
    with connection.cursor() as cursor:
        cursor.execute(EXITS_SQL, {"year": year, "until": until})
        for code, exited in cursor.fetchall():
            if code in facts:
                facts[code].exited_population = int(exited or 0)
        cursor.execute(ASSISTANCE_SQL, {"year": year, "until": until})
        for code, assisted, with_measures, with_helpers in cursor.fetchall():
            if code in facts:
                county = facts[code]
                county.assisted_households = assisted
                county.households_with_measures = with_measures
                county.households_with_helpers = with_helpers
    for plan in ReductionPlan.objects.filter(year=year, county_id__in=county_codes):
        facts[plan.county_id].planned_exit_population = plan.planned_exit_population
    for code, money in county_funds(year, county_codes, until=until).items():
        facts[code].disbursement_rate = money.rate
    samples = SampleSurvey.objects.filter(year=year, quarter__lte=quarter, county_id__in=county_codes)
    for sample in samples.order_by("county_id", "quarter"):
        facts[sample.county_id].sample = sample  # the latest quarter wins
    return facts


def _ratio(numerator, denominator) -> Decimal | None:
    return Decimal(numerator) / Decimal(denominator) if denominator else None


def indicator_achievement(code: str, facts: CountyFacts, year: int, county_code: str) -> tuple[Decimal, str]:
    """(achievement in [0, 1], what it was computed from, in Chinese) of one indicator."""
    if code == "REDUCTION":
        if not facts.planned_exit_population:
            return Decimal(0), "未录入减贫计划。"
        share = min(ONE, _ratio(facts.exited_population, facts.planned_exit_population))
        return share, f"脱贫{facts.exited_population}人 / 计划{facts.planned_exit_population}人。"
    if code == "IDENTIFICATION":
        if facts.sample is None:
            return Decimal(0), "未录入抽样调查。"
        rates = sample_rates(facts.sample)
        wrong_limit = policy_value(ParameterKey.MAX_WRONG_EXIT_RATE, year=year, region_code=county_code)
        omission_limit = policy_value(ParameterKey.MAX_OMISSION_RATE, year=year, region_code=county_code)
        wrong = rates["wrong_exit_rate"] or Decimal(0)
        omission = rates["omission_rate"] or Decimal(0)
        achievement = max(Decimal(0), ONE - (wrong / wrong_limit + omission / omission_limit) / 2)
        return achievement, f"错退率{wrong * 100:.2f}%，漏评率{omission * 100:.2f}%。"
    if code == "ASSISTANCE":
        measures = _ratio(facts.households_with_measures, facts.assisted_households) or Decimal(0)
        helpers = _ratio(facts.households_with_helpers, facts.assisted_households) or Decimal(0)
        approval = (sample_rates(facts.sample)["approval_rate"] if facts.sample else None) or Decimal(0)
        detail = (
            f"有帮扶措施{facts.households_with_measures}户、有帮扶责任人{facts.households_with_helpers}户"
            f"（共{facts.assisted_households}户），认可度{approval * 100:.2f}%。"
        )
        return (measures + helpers + approval) / 3, detail
    rate = facts.disbursement_rate or Decimal(0)
    return min(ONE, rate), f"报账率{rate * 100:.2f}%。"


def vetoes(scheme: RatingScheme, facts: CountyFacts) -> list[str]:
    reasons = []
    for rule in scheme.veto_rules or []:
        name = rule.get("name") or VETO_NAMES[rule["code"]]
        if rule["code"] == "DATA_FRAUD" and facts.sample is not None and facts.sample.data_fraud:
            reasons.append(name)
        if rule["code"] == "WRONG_EXIT_RATE" and facts.sample is not None:
            wrong = sample_rates(facts.sample)["wrong_exit_rate"]
            if wrong is not None and wrong >= Decimal(str(rule["limit"])):
                reasons.append(f"{name}（{wrong * 100:.2f}%）")
    return reasons


def grade_for(scheme: RatingScheme, score: Decimal, veto_reasons: list[str]) -> str:
    if veto_reasons:
        return Grade.D
    for grade in (Grade.A, Grade.B, Grade.C):
        if score >= Decimal(str(scheme.grade_thresholds[grade])):
            return grade
    return Grade.D


def rate_quarter(scheme: RatingScheme, facts: CountyFacts, year: int, county_code: str) -> dict:
    values, total = [], Decimal(0)
    for indicator in scheme.indicators:
        weight = Decimal(str(indicator["weight"]))
        achievement, detail = indicator_achievement(indicator["code"], facts, year, county_code)
        score = weight * achievement
        total += score
        values.append(
            {
                "code": indicator["code"],
                "name": indicator.get("name") or INDICATOR_NAMES[indicator["code"]],
                "weight": str(weight),
                "achievement": str(achievement),
                "score": str(score),
                "detail": detail,
            }
        )
    reasons = vetoes(scheme, facts)
    return {"indicator_values": values, "score": total, "veto_reasons": reasons, "has_data": facts.has_data}


def combine_year(scheme: RatingScheme, quarters: dict[str, dict]) -> dict:
    """The year: each indicator's and the total score weighted 20/20/20/40 (scheme data)."""
    weights = {quarter: Decimal(str(scheme.quarter_weights[quarter])) for quarter in QUARTERS}
    total = sum(weights[quarter] * quarters[quarter]["score"] for quarter in QUARTERS)
    values = []
    for position, indicator in enumerate(quarters[RatingPeriod.Q1]["indicator_values"]):
        score = sum(weights[q] * Decimal(quarters[q]["indicator_values"][position]["score"]) for q in QUARTERS)
        values.append(
            {
                **indicator,
                "score": str(score),
                "detail": "四个季度加权（" + "/".join(str(int(weights[q] * 100)) for q in QUARTERS) + "）。",
            }
        )
    reasons = sorted({reason for quarter in QUARTERS for reason in quarters[quarter]["veto_reasons"]})
    has_data = any(quarters[quarter]["has_data"] for quarter in QUARTERS)
    return {"indicator_values": values, "score": total, "veto_reasons": reasons, "has_data": has_data}


def recompute_county_ratings(year: int) -> int:
    """Upsert CountyRating for every county of the tree: four quarters and the year."""
    scheme = active_scheme(year)
    county_codes = list(County.objects.order_by("region_id").values_list("region_id", flat=True))
    computed = {code: {} for code in county_codes}
    for number, quarter in enumerate(QUARTERS, start=1):
        facts = county_facts(year, number, county_codes)
        for code in county_codes:
            computed[code][quarter] = rate_quarter(scheme, facts[code], year, code)
    now = timezone.now()
    rows = []
    for code in county_codes:
        computed[code][RatingPeriod.YEAR] = combine_year(scheme, computed[code])
        for period, result in computed[code].items():
            has_data = result["has_data"]
            grade = grade_for(scheme, result["score"], result["veto_reasons"]) if has_data else None
            rows.append(
                CountyRating(
                    county_id=code,
                    year=year,
                    period=period,
                    scheme=scheme,
                    indicator_values=result["indicator_values"],
                    score=result["score"].quantize(Decimal("0.0001")) if has_data else None,
                    grade=grade,
                    veto_reasons=result["veto_reasons"],
                    consequence=(scheme.consequences or {}).get(grade, "") if grade else "",
                    computed_at=now,
                )
            )
    with transaction.atomic():
        CountyRating.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["county", "year", "period"],
            update_fields=[
                "scheme",
                "indicator_values",
                "score",
                "grade",
                "veto_reasons",
                "consequence",
                "computed_at",
            ],
        )
    return len(rows)
