"""Shared Excel writing: official headers, text-typed IDs, escaped formula-like cells, streamed.

Every report is written by XlsxWriter in constant-memory mode: each row goes to a temporary
file as soon as the next one starts (memory stays flat at a million rows), cells are inline
strings, and the members roster takes 0.67× the time of plain openpyxl write-only on the same
rows (bench/RESULTS.md, 2026-12-03). The header row is frozen and filtered. A string that
starts with = + - @ tab or CR is written as a *string* cell with Excel's quote prefix: it can
never run as a formula, and it re-imports unchanged (no apostrophe is added to the data).

Identifier columns (`text_columns`) carry the text format "@" on the column itself, so every
cell written in them and every value typed into them later stays text: Excel keeps an ID
number as its 18 characters instead of 6.22926E+17. Drop-down lists are data validations on
the whole column below the header; a list longer than Excel's 255-character inline limit is
written to a hidden sheet (LIST_SHEET) and referenced by range. Column widths not given fit
the header and the first rows (constant-memory mode cannot autofit a finished sheet).
"""

import itertools
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from django.utils import timezone
from xlsxwriter.utility import xl_col_to_name

from .text import sanitise_for_export

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A cell the reader has to look at (an import error): light red, as Excel's "bad" style.
FLAG_COLOUR = "FFC7CE"
FLAG_FONT_COLOUR = "9C0006"
HEADER_COLOUR = "DDEBF7"
TEXT_FORMAT = "@"
# Excel refuses an inline list ("a,b,c") longer than 255 characters; counted here in UTF-8
# bytes, to be safe with every Excel and WPS version. Longer lists go to LIST_SHEET.
INLINE_LIST_LIMIT = 255
MESSAGE_LIMIT = 255  # Excel's limit on a validation's input and error messages
LIST_SHEET = "代码表"
LAST_ROW = 1_048_576  # a validation covers the column down to Excel's last row
# Widths not given: the header and the first WIDTH_SAMPLE rows decide, within these bounds.
WIDTH_SAMPLE = 100
MIN_WIDTH, MAX_WIDTH = 10, 50
SHEET_NAME_FORBIDDEN = str.maketrans({char: "_" for char in "[]:*?/\\"})

