"""The demo's story, 2014–2020: poverty falls to zero through the procedures (docs/domain.md §12.14).

Part one of the story, called by load_demo after the bulk load:

- The households are the 历史数据导入 (province.py): identified in 2014 (some 新识别 in
  2015–2018), each exiting in a year up to 2020; a few exited, returned (返贫) and exited
  again; a few were removed (清退, mostly in the 2015–2017 data cleaning) or closed (自然销户).
  `household_years` draws those years; `PoorLedger` adds up who was poor at the end of each year
  by the definition of households/poverty.py, so the village and county exit years below are
  the ones the exit checks pass.
- Village exits: each poor village exits in the first year from its target on whose incidence
  is below the threshold; loaded with the records, except the villages of demo_clerk's
  township, which exit through the 村退出 procedure (assessment.services).
- The 2020 exits of demo_clerk's first village go through the 户退出 procedure.
- Every county is a poverty county and 摘帽 through the 县摘帽 procedure, approved by the
  province, one county in each batch 2017–2020, after the province has entered its reduction
  plans and sample surveys (三率一度).

No household is left 未脱贫 at the end of 2020. Part two (monitoring objects from 2021) is a
separate chapter added after this one: a function of the StoryCast, appended to
province.CHAPTERS.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from assessment import services
from assessment.codes import ApplicationKind
from assessment.models import Application, ApplicationStep
from assessment.workflow import ACTION, PUBLICITY
from core.codes import ParameterKey, Role
from core.models import User
from core.policy import policy_value
from core.regions import county_of
from households.codes import AdjustmentKind, HouseholdStatus
from households.models import Household, HouseholdYearLock, IncomeRecord
from households.poverty import refresh_poverty_years
from villages.models import Village

from .draws import WeightedDraw

FIRST_YEAR, LAST_YEAR = 2014, 2020
STORY_YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
# 新识别 after 2014 was the exception (docs/domain.md §5.3, the yearly adjustment of §5.11).
IDENTIFIED_WEIGHTS = {2014: 70, 2015: 12, 2016: 12, 2017: 4, 2018: 2}
STATUS_WEIGHTS = {HouseholdStatus.EXITED: 92, HouseholdStatus.REMOVED: 5, HouseholdStatus.CANCELLED: 3}
STATUS_DRAW = WeightedDraw(STATUS_WEIGHTS)


# Share of a village's households that exit only after the village's target year: a county
# 摘帽 with its incidence below 3 %, not at zero (docs/domain.md §6.4).
LATE_EXIT = 0.03
RETURN_SHARE = 0.05
DATA_CLEANING_LAST_YEAR = 2017
# The demo's batches of 县摘帽 (the national ones ran 2016–2020); the years are the demo's,
# spread one county a batch, except 东乡族自治县 among the last (2020) [MEM].
COUNTY_EXIT_YEARS = {
    "620121000000": 2017,
    "620123000000": 2018,
    "622921000000": 2019,
    "622926000000": 2020,
}
# Households of demo_clerk's first village that exit in 2020 through the 户退出 procedure.
PROCEDURE_EXITS = 5
GUARANTEES_MET = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}
SAMPLE_FIGURES = {
    "sampled_exited_population": 800,
    "wrong_exit_population": 4,
    "sampled_unregistered_population": 1500,
    "omitted_population": 9,
    "surveyed_households": 400,
    "approving_households": 382,
    "data_fraud": False,
}
# Reviewers of the counties and city without a demo login: they act only in the story.
OFFICE_USERS = [
    ("demo_office_620121", Role.COUNTY_REVIEWER, "620121000000", "永登县审核员"),
    ("demo_office_620123", Role.COUNTY_REVIEWER, "620123000000", "榆中县审核员"),
    ("demo_office_622921", Role.COUNTY_REVIEWER, "622921000000", "临夏县审核员"),
    ("demo_office_620100", Role.CITY_REVIEWER, "620100000000", "兰州市审核员"),
]


@dataclass
class HouseholdYears:
    """What one loaded household went through: its status and years, and the years it was poor."""

    status: str
    identified_year: int
    exit_year: int | None  # the final exit, or the year of 清退 / 自然销户
    first_exit: int | None = None  # 返贫: exited in first_exit, back in returned
    returned: int | None = None
    by_procedure: bool = False  # loaded 未脱贫: exits in 2020 through the 户退出 procedure

    def poor_spans(self) -> list[tuple[int, int]]:
        """[start, end) years at whose end it was poor (docs/domain.md §7.4), the procedure's exit included."""
        end = LAST_YEAR if self.by_procedure else self.exit_year
        if self.returned:
            return [(self.identified_year, self.first_exit), (self.returned, end)]
        return [(self.identified_year, end)]

    def exits(self) -> list[int]:
        if self.status != HouseholdStatus.EXITED:
            return []
        final = LAST_YEAR if self.by_procedure else self.exit_year
        return [self.first_exit, final] if self.first_exit else [final]


