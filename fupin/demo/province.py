"""The demo province: deterministic, realistic, and loaded by COPY so that it scales.

One province (甘肃省, real codes so that ID numbers carry valid address codes),
2 cities, 4 poverty counties (东乡族自治县 is demo_county's), townships and villages
with made-up names, and households whose members have valid 18-digit ID numbers
(checksum, birth date and gender consistent). The same `households` and `seed`
always give the same people.

Households and members are written with PostgreSQL COPY in text format, township by
township (each from its own seeded generator, in one process per core at scale), so
2,000,000 households load in minutes. They are records that existed
before the system, so they come in as a 历史数据导入 (docs/domain.md §5): one load by the demo
province user, recorded like an uploaded one, whose households keep their status and years
and get their back-dated adjustment log, township by township as they are written
(households.services.log_loaded_households, then record_historical_load's one audit row).
What they went through 2014–2020, and the exits that follow the procedures, are the story's
(fupin/demo/story.py): by the end of 2020 no household is left 未脱贫.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import operator
import os
import random
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import django
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction

from core.codes import Evidence, ParameterKey, Role
from core.encryption import encrypt_many
from core.models import PolicyParameter, User
from core.regions import RegionLevel, child_code, code_prefix, county_of, township_of
from households.codes import (
    Education,
    Ethnicity,
    HouseholdAttribute,
    HouseholdStatus,
    IdentificationStandard,
    LaborSkill,
    PovertyCause,
    Relation,
    SchoolStatus,
)
from households.idnumbers import check_character, id_number_hash, mask_id_number
from households.models import Household, Member
from households.names import pinyin_full, pinyin_initials
from households.services import historical_load_reason, log_loaded_households, record_historical_load
from villages.models import County, Region, Village, VillagePopulation

from . import assistance_pairing, assistance_teams, assistance_visits, monitoring, story
from .draws import WeightedDraw

DEMO_PASSWORD = "fupin-demo-2026"  # noqa: S105 - published demo password, works only with FUPIN_DEMO=1
DEFAULT_HOUSEHOLDS = 20_000
HOUSEHOLDS_PER_VILLAGE = 100
VILLAGES_PER_TOWNSHIP = 40
MIN_TOWNSHIPS_PER_COUNTY = 5
# Two townships in three are 镇, numbered 101–199 (build_regions): 99 镇 make 148 townships. Past
# 148 × VILLAGES_PER_TOWNSHIP villages a county (2,368,000 households in the province, the 10,000,000
# of the cost curve) its townships hold more villages instead (up to 800 each, numbers 200–999).
MAX_TOWNSHIPS_PER_COUNTY = 148
POPULATION_YEARS = range(2014, 2021)
DEMO_YEAR = 2020
DEMO_COUNTY = "622926000000"  # 东乡族自治县: demo_county's

PROVINCE = ("620000000000", "甘肃省")
# (city code, name, [(county code, name, is_poverty_county, ethnicity weights)]).
# County codes are real GB/T 2260 codes valid in every birth year, so ID numbers validate.
# All four lie in the 六盘山 contiguous poor area and so among the 832 poverty counties [MEM?];
# each 摘帽 in its batch of the story (story.COUNTY_EXIT_YEARS).
CITIES = [
    (
        "620100000000",
        "兰州市",
        [
            ("620121000000", "永登县", True, {"01": 93, "03": 6, "04": 1}),
            ("620123000000", "榆中县", True, {"01": 96, "03": 4}),
        ],
    ),
    (
        "622900000000",
        "临夏回族自治州",
        [
            ("622921000000", "临夏县", True, {"01": 45, "03": 45, "26": 10}),
            ("622926000000", "东乡族自治县", True, {"26": 80, "03": 12, "01": 8}),
        ],
    ),
]

TOWNSHIP_STEMS = list("和平新集红柳龙泉达坂唐汪锁南果园汪集柳树高山河滩大坪石岭")
VILLAGE_STEMS = list("东西南北上下前后中新老大小张王李刘马杨何沟湾坪川台岔庄")
SURNAMES_BY_ETHNICITY = {
    "01": "王李张刘陈杨赵黄周吴徐孙朱马胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余魏",
    "03": "马何韩妥白冶丁沙杨穆撒海哈苏",
    "26": "马汪妥何赵唐锁包东陈",
    "04": "才让卓杨",
}
GIVEN_MALE = "伟强军平明华建国志勇学海福林德成春生兵忠祥全发贵荣永红文斌东宏"
GIVEN_FEMALE = "芳秀英兰花玉梅珍霞凤丽娟桂琴艳燕红萍翠莲娥彩菊香"
CAUSE_WEIGHTS = {
    "1": 24,
    "2": 9,
    "3": 8,
    "4": 4,
    "5": 5,
    "6": 4,
    "7": 14,
    "8": 10,
    "9": 12,
    "10": 3,
    "11": 4,
    "12": 1,
    "13": 1,
    "99": 1,
}
CAUSE_DRAW = WeightedDraw(CAUSE_WEIGHTS)
SIZE_DRAW = WeightedDraw({1: 8, 2: 14, 3: 20, 4: 26, 5: 18, 6: 9, 7: 5})
ATTRIBUTE_DRAW = WeightedDraw(
    {HouseholdAttribute.GENERAL: 70, HouseholdAttribute.DIBAO: 22, HouseholdAttribute.TEKUN: 8}
)
WORK_LOCATION_DRAW = WeightedDraw({"1": 20, "2": 25, "3": 30, "4": 25})
# Adults' education, by whether they are over 50.
EDUCATION_DRAWS = {
    over_50: WeightedDraw(
        {
            Education.ILLITERATE: 20 if over_50 else 5,
            Education.PRIMARY: 35,
            Education.JUNIOR: 30,
            Education.SENIOR: 10,
            Education.COLLEGE_PLUS: 3,
        }
    )
    for over_50 in (True, False)
}
# 一般农户 per village: never poor, on record so that 边缘易致贫户 can be identified (docs/domain.md §12.2).
ORDINARY_PER_VILLAGE = (3, 5)
PARALLEL_FROM = 100_000  # households from which the townships are generated in one process per core
# Up to this size the 帮扶 chapters pair and visit every household that needs it; beyond it (the
# benchmark's millions) only in demo_clerk's township: a pairing and a few visits per household
# through the services would take longer than the whole load, for pages the benchmark does not open.
ASSISTANCE_EVERYWHERE_UP_TO = 100_000
# GB 11643's weights and check characters, for the generator's fast path only (PersonFactory:
# the check of seven million numbers from cached parts). The rule is households.idnumbers'
# check_character; tests/fupin/test_demo_draws.py holds the two to the same numbers.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    region_code: str | None
    last_name: str
    first_name: str


def id_weight(digits: str, weights: tuple[int, ...]) -> int:
    """Part of the weighted sum of GB 11643's check: digit by digit, modulo 11 taken by the caller."""
    return sum(map(operator.mul, map(int, digits), weights))


