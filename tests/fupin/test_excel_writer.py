"""The one Excel writer (core/excel.py, XlsxWriter in constant-memory mode), read back as Excel, WPS
and the import read it: text IDs stay text, formula-like text never runs, the header is frozen and
filtered, lists are offered, flagged cells stand out, and a million rows need no more memory."""

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from core.excel import FLAG_COLOUR, LIST_SHEET, DropDown, Flagged, Sheet, write_workbook

ID_NUMBER = "622926198501011234"
ATTACKS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x","点击")']


def written(tmp_path, *sheets: Sheet):
    path = tmp_path / "report.xlsx"
    write_workbook(path, list(sheets))
    return path, load_workbook(path)


def sheet_xml(path, number: int = 1) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode()


def column_dimension(worksheet, position: int):
    """The <col> range covering the 1-based column (XlsxWriter writes equal neighbours as one range)."""
    return next(d for d in worksheet.column_dimensions.values() if d.min <= position <= d.max)


def test_an_18_digit_id_is_a_text_cell_in_a_text_column(tmp_path):
    rows = [["马成", ID_NUMBER, "13912345678", 3], ["何英", "62292619850101123X", "", 2]]
    path, workbook = written(
        tmp_path, Sheet("成员", ["姓名", "证件号码", "联系电话", "人数"], iter(rows), text_columns={2, 3})
    )
    sheet = workbook["成员"]
    id_cell = sheet["B2"]
    assert (id_cell.value, id_cell.data_type, id_cell.number_format) == (ID_NUMBER, "s", "@")
    assert sheet["B3"].value == "62292619850101123X" and sheet["C2"].value == "13912345678"
    assert sheet["D2"].value == 3 and sheet["D2"].data_type == "n"  # numbers stay numbers elsewhere
    # The columns themselves are text: an ID typed in Excel later keeps its 18 digits.
    assert column_dimension(sheet, 2).number_format == "@" and column_dimension(sheet, 3).number_format == "@"
    assert column_dimension(sheet, 1).number_format == "General"
    assert [entry.name for entry in tmp_path.iterdir()] == ["report.xlsx"]  # no row data left behind
    # The import's reader sees the same strings.
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("成员").to_python()[1][1] == ID_NUMBER


@pytest.mark.parametrize("text_column", [False, True])
def test_formula_like_text_is_never_a_formula(tmp_path, text_column):
    rows = [[value, value] for value in ATTACKS]
    path, workbook = written(
        tmp_path, Sheet("表", ["甲", "乙"], iter(rows), text_columns=frozenset({2}) if text_column else frozenset())
    )
    xml = sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml
    for number, value in enumerate(ATTACKS, start=2):
        for cell in workbook["表"][number]:
            assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
        assert workbook["表"].cell(row=number, column=2).number_format == ("@" if text_column else "General")
    read_back = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()
    assert [row[0] for row in read_back[1:]] == ATTACKS  # re-imports unchanged, no apostrophe added


def test_the_header_is_frozen_and_filtered_below_a_preamble(tmp_path):
    _, workbook = written(
        tmp_path,
        Sheet("甲", ["户编号", "户主姓名", "人数"], iter([["1", "马成", 3], ["2", "何英", 2]])),
        Sheet("乙", ["户编号", "户主姓名"], iter([["1", "马成"]]), preamble=[["东乡族自治县 花名册"], []]),
        Sheet("丙", ["户编号"], iter(())),
    )
    assert (workbook["甲"].freeze_panes, workbook["甲"].auto_filter.ref) == ("A2", "A1:C3")
    assert (workbook["乙"].freeze_panes, workbook["乙"].auto_filter.ref) == ("A4", "A3:B4")
    assert workbook["乙"]["A1"].value == "东乡族自治县 花名册" and workbook["乙"]["A3"].value == "户编号"
    assert (workbook["丙"].freeze_panes, workbook["丙"].auto_filter.ref) == ("A2", "A1")  # the header alone
    header = workbook["甲"]["A1"]
    assert header.font.b and header.fill.fill_type == "solid"