@functools.cache
def identified_year_draw(county_year: int) -> WeightedDraw:
    """A household is identified before its county's 摘帽 year."""
    return WeightedDraw({year: weight for year, weight in IDENTIFIED_WEIGHTS.items() if year < county_year})


def household_years(rng: random.Random, target: int, county_year: int, *, procedure_slot: bool) -> HouseholdYears:
    """Draw a household's story: identification before its county's 摘帽, exit by the village's
    `target` year (a few later), 返贫 for some."""
    status = STATUS_DRAW(rng)
    identified = identified_year_draw(county_year)(rng)
    low = identified + 1
    if status == HouseholdStatus.REMOVED:
        return HouseholdYears(status, identified, rng.randint(low, max(low, DATA_CLEANING_LAST_YEAR)))
    if status == HouseholdStatus.CANCELLED:
        return HouseholdYears(status, identified, rng.randint(low, LAST_YEAR))
    if rng.random() >= LATE_EXIT:
        # Identified in the target year or after: it exits the year after, by its county's 摘帽.
        final = rng.randint(low, max(low, target))
    else:
        final = rng.randint(max(low, min(target + 1, LAST_YEAR)), LAST_YEAR)
    years = HouseholdYears(status, identified, final)
    if final >= identified + 3 and rng.random() < RETURN_SHARE:
        years.first_exit = rng.randint(low, final - 2)
        years.returned = rng.randint(years.first_exit + 1, final - 1)
    elif procedure_slot and final == LAST_YEAR:
        years.by_procedure = True
    return years


@dataclass
class PoorLedger:
    """People poor at the end of each year and people exiting in it, per village (the figures' definition)."""

    poor: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    exited: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    population: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, village_code: str, years: HouseholdYears, people: int) -> None:
        for start, end in years.poor_spans():
            for year in range(start, end):
                self.poor[village_code][year] += people
        for year in years.exits():
            self.exited[village_code][year] += people

    def below(self, codes: list[str], year: int, limit: Decimal) -> bool:
        """Strictly below `limit` on exact integers, as assessment/statistics.py compares."""
        poor = sum(self.poor[code][year] for code in codes)
        rural = sum(self.population[code][year] for code in codes)
        return rural > 0 and Decimal(poor) < limit * rural

    def exiting(self, codes: list[str], year: int) -> int:
        return sum(self.exited[code][year] for code in codes)


def village_exit_year(ledger: PoorLedger, village_code: str, target: int, limit_of) -> int:
    """The first year from `target` in which the village's incidence is below its threshold."""
    for year in range(target, LAST_YEAR + 1):
        if ledger.below([village_code], year, limit_of(year)):
            return year
    raise RuntimeError(f"演示数据：{village_code}到{LAST_YEAR}年贫困发生率仍未低于退出标准。")


def village_limit(year: int, province_code: str) -> Decimal:
    return policy_value(ParameterKey.VILLAGE_EXIT_MAX_RATE_WEST, year=year, region_code=province_code)


def county_limit(year: int, province_code: str) -> Decimal:
    return policy_value(ParameterKey.COUNTY_EXIT_MAX_RATE_WEST, year=year, region_code=province_code)


# --- after the bulk load ------------------------------------------------------------------


RETURN_LOG_SQL = f"""
INSERT INTO households_adjustmentrecord
       (household_id, member_id, kind, member_reason, from_status, to_status, year, effective_date,
        effective_year, reason, created_by_id, created_at)
SELECT step.household_id, NULL, step.kind, '', step.from_status, step.to_status, %(year)s, %(today)s,
       step.effective_year, %(reason)s, %(user)s, now()
  FROM unnest(%(ids)s::bigint[], %(first_exits)s::int[], %(returns)s::int[]) AS r(household_id, first_exit, returned)
 CROSS JOIN LATERAL (
       VALUES (r.household_id, '{AdjustmentKind.EXITED.value}', '{HouseholdStatus.POOR.value}',
               '{HouseholdStatus.EXITED.value}', r.first_exit),
              (r.household_id, '{AdjustmentKind.RETURNED.value}', '{HouseholdStatus.EXITED.value}',
               '{HouseholdStatus.POOR.value}', r.returned)
       ) AS step(household_id, kind, from_status, to_status, effective_year)
"""  # noqa: S608 - constant SQL text; every value is a parameter