def id_check_char(first17: str) -> str:
    """The registry's check character (demo data and tests build valid numbers with it)."""
    return check_character(first17)


# An ID number's three parts (county, birth date, sequence) as text with their part of the
# weighted sum, each computed once: seven million numbers at province scale.
SEQUENCE_TEXT = [f"{sequence:03d}" for sequence in range(1000)]
SEQUENCE_WEIGHT = [id_weight(text, ID_WEIGHTS[14:]) for text in SEQUENCE_TEXT]


@functools.cache
def id_county_part(county_code: str) -> tuple[str, int]:
    text = code_prefix(county_code, RegionLevel.COUNTY)
    return text, id_weight(text, ID_WEIGHTS[:6])


@functools.cache
def id_date_part(birth: date) -> tuple[str, int]:
    text = f"{birth.year}{birth.month:02d}{birth.day:02d}"  # field by field: strftime costs several times as much
    return text, id_weight(text, ID_WEIGHTS[6:14])


NULL = r"\N"  # COPY text format


class Layout:
    """How many townships and villages a county gets for a number of households."""

    def __init__(self, households: int):
        self.villages = max(8, math.ceil(households / HOUSEHOLDS_PER_VILLAGE))
        counties = sum(len(counties) for _, _, counties in CITIES)
        self.villages_per_county = math.ceil(self.villages / counties)
        self.townships_per_county = min(
            MAX_TOWNSHIPS_PER_COUNTY,
            max(MIN_TOWNSHIPS_PER_COUNTY, math.ceil(self.villages_per_county / VILLAGES_PER_TOWNSHIP)),
        )


def build_regions(households: int, rng: random.Random) -> list[Region]:
    """The region tree, province first (parents before children)."""
    layout = Layout(households)
    province = Region(code=PROVINCE[0], name=PROVINCE[1], level=RegionLevel.PROVINCE)
    regions = [province]
    village_total = 0
    for city_code, city_name, counties in CITIES:
        regions.append(Region(code=city_code, name=city_name, level=RegionLevel.CITY, parent_id=province.code))
        for county_code, county_name, _, _ in counties:
            regions.append(Region(code=county_code, name=county_name, level=RegionLevel.COUNTY, parent_id=city_code))
            remaining = min(layout.villages_per_county, layout.villages - village_total)
            per_township = [0] * layout.townships_per_county
            for index in range(remaining):
                per_township[index % layout.townships_per_county] += 1
            used_names: set[str] = set()
            numbers = {True: iter(range(101, 200)), False: iter(range(201, 400))}
            for township_index, village_count in enumerate(per_township):
                # 100–199 are 镇, 200–399 are 乡 (docs/domain.md §2.1).
                is_town = township_index % 3 != 2
                number = next(numbers[is_town], None)
                if number is None:
                    raise ValueError("too many townships for one county: use fewer households")
                township_code = child_code(county_code, number)
                name = unique_name(rng, TOWNSHIP_STEMS, "镇" if is_town else "乡", used_names)
                regions.append(Region(code=township_code, name=name, level=RegionLevel.TOWNSHIP, parent_id=county_code))
                village_names: set[str] = set()
                for village_index in range(village_count):
                    village_code = child_code(township_code, 200 + village_index)
                    regions.append(
                        Region(
                            code=village_code,
                            name=unique_name(rng, VILLAGE_STEMS, "村", village_names),
                            level=RegionLevel.VILLAGE,
                            parent_id=township_code,
                        )
                    )
                village_total += village_count
    return regions


