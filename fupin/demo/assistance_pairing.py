"""The demo's 结对帮扶 (docs/domain.md §9.1–§9.2): helpers from the assisting units, every household
that needs a helper paired within its helper's limit, and a few moves with their reasons.

Through the services, as a county's reviewer would do it: helpers by create_helper, one batch per
helper by assistance.pairing.pair_households (scope, year locks, the limit), moves by
move_households. Deterministic (a seeded generator, households in id order) and a few thousand
queries for the default load.

Who is left without a helper, on purpose and explained by the data: the 一般农户 whose monitoring
record was opened in the last RECENT_DAYS days (the register's 未脱贫 and 已脱贫 households have had
helpers since 2016; a 一般农户 needs one only once monitored): the township pairs a new monitoring
object after its 入户核实, and those visits are still under way (the no_helper 疑点 shows them).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Min
from django.utils import timezone

from assistance import pairing
from assistance.coverage import with_current_helper
from assistance.models import AidUnit, UnitAssignment
from core.regions import RegionLevel, code_prefix, county_of, township_of
from households.codes import HelperLevel, HouseholdStatus
from households.models import Helper, Household, HouseholdYearLock
from households.quality import needs_helper_q
from households.services.support import helper_limit
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from villages.models import Region

from .story import StoryCast

CHAPTER_SEED = 15  # issue 15: this chapter's draws, apart from the others'
RECENT_DAYS = 10  # monitoring records opened this recently are not paired yet (see the module's note)
PAIRING_FROM = date(2016, 3, 1)  # 结对帮扶 in the register from the 2016 data review (docs/domain.md §9.1)
PAIR_AFTER_DAYS = 7  # a new monitoring object gets its helper a week after the record is opened
# The levels a village's helpers come from, in turn: a county unit's cadre, a township cadre, a village cadre.
LEVEL_CYCLE = (HelperLevel.COUNTY, HelperLevel.TOWNSHIP, HelperLevel.VILLAGE, HelperLevel.TOWNSHIP)
# A helper takes a few households below the limit, so a household can be moved to him later.
HEADROOM = 2
COUNTY_UNITS = (
    "县农业农村局",
    "县教育局",
    "县卫生健康局",
    "县财政局",
    "县人力资源和社会保障局",
    "县住房和城乡建设局",
    "县水务局",
    "县交通运输局",
    "县自然资源局",
    "县民政局",
    "县供销合作社",
    "县农村信用合作联社",
)
SURNAMES = "马王李张刘杨陈赵何周吴郭徐孙胡朱高林罗郑梁谢宋唐韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建国志强海军永红玉兰秀英文华春梅明亮国庆学军晓东丽娟正平德福成林小燕立新卫东金花俊杰建华淑珍"
MOVES = (
    "原帮扶责任人工作调动，离开本乡镇",
    "原帮扶责任人退休",
    "乡镇统一调整结对，就近帮扶",
)


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN) - 1, 2) :][:2] if rng.random() < 0.7 else rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def _county_units(county: str) -> list[str]:
    """The county's assisting units (the teams chapter's, when it wrote any), else the county's offices."""
    prefix = code_prefix(county, RegionLevel.COUNTY)
    assigned = UnitAssignment.objects.filter(region__code__startswith=prefix).values_list("unit__name", flat=True)
    names = sorted(set(assigned)) or sorted(
        AidUnit.objects.filter(region__code__startswith=prefix).values_list("name", flat=True)
    )
    return names or [f"{Region.objects.get(code=county).name}{unit[1:]}" for unit in COUNTY_UNITS]


def _start_dates(households: list[Household], opened: dict[int, date], today: date) -> dict[int, date]:
    """Each household's pairing date: 2016 for the register's households (or their identification year),
    a week after the record opened for a monitored 一般农户; a year locked by an approval is skipped."""
    wanted = {}
    for household in households:
        if household.pk in opened:
            wanted[household.pk] = min(opened[household.pk] + timedelta(days=PAIR_AFTER_DAYS), today)
        else:
            year = max(PAIRING_FROM.year, household.identified_year or PAIRING_FROM.year)
            wanted[household.pk] = min(PAIRING_FROM.replace(year=year), today)
    locked = defaultdict(set)
    for household_id, year in HouseholdYearLock.objects.filter(household_id__in=list(wanted)).values_list(
        "household_id", "year"
    ):
        locked[household_id].add(year)
    for household_id, day in wanted.items():
        while day.year in locked[household_id] and day.year < today.year:
            day = date(day.year + 1, 1, 5)
        wanted[household_id] = min(day, today)
    return wanted