def write_returns(returns: list[tuple[int, int, int]], *, user, reason: str, today: date) -> None:
    """The first exit and the 返贫 of households that went through both, into their loaded log.

    The historical load logs 新识别 and the final 脱贫 (households/services/historical.py); these
    two steps fall between them by effective year, so the folded poor years read both spans.
    """
    if not returns:
        return
    ids, first_exits, returned = (list(column) for column in zip(*returns, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            RETURN_LOG_SQL,
            {
                "ids": ids,
                "first_exits": first_exits,
                "returns": returned,
                "year": today.year,
                "today": today,
                "reason": reason,
                "user": user.pk,
            },
        )
    refresh_poverty_years(ids)


def office_users() -> dict[str, User]:
    """The story's reviewers without a demo login (unusable password), by region code."""
    users = {}
    for username, role, region_code, first_name in OFFICE_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "region_id": region_code,
                "is_demo": True,
                "last_name": "演示",
                "first_name": first_name,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users[region_code] = user
    return users


def plans_and_samples(province_user, ledger: PoorLedger, villages_of: dict[str, list[str]]) -> None:
    """The province's reduction plans and sample surveys (三率一度) of every county, 2016–2020."""
    for county_code, codes in villages_of.items():
        for year in range(2016, LAST_YEAR + 1):
            services.set_reduction_plan(
                user=province_user,
                county_code=county_code,
                year=year,
                planned_exit_population=max(1, round(ledger.exiting(codes, year) * 1.05)),
            )
            for quarter in (2, 4) if year == LAST_YEAR else (4,):
                services.record_sample_survey(
                    user=province_user, county_code=county_code, year=year, quarter=quarter, figures=SAMPLE_FIGURES
                )


def backdate(application_id: int, acted_on: list[date], *, decided: bool = True) -> None:
    """Give a story application the dates it was handled on, not the day the demo was loaded.

    The engine stamps each action with the time it runs; the story runs its 2016–2020 procedures
    today, with the steps' `today` set to their days in those years (so the 公示 dates are right).
    `acted_on` holds the day of each action in order; a 公示 ends with the action after it.
    """

    def moment(day: date):
        return datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_current_timezone())

    steps = list(ApplicationStep.objects.filter(application_id=application_id).order_by("index"))
    actions = iter(acted_on)
    moments = {step.index: moment(next(actions)) for step in steps if step.kind == ACTION and step.acted_by_id}
    last = max(moments.values())
    for step in steps:
        if not step.acted_at:
            continue
        later = [moments[index] for index in sorted(moments) if index > step.index]
        # An action on its day; a 公示 closes with the action after it; the 公告 with the last one.
        step.acted_at = moments.get(step.index) or (later[0] if later and step.kind == PUBLICITY else last)
        step.save(update_fields=["acted_at"])
    first = moment(acted_on[0])
    # An application still in review (decided=False) keeps its decided_at empty.
    Application.objects.filter(pk=application_id).update(
        submitted_at=first, checked_at=last, **({"decided_at": last} if decided else {})
    )
    application = Application.objects.get(pk=application_id)
    if application.household_id:
        HouseholdYearLock.objects.filter(household_id=application.household_id, year=application.year).update(
            locked_at=last
        )


def exit_households(clerk, clerk2, county_user, household_ids: list[int]) -> list[int]:
    """户退出 in 2020 through every step: 民主评议及农户认可 → 村内公示 → 乡镇审核 → 县审定 → 公告退出."""
    done = []
    for position, household in enumerate(Household.objects.filter(pk__in=household_ids).order_by("id")):
        IncomeRecord.objects.update_or_create(
            household=household,
            year=LAST_YEAR,
            defaults={
                "household_size": household.member_count,
                "wage_income": (Decimal("5200") + position * 150) * household.member_count,
            },
        )
        application = services.draft_and_submit(
            user=clerk,
            kind=ApplicationKind.HOUSEHOLD_EXIT,
            year=LAST_YEAR,
            household_id=household.pk,
            figures={**GUARANTEES_MET, "consent": True},
            reason="村民代表大会民主评议通过，驻村工作队核实，农户签字认可。",
            today=date(LAST_YEAR, 9, 1),
        )
        services.approve_step(
            user=clerk2, application_id=application.pk, comment="乡镇入户核实无误。", today=date(LAST_YEAR, 9, 10)
        )
        services.approve_step(
            user=county_user, application_id=application.pk, comment="县审定同意退出。", today=date(LAST_YEAR, 9, 20)
        )
        backdate(application.pk, [date(LAST_YEAR, 9, 1), date(LAST_YEAR, 9, 10), date(LAST_YEAR, 9, 20)])
        done.append(application.pk)
    return done


