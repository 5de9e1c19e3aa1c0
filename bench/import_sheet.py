"""A valid 采集表 of new households for the import step, and the same rows for django-import-export.

The households go into existing villages of one county; nothing here touches the database.
ID numbers carry the address code 622927, which the seed never gives anyone (it uses the
county's own code), so every person is new however large the bench database is; 户编号 are
the village code and a serial from 90000, past the seed's four-digit numbers.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from households.codes import HouseholdAttribute, HouseholdStatus, PovertyCause, Relation
from households.idnumbers import birth_date_of, gender_of, id_number_hash, mask_id_number
from households.names import pinyin_full, pinyin_initials
from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET

ADDRESS_CODE = "622927"
FAMILY_SIZES = (2, 3, 4, 5)  # 3.5 members a household on average
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
HOUSEHOLD_HEADERS = [column.header for column in HOUSEHOLD_COLUMNS if not column.export_only]
MEMBER_HEADERS = [column.header for column in MEMBER_COLUMNS if not column.export_only]


class People:
    """Unique valid ID numbers: a running serial per (birth date, sex), as GB 11643 allows 500 of each."""

    def __init__(self):
        self.serials: dict[tuple[date, bool], int] = defaultdict(int)

    def id_number(self, birth: date, male: bool) -> str:
        serial = self.serials[(birth, male)]
        self.serials[(birth, male)] += 1
        first17 = f"{ADDRESS_CODE}{birth:%Y%m%d}{2 * serial + (1 if male else 0):03d}"
        check = "10X98765432"[sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS)) % 11]  # noqa: B905
        return first17 + check


def sheet_rows(villages: list[str], households: int) -> tuple[list[dict], list[dict]]:
    """`households` households spread over `villages`, rows keyed by the official headers."""
    people = People()
    household_rows, member_rows = [], []
    serials = itertools.count(90000)
    for index in range(households):
        village = villages[index % len(villages)]
        number = f"{village}{next(serials)}"
        household_rows.append(
            {
                "户编号": number,
                "所在村代码": village,
                "村民小组": f"{index % 6 + 1}组",
                "识别标准": "国家标准",
                "贫困户属性": "一般贫困户",
                "主要致贫原因": "缺技术",
                "其他致贫原因": "缺资金",
                "识别年度": 2016,
                "耕地面积（亩）": 3.5,
                "住房面积（㎡）": 80,
            }
        )
        head_birth = date(1955, 1, 1) + timedelta(days=index % 9000)
        family = [("户主", f"马{index}成", True, head_birth), ("配偶", f"何{index}英", False, head_birth)]
        for child in range(FAMILY_SIZES[index % len(FAMILY_SIZES)] - 2):
            male = child % 2 == 0
            birth = date(1990, 1, 1) + timedelta(days=(index * 3 + child) % 9000)
            family.append(("之子" if male else "之女", f"马{index}{'宝' if male else '花'}{child}", male, birth))
        for relation, name, male, birth in family:
            member_rows.append(
                {
                    "户编号": number,
                    "姓名": name,
                    "证件号码": people.id_number(birth, male),
                    "与户主关系": relation,
                    "民族": "东乡族",
                    "健康状况": "健康",
                    "劳动技能": "普通劳动力",
                    "务工时间（月）": 6,
                }
            )
    return household_rows, member_rows


def write_sheet(path: Path, household_rows: list[dict], member_rows: list[dict]) -> Path:
    """The two official sheets, as a clerk would fill the blank template."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, headers, rows in (
        (HOUSEHOLD_SHEET, HOUSEHOLD_HEADERS, household_rows),
        (MEMBER_SHEET, MEMBER_HEADERS, member_rows),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


