"""The blank 采集表: lists on every coded column, text ID columns, frozen headers, 填表说明 and 我的村."""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.excel import LIST_SHEET, write_workbook
from households.codes import Ethnicity, HouseholdStatus, PovertyCause
from households.imports import import_file
from households.models import Household, Member
from households.reports import collection_form
from households.resources import (
    BOOL,
    CHOICE,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    IDENTIFIER_FIELDS,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    MULTI,
)
from households.services import register_household
from households.template_workbook import GUIDE_SHEET, VILLAGE_SHEET, listed_values, template_columns
from tests.conftest import login
from tests.factories import make_id_number, region
from tests.households.conftest import household_data, member

RANGE = re.compile(r"'?(?P<sheet>[^'!]+)'?!\$(?P<column>[A-Z]+)\$(?P<first>\d+):\$[A-Z]+\$(?P<last>\d+)")


@pytest.fixture
def template(client, clerk):
    """The template as the clerk of 锁南镇 downloads it; 锁南镇 has two villages, the next township one."""
    region("622926101202", "白庄村")
    region("622926102201", "别的乡的村")
    login(client, clerk)
    response = client.get(reverse("households:import_template"))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def list_values(workbook, formula: str) -> list[str]:
    """The values a list validation offers: inline ("a,b") or a range of another sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    found = RANGE.fullmatch(formula)
    assert found, formula
    sheet = workbook[found["sheet"]]
    column = found["column"]
    return [sheet[f"{column}{row}"].value for row in range(int(found["first"]), int(found["last"]) + 1)]


def validations_by_column(worksheet) -> dict[str, object]:
    found = {}
    for validation in worksheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            assert cells.min_row == 2 and cells.max_row == 1_048_576  # the whole column below the header
            assert cells.min_col == cells.max_col
            found[get_column_letter(cells.min_col)] = validation
    return found


def column_dimension(worksheet, position: int):
    """The <col> range covering the 1-based column: XlsxWriter writes adjacent equal columns as one
    range, which openpyxl keys by its first letter only."""
    for dimension in worksheet.column_dimensions.values():
        if dimension.min <= position <= dimension.max:
            return dimension
    raise AssertionError(f"column {position} has no width")


def test_the_official_sheets_come_first_then_the_guide_and_the_villages(template):
    assert template.sheetnames == [HOUSEHOLD_SHEET, MEMBER_SHEET, GUIDE_SHEET, VILLAGE_SHEET, LIST_SHEET]
    assert template[LIST_SHEET].sheet_state == "hidden"
    assert [sheet.sheet_state for sheet in template.worksheets[:4]] == ["visible"] * 4


def test_every_coded_column_offers_its_labels(template):
    for title, columns in template_columns():
        worksheet = template[title]
        validations = validations_by_column(worksheet)
        headers = [cell.value for cell in worksheet[1]]
        assert headers == [column.header for column in columns]
        for position, column in enumerate(columns, start=1):
            letter = get_column_letter(position)
            if column.kind not in (CHOICE, MULTI, BOOL) and column.field != "village_id":
                assert letter not in validations, column.header
                continue
            validation = validations[letter]
            assert validation.type == "list" and validation.allow_blank
            offered = list_values(template, validation.formula1)
            if column.field == "status":  # a new household: blank (拟识别) or 一般农户
                assert offered == [HouseholdStatus.CANDIDATE.label, HouseholdStatus.ORDINARY.label]
            elif column.kind == BOOL:
                # An absent errorStyle is the OOXML default, "stop" (XlsxWriter writes only the others).
                assert offered == ["是", "否"] and (validation.errorStyle or "stop") == "stop"
                assert validation.showErrorMessage
            elif column.field != "village_id":
                assert offered == list(column.choices.values()), column.header
    members = template[MEMBER_SHEET]
    ethnicity = validations_by_column(members)[get_column_letter(_position(MEMBER_SHEET, "ethnicity"))]
    # 57 labels are longer than Excel's 255-character inline list: a range of the hidden 代码表.
    assert ethnicity.formula1.startswith(f"'{LIST_SHEET}'!$")
    assert list_values(template, ethnicity.formula1) == Ethnicity.labels
    assert "东乡族" in list_values(template, ethnicity.formula1)
    # Several causes are typed with 、: Excel only warns on a value outside the list.
    causes = validations_by_column(template[HOUSEHOLD_SHEET])[
        get_column_letter(_position(HOUSEHOLD_SHEET, "other_causes"))
    ]
    assert causes.errorStyle == "warning" and "、" in causes.prompt
    assert list_values(template, causes.formula1) == PovertyCause.labels


def _position(title: str, field: str) -> int:
    columns = dict(template_columns())[title]
    return next(position for position, column in enumerate(columns, start=1) if column.field == field)


def test_id_phone_and_household_number_columns_are_text_and_wide_enough(template):
    expected = {(HOUSEHOLD_SHEET, "户编号"), (HOUSEHOLD_SHEET, "联系电话"), (HOUSEHOLD_SHEET, "所在村代码")}
    expected |= {(MEMBER_SHEET, "户编号"), (MEMBER_SHEET, "证件号码")}
    text = set()
    for title, columns in template_columns():
        worksheet = template[title]
        assert worksheet.freeze_panes == "A2"
        for position, column in enumerate(columns, start=1):
            dimension = column_dimension(worksheet, position)
            if dimension.number_format == "@":
                text.add((title, column.header))
            assert dimension.width >= max(10, len(column.header) * 2), column.header
            if column.field in IDENTIFIER_FIELDS:
                assert column.field != "id_number" or dimension.width >= 20
    assert text == expected


def test_the_guide_explains_every_column_and_the_village_sheet_lists_the_clerks_villages_only(template):
    guide = list(template[GUIDE_SHEET].iter_rows(values_only=True))
    assert guide[0] == (
        "工作表",
        "列名",
        "是否必填",
        "说明",
        "可填的值（名称 = 代码）",
        "导入时的校验",
        "也能识别的列名",
    )
    described = {(row[0], row[1]): row for row in guide[1:]}
    for title, columns in template_columns():
        for column in columns:
            assert (title, column.header) in described, column.header
    id_row = described[(MEMBER_SHEET, "证件号码")]
    assert id_row[2] == "必填" and "校验位" in id_row[3] and "文本" in id_row[5] and "身份证号码" in id_row[6]
    assert "汉族 = 01" in described[(MEMBER_SHEET, "民族")][4]
    assert "不大于 12" in described[(MEMBER_SHEET, "务工时间（月）")][5]
    assert "最多2项" in described[(HOUSEHOLD_SHEET, "其他致贫原因")][3]
    villages = list(template[VILLAGE_SHEET].iter_rows(values_only=True))
    assert villages == [
        ("村代码", "村名", "乡镇", "县"),
        ("622926101201", "红柳村", "锁南镇", "东乡族自治县"),
        ("622926101202", "白庄村", "锁南镇", "东乡族自治县"),
    ]
    assert template[VILLAGE_SHEET]["A2"].number_format == "@"
    village_list = validations_by_column(template[HOUSEHOLD_SHEET])[
        get_column_letter(_position(HOUSEHOLD_SHEET, "village_id"))
    ]
    assert list_values(template, village_list.formula1) == ["622926101201", "622926101202"]


def test_the_template_filled_in_with_its_labels_imports(template, clerk, tmp_path):
    """What a clerk picks from the lists is what the import reads."""
    households, members = template[HOUSEHOLD_SHEET], template[MEMBER_SHEET]
    household_headers = [cell.value for cell in households[1]]
    member_headers = [cell.value for cell in members[1]]
    households.append(
        [
            {
                "户编号": "622926101201900001",
                "所在村代码": "622926101201",
                "村民小组": "一组",
                "联系电话": "13912345678",
                "识别标准": "国家标准",
                "贫困户属性": "一般贫困户",
                "主要致贫原因": "因病",
                "其他致贫原因": "缺技术、缺资金",
                "识别年度": 2016,
                "是否通生活用电": "是",
            }.get(header)
            for header in household_headers
        ]
    )
    for relation, name, male, birth in (
        ("户主", "马成", True, date(1970, 1, 1)),
        ("配偶", "何英", False, date(1972, 2, 2)),
    ):
        row = {
            "户编号": "622926101201900001",
            "姓名": name,
            "证件号码": make_id_number(birth=birth, male=male),
            "与户主关系": relation,
            "民族": "东乡族",
            "健康状况": "健康",
        }
        members.append([row.get(header) for header in member_headers])
    path = tmp_path / "filled.xlsx"
    template.save(path)
    result = import_file(clerk, path, commit=True)
    assert result.errors == [] and result.committed
    household = Household.objects.get(household_no="622926101201900001")
    by_label = {label: code for code, label in PovertyCause.choices}
    assert household.phone == "13912345678"
    assert household.other_causes == [by_label["缺技术"], by_label["缺资金"]]
    assert Member.objects.filter(household=household, ethnicity=Ethnicity.DONGXIANG).count() == 2


def test_the_collection_form_export_keeps_its_identifier_columns_text(clerk, tmp_path):
    """A clerk who types a full ID over a masked one in an exported 采集表 keeps its 18 digits."""
    register_household(
        user=clerk,
        village_code="622926101201",
        data={**household_data(), "household_no": "622926101201900009"},
        members=[member()],
    )
    path = tmp_path / "export.xlsx"
    write_workbook(path, collection_form(clerk, "622926101"))
    workbook = load_workbook(path)
    members = workbook[MEMBER_SHEET]
    headers = [cell.value for cell in members[1]]
    id_cell = members.cell(row=2, column=headers.index("证件号码") + 1)
    assert "*" in id_cell.value and id_cell.number_format == "@"
    assert column_dimension(members, headers.index("证件号码") + 1).number_format == "@"
    households = workbook[HOUSEHOLD_SHEET]
    household_headers = [cell.value for cell in households[1]]
    assert households.cell(row=2, column=household_headers.index("户编号") + 1).number_format == "@"
    assert households.cell(row=2, column=household_headers.index("村民小组") + 1).number_format == "General"


def test_the_exported_collection_form_offers_the_templates_lists(clerk, tmp_path):
    register_household(
        user=clerk,
        village_code="622926101201",
        data={**household_data(), "household_no": "622926101201900009"},
        members=[member()],
    )
    path = tmp_path / "export.xlsx"
    write_workbook(path, collection_form(clerk, "622926101"))
    workbook = load_workbook(path)
    assert workbook[LIST_SHEET].sheet_state == "hidden"
    offered = {}
    for title, columns in ((HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS), (MEMBER_SHEET, MEMBER_COLUMNS)):
        sheet = workbook[title]
        offered[title] = {
            sheet.cell(row=1, column=cells.min_col).value
            for validation in sheet.data_validations.dataValidation
            for cells in validation.sqref.ranges
        }
        assert offered[title] == {
            column.header
            for column in columns
            if listed_values(column) and not column.export_only and column.field not in ("status", "village_id")
        }
    assert {"与户主关系", "民族", "健康状况"} <= offered[MEMBER_SHEET]
    assert "户状态" not in offered[HOUSEHOLD_SHEET]