def exit_villages(clerk, county_user, exits: dict[str, int]) -> list[int]:
    """村退出 of demo_clerk's poor villages: 乡镇提出 → 乡镇内公示 → 县审定 → 公告退出, in their years."""
    done = []
    for village_code, year in sorted(exits.items(), key=lambda item: (item[1], item[0])):
        application = services.draft_and_submit(
            user=clerk,
            kind=ApplicationKind.VILLAGE_EXIT,
            year=year,
            region_code=village_code,
            reason="贫困发生率降至3%以下，基础设施和公共服务达标，乡镇提出退出。",
            today=date(year, 10, 10),
        )
        services.approve_step(
            user=county_user,
            application_id=application.pk,
            comment="县扶贫开发领导小组审定退出。",
            today=date(year, 10, 20),
        )
        backdate(application.pk, [date(year, 10, 10), date(year, 10, 20)])
        done.append(application.pk)
    return done


def exit_county(county_user, city_user, province_user, county_code: str, year: int) -> int:
    """县摘帽: 县提出 → 市初审 → 省核查 → 省级公示 → 省审定 → 批准退出."""
    proposed = date(year, 10, 15)
    application = services.draft_and_submit(
        user=county_user,
        kind=ApplicationKind.COUNTY_EXIT,
        year=year,
        region_code=county_code,
        reason="贫困发生率降至3%以下，贫困村全部退出，县扶贫开发领导小组提出摘帽申请。",
        today=proposed,
    )
    steps = [
        (city_user, "市扶贫开发领导小组初审通过。", proposed + timedelta(days=8)),
        (province_user, "省级核查及第三方评估通过。", proposed + timedelta(days=20)),
        (province_user, "公示无异议，省政府批准退出贫困县序列。", proposed + timedelta(days=36)),
    ]
    for user, comment, today in steps:
        services.approve_step(user=user, application_id=application.pk, comment=comment, today=today)
    backdate(application.pk, [proposed] + [today for _, _, today in steps])
    return application.pk


@dataclass
class StoryCast:
    """What every chapter after the bulk load gets: who acts, the regions, the loaded figures,
    and what the bulk load left for the procedures to do."""

    province_code: str
    ledger: PoorLedger
    villages_of: dict[str, list[str]]  # county code → its village codes
    cities_of: dict[str, str]  # county code → its city code
    county_users: dict[str, User]  # county code → its county reviewer
    city_users: dict[str, User]  # city code → its city reviewer
    clerk: User
    clerk2: User
    province_user: User
    procedure_households: list[int]
    procedure_villages: dict[str, int]  # village code → exit year, through the procedure
    loaded_village_exits: dict[str, int]  # village code → exit year, loaded with the records
    # Where the 帮扶 chapters (teams, pairings, visits: rows per household) write: the province at
    # the demo's sizes, demo_clerk's township alone at benchmark sizes (province.ASSISTANCE_EVERYWHERE_UP_TO).
    assisted_prefix: str = "62"


def tell_story(cast: StoryCast) -> dict:
    """2014–2020 after the bulk load: loaded village exits, then the procedures, in the order they happened."""
    by_year = defaultdict(list)
    for code, year in cast.loaded_village_exits.items():
        by_year[year].append(code)
    for year, codes in by_year.items():
        Village.objects.filter(region_id__in=codes).update(exit_year=year)
    plans_and_samples(cast.province_user, cast.ledger, cast.villages_of)
    county_user = cast.county_users[county_of(cast.clerk.region_id)]
    households = exit_households(cast.clerk, cast.clerk2, county_user, cast.procedure_households)
    villages = exit_villages(cast.clerk, county_user, cast.procedure_villages)
    counties = [
        exit_county(
            cast.county_users[code],
            cast.city_users[cast.cities_of[code]],
            cast.province_user,
            code,
            COUNTY_EXIT_YEARS[code],
        )
        for code in sorted(COUNTY_EXIT_YEARS, key=COUNTY_EXIT_YEARS.get)
    ]
    return {"household_exits": len(households), "village_exits": len(villages), "county_exits": len(counties)}