def unique_name(rng: random.Random, stems: list[str], suffix: str, used: set[str]) -> str:
    for length in (2, 2, 2, 3, 3, 3, 4):
        name = "".join(rng.sample(stems, length)) + suffix
        if name not in used:
            used.add(name)
            return name
    name = f"{''.join(rng.sample(stems, 2))}{len(used)}{suffix}"
    used.add(name)
    return name


class PersonFactory:
    """Names and ID numbers: unique per (county, birth date, gender) by a running sequence.

    Townships are generated apart (in parallel): the k-th of a county's n townships takes the
    sequence numbers k, k + n, k + 2n, … so that two townships never give the same number.
    """

    def __init__(self, rng: random.Random, slot: tuple[int, int] = (0, 1)):
        self.rng = rng
        self.slot, self.slots = slot
        self.sequences: dict[tuple[str, date, int], int] = defaultdict(int)

    def name(self, surname: str, male: bool) -> str:
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        given = self.rng.choice(pool) if self.rng.random() < 0.35 else self.rng.choice(pool) + self.rng.choice(pool)
        return surname + given

    def id_number(self, county_code: str, birth: date, male: bool) -> tuple[str, date]:
        """The next ID number of the county, date and sex, and the birth date it carries."""
        key = (county_code, birth, male)
        while True:
            serial = self.sequences[key] * self.slots + self.slot
            self.sequences[key] += 1
            sequence = 2 * serial + (1 if male else 0)
            if sequence <= 999:
                break
            # Over 500 people of one sex born on one day in one county: use the next day.
            birth += timedelta(days=1)
            key = (county_code, birth, male)
        county, county_weight = id_county_part(county_code)
        day, day_weight = id_date_part(birth)
        check = ID_CHECK_CHARS[(county_weight + day_weight + SEQUENCE_WEIGHT[sequence]) % 11]
        return f"{county}{day}{SEQUENCE_TEXT[sequence]}{check}", birth

    def birth_date(self, age: int) -> date:
        return date(DEMO_YEAR - age, 1, 1) + timedelta(days=self.rng.randrange(365))


def member_profile(rng: random.Random, age: int, cause: str) -> dict:
    """Education, schooling, health, labour and work for a person of `age`."""
    health = ["01"]
    if cause == PovertyCause.ILLNESS and rng.random() < 0.5:
        health = [rng.choice(["02", "03"])]
    elif cause == PovertyCause.DISABILITY and rng.random() < 0.5:
        health = ["04"]
    elif age > 60 and rng.random() < 0.3:
        health = ["02"]
    if age < 6:
        education, school = Education.PRESCHOOL_CHILD, (SchoolStatus.PRESCHOOL if age >= 3 else "")
    elif age < 12:
        education, school = "", SchoolStatus.PRIMARY
    elif age < 15:
        education, school = "", [SchoolStatus.GRADE_7, SchoolStatus.GRADE_8, SchoolStatus.GRADE_9][age - 12]
    elif age < 18 and rng.random() < 0.7:
        education, school = "", [SchoolStatus.HIGH_1, SchoolStatus.HIGH_2, SchoolStatus.HIGH_3][age - 15]
    else:
        education = EDUCATION_DRAWS[age > 50](rng)
        school = SchoolStatus.NOT_IN_SCHOOL
    if age < 16:
        labor, work, months = "", "", 0
    elif age > 65 or health != ["01"]:
        labor, work, months = rng.choice([LaborSkill.LOST, LaborSkill.NONE, LaborSkill.WEAK]), "", 0
    else:
        labor = LaborSkill.SKILLED if rng.random() < 0.15 else LaborSkill.ORDINARY
        if rng.random() < 0.55:
            work = WORK_LOCATION_DRAW(rng)
            months = rng.randint(3, 12)
        else:
            work, months = "", 0
    return {
        "education": education,
        "school_status": school,
        "health": health,
        "labor_skill": labor,
        "work_location": work,
        "work_months": months,
    }


