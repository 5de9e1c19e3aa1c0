"""采集表 import of files as users really have them (issue 16): each variant imports to exactly
the right data, or is refused with its Chinese message; every normalisation is listed.

The national system's layout (one row per member, title rows, a two-row header, its own header
words, other columns) is written here by national_rows(); tests/households/fixtures/
national_export.xls holds the same rows as an Excel 97-2003 file (how it was made: its README).
"""

import codecs
import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from fupin.exports import request_export, run_export
from households.imports import UploadRefused, commit_import, import_file, run_import, start_import
from households.imports.guard import check_upload
from households.models import Household, ImportJob, Member
from households.resources import HOUSEHOLD_SHEET, MEMBER_SHEET
from tests.conftest import login
from tests.factories import id_check_char, region, write_collection_file

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).with_name("fixtures")


def id_number(birth: date, serial: int, *, male: bool = True) -> str:
    first17 = f"622926{birth:%Y%m%d}{2 * serial + (1 if male else 0):03d}"
    return first17 + id_check_char(first17)


def id_ending_in_x(birth: date) -> str:
    return next(number for serial in range(200) if (number := id_number(birth, serial)).endswith("X"))


# Two households as the registry must hold them after any correct import (codes, not labels).
HOUSEHOLDS = [
    {
        "household_no": "6229261012010001",
        "group_name": "一组",
        "phone": "13912345678",
        "arable_land_mu": Decimal("3.50"),
        "housing_area_m2": Decimal("80.00"),
        "members": [
            ("马成", id_ending_in_x(date(1970, 1, 5)), "01", "03", 0),
            ("何秀英", id_number(date(1972, 2, 2), 7, male=False), "02", "01", 6),
        ],
    },
    {
        "household_no": "6229261012010002",
        "group_name": "二组",
        "phone": "",
        "arable_land_mu": Decimal("1.00"),
        "housing_area_m2": Decimal("45.50"),
        "members": [
            ("马强", id_number(date(1965, 3, 3), 9), "01", "03", 12),
            ("马花", id_number(date(2001, 4, 4), 11, male=False), "04", "03", 0),
            ("马宝", id_number(date(2003, 5, 5), 12), "03", "03", 0),
        ],
    },
]
RELATION_LABELS = {"01": "户主", "02": "配偶", "03": "之子", "04": "之女"}
ETHNICITY_LABELS = {"01": "汉族", "03": "回族"}


def stored() -> tuple[list, list]:
    """The registry's households and active members, in the terms of HOUSEHOLDS."""
    households = sorted(
        (h.household_no, h.village_id, h.group_name, h.phone or "", h.arable_land_mu, h.housing_area_m2)
        for h in Household.objects.all()
    )
    members = sorted(
        (m.household.household_no, m.name, m.id_number, m.relation, m.ethnicity, m.work_months)
        for m in Member.objects.filter(is_active=True).select_related("household")
    )
    return households, members


def expected() -> tuple[list, list]:
    households = sorted(
        (h["household_no"], "622926101201", h["group_name"], h["phone"], h["arable_land_mu"], h["housing_area_m2"])
        for h in HOUSEHOLDS
    )
    members = sorted(
        (h["household_no"], name, number, relation, ethnicity, months)
        for h in HOUSEHOLDS
        for name, number, relation, ethnicity, months in h["members"]
    )
    return households, members


NATIONAL_HEADER = [
    "序号",
    "县",
    "乡(镇)",
    "所在村",
    "村民小组",
    "户编号",
    "户主姓名",
    "家庭人口数",
    "姓名",
    "性别",
    "身份证号码",
    "出生日期",
    "与户主的关系",
    "民族",
    "政治面貌",
    "健康情况",
    "务工时间(月)",
    "识别标准",
    "贫困户属性",
    "致贫原因",
    "识别年度",
    "联系电话",
    "耕地情况",  # a group cell over the two sub-headers of the row below
    None,
]
NATIONAL_SUBHEADER = [None] * 22 + ["耕地面积(亩)", "住房面积\n(㎡)"]


