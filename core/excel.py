"""Shared Excel writing: official headers, text-typed IDs, escaped formula-like cells, streamed.

Every report is written in openpyxl write-only mode (rows stream to disk; memory stays flat),
the header row frozen and filtered. A string that starts with = + - @ tab or CR is stored
as a *string* cell with Excel's quote prefix: it can never run as a formula, and it
re-imports unchanged (no apostrophe is added to the data).

A sheet meant to be filled in (the blank 采集表) also declares its text columns (formatted
"@", so Excel keeps a typed ID number as its 18 characters instead of 6.22926E+17) and its
drop-down lists. A list longer than Excel's 255-character inline limit is written to a
hidden sheet (LIST_SHEET) and referenced by range.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .text import sanitise_for_export

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# A cell the reader has to look at (an import error): light red, as Excel's "bad" style.
FLAG_FILL = PatternFill("solid", fgColor="FFC7CE")
FLAG_FONT = Font(color="9C0006")
TEXT_FORMAT = "@"
WRAP = Alignment(wrap_text=True, vertical="top")
# Excel refuses an inline list ("a,b,c") longer than 255 characters; counted here in UTF-8
# bytes, to be safe with every Excel and WPS version. Longer lists go to LIST_SHEET.
INLINE_LIST_LIMIT = 255
LIST_SHEET = "代码表"
LAST_ROW = 1_048_576  # a validation covers the column down to Excel's last row


@dataclass(frozen=True)
class DropDown:
    """A drop-down list on one column (1-based) below the header.

    `strict`: a value not in the list is refused by Excel with `error`; otherwise Excel only
    warns (the import also accepts codes or several values). `prompt` shows when the cell is
    selected.
    """

    column: int
    values: tuple[str, ...]
    strict: bool = False
    prompt: str = ""
    error: str = "请从下拉列表中选择。"


@dataclass(frozen=True)
class Flagged:
    """A cell value written highlighted (FLAG_FILL): what the reader of the sheet must fix."""

    value: object


@dataclass
class Sheet:
    """One sheet of a report: its title, the official headers, and the rows (lazily).

    `preamble` rows come above the header (title rows of a file written back as uploaded);
    `text_columns` (1-based) are formatted as text; `drop_downs` are lists offered on their
    columns; `wrap` wraps long text; `hidden` hides the sheet.
    """

    title: str
    headers: list[str]
    rows: Iterable[list]
    widths: dict[int, int] = field(default_factory=dict)
    preamble: list[list] = field(default_factory=list)
    text_columns: frozenset[int] = frozenset()
    drop_downs: list[DropDown] = field(default_factory=list)
    wrap: bool = False
    hidden: bool = False


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def cell(sheet, value, *, text: bool = False, wrap: bool = False):
    """What to append for `value`: plain values as they are (openpyxl types a str as text),
    a cell object only where needed — formula-like text, money, dates, a text column, a
    flagged cell. Text loses what an xlsx cannot hold (core/text.py), so no stored value can
    stop an export."""
    if isinstance(value, Flagged):
        written = cell(sheet, value.value, text=text, wrap=wrap)
        if not isinstance(written, Cell):  # WriteOnlyCell makes a Cell
            written = WriteOnlyCell(sheet, value=written)
        written.fill = FLAG_FILL
        written.font = FLAG_FONT
        return written
    if isinstance(value, str):
        value = sanitise_for_export(value)
        if not value.startswith(FORMULA_PREFIXES) and not text and not wrap:
            return value
        written = WriteOnlyCell(sheet, value=value)
        if value.startswith(FORMULA_PREFIXES):
            written.data_type = "s"  # text, never a formula
            written.quotePrefix = True
        if text:
            written.number_format = TEXT_FORMAT
        if wrap:
            written.alignment = WRAP
        return written
    if isinstance(value, Decimal):
        written = WriteOnlyCell(sheet, value=float(value))
        written.number_format = "0.00"
        return written
    if isinstance(value, (date, datetime)):
        written = WriteOnlyCell(sheet, value=value)
        written.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
        return written
    return value


class _Lists:
    """The hidden LIST_SHEET: one column per long drop-down list, written after the other sheets."""

    def __init__(self):
        self.columns: list[tuple[str, ...]] = []

    def formula(self, values: tuple[str, ...]) -> str:
        inline = ",".join(values)
        if len(inline.encode()) <= INLINE_LIST_LIMIT and not any("," in value or '"' in value for value in values):
            return f'"{inline}"'
        if values not in self.columns:
            self.columns.append(values)
        letter = get_column_letter(self.columns.index(values) + 1)
        return f"{quote_sheetname(LIST_SHEET)}!${letter}$1:${letter}${max(1, len(values))}"

    def write(self, workbook: Workbook) -> None:
        if not self.columns:
            return
        worksheet = workbook.create_sheet(LIST_SHEET)
        worksheet.sheet_state = "hidden"
        for index in range(max(len(values) for values in self.columns)):
            worksheet.append(
                [cell(worksheet, values[index]) if index < len(values) else None for values in self.columns]
            )


def _drop_down(drop_down: DropDown, lists: _Lists, header_row: int) -> DataValidation:
    validation = DataValidation(
        type="list",
        formula1=lists.formula(tuple(sanitise_for_export(value) for value in drop_down.values)),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop" if drop_down.strict else "warning",
        error=drop_down.error,
        errorTitle="输入值不在列表中",
        showInputMessage=bool(drop_down.prompt),
        prompt=drop_down.prompt[:255] or None,  # Excel's limit on an input message
    )
    letter = get_column_letter(drop_down.column)
    validation.add(f"{letter}{header_row + 1}:{letter}{LAST_ROW}")
    return validation


def write_workbook(path, sheets: Iterable[Sheet], progress: Callable[[int], None] | None = None, every=5000) -> int:
    """Stream `sheets` into an xlsx at `path`; returns the number of data rows written."""
    workbook = Workbook(write_only=True)
    lists = _Lists()
    written = 0
    for sheet in sheets:
        worksheet = workbook.create_sheet(sanitise_for_export(sheet.title)[:31])
        if sheet.hidden:
            worksheet.sheet_state = "hidden"
        header_row = len(sheet.preamble) + 1
        worksheet.freeze_panes = f"A{header_row + 1}"
        for index, header in enumerate(sheet.headers, start=1):
            dimension = worksheet.column_dimensions[get_column_letter(index)]
            dimension.width = sheet.widths.get(index, max(10, len(header) * 2 + 2))
            if index in sheet.text_columns:
                dimension.number_format = TEXT_FORMAT  # what is typed into the column later stays text
        for drop_down in sheet.drop_downs:
            if drop_down.values:  # an empty list is no choice: Excel would refuse every value
                worksheet.data_validations.append(_drop_down(drop_down, lists, header_row))
        for row in sheet.preamble:
            worksheet.append([cell(worksheet, value) for value in row])
        header_cells = []
        for header in sheet.headers:
            header_cell = WriteOnlyCell(worksheet, value=sanitise_for_export(header))
            header_cell.font = HEADER_FONT
            header_cell.fill = HEADER_FILL
            header_cells.append(header_cell)
        worksheet.append(header_cells)
        count = 0
        for row in sheet.rows:
            worksheet.append(
                [
                    cell(worksheet, value, text=index in sheet.text_columns, wrap=sheet.wrap)
                    for index, value in enumerate(row, start=1)
                ]
            )
            count += 1
            written += 1
            if progress and written % every == 0:
                progress(written)
        last_column = get_column_letter(max(1, len(sheet.headers)))
        worksheet.auto_filter.ref = f"A{header_row}:{last_column}{header_row + count}"
    lists.write(workbook)
    if not workbook.worksheets:
        workbook.create_sheet("空")
    workbook.save(path)
    return written
