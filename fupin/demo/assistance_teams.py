"""The demo's 帮扶力量, part one: 帮扶单位, 定点帮扶 and a 驻村工作队 in every village that needs one
(docs/domain.md §9.3–§9.5).

A chapter of load_demo (province.CHAPTERS), after monitoring (fupin/demo/monitoring.py), so that
the villages with monitoring objects are known. The units: two central units and an 东西部协作
partner (registered by the province), province and city units, three units of each county,
a private company and a charity. 定点帮扶: every poverty county has a central unit, the partner
and a province unit; every poor village is assigned to a unit of its county. Teams: every poor
village had a team 2018-01 to 2021-05 (its members left when its term ended), and has one since
2021-06 (teams continue after exit, §9.4); a village with an open monitoring object and no such
team gets one from its first record. Each current team has a 第一书记 and two or three 队员;
about one in three has a replacement in its history (reason and successor).

What shows as the 疑点 today: one poor village of demo_clerk's township whose only members were
recalled this year and not yet replaced. Everything goes through the services (assistance/units.py,
teams.py) as demo_province and each county's reviewer, except the 2018–2021 teams, which are
written in bulk (rows as the services would write them: ended on one day with the term's reason)
to keep the load fast; pghistory triggers record them all the same. Draws use their own seeded
generator, so a load is repeatable.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from assistance import teams, units
from assistance.codes import TeamRole, UnitLevel, UnitType
from assistance.models import TeamMember, VillageTeam
from core.regions import township_of
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from villages.models import County, Region, Village

from .story import StoryCast

CHAPTER_SEED = 15  # issue 15: the draws of this chapter
PAST_TERM = (date(2018, 1, 1), date(2021, 5, 31))  # the teams of the 2017 guidance's term
CURRENT_START = date(2021, 6, 1)  # 2021: teams continue in exited villages (docs/domain.md §9.4)
REPLACED_SHARE = 0.35
RECALLED_DAYS_AGO = 40  # the team of the 疑点 lost its members this long ago
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡郭何高林罗郑梁谢宋唐韩冯邓曹彭曾田董潘袁蒋魏"
GIVEN = "伟强军平明华建国志勇学海福林德成春生兵忠祥芳秀英兰玉梅珍霞丽娟琴艳燕萍"
# (name, type, level, registered at: "province", "city:<code>"): the units above the counties.
UPPER_UNITS = [
    ("中央某部委（演示）", UnitType.PARTY_GOVERNMENT, UnitLevel.CENTRAL, "province"),
    ("某中央企业集团（演示）", UnitType.STATE_ENTERPRISE, UnitLevel.CENTRAL, "province"),
    ("天津市某区（东西部协作，演示）", UnitType.EAST_WEST_PARTNER, UnitLevel.CITY, "province"),
    ("甘肃省财政厅", UnitType.PARTY_GOVERNMENT, UnitLevel.PROVINCE, "province"),
    ("甘肃省农业农村厅", UnitType.PARTY_GOVERNMENT, UnitLevel.PROVINCE, "province"),
    ("省属某高校（演示）", UnitType.PUBLIC_INSTITUTION, UnitLevel.PROVINCE, "province"),
    ("某农业科技有限公司（演示）", UnitType.PRIVATE_ENTERPRISE, UnitLevel.PROVINCE, "province"),
    ("省慈善协会（演示）", UnitType.SOCIAL_ORGANISATION, UnitLevel.PROVINCE, "province"),
    ("兰州市农业农村局", UnitType.PARTY_GOVERNMENT, UnitLevel.CITY, "city:620100000000"),
    ("临夏州农业农村局", UnitType.PARTY_GOVERNMENT, UnitLevel.CITY, "city:622900000000"),
]
# Each county's own units: (suffix, type).
COUNTY_UNITS = [
    ("农业农村局", UnitType.PARTY_GOVERNMENT),
    ("人民医院", UnitType.PUBLIC_INSTITUTION),
    ("供电公司", UnitType.STATE_ENTERPRISE),
]
REPLACEMENT_REASONS = ["任职期满轮换", "因工作调整召回派出单位", "因病无法继续驻村", "提拔任职后调整"]


class TeamsChapter:
    def __init__(self, cast: StoryCast):
        self.cast = cast
        self.rng = random.Random(CHAPTER_SEED)
        self.counts = {"aid_units": 0, "unit_assignments": 0, "village_teams": 0, "team_members": 0, "replaced": 0}

    def person(self, taken: set[str] | None = None) -> str:
        """A name; not one of `taken` (a team's members in post: the same name twice is refused)."""
        while True:
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            if not taken or name not in taken:
                return name

    def phone(self) -> str:
        return f"13{self.rng.randint(0, 9)}{self.rng.randrange(10**8):08d}"

    def upper_units(self) -> dict[str, int]:
        province = self.cast.province_user
        made = {}
        for name, unit_type, level, where in UPPER_UNITS:
            region = self.cast.province_code if where == "province" else where.split(":")[1]
            unit = units.create_unit(user=province, name=name, unit_type=unit_type, level=level, region_code=region)
            made[name] = unit.pk
        self.counts["aid_units"] += len(made)
        return made

    def county_units(self, county: str) -> list[tuple[int, str]]:
        name = Region.objects.get(code=county).name
        user = self.cast.county_users[county]
        made = []
        for suffix, unit_type in COUNTY_UNITS:
            unit = units.create_unit(
                user=user, name=f"{name}{suffix}", unit_type=unit_type, level=UnitLevel.COUNTY, region_code=county
            )
            made.append((unit.pk, unit.name))
        self.counts["aid_units"] += len(made)
        return made

    def assign(self, user, unit_id: int, region_code: str, start: date) -> None:
        units.assign_unit(user=user, unit_id=unit_id, region_code=region_code, start_date=start)
        self.counts["unit_assignments"] += 1

    def past_team(self, village: str, unit: tuple[int, str]) -> None:
        """2018–2021: a team whose members left when the term ended (bulk, as end_team writes it)."""
        start, end = PAST_TERM
        team = VillageTeam.objects.create(village_id=village, unit_id=unit[0], start_date=start, end_date=end)
        roles = [TeamRole.FIRST_SECRETARY, TeamRole.MEMBER, TeamRole.MEMBER]
        TeamMember.objects.bulk_create(
            TeamMember(
                team=team,
                name=self.person(),
                unit=unit[1],
                role=role,
                phone=self.phone(),
                start_date=start,
                end_date=end,
                end_reason=teams.TEAM_ENDED_REASON,
            )
            for role in roles
        )
        self.counts["village_teams"] += 1
        self.counts["team_members"] += len(roles)

    def current_team(self, user, village: str, unit: tuple[int, str], start: date, *, recalled: bool = False) -> None:
        """A team in post since `start`: a 第一书记 and two or three 队员, perhaps one replaced since."""
        team = teams.create_team(user=user, village_code=village, start_date=start, unit_id=unit[0])
        self.counts["village_teams"] += 1
        roles = [TeamRole.FIRST_SECRETARY] + [TeamRole.MEMBER] * self.rng.choice((2, 2, 3))
        members = []
        for role in roles:
            members.append(
                teams.add_member(
                    user=user,
                    team_id=team.pk,
                    name=self.person({member.name for member in members}),
                    unit=unit[1],
                    role=role,
                    phone=self.phone(),
                    start_date=start,
                )
            )
        self.counts["team_members"] += len(members)
        if recalled:
            # The 疑点 of today: every member recalled this year, no successor sent yet.
            recalled_on = timezone.localdate() - timedelta(days=RECALLED_DAYS_AGO)
            for member in members:
                teams.end_member(user=user, member_id=member.pk, end_date=recalled_on, reason="因工作调整召回派出单位")
            return
        # A replacement half a year after the start at the earliest, a month before today at the latest.
        earliest, latest = start + timedelta(days=180), timezone.localdate() - timedelta(days=30)
        if earliest < latest and self.rng.random() < REPLACED_SHARE:
            leaving = self.rng.choice(members)
            day = earliest + timedelta(days=self.rng.randrange((latest - earliest).days))
            teams.replace_member(
                user=user,
                member_id=leaving.pk,
                name=self.person({member.name for member in members}),
                unit=unit[1],
                phone=self.phone(),
                start_date=day,
                reason=self.rng.choice(REPLACEMENT_REASONS),
            )
            self.counts["team_members"] += 1
            self.counts["replaced"] += 1


def tell_teams(cast: StoryCast) -> dict:
    """帮扶单位 and 定点帮扶, then the village teams of 2018–2021 and of today."""
    chapter = TeamsChapter(cast)
    upper = chapter.upper_units()
    central = [upper["中央某部委（演示）"], upper["某中央企业集团（演示）"]]
    province_units = [upper["甘肃省财政厅"], upper["甘肃省农业农村厅"], upper["省属某高校（演示）"]]
    poor = set(Village.objects.filter(is_poor_village=True).values_list("region_id", flat=True))
    monitored = dict(
        MonitoringObject.objects.filter(status__in=OPEN_STATUSES)
        .order_by("household__village_id", "discovered_on")
        .values_list("household__village_id", "discovered_on")
        .distinct("household__village_id")
    )
    clerk_township = cast.clerk.region_id
    # The 疑点's village: a poor one of demo_clerk's township, one without monitoring objects if there is one.
    in_township = sorted(code for code in poor if township_of(code) == clerk_township)
    recalled = next((code for code in in_township if code not in monitored), None) or next(iter(in_township), None)
    poverty_counties = set(County.objects.filter(is_poverty_county=True).values_list("region_id", flat=True))
    for index, county in enumerate(sorted(cast.villages_of)):
        assisted = {village for village in cast.villages_of[county] if village.startswith(cast.assisted_prefix)}
        if not assisted:
            continue
        county_user = cast.county_users[county]
        own = chapter.county_units(county)
        if county in poverty_counties:
            for unit_id in (central[index % 2], upper["天津市某区（东西部协作，演示）"], province_units[index % 3]):
                chapter.assign(cast.province_user, unit_id, county, date(2015, 8, 1))
        for position, village in enumerate(sorted(cast.villages_of[county])):
            if village not in assisted or (village not in poor and village not in monitored):
                continue
            unit = own[position % len(own)]
            if village in poor:
                chapter.assign(county_user, unit[0], village, PAST_TERM[0])
                chapter.past_team(village, unit)
                start = CURRENT_START
            else:
                start = max(monitored[village], CURRENT_START)
            chapter.current_team(county_user, village, unit, start, recalled=village == recalled)
    missing = teams.villages_without_team(Region.objects.all()).count()
    return chapter.counts | {"villages_without_team": missing}