class HouseholdGenerator:
    """COPY lines for households and members, village by village; each line is (text before,
    value to encrypt, text after), joined once its township's values are encrypted together."""

    HOUSEHOLD_COLUMNS = [
        "id",
        "household_no",
        "village_id",
        "group_name",
        "head_name",
        "head_name_initials",
        "head_name_pinyin",
        "phone",
        "identification_standard",
        "attribute",
        "main_cause",
        "other_causes",
        "status",
        "identified_year",
        "exit_year",
        "monitoring_category",
        "member_count",
        "closed_member_count",
        "version",
        "created_at",
        "updated_at",
    ]
    MEMBER_COLUMNS = [
        "household_id",
        "name",
        "id_number",
        "id_number_hash",
        "id_number_masked",
        "relation",
        "gender",
        "birth_date",
        "ethnicity",
        "education",
        "school_status",
        "health",
        "labor_skill",
        "work_location",
        "work_months",
        "is_active",
        "created_at",
        "updated_at",
    ]

    def __init__(
        self, rng: random.Random, first_id: int, now: str, ledger: story.PoorLedger, slot: tuple[int, int] = (0, 1)
    ):
        self.rng = rng
        self.ledger = ledger
        self.returns: list[tuple[int, int, int]] = []  # (household id, first exit, 返贫 year)
        self.ordinary_ids: list[int] = []
        self.ordinary_members = 0
        self.procedure_ids: list[int] = []  # 未脱贫 at load, exiting in 2020 through the procedure
        self.people = PersonFactory(rng, slot)
        self.next_id = first_id
        self.now = now
        self.households = 0
        self.members = 0
        self.ethnicity_draws: dict[str, WeightedDraw] = {}

    def ethnicity_draw(self, county_code: str, ethnicities: dict[str, int]) -> WeightedDraw:
        if county_code not in self.ethnicity_draws:
            self.ethnicity_draws[county_code] = WeightedDraw(ethnicities)
        return self.ethnicity_draws[county_code]

    @staticmethod
    @functools.cache
    def pinyin(name: str) -> tuple[str, str]:
        """A name's initials and full pinyin; a few tens of thousands of names repeat over millions
        of households, so each is converted once per process."""
        return pinyin_initials(name), pinyin_full(name)

    def village(self, village_code: str, county_code: str, ethnicities: dict, count: int, plan: VillagePlan):
        """The village's households: registered poor ones first, then its 一般农户 (registered last)."""
        household_lines, member_lines = [], []
        ordinary = min(count - 1, self.rng.randint(*ORDINARY_PER_VILLAGE)) if count > 1 else 0
        procedure_slots = plan.procedure_exits
        for index in range(count):
            household_id = self.next_id
            self.next_id += 1
            years = None
            if index < count - ordinary:
                years = story.household_years(
                    self.rng, plan.target_year, plan.county_year, procedure_slot=procedure_slots > 0
                )
                procedure_slots -= years.by_procedure
            lines = self.household(household_id, village_code, county_code, ethnicities, index + 1, years)
            household_lines.append(lines[0])
            member_lines.extend(lines[1])
        return household_lines, member_lines

    def household(self, household_id, village_code, county_code, ethnicities, number, years):
        """One household; `years` is its story (story.HouseholdYears), None for a 一般农户."""
        rng = self.rng
        ethnicity = self.ethnicity_draw(county_code, ethnicities)(rng)
        surname = rng.choice(SURNAMES_BY_ETHNICITY.get(ethnicity, SURNAMES_BY_ETHNICITY["01"]))
        size = SIZE_DRAW(rng)
        cause = CAUSE_DRAW(rng)
        others = [code for code in rng.sample(list(CAUSE_WEIGHTS), 3) if code != cause][: rng.choice([0, 0, 1, 1, 2])]
        attribute = ATTRIBUTE_DRAW(rng)
        if years is None:
            # 一般农户: no 贫困户属性, 致贫原因 or 识别年度 (docs/domain.md §5.1).
            status, identified_year, exit_year = HouseholdStatus.ORDINARY, None, None
            standard, attribute, cause, others = IdentificationStandard.NATIONAL, "", "", []
            self.ordinary_ids.append(household_id)
        elif years.by_procedure:
            status, identified_year, exit_year = HouseholdStatus.POOR, years.identified_year, None
            standard = IdentificationStandard.NATIONAL
            self.procedure_ids.append(household_id)
        else:
            status, identified_year, exit_year = years.status, years.identified_year, years.exit_year
            standard = IdentificationStandard.NATIONAL
            if years.returned:
                self.returns.append((household_id, years.first_exit, years.returned))
        members = self.family(size, surname, ethnicity, county_code, cause or PovertyCause.OTHER)
        head_name = members[0][0]
        initials, full = self.pinyin(head_name)
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        active = status in (HouseholdStatus.POOR, HouseholdStatus.EXITED, HouseholdStatus.ORDINARY)
        if years is not None:
            self.ledger.add(village_code, years, len(members))
        else:
            self.ordinary_members += len(members)
        # A line is (text before, value to encrypt, text after): the township encrypts all its ID
        # numbers and phones in one batch (core/encryption.py) and then joins the lines.
        # Formatted directly in COPY text format (None is \N, a list an array; generated values hold
        # no tab, newline or backslash), as the members' lines below: two million at province scale.
        before_phone = (
            f"{household_id}\t{village_code}{number:04d}\t{village_code}\t第{rng.randint(1, 8)}组"
            f"\t{head_name}\t{initials}\t{full}"
        )
        after_phone = (
            f"{standard!s}\t{attribute!s}\t{cause!s}\t{{{','.join(others)}}}\t{status!s}"
            f"\t{NULL if identified_year is None else identified_year}\t{NULL if exit_year is None else exit_year}"
            f"\t\t{len(members) if active else 0}\t{NULL if active else len(members)}\t1\t{self.now}\t{self.now}"
        )  # the empty field: 监测对象类别, written only by the monitoring services, never by the demo
        # The members' lines are formatted directly: seven million of them at province scale.
        tail = f"\t{'t' if active else 'f'}\t{self.now}\t{self.now}"
        member_lines = []
        for name, relation, number_id, birth, male, member_ethnicity, profile in members:
            member_lines.append(
                (
                    f"{household_id}\t{name}\t",
                    number_id,
                    f"\t{id_number_hash(number_id)}"
                    f"\t{mask_id_number(number_id)}\t{relation}\t{'1' if male else '2'}\t{birth.isoformat()}"
                    f"\t{member_ethnicity}\t{profile['education']}\t{profile['school_status']}"
                    f"\t{{{','.join(profile['health'])}}}\t{profile['labor_skill']}\t{profile['work_location']}"
                    f"\t{profile['work_months']}{tail}",
                )
            )
        self.households += 1
        self.members += len(members)
        return (before_phone + "\t", phone, "\t" + after_phone), member_lines

    def family(self, size, surname, ethnicity, county_code, cause):
        """Head first; then spouse, children, grandchildren or a parent, with consistent ages."""
        rng = self.rng
        head_male = rng.random() < 0.85
        head_age = rng.randint(28, 78) if size > 1 else rng.randint(45, 88)
        roles = [(Relation.HEAD, head_male, head_age)]
        if size >= 2 and rng.random() < 0.85:
            roles.append((Relation.SPOUSE, not head_male, max(20, head_age + rng.randint(-5, 3))))
        while len(roles) < size:
            slot = len(roles)
            child_age = head_age - rng.randint(20, 34)
            if child_age >= 0 and slot < 5:
                male = rng.random() < 0.52
                roles.append((Relation.SON if male else Relation.DAUGHTER, male, child_age))
            elif head_age < 55 and rng.random() < 0.5:
                male = rng.random() < 0.4
                roles.append((Relation.FATHER if male else Relation.MOTHER, male, head_age + rng.randint(22, 30)))
            else:
                male = rng.random() < 0.52
                age = max(0, head_age - rng.randint(42, 60))
                roles.append((Relation.GRANDSON if male else Relation.GRANDDAUGHTER, male, age))
        members = []
        for relation, male, age in roles:
            own_surname = (
                surname
                if relation not in (Relation.SPOUSE, Relation.MOTHER)
                else rng.choice(SURNAMES_BY_ETHNICITY.get(ethnicity, SURNAMES_BY_ETHNICITY["01"]))
            )
            birth = self.people.birth_date(age)
            number, birth = self.people.id_number(county_code, birth, male)
            members.append(
                (
                    self.people.name(own_surname, male),
                    relation,
                    number,
                    birth,
                    male,
                    ethnicity if rng.random() < 0.95 else Ethnicity.HAN,
                    member_profile(rng, age, cause),
                )
            )
        return members