def tell_pairing(cast: StoryCast) -> dict:
    """Helpers and pairings for every household that needs one (but the newest monitoring objects), and moves."""
    rng = random.Random(CHAPTER_SEED)
    today = timezone.localdate()
    recent = today - timedelta(days=RECENT_DAYS)
    opened = dict(
        MonitoringObject.objects.filter(status__in=OPEN_STATUSES)
        .values("household_id")
        .annotate(first=Min("discovered_on"))
        .values_list("household_id", "first")
    )
    # The register's households have had helpers since 2016; a 一般农户 needs one only from its record.
    ordinary = set(
        Household.objects.filter(status=HouseholdStatus.ORDINARY, pk__in=list(opened)).values_list("pk", flat=True)
    )
    newly_monitored = {pk: day for pk, day in opened.items() if pk in ordinary}
    waiting = {household_id for household_id, day in newly_monitored.items() if day > recent}
    households = list(
        Household.objects.within_prefix(cast.assisted_prefix)
        .filter(needs_helper_q())
        .exclude(pk__in=waiting)
        .annotate(paired=with_current_helper())
        .filter(paired=False)
        .only("pk", "village_id", "identified_year", "status", "monitoring_category")
        .order_by("village_id", "pk")
    )
    starts = _start_dates(households, newly_monitored, today)
    by_county: dict[str, dict[str, list[Household]]] = defaultdict(lambda: defaultdict(list))
    for household in households:
        by_county[county_of(household.village_id)][household.village_id].append(household)
    villages = {code for county in by_county.values() for code in county}
    names = dict(
        Region.objects.filter(code__in={township_of(code) for code in villages} | villages).values_list("code", "name")
    )
    capacities: dict[tuple[str, str], int] = {}
    helpers_of_township: dict[str, list[Helper]] = defaultdict(list)
    counts = {"helpers": 0, "pairings": 0, "moves": 0}
    for county, by_village in sorted(by_county.items()):
        units = _county_units(county)
        helpers, plan = [], []
        for village, members in sorted(by_village.items()):
            township = township_of(village)
            position, turn = 0, 0
            while position < len(members):
                level = LEVEL_CYCLE[turn % len(LEVEL_CYCLE)]
                turn += 1
                unit = {
                    HelperLevel.COUNTY: rng.choice(units),
                    HelperLevel.TOWNSHIP: f"{names[township]}人民政府",
                    HelperLevel.VILLAGE: f"{names[village]}村民委员会",
                }[level]
                helper = Helper(
                    region_id=township,
                    name=_name(rng),
                    unit=unit[:100],
                    level=level,
                    phone=f"139{rng.randrange(10**8):08d}",
                )
                helper.full_clean(exclude=["region"])
                if (level, township) not in capacities:
                    capacities[level, township] = max(1, helper_limit(helper, year=today.year) - HEADROOM)
                batch = members[position : position + capacities[level, township]]
                position += len(batch)
                helpers.append(helper)
                plan.append((helper, batch))
        # Registered in bulk (create_helper's checks are the model's, done above); paired through the service.
        Helper.objects.bulk_create(helpers)
        for helper in helpers:
            helpers_of_township[helper.region_id].append(helper)
        created = pairing.pair_plan(
            user=cast.county_users[county],
            plan=[(helper.pk, household.pk, starts[household.pk]) for helper, batch in plan for household in batch],
            reason="结对帮扶",
        )
        counts["helpers"] += len(helpers)
        counts["pairings"] += len(created)
    counts["moves"] = _moves(cast, helpers_of_township, today)
    counts["waiting_for_helper"] = len(waiting)
    return {f"pairing_{key}": value for key, value in counts.items()}


def _moves(cast: StoryCast, helpers_of_township: dict[str, list[Helper]], today: date) -> int:
    """A few moves in demo_clerk's township, by its clerk, each with its reason."""
    helpers = helpers_of_township.get(cast.clerk.region_id, [])
    moved = 0
    for index, reason in enumerate(MOVES):
        if len(helpers) < 2 * index + 2:
            break
        source, target = helpers[2 * index], helpers[2 * index + 1]
        on = today - timedelta(days=30 * (len(MOVES) - index))
        locked = HouseholdYearLock.objects.filter(year=on.year).values("household_id")
        current = list(
            source.assignments.filter(end_date__isnull=True, start_date__lte=on)
            .exclude(household_id__in=locked)
            .order_by("household_id")
            .values_list("household_id", "start_date")
        )
        if not current:
            continue
        result = pairing.move_households(
            user=cast.clerk,
            from_helper_id=source.pk,
            to_helper_id=target.pk,
            household_ids=[household_id for household_id, _ in current[:HEADROOM]],
            reason=reason,
            on=on,
        )
        moved += result.ended
    return moved
