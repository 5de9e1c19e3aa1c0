"""Reading the two official sheets with python-calamine into rows of registry values.

A cell that cannot be read becomes a SheetError at its (sheet, row, column) and the row goes
on; a workbook that cannot be read at all, or lacks a sheet or its key columns, is refused.
"""

import itertools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from ..resources import (
    BOOL,
    CHOICE,
    DECIMAL,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    INT,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    MULTI,
    Column,
)
from .guard import UploadRefused

MAX_ROWS = 100_000


@dataclass
class SheetError:
    sheet: str
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ParsedRow:
    row: int
    values: dict


def cell_value(column: Column, raw):
    """A sheet value to the registry's value; raises ValueError with the Chinese reason."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if column.kind == MULTI else None
    text = str(raw).strip()
    if column.kind == CHOICE:
        by_label = {label: code for code, label in column.choices.items()}
        if text in column.choices:
            return text
        if text in by_label:
            return by_label[text]
        raise ValueError(f"“{text}”不是有效的{column.header}。")
    if column.kind == MULTI:
        by_label = {label: code for code, label in column.choices.items()}
        codes = []
        for part in text.replace("，", "、").replace(",", "、").split("、"):
            part = part.strip()
            if part:
                code = part if part in column.choices else by_label.get(part)
                if code is None:
                    raise ValueError(f"“{part}”不是有效的{column.header}。")
                codes.append(code)
        return codes
    if column.kind == INT:
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{column.header}应为整数。") from error
        if number != number.to_integral_value():
            raise ValueError(f"{column.header}应为整数。")
        return int(number)
    if column.kind == DECIMAL:
        try:
            return Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{column.header}应为数字。") from error
    if column.kind == BOOL:
        if text in ("是", "1", "True", "TRUE", "true"):
            return True
        if text in ("否", "0", "False", "FALSE", "false"):
            return False
        raise ValueError(f"{column.header}应填“是”或“否”。")
    if column.field == "id_number" and "*" in text:
        raise ValueError("证件号码为脱敏值，请使用含完整证件号码的采集表或模板。")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a number typed into a text column (户编号, 电话)
    return text


def _numbered_rows(sheet):
    """(row number, cells from column A) of every row; calamine starts at the first non-empty cell."""
    if sheet.start is None:
        return
    first_row, first_column = sheet.start
    padding = [None] * first_column
    for offset, cells in enumerate(sheet.iter_rows()):
        yield first_row + offset + 1, padding + cells


# Columns a 历史数据导入 also reads: a historical record keeps its status and exit year.
HISTORICAL_FIELDS = ("status", "exit_year")


def read_sheets(path: Path, *, historical: bool = False) -> tuple[list[ParsedRow], list[ParsedRow], list[SheetError]]:
    """Rows of both sheets as registry values. Formulas are read as their stored values, never run.

    With `historical` the 户状态 and 脱贫年度 columns, exported and otherwise never imported,
    are read too (the 历史数据导入, services/historical.py).

    python-calamine reads a 10,000-household file about 14× faster than openpyxl's read-only
    mode; its XML parser expands no entities, and check_upload has bounded the sizes already.
    """
    errors: list[SheetError] = []
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except CalamineError as error:
        raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。") from error
    try:
        parsed = {}
        for title, columns in ((HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS), (MEMBER_SHEET, MEMBER_COLUMNS)):
            if title not in workbook.sheet_names:
                raise UploadRefused(f"缺少工作表“{title}”，请使用系统提供的模板。")
            rows = _numbered_rows(workbook.get_sheet_by_name(title))
            number, first = next(rows, (1, []))
            if number != 1:  # the header row is empty: what came first is data
                rows, first = itertools.chain([(number, first)], rows), []
            headers = [str(value).strip() if value is not None else "" for value in first]
            importable = [
                column
                for column in columns
                if not column.export_only or (historical and column.field in HISTORICAL_FIELDS)
            ]
            missing = [column.header for column in importable[:2] if column.header not in headers]
            if missing:
                raise UploadRefused(f"工作表“{title}”缺少列：{'、'.join(missing)}。")
            positions = {
                column.field: headers.index(column.header) for column in importable if column.header in headers
            }
            by_field = {column.field: column for column in importable}
            sheet_rows = []
            for number, raw_row in rows:
                if number > MAX_ROWS + 1:
                    raise UploadRefused(f"工作表“{title}”超过 {MAX_ROWS} 行，请分批导入。")
                if all(value in (None, "") for value in raw_row):
                    continue
                values = {}
                for name, position in positions.items():
                    raw = raw_row[position] if position < len(raw_row) else None
                    try:
                        values[name] = cell_value(by_field[name], raw)
                    except ValueError as error:
                        errors.append(SheetError(title, number, by_field[name].header, str(error)))
                sheet_rows.append(ParsedRow(number, values))
            parsed[title] = sheet_rows
    except CalamineError as error:
        raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。") from error
    finally:
        workbook.close()
    return parsed[HOUSEHOLD_SHEET], parsed[MEMBER_SHEET], errors