DEMO_USERS = [
    DemoUser("demo_clerk", Role.TOWNSHIP_CLERK, "first-township", "演示", "乡镇录入员"),
    # A second clerk of the same township: the submitter never approves the 乡镇审核 step.
    DemoUser("demo_clerk2", Role.TOWNSHIP_CLERK, "first-township", "演示", "乡镇审核员"),
    DemoUser("demo_county", Role.COUNTY_REVIEWER, "622926000000", "演示", "县级审核员"),
    DemoUser("demo_city", Role.CITY_REVIEWER, "622900000000", "演示", "市级审核员"),
    DemoUser("demo_province", Role.PROVINCE_STAFF, PROVINCE[0], "演示", "省级人员"),
    DemoUser("demo_admin", Role.ADMIN, None, "演示", "系统管理员"),
]


def default_ethnicity_row(county_code: str, ethnicities: dict[str, int]) -> None:
    """A county most of whose people are of one 民族 other than 汉族 (东乡族自治县: 东乡族) starts its
    household forms with it: the county's DEFAULT_ETHNICITY parameter (docs/domain.md §4.7)."""
    code, share = max(ethnicities.items(), key=lambda item: item[1])
    if code != Ethnicity.HAN and share * 2 > sum(ethnicities.values()):
        PolicyParameter.objects.update_or_create(
            key=ParameterKey.DEFAULT_ETHNICITY,
            year=None,
            region_id=county_code,
            defaults={"value": int(code), "evidence": Evidence.PROPOSAL, "source": "演示数据：该县多数人口的民族"},
        )


def demo_clerk_township() -> str:
    """The first township of the poverty county: demo_clerk's scope."""
    return (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith="622926")
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )


def ensure_demo_users() -> list[User]:
    """Create or reset the fixed demo users (they log in only when FUPIN_DEMO=1)."""
    users = []
    for spec in DEMO_USERS:
        region_code = demo_clerk_township() if spec.region_code == "first-township" else spec.region_code
        user, _ = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "role": spec.role,
                "region_id": region_code,
                "is_demo": True,
                "is_staff": spec.role == Role.ADMIN,
                "is_superuser": spec.role == Role.ADMIN,
                "last_name": spec.last_name,
                "first_name": spec.first_name,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if spec.role == Role.COUNTY_REVIEWER:
            # The county office may see full ID numbers (each view audited); clerks see masks.
            user.user_permissions.add(Permission.objects.get(codename="view_full_id"))
        users.append(user)
    return users


def demo_is_loaded() -> bool:
    return Region.objects.filter(code=PROVINCE[0]).exists()