def national_rows(*, variants: bool = True) -> list[list]:
    """The national system's export of HOUSEHOLDS: two title rows, a two-row header, then one row
    per member. With `variants`, the cells carry what such files carry (full-width digits, a
    leading apostrophe, trailing spaces, a lowercase x, dates as text, codes as numbers)."""
    rows = [
        ["东乡族自治县建档立卡贫困人口明细表"],
        ["导出时间：2020-12-31", None, None, "单位：户、人"],
        NATIONAL_HEADER,
        NATIONAL_SUBHEADER,
    ]
    serial = 0
    for household in HOUSEHOLDS:
        head = household["members"][0][0]
        for position, (name, number, relation, ethnicity, months) in enumerate(household["members"]):
            serial += 1
            birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            shown_number, shown_no, shown_name, shown_birth = (
                number,
                household["household_no"],
                name,
                f"{birth:%Y-%m-%d}",
            )
            relation_cell = RELATION_LABELS[relation]
            if variants:
                shown_number = number[:-1] + "x" if number.endswith("X") else "'" + number
                shown_no = household["household_no"].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
                shown_name = name + "  "
                shown_birth = f"{birth.year}年{birth.month}月{birth.day}日" if position % 2 else f"{birth:%Y/%m/%d}"
                relation_cell = int(relation) if position == 0 else relation_cell  # 户主 typed as the code 1
            rows.append(
                [
                    serial,
                    "东乡族自治县",
                    "锁南镇",
                    "红柳村",
                    household["group_name"],
                    shown_no,
                    head,
                    len(household["members"]),
                    shown_name,
                    "男" if int(number[16]) % 2 else "女",
                    shown_number,
                    shown_birth,
                    relation_cell,
                    ETHNICITY_LABELS[ethnicity],
                    "群众",
                    "健康",
                    months,
                    "国家标准",
                    "一般贫困户",
                    "因病",
                    2016,
                    household["phone"],
                    float(household["arable_land_mu"]),
                    float(household["housing_area_m2"]),
                ]
            )
    return rows


def write_xlsx(path, sheets: dict[str, list[list]], *, hidden: tuple[str, ...] = (), merges=()) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    for title, cells in merges:
        workbook[title].merge_cells(cells)
    workbook.save(path)
    return path


def national_xlsx(path, **options) -> Path:
    return write_xlsx(path, {"Sheet1": national_rows(**options)}, merges=[("Sheet1", "A1:L1"), ("Sheet1", "W3:X3")])


def write_csv(path, rows: list[list], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if cell is None else cell for cell in row] for row in rows])
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(codecs.BOM_UTF8 + data if encoding == "utf-8-sig" else data)
    return path


def changes_of(result) -> set[tuple[str, str]]:
    return {(change["column"], change["change"]) for change in result.reading.reading()["changes"]}


def unread_of(result) -> set[str]:
    return {entry["column"] for sheet in result.reading.reading()["sheets"] for entry in sheet["unread"]}


def test_the_national_layout_imports_to_exactly_the_right_data_and_lists_every_change(clerk, village, tmp_path):
    result = import_file(clerk, national_xlsx(tmp_path / "national.xlsx"), commit=True)
    assert result.errors == [], [error.as_dict() for error in result.errors]
    assert result.committed and (result.households_new, result.members_new) == (2, 5)
    assert stored() == expected()
    listed = changes_of(result)
    assert {
        ("户编号", "全角数字或字母改为半角"),
        ("身份证号码", "末位小写x改为大写X"),
        ("身份证号码", "去掉了开头的单引号"),
        ("姓名", "去掉了多余的空格"),
        ("出生日期", "文本格式的日期按日期读取"),
        ("与户主的关系", "以数字填写的代码按代码读取"),
    } <= listed
    example = next(c for c in result.reading.reading()["changes"] if c["change"] == "末位小写x改为大写X")
    with_x = sum(number.endswith("X") for household in HOUSEHOLDS for _, number, *_ in household["members"])
    assert (example["cells"], example["example_row"]) == (with_x, 5)
    # Every header is mapped or reported: the columns not read are named with the reason.
    assert {"序号", "县", "乡(镇)", "户主姓名", "政治面貌"} <= unread_of(result)
    (sheet,) = result.reading.reading()["sheets"]
    assert sheet["header_row"] == 4  # below the title rows, the lower row of the two-row header
    # A second upload of the same file changes nothing.
    again = import_file(clerk, national_xlsx(tmp_path / "again.xlsx"), commit=True)
    assert (again.households_unchanged, again.members_unchanged, again.households_changed) == (2, 5, 0)