_HEADER = {"bold": True, "pattern": 1, "bg_color": "#" + HEADER_COLOUR}
_FLAG = {"pattern": 1, "bg_color": "#" + FLAG_COLOUR, "font_color": "#" + FLAG_FONT_COLOUR}
_WRAP = {"text_wrap": True, "valign": "top"}
# What a value of each kind needs in its cell format (else the column's format applies).
_KINDS = {
    "plain": {},
    "formula": {"quote_prefix": True},
    "decimal": {"num_format": "0.00"},
    "date": {"num_format": "yyyy-mm-dd"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
    "header": _HEADER,
}


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
    """A cell value written highlighted (light red): what the reader of the sheet must fix."""

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


def display_width(value) -> int:
    """Columns a value takes on screen: a CJK character two, others one."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class _Formats:
    """The workbook's cell formats, one per (kind, text column, wrap, flagged), made on first use."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.made = {}

    def get(self, kind: str, text: bool = False, wrap: bool = False, flagged: bool = False):
        key = (kind, text, wrap, flagged)
        found = self.made.get(key)
        if found is None:
            properties = dict(_KINDS[kind])
            if text and kind in ("plain", "formula"):
                properties["num_format"] = TEXT_FORMAT
            if wrap:
                properties |= _WRAP
            if flagged:
                properties |= _FLAG
            found = self.made[key] = self.workbook.add_format(properties)
        return found

    def column(self, text: bool, wrap: bool):
        """The format of a whole column: text columns "@", wrapped sheets wrapped; None for neither."""
        return self.get("plain", text, wrap) if text or wrap else None


class _Lists:
    """The hidden LIST_SHEET: one column per long drop-down list, written after the other sheets."""

    def __init__(self):
        self.columns: list[tuple[str, ...]] = []

    def source(self, values: tuple[str, ...]) -> list[str] | str:
        """The validation's source: the values inline when Excel allows it, else a LIST_SHEET range."""
        if len(",".join(values).encode()) <= INLINE_LIST_LIMIT and not any(
            "," in value or '"' in value for value in values
        ):
            return list(values)
        if values not in self.columns:
            self.columns.append(values)
        letter = xl_col_to_name(self.columns.index(values))
        quoted = "'" + LIST_SHEET.replace("'", "''") + "'"  # always quoted: valid for any name
        return f"={quoted}!${letter}$1:${letter}${max(1, len(values))}"

    def write(self, workbook, formats: _Formats) -> None:
        if not self.columns:
            return
        worksheet = workbook.add_worksheet(LIST_SHEET)
        worksheet.hide()
        for index in range(max(len(values) for values in self.columns)):
            _write_row(
                worksheet, index, [values[index] if index < len(values) else None for values in self.columns], formats
            )


def _drop_down(worksheet, drop_down: DropDown, lists: _Lists, header_row: int) -> None:
    prompt = drop_down.prompt[:MESSAGE_LIMIT]
    options = {
        "validate": "list",
        "source": lists.source(tuple(sanitise_for_export(value) for value in drop_down.values)),
        "ignore_blank": True,
        "show_error": True,
        "error_type": "stop" if drop_down.strict else "warning",
        "error_title": "输入值不在列表中",
        "error_message": drop_down.error[:MESSAGE_LIMIT],
        "show_input": bool(prompt),
    }
    if prompt:
        options["input_message"] = prompt
    column = drop_down.column - 1
    worksheet.data_validation(header_row + 1, column, LAST_ROW - 1, column, options)


def _write_value(worksheet, row: int, column: int, value, formats: _Formats, text: bool, wrap: bool, flagged: bool):
    """Write one value that is not a plain string or number (or is flagged): its format says how it shows."""
    if isinstance(value, str):
        value = sanitise_for_export(str(value))  # a str subclass (a choices enum) as its text
        kind = "formula" if value.startswith(FORMULA_PREFIXES) else "plain"
        if value:
            worksheet.write_string(row, column, value, formats.get(kind, text, wrap, flagged))
        elif flagged:
            worksheet.write_blank(row, column, None, formats.get(kind, text, wrap, flagged))
    elif value is None:
        if flagged:
            worksheet.write_blank(row, column, None, formats.get("plain", text, wrap, flagged))
    elif isinstance(value, bool):
        worksheet.write_boolean(row, column, value, formats.get("plain", False, wrap, flagged) if flagged else None)
    elif isinstance(value, Decimal):
        worksheet.write_number(row, column, float(value), formats.get("decimal", False, wrap, flagged))
    elif isinstance(value, datetime):
        if timezone.is_aware(value):  # Excel has no time zones: the local wall time
            value = timezone.make_naive(value)
        worksheet.write_datetime(row, column, value, formats.get("datetime", False, wrap, flagged))
    elif isinstance(value, date):
        worksheet.write_datetime(row, column, value, formats.get("date", False, wrap, flagged))
    elif isinstance(value, int | float):
        worksheet.write_number(row, column, value, formats.get("plain", False, wrap, flagged) if flagged else None)
    else:  # anything else as its text, never a failed export
        _write_value(worksheet, row, column, str(value), formats, text, wrap, flagged)


def _write_row(worksheet, row: int, values, formats: _Formats, text_columns=frozenset(), wrap=False) -> None:
    """The hot path of every export: plain strings and numbers straight to the sheet; the
    column's own format (text, wrap) applies to them; anything else through _write_value."""
    write_string, write_number = worksheet.write_string, worksheet.write_number
    for column, value in enumerate(values):
        kind = type(value)
        if kind is str:
            if not value:
                continue
            if not value.isprintable():  # every character sanitise_for_export removes is unprintable
                value = sanitise_for_export(value)
            if value.startswith(FORMULA_PREFIXES):
                write_string(row, column, value, formats.get("formula", column + 1 in text_columns, wrap))
            elif value:
                write_string(row, column, value)
        elif kind is int or kind is float:
            write_number(row, column, value)
        elif value is not None:
            if kind is Flagged:
                _write_value(worksheet, row, column, value.value, formats, column + 1 in text_columns, wrap, True)
            else:
                _write_value(worksheet, row, column, value, formats, column + 1 in text_columns, wrap, False)


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 characters, unique in the workbook."""
    base = sanitise_for_export(title).translate(SHEET_NAME_FORBIDDEN).strip("'")[:31] or "Sheet"
    name, number = base, 1
    while name.casefold() in used:
        number += 1
        name = f"{base[: 31 - len(str(number))]}{number}"
    used.add(name.casefold())
    return name


def _widths(sheet: Sheet, sample: list[list]) -> dict[int, float]:
    """Each column's width (1-based): as given, else the widest of the header and the sampled values."""
    widths = {}
    for index, header in enumerate(sheet.headers, start=1):
        if index in sheet.widths:
            widths[index] = sheet.widths[index]
            continue
        width = max(MIN_WIDTH, len(header) * 2 + 2)
        for row in sample:
            if index <= len(row) and (value := row[index - 1]) is not None:
                value = value.value if isinstance(value, Flagged) else value
                width = max(width, display_width(value) + 2)
        widths[index] = min(MAX_WIDTH, width)
    return widths


def _workbook(target):
    """An XlsxWriter workbook writing to `target` (a path or a binary file) a row at a time.

    The row data waits next to a target path (not in a tmpfs /tmp): XlsxWriter deletes it when
    the workbook closes, _discard when the export fails, and the transfer purge sweeps what a
    killed worker left (core/transfer.py, files no job names).
    """
    options = {
        "constant_memory": True,
        # Values are written by type (_write_row): no string becomes a formula, URL or number.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    }
    if hasattr(target, "write"):
        return xlsxwriter.Workbook(target, options)
    return xlsxwriter.Workbook(str(target), {**options, "tmpdir": str(Path(target).parent)})


def _discard(workbook) -> None:
    """Delete the row data of a workbook that will not be closed (its export failed)."""
    for worksheet in workbook.worksheets():
        handle, name = getattr(worksheet, "row_data_fh", None), getattr(worksheet, "row_data_filename", None)
        if handle is not None:
            handle.close()
        if name:
            Path(name).unlink(missing_ok=True)


def write_workbook(path, sheets: Iterable[Sheet], progress: Callable[[int], None] | None = None, every=5000) -> int:
    """Stream `sheets` into an xlsx at `path` (or a binary file); returns the number of data rows written.

    The target is written only at the end: a failed export leaves no file behind.
    """
    workbook = _workbook(path)
    try:
        return _write(workbook, sheets, progress, every)
    except BaseException:
        _discard(workbook)
        raise


def _write(workbook, sheets: Iterable[Sheet], progress, every: int) -> int:
    formats = _Formats(workbook)
    lists = _Lists()
    names: set[str] = set()
    written = 0
    for sheet in sheets:
        worksheet = workbook.add_worksheet(_sheet_name(sheet.title, names))
        if sheet.hidden:
            worksheet.hide()
        header_row = len(sheet.preamble)  # 0-based
        worksheet.freeze_panes(header_row + 1, 0)
        rows = iter(sheet.rows)
        sample = list(itertools.islice(rows, WIDTH_SAMPLE))
        for index, width in _widths(sheet, sample).items():
            column_format = formats.column(index in sheet.text_columns, sheet.wrap)
            worksheet.set_column(index - 1, index - 1, width, column_format)
        for drop_down in sheet.drop_downs:
            if drop_down.values:  # an empty list is no choice: Excel would refuse every value
                _drop_down(worksheet, drop_down, lists, header_row)
        for number, row in enumerate(sheet.preamble):
            _write_row(worksheet, number, row, formats)
        header = formats.get("header")
        for index, title in enumerate(sheet.headers):
            title = sanitise_for_export(title)
            if title:
                worksheet.write_string(header_row, index, title, header)
            else:
                worksheet.write_blank(header_row, index, None, header)
        number = header_row
        text_columns, wrap = sheet.text_columns, sheet.wrap
        for row in itertools.chain(sample, rows):
            number += 1
            _write_row(worksheet, number, row, formats, text_columns, wrap)
            written += 1
            if progress and written % every == 0:
                progress(written)
        worksheet.autofilter(header_row, 0, number, max(1, len(sheet.headers)) - 1)
    lists.write(workbook, formats)
    if not workbook.worksheets():
        workbook.add_worksheet("空")
    workbook.close()
    return written