def skip_history_triggers(cursor) -> None:
    """The demo is a bulk load, not a change: do not write 9 million history events for it.

    `replica` skips ordinary triggers (pghistory's) for this transaction only; it needs a
    superuser, which the embedded and CI servers are. Elsewhere the load keeps its history.
    """
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


def restore_history_triggers(cursor) -> None:
    """After the bulk part, the story's procedures run with their triggers (history, foreign keys)."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = origin")
    except DatabaseError:
        pass


def copy_text_block(cursor, table: str, columns: list[str], text: bytes) -> None:
    """Rows already in COPY text format, one per line, UTF-8."""
    if not text:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(text)


@dataclass(frozen=True)
class VillagePlan:
    """What the story asks of a village: the year its households exit by, and how many through the procedure."""

    is_poor: bool
    target_year: int
    county_year: int
    procedure_exits: int = 0


@dataclass(frozen=True)
class TownshipTask:
    """One township's households, generated on their own (one process per core at province scale)."""

    seed: int
    township: str
    county: str
    ethnicities: dict[str, int]
    villages: tuple[tuple[str, int, VillagePlan], ...]  # (code, households, plan) in code order
    first_id: int  # the township's first household id: ids follow the villages' order
    now: str
    slot: tuple[int, int]  # (this township's index in its county, the county's townships): PersonFactory


@dataclass
class TownshipRows:
    """What a township task made: its COPY text (encoded here, not in the process writing it) and
    what the story needs to know of it."""

    households: bytes
    members: bytes
    poor: dict[str, dict[int, int]]
    exited: dict[str, dict[int, int]]
    population: dict[str, dict[int, int]]
    returns: list[tuple[int, int, int]]
    ordinary_ids: list[int]
    procedure_ids: list[int]
    household_count: int
    member_count: int
    ordinary_members: int


def township_rows(task: TownshipTask) -> TownshipRows:
    """Generate one township: its own seeded generator, so the result is the same in any process, in any order."""
    rng = random.Random(f"{task.seed}:{task.township}")
    ledger = story.PoorLedger()
    generator = HouseholdGenerator(rng, task.first_id, task.now, ledger, task.slot)
    household_lines, member_lines = [], []
    for village_code, count, plan in task.villages:
        before = generator.members
        lines, members = generator.village(village_code, task.county, task.ethnicities, count, plan)
        household_lines.extend(lines)
        member_lines.extend(members)
        registered = generator.members - before
        base = max(registered * 3, 300) + rng.randrange(200, 1500)
        for year in POPULATION_YEARS:
            ledger.population[village_code][year] = base + (year - POPULATION_YEARS[0]) * rng.randint(-5, 15)
    return TownshipRows(
        households=encrypted_lines(household_lines, Household._meta.get_field("phone")),
        members=encrypted_lines(member_lines, Member._meta.get_field("id_number")),
        poor={code: dict(years) for code, years in ledger.poor.items()},
        exited={code: dict(years) for code, years in ledger.exited.items()},
        population={code: dict(years) for code, years in ledger.population.items()},
        returns=generator.returns,
        ordinary_ids=generator.ordinary_ids,
        procedure_ids=generator.procedure_ids,
        household_count=generator.households,
        member_count=generator.members,
        ordinary_members=generator.ordinary_members,
    )


def encrypted_lines(lines: list[tuple[str, str, str]], field) -> bytes:
    """COPY text of (before, value, after) lines, each value encrypted as `field` writes it, all in one batch."""
    tokens = encrypt_many(field.keys[0], [value.encode() for _, value, _ in lines])
    return "".join(
        f"{before}{token.decode()}{after}\n" for (before, _, after), token in zip(lines, tokens, strict=True)
    ).encode()


@contextmanager
def township_generator(households: int):
    """`map` over township tasks: in this process for a small load, else in one process per core.

    Spawned processes (not forked: this one holds an open database connection in a transaction)
    set Django up and only compute; the rows come back here, to be written in one transaction.
    """
    if households < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        yield map
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=min(os.cpu_count(), 8), initializer=django.setup) as pool:
        yield lambda function, tasks: pool.imap(function, tasks, chunksize=1)