def test_renamed_and_ascii_bracket_headers_in_the_template_layout_are_mapped(clerk, village, tmp_path):
    """Headers typed with ASCII brackets, the national words, another order and a title row: values arrive."""
    households = [
        ["2020年贫困户采集表（锁南镇）"],
        [
            "户编码",
            "村代码",
            "组",
            "联系电话",
            "识别标准",
            "贫困户属性",
            "致贫原因",
            "识别年度",
            "耕地面积(亩)",
            "住房面积(㎡)",
            "备注",
        ],
    ]
    members = [["户编号", "成员姓名", "身份证号码", "与户主关系", "民族", "健康状况", "务工时间(月)"]]
    for household in HOUSEHOLDS:
        households.append(
            [
                household["household_no"],
                "622926101201",
                household["group_name"],
                household["phone"],
                "国家标准",
                "一般贫困户",
                "因病",
                2016,
                float(household["arable_land_mu"]),
                float(household["housing_area_m2"]),
                "无",
            ]
        )
        for name, number, relation, ethnicity, months in household["members"]:
            members.append(
                [
                    household["household_no"],
                    name,
                    number,
                    RELATION_LABELS[relation],
                    ETHNICITY_LABELS[ethnicity],
                    "健康",
                    months,
                ]
            )
    path = write_xlsx(tmp_path / "renamed.xlsx", {HOUSEHOLD_SHEET: households, MEMBER_SHEET: members})
    result = import_file(clerk, path, commit=True)
    assert result.errors == [], [error.as_dict() for error in result.errors]
    assert stored() == expected()  # 耕地面积, 住房面积 and 务工时间 arrived, not dropped
    assert "备注" in unread_of(result)
    absent = {header for sheet in result.reading.reading()["sheets"] for header in sheet["absent"]}
    assert "是否通生活用电" in absent  # a template column the file does not have is reported too


def test_an_18_digit_id_in_a_number_cell_is_refused_with_the_text_format_message_and_never_stored(
    clerk, village, tmp_path
):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=2)
    number = member_rows[1]["证件号码"]
    member_rows[1]["证件号码"] = int(number)  # a number cell: Excel keeps 15 digits, calamine a float
    result = import_file(
        clerk, write_collection_file(tmp_path / "number.xlsx", household_rows, member_rows), commit=True
    )
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(MEMBER_SHEET, 3, "证件号码")]
    assert (
        result.errors[0].reason
        == f"{member_rows[1]['姓名']}：证件号码存成了数字，已丢失末几位；请把该列设置为文本格式后重新填写。"
    )
    assert not result.committed and not Member.objects.exists()
    # An ID that already lost digits to a float (its last digits 0, the checksum may even pass): refused alike.
    member_rows[1]["证件号码"] = float(number)
    member_rows[1]["证件号码"] = float(f"{member_rows[1]['证件号码']:.15g}")
    lost = import_file(clerk, write_collection_file(tmp_path / "lost.xlsx", household_rows, member_rows), commit=True)
    assert "证件号码存成了数字" in lost.errors[0].reason and not Member.objects.exists()


def test_number_cells_in_phone_and_household_number_columns(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=2)
    household_rows[0]["联系电话"] = 13912345678  # a mobile number is exact in a number cell: read
    household_rows[1]["户编号"] = int(household_rows[1]["户编号"])  # 16 digits: Excel kept 15
    result = import_file(
        clerk, write_collection_file(tmp_path / "numbers.xlsx", household_rows, member_rows), commit=False
    )
    by_cell = {(e.sheet, e.row, e.column): e.reason for e in result.errors}
    assert by_cell[(HOUSEHOLD_SHEET, 3, "户编号")].startswith("户编号存成了数字")
    assert (HOUSEHOLD_SHEET, 2, "联系电话") not in by_cell
    assert ("联系电话", "数字单元格按文本读取（数值精确）") in changes_of(result)