# The national system's export of the same rows (issue 16): one row per member, title rows above
# a header in its own words and order, columns the import does not read, and 出生日期, 性别 and
# 家庭人口数, which the import checks against the ID numbers and the member rows.
NATIONAL_HEADERS = [
    ("序号", None),
    ("县", None),
    ("乡镇", None),
    ("行政区划代码", "所在村代码"),
    ("组", "村民小组"),
    ("户编号", "户编号"),
    ("户主姓名", None),
    ("家庭人口数", None),
    ("姓名", "姓名"),
    ("性别", None),
    ("身份证号码", "证件号码"),
    ("出生日期", None),
    ("与户主的关系", "与户主关系"),
    ("民族", "民族"),
    ("政治面貌", None),
    ("健康情况", "健康状况"),
    ("劳动能力", "劳动技能"),
    ("务工时间(月)", "务工时间（月）"),
    ("识别标准", "识别标准"),
    ("贫困户属性", "贫困户属性"),
    ("致贫原因", "主要致贫原因"),
    ("其他致贫原因", "其他致贫原因"),
    ("识别年度", "识别年度"),
    ("耕地面积(亩)", "耕地面积（亩）"),
    ("住房面积(㎡)", "住房面积（㎡）"),
]


def write_national_sheet(path: Path, household_rows: list[dict], member_rows: list[dict]) -> Path:
    """The same households as the national system exports them: a single sheet, two title rows."""
    from openpyxl import Workbook

    households = {row["户编号"]: row for row in household_rows}
    sizes = defaultdict(int)
    heads = {}
    for row in member_rows:
        sizes[row["户编号"]] += 1
        heads.setdefault(row["户编号"], row["姓名"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(["建档立卡贫困人口明细表"])
    sheet.append(["导出时间：2020-12-31"])
    sheet.append([header for header, _ in NATIONAL_HEADERS])
    for serial, row in enumerate(member_rows, start=1):
        household = households[row["户编号"]]
        number = row["证件号码"]
        derived = {
            "序号": serial,
            "县": "东乡族自治县",
            "乡镇": "锁南镇",
            "户主姓名": heads[row["户编号"]],
            "家庭人口数": sizes[row["户编号"]],
            "性别": "男" if gender_of(number) == "1" else "女",
            "出生日期": f"{birth_date_of(number):%Y-%m-%d}",
            "政治面貌": "群众",
        }
        sheet.append(
            [
                derived[header] if source is None else row.get(source, household.get(source))
                for header, source in NATIONAL_HEADERS
            ]
        )
    workbook.save(path)
    return path


def model_datasets(household_rows: list[dict], member_rows: list[dict]):
    """The same rows as model field values (tablib), for django-import-export's default ModelResource.

    The derived values fupin's services compute (head name, member count, hash, masked
    number, gender, birth date) are computed here, outside the timing, so that the rows
    satisfy the table's constraints without any service.
    """
    import tablib

    members_of = defaultdict(list)
    for row in member_rows:
        members_of[row["户编号"]].append(row)
    households = tablib.Dataset(
        headers=[
            "household_no",
            "village",
            "group_name",
            "head_name",
            "head_name_initials",
            "head_name_pinyin",
            "identification_standard",
            "attribute",
            "main_cause",
            "other_causes",
            "status",
            "identified_year",
            "arable_land_mu",
            "housing_area_m2",
            "member_count",
        ]
    )
    for row in household_rows:
        head = members_of[row["户编号"]][0]["姓名"]
        households.append(
            [
                row["户编号"],
                row["所在村代码"],
                row["村民小组"],
                head,
                pinyin_initials(head),
                pinyin_full(head),
                "1",
                HouseholdAttribute.GENERAL,
                PovertyCause.LACK_SKILLS,
                PovertyCause.LACK_CAPITAL,
                HouseholdStatus.POOR,
                row["识别年度"],
                Decimal(str(row["耕地面积（亩）"])),
                Decimal(row["住房面积（㎡）"]),
                len(members_of[row["户编号"]]),
            ]
        )
    relations = {label: code for code, label in Relation.choices}
    members = tablib.Dataset(
        headers=[
            "household",
            "name",
            "id_number",
            "id_number_hash",
            "id_number_masked",
            "relation",
            "gender",
            "birth_date",
            "ethnicity",
            "health",
            "labor_skill",
            "work_months",
        ]
    )
    for row in member_rows:
        number = row["证件号码"]
        members.append(
            [
                row["户编号"],
                row["姓名"],
                number,
                id_number_hash(number),
                mask_id_number(number),
                relations[row["与户主关系"]],
                gender_of(number),
                birth_date_of(number),
                "26",
                "01",
                "01",
                row["务工时间（月）"],
            ]
        )
    return households, members