@contextmanager
def indexes_built_after(cursor, tables: list[str]):
    """Into empty tables, a bulk load builds each index once at the end rather than row by row.

    Indexes behind constraints (primary keys, unique constraints) stay; a partial load (tables
    not empty) keeps them all.
    """
    cursor.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM households_household) AND NOT EXISTS (SELECT 1 FROM households_member)"
    )
    if not cursor.fetchone()[0]:
        yield
        return
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE pg_constraint.conindid = i.indexrelid)
        """,
        [tables],
    )
    definitions = cursor.fetchall()
    for name, _ in definitions:
        cursor.execute(f"DROP INDEX {name}")
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in definitions:
        cursor.execute(definition)


def village_plans(villages: list[Region], rng: random.Random) -> dict[str, VillagePlan]:
    """Poor villages (about 40 %) and each village's target year within its county's batch.

    demo_clerk's first village (the poverty county's first) is a poor village exiting in 2020,
    the year its last households exit through the 户退出 procedure.
    """
    clerk_village = next(village.code for village in villages if county_of(village.code) == DEMO_COUNTY)
    plans = {}
    for village in villages:
        county_year = story.COUNTY_EXIT_YEARS[county_of(village.code)]
        if village.code == clerk_village:
            plans[village.code] = VillagePlan(True, story.LAST_YEAR, county_year, story.PROCEDURE_EXITS)
        else:
            plans[village.code] = VillagePlan(rng.random() < 0.4, rng.randint(2016, county_year), county_year)
    return plans


def village_profile(village_code: str, plan: VillagePlan, rng: random.Random) -> Village:
    """A poor village meets the exit conditions by its exit (docs/domain.md §6.3); the others vary."""
    met = plan.is_poor
    return Village(
        region_id=village_code,
        is_poor_village=plan.is_poor,
        has_hardened_road=met or rng.random() < 0.9,
        has_bus=rng.random() < 0.7,
        has_safe_water=met or rng.random() < 0.92,
        has_power=True,
        has_broadband=met or rng.random() < 0.85,
        has_clinic=met or rng.random() < 0.9,
        has_culture_room=met or rng.random() < 0.8,
        collective_income=Decimal(rng.randrange(20_000 if met else 0, 200_000, 100)),
    )


# The chapters told after the bulk load, in order, each a function of the StoryCast returning
# what it made: 2014–2020 (fupin/demo/story.py), then monitoring from 2021 (fupin/demo/monitoring.py).
CHAPTERS = [
    story.tell_story,
    monitoring.tell_monitoring,
    assistance_teams.tell_teams,
    assistance_pairing.tell_pairing,
    assistance_visits.tell_visits,
]


@transaction.atomic
def load_demo(households: int = DEFAULT_HOUSEHOLDS, seed: int = 2026, progress=None) -> dict:
    """Load the demo province with about `households` households; returns what was written.

    The records 2014–2020 come in by COPY as one 历史数据导入; then the story's chapters run
    through the services (fupin/demo/story.py: village and county exits, the last household exits).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    regions = build_regions(households, rng)
    Region.objects.bulk_create(regions, batch_size=5000)
    county_info, cities_of = {}, {}
    for city_code, _, counties in CITIES:
        for code, _, is_poverty, ethnicities in counties:
            county_info[code] = ethnicities
            cities_of[code] = city_code
            County.objects.create(
                region_id=code,
                is_poverty_county=is_poverty,
                is_west=True,
                planned_exit_year=story.COUNTY_EXIT_YEARS[code] if is_poverty else None,
            )
            default_ethnicity_row(code, ethnicities)
    villages = [region for region in regions if region.level == RegionLevel.VILLAGE]
    plans = village_plans(villages, rng)
    Village.objects.bulk_create(
        [village_profile(village.code, plans[village.code], rng) for village in villages], batch_size=5000
    )
    per_village = [households // len(villages)] * len(villages)
    for index in range(households - sum(per_village)):
        per_village[index] += 1

    ledger = story.PoorLedger()
    ordinary_ids, procedure_ids = [], []
    written = {"households": 0, "members": 0, "ordinary_members": 0}
    # The same procedure as an uploaded 历史数据导入, by the demo province user; the seed
    # recomputes the figures itself (fupin/demo/assessment.py), so nothing is announced.
    # The 一般农户 are not poverty records: they are on record for monitoring only.
    users = {user.username: user for user in ensure_demo_users()}
    loader = users["demo_province"]
    load_name = f"演示省份历史数据（种子{seed}）"
    with connection.cursor() as cursor:
        skip_history_triggers(cursor)
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM households_household")
        first_id = cursor.fetchone()[0]
        cursor.execute("SELECT now()")
        now = cursor.fetchone()[0].isoformat()
        today = date.fromisoformat(now[:10])
        tasks = township_tasks(villages, per_village, plans, county_info, seed, first_id, now)
        history_seconds = 0.0
        # The indexes are built after the households' history is written too: it updates every row.
        with indexes_built_after(cursor, ["households_household", "households_member"]):
            with township_generator(households) as generate:
                for task, rows in zip(tasks, generate(township_rows, tasks), strict=True):
                    copy_text_block(
                        cursor, "households_household", HouseholdGenerator.HOUSEHOLD_COLUMNS, rows.households
                    )
                    copy_text_block(cursor, "households_member", HouseholdGenerator.MEMBER_COLUMNS, rows.members)
                    # Each township's log is written and folded while its rows are in shared
                    # buffers (and while the other processes generate the next townships): after
                    # the whole province, the fold re-read two million rows from disk.
                    logged = time.perf_counter()
                    ordinary = set(rows.ordinary_ids)
                    log_loaded_households(
                        [pk for pk in range(task.first_id, task.first_id + rows.household_count) if pk not in ordinary],
                        user=loader,
                        original_name=load_name,
                    )
                    story.write_returns(
                        rows.returns, user=loader, reason=historical_load_reason(load_name), today=today
                    )
                    if task is tasks[0]:
                        # Statistics of the log as the first township wrote it: without any, the
                        # planner reads the whole log for each township's fold (4,000 households
                        # at 2,000,000: 0.6 s a township instead of 0.02 s, growing with the log).
                        cursor.execute("ANALYZE households_adjustmentrecord")
                    history_seconds += time.perf_counter() - logged
                    for target, source in ((ledger.poor, rows.poor), (ledger.exited, rows.exited)):
                        for code, years in source.items():
                            target[code].update(years)
                    ledger.population.update(rows.population)
                    ordinary_ids += rows.ordinary_ids
                    procedure_ids += rows.procedure_ids
                    written["households"] += rows.household_count
                    written["members"] += rows.member_count
                    written["ordinary_members"] += rows.ordinary_members
                    if progress:
                        progress(written["households"], written["members"])
            # `history`: the part of `copy` spent writing and folding the log, township by township.
            seconds = {"copy": round(time.perf_counter() - started, 1), "history": round(history_seconds, 1)}
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('households_household', 'id'), "
                "(SELECT coalesce(max(id), 1) FROM households_household))"
            )
            ordinary = set(ordinary_ids)
            record_historical_load(
                user=loader,
                region_code=PROVINCE[0],
                original_name=load_name,
                household_ids=[pk for pk in range(first_id, first_id + written["households"]) if pk not in ordinary],
                member_count=written["members"] - written["ordinary_members"],
                announce=False,
                logged=True,
            )
        restore_history_triggers(cursor)
    VillagePopulation.objects.bulk_create(
        [
            VillagePopulation(
                village_id=village.code, year=year, rural_population=ledger.population[village.code][year]
            )
            for village in villages
            for year in POPULATION_YEARS
        ],
        batch_size=10_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_household")
        cursor.execute("ANALYZE households_member")
        cursor.execute("ANALYZE villages_region")
    cast = story_cast(users, villages, plans, ledger, procedure_ids, cities_of)
    if households > ASSISTANCE_EVERYWHERE_UP_TO:
        cast = replace(cast, assisted_prefix=code_prefix(cast.clerk.region_id, RegionLevel.TOWNSHIP))
    seconds["households"] = round(time.perf_counter() - started, 1)  # copy, history, then indexes and ANALYZE
    told = {}
    for chapter in CHAPTERS:
        started = time.perf_counter()
        told |= chapter(cast) or {}
        seconds[chapter.__module__.rsplit(".", 1)[-1]] = round(time.perf_counter() - started, 1)
    return {
        "regions": len(regions),
        "villages": len(villages),
        "households": written["households"],
        "members": written["members"],
        "ordinary_households": len(ordinary_ids),
        **told,
        "phase_seconds": seconds,  # the bulk load (regions, households, members, history, indexes), then each chapter
    }


def township_tasks(villages, per_village, plans, county_info, seed, first_id, now) -> list[TownshipTask]:
    """The villages grouped by township, in code order, each township with its first household id."""
    by_township = defaultdict(list)
    for village, count in zip(villages, per_village, strict=True):
        by_township[township_of(village.code)].append((village.code, count, plans[village.code]))
    townships_of = defaultdict(list)
    for township in sorted(by_township):
        townships_of[county_of(township)].append(township)
    tasks, next_id = [], first_id
    for township in sorted(by_township):
        county = county_of(township)
        rows = tuple(by_township[township])
        tasks.append(
            TownshipTask(
                seed=seed,
                township=township,
                county=county,
                ethnicities=county_info[county],
                villages=rows,
                first_id=next_id,
                now=now,
                slot=(townships_of[county].index(township), len(townships_of[county])),
            )
        )
        next_id += sum(count for _, count, _ in rows)
    return tasks


def story_cast(users, villages, plans, ledger, procedure_ids, cities_of) -> story.StoryCast:
    """Who acts in the story, and each poor village's exit year: through the procedure in
    demo_clerk's township, loaded with the records elsewhere."""
    clerk = users["demo_clerk"]
    township_prefix = code_prefix(clerk.region_id, RegionLevel.TOWNSHIP)
    through_procedure, loaded = {}, {}
    # The province's limit of a year, read once a year rather than once a village (20,000 at 2 M).
    limit_of = functools.cache(lambda year: story.village_limit(year, PROVINCE[0]))
    for village in villages:
        plan = plans[village.code]
        if not plan.is_poor:
            continue
        year = story.village_exit_year(ledger, village.code, plan.target_year, limit_of)
        (through_procedure if village.code.startswith(township_prefix) else loaded)[village.code] = year
    villages_of = defaultdict(list)
    for village in villages:
        villages_of[county_of(village.code)].append(village.code)
    offices = story.office_users()
    return story.StoryCast(
        province_code=PROVINCE[0],
        ledger=ledger,
        villages_of=dict(villages_of),
        cities_of=cities_of,
        county_users={DEMO_COUNTY: users["demo_county"]}
        | {code: user for code, user in offices.items() if user.role == Role.COUNTY_REVIEWER},
        city_users={"622900000000": users["demo_city"]}
        | {code: user for code, user in offices.items() if user.role == Role.CITY_REVIEWER},
        clerk=clerk,
        clerk2=users["demo_clerk2"],
        province_user=users["demo_province"],
        procedure_households=procedure_ids,
        procedure_villages=through_procedure,
        loaded_village_exits=loaded,
    )