@pytest.mark.parametrize(
    ("typed", "words"),
    [("HH6229261012010000", "户编号只能由数字组成"), ("户6229261012010000", "户编号只能由数字组成")],
)
def test_odd_household_numbers_are_refused_with_the_expected_form(clerk, village, tmp_path, typed, words):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=1)
    household_rows[0]["户编号"] = typed
    result = import_file(clerk, write_collection_file(tmp_path / "odd.xlsx", household_rows, member_rows), commit=True)
    assert any(e.column == "户编号" and words in e.reason and e.sheet == HOUSEHOLD_SHEET for e in result.errors)
    assert not Household.objects.exists()


def test_hidden_member_sheet_is_read_and_said(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    path = write_collection_file(tmp_path / "hidden.xlsx", *sheet_rows(households=2))
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook[MEMBER_SHEET].sheet_state = "hidden"
    workbook.save(path)
    result = import_file(clerk, path, commit=True)
    assert result.committed and Member.objects.count() == 6
    assert any("隐藏" in note and MEMBER_SHEET in note for note in result.reading.notes)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_in_utf8_or_gb18030_imports_to_the_same_data(clerk, village, tmp_path, encoding):
    path = write_csv(tmp_path / "national.csv", national_rows(), encoding)
    check_upload(path)
    result = import_file(clerk, path, commit=True)
    assert result.errors == [], [error.as_dict() for error in result.errors]
    assert stored() == expected()
    assert any(("GB18030" if encoding == "gb18030" else "UTF-8") in note for note in result.reading.notes)


def test_an_id_that_excel_wrote_into_a_csv_as_a_number_is_refused(clerk, village, tmp_path):
    rows = national_rows(variants=False)
    rows[4][10] = "6.22926E+17"  # what Excel writes for a number cell saved as CSV
    result = import_file(clerk, write_csv(tmp_path / "sci.csv", rows, "utf-8"), commit=True)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (5, "身份证号码", "马成：证件号码存成了数字，已丢失末几位；请把该列设置为文本格式后重新填写。")
    ]
    assert not Member.objects.exists()