def test_drop_down_lists_inline_and_on_the_hidden_list_sheet(tmp_path):
    long_list = tuple(f"第{number}个很长的选项" for number in range(40))
    sheet = Sheet(
        "表",
        ["是否", "原因", "民族", "空"],
        iter(()),
        drop_downs=[
            DropDown(1, ("是", "否"), strict=True, prompt="请从下拉列表中选择。"),
            DropDown(2, ("因病", "因残"), prompt="多项请用“、”分隔。" * 40),
            DropDown(3, long_list),
            DropDown(4, ()),
        ],
    )
    _, workbook = written(tmp_path, sheet)
    assert workbook.sheetnames == ["表", LIST_SHEET] and workbook[LIST_SHEET].sheet_state == "hidden"
    validations = {str(v.sqref): v for v in workbook["表"].data_validations.dataValidation}
    assert set(validations) == {"A2:A1048576", "B2:B1048576", "C2:C1048576"}  # no list for an empty one
    strict, causes, long = validations["A2:A1048576"], validations["B2:B1048576"], validations["C2:C1048576"]
    assert (strict.type, strict.formula1, strict.allow_blank, strict.showErrorMessage) == (
        "list",
        '"是,否"',
        True,
        True,
    )
    assert (strict.errorStyle or "stop") == "stop" and strict.prompt == "请从下拉列表中选择。"
    assert causes.errorStyle == "warning" and len(causes.prompt) == 255  # cut to Excel's limit, not dropped
    assert long.formula1 == f"'{LIST_SHEET}'!$A$1:$A$40"
    assert [row[0] for row in workbook[LIST_SHEET].iter_rows(values_only=True)] == list(long_list)


def test_flagged_cells_are_light_red_and_keep_their_type(tmp_path):
    rows = [[Flagged(ID_NUMBER), Flagged(None), Flagged("=1+1"), "好", Flagged(12)]]
    _, workbook = written(tmp_path, Sheet("表", ["证件号码", "空", "公式", "好", "数"], iter(rows), text_columns={1}))
    sheet = workbook["表"]
    for cell in (sheet["A2"], sheet["B2"], sheet["C2"], sheet["E2"]):
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(FLAG_COLOUR)
        assert cell.font.color.rgb.endswith("9C0006")
    assert (sheet["A2"].value, sheet["A2"].number_format) == (ID_NUMBER, "@")
    assert (sheet["C2"].value, sheet["C2"].data_type, sheet["C2"].quotePrefix) == ("=1+1", "s", True)
    assert sheet["E2"].value == 12 and sheet["D2"].fill.fill_type is None


def test_money_dates_and_odd_values_as_before(tmp_path, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    rows = [
        [
            Decimal("1234.5"),
            date(2020, 12, 31),
            datetime(2026, 12, 3, 1, 30, tzinfo=UTC),
            True,
            2.5,
            None,
            "a\x07b\u202e",
        ]
    ]
    _, workbook = written(tmp_path, Sheet("表", list("ABCDEFG"), iter(rows)))
    money, day, moment, flag, number, empty, text = workbook["表"][2]
    assert (money.value, money.number_format) == (1234.5, "0.00")
    assert (day.value, day.number_format) == (datetime(2020, 12, 31), "yyyy-mm-dd")
    assert (moment.value, moment.number_format) == (datetime(2026, 12, 3, 9, 30), "yyyy-mm-dd hh:mm")  # local time
    assert (flag.value, number.value, empty.value) == (True, 2.5, None)
    assert text.value == "ab"  # what an xlsx cannot hold or should not show is removed (core/text.py)


def test_sheet_names_excel_accepts_and_an_empty_workbook(tmp_path):
    _, workbook = written(tmp_path, Sheet("a/b:c", ["x"], iter(())), Sheet("A_B_C", ["x"], iter(())))
    assert workbook.sheetnames == ["a_b_c", "A_B_C2"]
    _, empty = written(tmp_path)
    assert empty.sheetnames == ["空"]


def test_widths_fit_the_header_and_the_first_rows_within_bounds(tmp_path):
    rows = [["1", "东乡族自治县锁南镇红柳村第一村民小组", "x" * 200]]
    _, workbook = written(tmp_path, Sheet("表", ["号", "地址", "说明"], iter(rows), widths={1: 16}))
    sheet = workbook["表"]
    assert 16 <= column_dimension(sheet, 1).width < 17  # as given (XlsxWriter adds its padding)
    assert column_dimension(sheet, 2).width >= 38  # 18 CJK characters
    assert 50 <= column_dimension(sheet, 3).width < 51  # capped


def test_a_binary_file_target_and_progress(tmp_path):
    target = io.BytesIO()
    seen = []
    count = write_workbook(target, [Sheet("表", ["号"], ([str(n)] for n in range(12)))], progress=seen.append, every=5)
    assert count == 12 and seen == [5, 10]
    assert load_workbook(io.BytesIO(target.getvalue()))["表"]["A13"].value == "11"
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_failed_export_leaves_no_file_and_no_row_data(tmp_path):
    def rows():
        yield ["1"]
        raise RuntimeError("数据库连接中断")

    with pytest.raises(RuntimeError):
        write_workbook(tmp_path / "report.xlsx", [Sheet("表", ["号"], rows())])
    assert list(tmp_path.iterdir()) == []