def test_a_csv_in_neither_encoding_is_refused(clerk, village, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("户编号,姓名\n".encode() + b"\xff\xfe\xff\x00\xff\n")
    with pytest.raises(UploadRefused) as error:
        import_file(clerk, path, commit=False)
    assert "无法识别该 CSV 文件的编码" in error.value.messages[0]


def test_the_national_xls_export_imports_to_the_same_data(clerk, village, tmp_path):
    path = tmp_path / "national.xls"
    path.write_bytes((FIXTURES / "national_export.xls").read_bytes())
    check_upload(path)
    result = import_file(clerk, path, commit=True)
    assert result.errors == [], [error.as_dict() for error in result.errors]
    assert stored() == expected()


def test_an_xls_that_is_not_one_is_refused_by_content(tmp_path):
    path = tmp_path / "fake.xls"
    path.write_bytes(b"PK\x03\x04 not an xls")
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "按内容判断" in error.value.messages[0]


def test_ambiguous_and_impossible_text_dates_are_refused_with_the_expected_form(clerk, village, tmp_path):
    rows = national_rows()
    rows[4][11] = "01/05/1970"
    rows[5][11] = "1972-02-30"
    result = import_file(clerk, national_xlsx_rows(tmp_path, rows), commit=True)
    by_row = {e.row: e.reason for e in result.errors if e.column == "出生日期"}
    assert "无法确定月和日的先后" in by_row[5] and "2020-01-05" in by_row[5] and by_row[5].startswith("马成：")
    assert "不是存在的日期" in by_row[6]
    assert not Household.objects.exists()


def national_xlsx_rows(tmp_path, rows) -> Path:
    return write_xlsx(tmp_path / "rows.xlsx", {"Sheet1": rows})


def test_birth_date_and_household_size_are_checked_against_the_ids_and_member_rows(clerk, village, tmp_path):
    rows = national_rows()
    rows[4][11] = "1970-01-06"  # 马成's ID says 1970-01-05
    rows[6][7] = 4  # 马强's household has three member rows
    rows[7][7] = 4
    rows[8][7] = 4
    rows[7][9] = "男"  # 马花's ID says female
    result = import_file(clerk, national_xlsx_rows(tmp_path, rows), commit=True)
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[(5, "出生日期")] == "马成：出生日期1970-01-06与证件号码中的出生日期1970-01-05不一致，请核对。"
    assert "家庭人口数填写为4，但文件中该户有3名成员" in reasons[(7, "家庭人口数")]
    assert "性别“男”与证件号码所示的“女”不一致" in reasons[(8, "性别")]
    assert not Household.objects.exists()


def test_household_values_that_differ_between_rows_of_one_household_are_refused(clerk, village, tmp_path):
    rows = national_rows()
    rows[5][4] = "三组"  # 何秀英's row says another 村民小组 than 马成's
    result = import_file(clerk, national_xlsx_rows(tmp_path, rows), commit=True)
    assert [(e.row, e.column) for e in result.errors] == [(6, "村民小组")]
    assert "与本户第5行的村民小组不一致" in result.errors[0].reason


def test_a_village_is_given_by_name_within_scope_and_an_ambiguous_name_is_refused(clerk, village, tmp_path):
    region("622926101202", "红柳村")  # a second 红柳村 in the clerk's township
    result = import_file(clerk, national_xlsx(tmp_path / "two.xlsx"), commit=True)
    reasons = {e.reason for e in result.errors if e.column == "所在村"}
    assert reasons and all("2个“红柳村”" in reason and "622926101202" in reason for reason in reasons)
    assert not Household.objects.exists()


def test_the_commit_checks_again_a_village_the_preview_found_by_name(clerk, village, tmp_path):
    """The commit takes the rows as the preview read them (imports/read_cache.py), not as its checks left them."""
    path = national_xlsx(tmp_path / "one.xlsx")
    job = start_import(user=clerk, uploaded=SimpleUploadedFile("national.xlsx", path.read_bytes()))
    preview = run_import(job.pk, False)
    assert preview.status == ImportJob.Status.PREVIEW and not preview.errors
    region("622926101202", "红柳村")  # meanwhile a second 红柳村 in the clerk's township
    commit_import(user=clerk, job_id=job.pk)
    done = run_import(job.pk, True)
    reasons = {error["reason"] for error in done.errors if error["column"] == "所在村"}
    assert done.status == ImportJob.Status.PREVIEW and reasons
    assert all("2个“红柳村”" in reason for reason in reasons)
    assert not Household.objects.exists()


def test_a_missing_required_column_names_it_and_the_header_row(clerk, village, tmp_path):
    rows = [row[:10] + row[11:] for row in national_rows()]  # no 身份证号码
    with pytest.raises(UploadRefused) as error:
        import_file(clerk, national_xlsx_rows(tmp_path, rows), commit=False)
    assert "缺少必填列：证件号码" in error.value.messages[0] and "第3行" in error.value.messages[0]


def test_the_clerks_masked_export_imports_back_unchanged(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=4)
    household_rows[0]["联系电话"] = "13912345678"
    import_file(clerk, write_collection_file(tmp_path / "first.xlsx", household_rows, member_rows), commit=True)
    versions = dict(Household.objects.values_list("pk", "version"))
    job = run_export(request_export(user=clerk, report="collection_form", region_code="622926101000").pk)
    again = import_file(clerk, job.file_path(), commit=True)
    assert again.errors == [], [error.as_dict() for error in again.errors]
    assert (again.households_unchanged, again.members_unchanged, again.households_changed) == (4, 12, 0)
    assert dict(Household.objects.values_list("pk", "version")) == versions
    assert Household.objects.get(household_no=household_rows[0]["户编号"]).phone == "13912345678"


def test_a_masked_number_that_matches_no_stored_one_is_refused(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=1)
    import_file(clerk, write_collection_file(tmp_path / "first.xlsx", household_rows, member_rows), commit=True)
    number = member_rows[0]["证件号码"]
    member_rows[0]["证件号码"] = number[:6] + "********" + "0000"
    household_rows[0]["联系电话"] = "139****0000"
    result = import_file(
        clerk, write_collection_file(tmp_path / "masked.xlsx", household_rows, member_rows), commit=True
    )
    reasons = {(e.sheet, e.column): e.reason for e in result.errors}
    assert "证件号码是脱敏值（含*），与系统中该户成员的号码不一致" in reasons[(MEMBER_SHEET, "证件号码")]
    assert "联系电话是脱敏值" in reasons[(HOUSEHOLD_SHEET, "联系电话")]
    # A new household cannot take a masked number at all.
    household_rows[0]["户编号"], member_rows[0]["户编号"] = "6229261012017777", "6229261012017777"
    for row in member_rows[1:]:
        row["户编号"] = "6229261012017777"
    new = import_file(clerk, write_collection_file(tmp_path / "new.xlsx", household_rows, member_rows), commit=True)
    assert any("新登记的成员须填写完整号码" in e.reason for e in new.errors)


def test_messages_never_quote_internals(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=1)
    member_rows[0]["与户主关系"] = 1.0  # a code typed as a number: read as 户主
    member_rows[1]["与户主关系"] = 42.0  # no such code
    result = import_file(
        clerk, write_collection_file(tmp_path / "codes.xlsx", household_rows, member_rows), commit=True
    )
    reasons = [e.reason for e in result.errors]
    assert len(reasons) == 1 and "1.0" not in reasons[0] and "42.0" not in reasons[0] and "null" not in reasons[0]
    assert reasons[0] == f"{member_rows[1]['姓名']}：与户主关系“42”不是选项中的代码。"


def test_the_preview_page_names_the_columns_not_read_and_every_normalisation(client, clerk, village, tmp_path):
    login(client, clerk)
    path = national_xlsx(tmp_path / "national.xlsx")
    response = client.post("/households/import/", {"file": SimpleUploadedFile("国家系统导出.xlsx", path.read_bytes())})
    assert response.status_code == 302
    job = run_import(ImportJob.objects.get().pk, False)
    assert job.status == ImportJob.Status.PREVIEW and job.errors == [], job.errors
    assert job.stored_name.endswith(".xlsx")
    page = client.get(f"/households/import/{job.pk}/").content.decode()
    assert "新增 2 户 5 人" in page and "确认导入" in page
    assert "未导入的列" in page and "政治面貌（不是采集表的列）" in page and "户主姓名（由系统生成，不导入）" in page
    assert "末位小写x改为大写X" in page and "全角数字或字母改为半角" in page and "表头在第 3–4 行" in page
    # A .csv is stored as one, and read the same way.
    csv_path = write_csv(tmp_path / "national.csv", national_rows(), "gb18030")
    client.post("/households/import/", {"file": SimpleUploadedFile("导出.csv", csv_path.read_bytes())})
    csv_job = run_import(ImportJob.objects.latest("id").pk, False)
    assert csv_job.stored_name.endswith(".csv") and csv_job.status == ImportJob.Status.PREVIEW, csv_job.message
    assert csv_job.counts["households_new"] == 2 and csv_job.errors == []


def test_blank_cells_are_reported_in_chinese_at_their_columns(clerk, village, tmp_path):
    from tests.households.test_import import sheet_rows

    household_rows, member_rows = sheet_rows(households=2)
    for name in ("识别标准", "贫困户属性", "主要致贫原因", "识别年度", "耕地面积（亩）", "是否通生活用电"):
        household_rows[0][name] = None
    for name in ("与户主关系", "民族", "健康状况", "务工时间（月）"):
        member_rows[4][name] = None
    member_rows[5]["姓名"] = None
    result = import_file(
        clerk, write_collection_file(tmp_path / "blank.xlsx", household_rows, member_rows), commit=True
    )
    assert result.errors and not result.committed
    for error in result.errors:
        assert "null" not in error.reason and not re.search("[A-Za-z_]{3,}", error.reason + error.column), error
