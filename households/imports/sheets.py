"""Reading a 采集表 (.xlsx, .xls or .csv) with python-calamine into rows of registry values.

Two layouts are read. The template's: the sheets 贫困户 and 家庭成员. A single table (a .csv,
or a workbook without those sheets, as the national system exports it): its first visible
sheet, one row per member with the household's columns on each row. In both, the header row is
found below any title rows and columns are mapped by header text (headers.py); what each cell
needed to be read is counted (normalise.py). A cell that cannot be read exactly becomes a
SheetError at its (sheet, row, column) and the row goes on; a file that cannot be read at all,
or lacks a sheet or a required column, is refused.
"""

import contextlib
import datetime
import json
import logging
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from core.parsing import MAX_INTEGER, is_ascii_digits, parse_decimal, parse_int

from ..resources import (
    BOOL,
    CHOICE,
    DATE,
    DECIMAL,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    IDENTIFIER_FIELDS,
    INT,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    MULTI,
    REGISTRATION_FIELDS,
    TEXT,
    Column,
)
from .guard import UploadRefused
from .headers import SCAN_ROWS, SheetLayout, build_layout, find_header
from .headers import HeaderTable as _HeaderTable
from .normalise import (
    CODE_NUMBER_CHANGE,
    LOWER_X_CHANGE,
    NUMBER_CELL_CHANGE,
    TEXT_DATE_CHANGE,
    Changes,
    clean_text,
)

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
# Past this many unreadable cells the file is not a 采集表 filled in by hand: it is refused.
MAX_READ_ERRORS = 10_000
# A reason quotes at most this much of the cell: 2,000 pasted paragraphs stay a short list.
QUOTED_CHARACTERS = 50
PARSE_MEMORY_BYTES = settings.IMPORT_PARSE_MEMORY_BYTES
PARSE_CPU_SECONDS = settings.IMPORT_PARSE_SECONDS
# The sheet name a .csv is reported under (bounded_read.py names it so).
CSV_SHEET = "CSV"


@dataclass
class SheetError:
    sheet: str
    row: int
    column: str
    reason: str

    def __post_init__(self):
        self.reason = quoted(self.reason, limit=4 * QUOTED_CHARACTERS)

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass(slots=True)
class ParsedRow:
    """One data row of the file.

    row     its row number in the sheet (from 1, as Excel shows it)
    values  field → registry value of every mapped column (None for a blank cell)
    sheet   the sheet's name in the file
    layout  the sheet's SheetLayout (header row, column index → Column, headers as in the file)

    The cells as uploaded are not kept: a 10,000-household file's are a sixth of an import's
    memory, and only the error workbook needs them, read again then (uploaded_cells).
    """

    row: int
    values: dict
    sheet: str = ""
    layout: SheetLayout | None = None

    def header_of(self, field_name: str) -> str:
        """The column of `field_name` as headed in the file (the template's header if absent)."""
        # A field no column shows (a model's own check): the row's key column, never an English name.
        default = HEADER_OF.get(field_name) or ("姓名" if "name" in self.values else "户编号")
        return self.layout.header_of(field_name, default) if self.layout else default

    def error(self, field_name: str, reason: str, *, column: str = "") -> SheetError:
        """An error at this row's cell of `field_name`; on a member row it names the person."""
        name = self.values.get("name")
        # Only a printable name: a name refused for its control characters is not echoed.
        reason = f"{name}：{reason}" if isinstance(name, str) and name and name.isprintable() else reason
        return SheetError(self.sheet, self.row, column or self.header_of(field_name), reason)


HEADER_OF = {column.field: column.header for column in HOUSEHOLD_COLUMNS + MEMBER_COLUMNS}
HEADER_OF["village"] = "所在村代码"


def quoted(text: str, *, limit: int = QUOTED_CHARACTERS) -> str:
    """`text` cut to `limit` characters for a message, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit] + "…"


# A number cell of an IDENTIFIER_FIELDS column: Excel stores a double and keeps 15 significant
# digits, so the cell is exact only when it is a whole number of at most 15 digits. An 18-digit ID
# never is (refused, whatever its checksum says), nor a 16-digit 户编号; an old 15-digit ID is. A
# phone in a number cell is read only as an 11-digit mobile number (1…): a landline's leading 0 is
# already gone. A 12-digit village code is exact. Every number cell read so is listed in the preview.
EXACT_DIGITS = 15
NUMBER_CELL_REFUSALS = {
    "id_number": "证件号码存成了数字，已丢失末几位；请把该列设置为文本格式后重新填写。",
    "phone": "联系电话存成了数字（开头的0或末几位可能已丢失）；请把该列设置为文本格式后重新填写。",
    "household_no": "户编号存成了数字，末几位可能已丢失；请把该列设置为文本格式后重新填写。",
    "village_id": "所在村代码存成了数字且不是12位；请把该列设置为文本格式后重新填写。",
}
NUMBER_CELL_REFUSALS["household__household_no"] = NUMBER_CELL_REFUSALS["household_no"]
HOUSEHOLD_NO_FORM = "户编号只能由数字组成（如 622926101201 0001，不含空格），请去掉前缀、字母或符号。"
MAX_HOUSEHOLD_NO = 30
MASK_CHARACTERS = ("*", "＊")
_VILLAGE_CODE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_DATE_FORMS = (
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
)
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+")
_YEAR_LAST = re.compile(r"[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}")
DATE_FORM = "请按“2020-01-05”（或2020/1/5、2020年1月5日、20200105）的格式填写"


def is_masked(value) -> bool:
    """A value of a masked export (620102********1234, 139****5678)."""
    return isinstance(value, str) and any(mark in value for mark in MASK_CHARACTERS)


def _number_cell(column: Column, raw: float | int) -> str:
    """An identifier typed into a number cell: its digits when exact, else refused."""
    refusal = NUMBER_CELL_REFUSALS[column.field]
    if isinstance(raw, float) and not (raw == raw and raw.is_integer()):  # NaN, a fraction
        raise ValueError(refusal)
    digits = str(int(raw))
    if raw < 0 or len(digits) > EXACT_DIGITS:
        raise ValueError(refusal)
    if column.field == "phone" and not (len(digits) == 11 and digits.startswith("1")):
        raise ValueError(refusal)  # only a mobile number survives a number cell whole
    if column.field == "village_id" and len(digits) != 12:
        raise ValueError(refusal)
    return digits


def _code(column: Column, text: str) -> str | None:
    """The code of a label or a code (01 typed as 1 too), else None."""
    code = _lookup(column).get(text)
    if code is not None:
        return code
    if text.endswith(".0"):
        text = text.rstrip("0").removesuffix(".")  # 1.0: a code that went through a number cell
    if is_ascii_digits(text):
        code = next((key for key in column.choices if key.isdigit() and int(key) == int(text)), None)
    return code


_LOOKUP_CACHE: dict[int, dict] = {}


def _lookup(column: Column) -> dict:
    """Label → code and code → code of a coded column, built once."""
    lookup = _LOOKUP_CACHE.get(id(column))
    if lookup is None:
        lookup = {label: code for code, label in column.choices.items()}
        lookup.update({code: code for code in column.choices})
        _LOOKUP_CACHE[id(column)] = lookup
    return lookup


def text_date(text: str, header: str) -> datetime.date:
    """A date typed as text, when unambiguous; else ValueError saying the expected form."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        with contextlib.suppress(ValueError):  # the usual form, read at C speed; else said below
            return datetime.date.fromisoformat(text)
    for form in _DATE_FORMS:
        found = form.fullmatch(text)
        if found:
            try:
                return datetime.date(*(int(part) for part in found.groups()))
            except ValueError:
                raise ValueError(f"{header}“{quoted(text)}”不是存在的日期，请检查年月日。") from None
    if _YEAR_LAST.fullmatch(text):
        raise ValueError(f"{header}“{quoted(text)}”无法确定月和日的先后，{DATE_FORM}。")
    raise ValueError(f"{header}“{quoted(text)}”无法识别为日期，{DATE_FORM}。")


def read_cell(column: Column, raw) -> tuple[object, list[str]]:
    """A sheet value to the registry's value and the kinds of change it needed (normalise.py);
    raises ValueError with the Chinese reason (never a value, a code or an English word)."""
    if raw is None or raw == "":
        return ([] if column.kind == MULTI else None), []
    kind = column.kind
    if isinstance(raw, bool):
        raw = "是" if raw else "否"
    if isinstance(raw, int | float):
        if column.field in IDENTIFIER_FIELDS:
            return _number_cell(column, raw), [NUMBER_CELL_CHANGE]
        if kind in (CHOICE, MULTI):
            if isinstance(raw, float) and not (raw == raw and raw.is_integer()):
                raise ValueError(f"{column.header}应填写选项中的一项。")
            code = _code(column, str(int(raw)))
            if code is None:
                raise ValueError(f"{column.header}“{int(raw)}”不是选项中的代码。")
            return ([code] if kind == MULTI else code), [CODE_NUMBER_CHANGE]
        if kind == DATE:
            raise ValueError(f"{column.header}应为日期，{DATE_FORM}。")
        if kind == BOOL and raw in (0, 1):
            return raw == 1, []
        if kind not in (INT, DECIMAL):
            return (str(int(raw)) if raw == int(raw) else str(raw)), [NUMBER_CELL_CHANGE]
    if isinstance(raw, datetime.date):
        if kind == DATE:
            return (raw.date() if isinstance(raw, datetime.datetime) else raw), []
        raise ValueError(f"{column.header}不应填写日期。")
    kinds = []
    if kind in (INT, DECIMAL):
        # Numbers through core.parsing: ASCII or full-width digits only; Infinity, NaN, sNaN and
        # exponents are a row error, never a Decimal that stops the commit.
        if isinstance(raw, str):
            raw, kinds = clean_text(raw, compact=True)
            if not raw:
                return None, kinds
        elif not isinstance(raw, int | float):
            raise ValueError(f"{column.header}应为{'整数' if kind == INT else '数字'}。")
        try:
            if kind == INT:
                return parse_int(raw, field=column.field, maximum=MAX_INTEGER), kinds
            return parse_decimal(raw, field=column.field), kinds
        except ValidationError as error:
            raise ValueError(f"{column.header}应为{'整数' if kind == INT else '数字'}。") from error
    if not isinstance(raw, str):
        raw = str(raw)
    compact = kind != "text" or column.field in IDENTIFIER_FIELDS
    text, kinds = clean_text(raw, compact=compact)
    if not text:
        return ([] if kind == MULTI else None), kinds
    if kind == CHOICE:
        code = _code(column, text)
        if code is None:
            raise ValueError(f"“{quoted(text)}”不是有效的{column.header}。")
        return code, kinds
    if kind == MULTI:
        codes = []
        for part in text.replace("，", "、").replace(",", "、").replace("；", "、").split("、"):
            if part:
                code = _code(column, part)
                if code is None:
                    raise ValueError(f"“{quoted(part)}”不是有效的{column.header}。")
                codes.append(code)
        return codes, kinds
    if kind == BOOL:
        if text in ("是", "有", "1", "True", "TRUE", "true", "Y", "y"):
            return True, kinds
        if text in ("否", "无", "0", "False", "FALSE", "false", "N", "n"):
            return False, kinds
        raise ValueError(f"{column.header}应填“是”或“否”。")
    if kind == DATE:
        return text_date(text, column.header), [*kinds, TEXT_DATE_CHANGE]
    if column.field in IDENTIFIER_FIELDS and _SCIENTIFIC.fullmatch(text):
        raise ValueError(NUMBER_CELL_REFUSALS[column.field])  # 6.22926E+17: a number cell saved as text
    if column.field == "id_number" and text[-1:] == "x" and not is_masked(text):
        return text[:-1] + "X", [*kinds, LOWER_X_CHANGE]
    if column.field in ("household_no", "household__household_no") and (
        not is_ascii_digits(text) or len(text) > MAX_HOUSEHOLD_NO
    ):
        raise ValueError(f"“{quoted(text)}”：{HOUSEHOLD_NO_FORM}")
    return text, kinds


def cell_value(column: Column, raw):
    """read_cell's value alone."""
    return read_cell(column, raw)[0]


# Columns a 历史数据导入 also reads: a historical record keeps its status and exit year.
HISTORICAL_FIELDS = ("status", "exit_year")
REQUIRED_HOUSEHOLD = ("household_no",)
REQUIRED_MEMBER = ("household__household_no", "name", "id_number", "relation")
FLAT_REQUIRED = ("household_no", "name", "id_number", "relation")
FLAT_COLUMNS = HOUSEHOLD_COLUMNS + [column for column in MEMBER_COLUMNS if column.field != "household__household_no"]
HOUSEHOLD_FIELD_SET = {column.field for column in HOUSEHOLD_COLUMNS}
VILLAGE_FIELDS = ("village_id", "village__name")


class _SheetRows:
    """One sheet as its rows arrive from the reader: title rows and the header first, then data."""

    def __init__(self, title, columns, *, historical, errors, changes, required, hidden=False, flat=False):
        self.title, self.errors, self.changes, self.rows = title, errors, changes, []
        self.columns, self.required, self.hidden = columns, required, hidden
        extra = HISTORICAL_FIELDS if historical else REGISTRATION_FIELDS
        self.importable = {column.field for column in columns if not column.export_only or column.field in extra}
        # A single table (one row per member): its household columns, the 户编号 column, and the
        # first row of each household by its 户编号 cell.
        self.flat = flat
        self.household_positions: set[int] = set()
        self.flat_key: int | None = None
        self.first_cells: dict = {}
        self.head: list[tuple[int, list]] = []  # rows until the header is found
        self.layout: SheetLayout | None = None
        self.reads: list[tuple[int, Column]] = []
        # read_cell of a coded, number, yes/no or date column by (position, type, cell): most of a
        # 采集表's cells repeat a few values; names and identifiers are read every time.
        self.known_cells: dict[tuple, tuple] = {}
        self.remembered: set[int] = set()

    def add(self, number: int, cells: list) -> None:
        if self.layout is None:
            self.head.append((number, cells))
            if len(self.head) > SCAN_ROWS:
                self.settle()
            return
        if number > MAX_ROWS + SCAN_ROWS:
            raise UploadRefused(f"工作表“{self.title}”超过 {MAX_ROWS} 行，请分批导入。")
        self.read(number, cells)

    def settle(self) -> None:
        """Find the header among the rows seen, map the columns, read the rows below it."""
        table = _HeaderTable(self.columns)
        first, last = find_header(self.head, table) if self.head else (0, 0)
        self.layout = build_layout(self.title, self.head, first, last, self.columns, self.importable)
        self.layout.hidden = self.hidden
        if not self.head:
            self.layout.header_row = self.layout.first_header_row = 1
        self.check_required()
        self.reads = sorted(self.layout.columns.items())
        self.remembered = {
            position for position, column in self.reads if column.kind != TEXT and column.field not in IDENTIFIER_FIELDS
        }
        if self.flat:
            self.household_positions = {
                position
                for position, column in self.reads
                if column.field in HOUSEHOLD_FIELD_SET and column.field != "household_no"
            }
            self.flat_key = next((p for p, column in self.reads if column.field == "household_no"), None)
        for number, cells in self.head[last + 1 :]:
            self.read(number, cells)
        self.head = []

    def check_required(self) -> None:
        mapped = {column.field for column in self.layout.columns.values()}
        missing = [HEADER_OF[name] for name in self.required if name not in mapped]
        if "village_id" in self.importable and not mapped & set(VILLAGE_FIELDS):
            missing.append("所在村代码（或所在村）")
        if not missing:
            return
        if not self.layout.columns:
            raise UploadRefused(
                f"工作表“{self.title}”的前{SCAN_ROWS}行中找不到表头（应有{'、'.join(missing)}等列）。"
                "请使用系统提供的模板，或把表头改为模板中的列名。"
            )
        raise UploadRefused(
            f"工作表“{self.title}”缺少必填列：{'、'.join(missing)}（表头在第{self.layout.first_header_row}行；"
            "列的顺序不限，请补上该列或把表头改为模板中的列名）。"
        )

    def read(self, number: int, cells: list) -> None:
        values = {}
        row = ParsedRow(number, values, self.title, self.layout)
        failed = []
        size = len(cells)
        first = self.first_row_of_household(cells)
        for position, column in self.reads:
            raw = cells[position] if position < size else None
            if (
                first is not None
                and position in self.household_positions
                and raw == (first[position] if position < len(first) else None)
            ):
                continue  # the household's cell as on its first row: read there once
            try:
                value, kinds = self.read_cell(position, column, raw)
            except (ValueError, ArithmeticError, ValidationError) as error:
                failed.append((column, error))
                values[column.field] = None
                continue
            values[column.field] = value
            for kind in kinds:
                self.changes.add(self.title, self.layout.headers[position] or column.header, kind, number)
        if "village_id" in values:
            self.village_given_by_name(row, failed)
        for column, error in failed:
            self.error(row, column, error)
        self.rows.append(row)

    def read_cell(self, position: int, column: Column, raw) -> tuple[object, list[str]]:
        if position not in self.remembered:
            return read_cell(column, raw)
        key = (position, type(raw), raw)
        known = self.known_cells.get(key)
        if known is None:
            known = self.known_cells[key] = read_cell(column, raw)  # a refusal raises, and is not kept
        value, kinds = known
        return (list(value) if type(value) is list else value), kinds

    def first_row_of_household(self, cells: list) -> list | None:
        """In a single table, the cells of the first row of this row's household (None on that
        row itself): a later row's household cells are read only where they differ from it."""
        if self.flat_key is None:
            return None
        key = cells[self.flat_key] if self.flat_key < len(cells) else None
        if key in (None, ""):
            return None
        first = self.first_cells.get(key)
        if first is None:
            self.first_cells[key] = cells
        return first

    def village_given_by_name(self, row: ParsedRow, failed: list) -> None:
        """所在村代码 holding a name, or 名称（代码）: the code found in it, else the name to resolve."""
        values = row.values
        given = values["village_id"]
        if not given or (len(given) == 12 and is_ascii_digits(given)):
            return
        found = _VILLAGE_CODE.search(given)
        if found:
            values["village_id"] = found.group(0)
        elif not any(char.isdigit() for char in given) and not values.get("village__name"):
            values["village_id"], values["village__name"] = None, given
        else:
            values["village_id"] = None
            failed.append((HEADER_COLUMN["village_id"], ValueError("所在村代码应为12位数字（或填写村名）。")))

    def error(self, row: ParsedRow, column: Column, error: Exception) -> None:
        if len(self.errors) >= MAX_READ_ERRORS:
            raise UploadRefused(
                f"文件中无法识别的单元格超过 {MAX_READ_ERRORS} 处（如工作表“{self.title}”第{row.row}行），"
                "请使用系统提供的模板填写后重新上传。"
            )
        if isinstance(error, ValidationError):
            reason = "；".join(error.messages)
        elif isinstance(error, ValueError):
            reason = str(error)
        else:  # decimal's signals and overflows speak English: the clerk reads the column instead
            reason = f"{column.header}无法识别。"
        self.errors.append(row.error(column.field, reason))

    def finish(self) -> list[ParsedRow]:
        if self.layout is None:
            self.settle()
        return self.rows


HEADER_COLUMN = {column.field: column for column in HOUSEHOLD_COLUMNS + MEMBER_COLUMNS}


@dataclass
class ReadResult:
    """Everything read from a file: the rows of both kinds, the cells refused, and how it was read.

    `layouts` are the sheets read (one for a single table); `changes` what was normalised;
    `notes` anything else the preview says (a hidden sheet read, a .csv's encoding).
    """

    households: list[ParsedRow]
    members: list[ParsedRow]
    errors: list[SheetError]
    layouts: list[SheetLayout] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    notes: list[str] = field(default_factory=list)

    def reading(self) -> dict:
        """How the file was read, for the preview (stored with the job's counts)."""
        return {
            "sheets": [layout.as_dict() for layout in self.layouts],
            "changes": self.changes.as_list(),
            "notes": list(self.notes),
        }


def read_sheets(path: Path, *, historical: bool = False) -> tuple[list[ParsedRow], list[ParsedRow], list[SheetError]]:
    """Rows of both kinds as registry values (read_file without how it was read)."""
    result = read_file(path, historical=historical)
    return result.households, result.members, result.errors


def read_file(path: Path, *, historical: bool = False) -> ReadResult:
    """Every row of a 采集表 as registry values. Formulas are read as their stored values, never run.

    With `historical` the 户状态 and 脱贫年度 columns, exported and otherwise never imported,
    are read too (the 历史数据导入, services/historical.py); otherwise 户状态 is read only to
    mark a new household 一般农户 (imports/run.py).

    python-calamine reads a 10,000-household file about 14× faster than openpyxl's read-only
    mode; its XML parser expands no entities. It runs in a child process (bounded_read.py)
    under PARSE_MEMORY_BYTES and PARSE_CPU_SECONDS: a workbook that would need more is
    refused with a reason, and the worker that asked lives on.
    """
    errors: list[SheetError] = []
    changes = Changes()
    notes: list[str] = []
    readers: dict[str, _SheetRows] = {}
    hidden: set[str] = set()
    current = None
    official = [HOUSEHOLD_SHEET, MEMBER_SHEET]
    with bounded_read(path, official, or_first_sheet=True) as messages:
        for message in messages:
            if "row" in message:
                current.add(message["row"], message["cells"])
            elif "sheet" in message:
                title = message["sheet"]
                options = {"historical": historical, "errors": errors, "changes": changes, "hidden": title in hidden}
                if title == HOUSEHOLD_SHEET:
                    current = _SheetRows(title, HOUSEHOLD_COLUMNS, required=REQUIRED_HOUSEHOLD, **options)
                elif title == MEMBER_SHEET:
                    current = _SheetRows(title, MEMBER_COLUMNS, required=REQUIRED_MEMBER, **options)
                else:
                    current = _SheetRows(title, FLAT_COLUMNS, required=FLAT_REQUIRED, flat=True, **options)
                    notes.append(
                        f"文件中没有“{HOUSEHOLD_SHEET}”“{MEMBER_SHEET}”两张工作表，按单表读取工作表“{title}”："
                        "每行一名成员，户的信息按户编号取本户第一行。"
                    )
                readers[title] = current
            elif "sheets" in message:
                names, hidden = message["sheets"], set(message.get("hidden", ()))
                present = [title for title in official if title in names]
                if len(present) == 1:
                    missing = next(title for title in official if title not in names)
                    raise UploadRefused(f"缺少工作表“{missing}”，请使用系统提供的模板。")
                if not names:
                    raise UploadRefused("文件中没有工作表。")
            elif "encoding" in message:
                notes.append(f"CSV 文件按 {message['encoding']} 编码读取。")
            elif "undecodable" in message:
                raise UploadRefused(
                    "无法识别该 CSV 文件的编码（应为 UTF-8 或 GB18030/GBK）。请用 Excel 或 WPS 另存为"
                    "“CSV UTF-8”或 .xlsx 后重新上传。"
                )
            elif "unreadable" in message:
                logger.info("Workbook unreadable: %s", message["unreadable"])
                raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。")
    for title in readers:
        if title in hidden:
            notes.append(f"工作表“{title}”在文件中是隐藏的，已照常读取。")
    layouts = []
    for reader in readers.values():
        reader.finish()
        layouts.append(reader.layout)
    if HOUSEHOLD_SHEET in readers and MEMBER_SHEET in readers:
        households, members = readers[HOUSEHOLD_SHEET].rows, readers[MEMBER_SHEET].rows
    elif readers:
        households, members = split_single_table(next(iter(readers.values())).rows, errors)
    else:
        raise UploadRefused(f"缺少工作表“{HOUSEHOLD_SHEET}”，请使用系统提供的模板。")
    return ReadResult(households, members, errors, layouts, changes, notes)


def split_single_table(rows: list[ParsedRow], errors: list[SheetError]) -> tuple[list[ParsedRow], list[ParsedRow]]:
    """A single table's rows as households (the first row of each 户编号) and members (every row).

    A later row of a household that says something else in a household column is an error
    naming both rows: the import never picks one of two values.
    """
    households: dict[str, ParsedRow] = {}
    members = []
    for row in rows:
        household_values, member_values = {}, {}
        for name, value in row.values.items():
            (household_values if name in HOUSEHOLD_FIELD_SET else member_values)[name] = value
        number = household_values.get("household_no")
        member_values["household__household_no"] = number
        members.append(ParsedRow(row.row, member_values, row.sheet, row.layout))
        if not number:
            continue
        first = households.get(number)
        if first is None:
            households[number] = ParsedRow(row.row, household_values, row.sheet, row.layout)
            continue
        for name, value in household_values.items():
            kept = first.values.get(name)
            if value not in (None, "", []) and kept not in (None, "", []) and value != kept:
                errors.append(
                    row.error(name, f"与本户第{first.row}行的{row.header_of(name)}不一致，请统一后重新上传。")
                )
            elif kept in (None, "", []) and value not in (None, "", []):
                first.values[name] = value
    return list(households.values()), members


READER = Path(__file__).with_name("bounded_read.py")
_TAGGED = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda seconds: datetime.timedelta(seconds=seconds),
}


def _tagged(value: dict):
    # Called for every object decoded (a message per row): the cheap test first.
    if len(value) == 2 and "t" in value and "v" in value and value["t"] in _TAGGED:
        return _TAGGED[value["t"]](value["v"])
    return value


# One decoder for every message: json.loads with an object_hook builds a new one per call, which
# cost as much as decoding a 采集表's rows.
_DECODER = json.JSONDecoder(object_hook=_tagged)


@contextlib.contextmanager
def bounded_read(path: Path, titles: list[str], *, or_first_sheet: bool = False) -> Iterator[Iterator[dict]]:
    """The messages of bounded_read.py reading `titles` of `path` (see there); always reaps the child.

    With `or_first_sheet`, a workbook holding none of `titles` has its first visible sheet read
    instead (a single table). A .csv is one sheet, named CSV_SHEET.

    A child that ends without its last message died of a limit (or a bug of the parser): the
    file is refused with the reason a clerk can act on.
    """
    command = [sys.executable, "-I", "-B", str(READER), str(path), str(PARSE_MEMORY_BYTES), str(PARSE_CPU_SECONDS)]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own script, the path is ours too
            [*command, *(["--or-first-sheet"] if or_first_sheet else []), *titles],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        # CPU time bounds a busy child; the wall clock bounds one that waits (it never should).
        timer = threading.Timer(PARSE_CPU_SECONDS * 2, process.kill)
        timer.start()
        ended = False

        def messages() -> Iterator[dict]:
            nonlocal ended
            for line in process.stdout:
                message = _DECODER.decode(line.decode())
                ended = "end" in message or "unreadable" in message or "undecodable" in message
                yield message

        try:
            yield messages()
            if not ended:
                for _ in messages():  # what the caller left unread: a child that never ends here is killed
                    pass
        finally:
            timer.cancel()
            process.kill()
            process.stdout.close()
            status = process.wait()
        if not ended:
            stderr.seek(0)
            detail = stderr.read()[-2000:].decode("utf-8", "replace")
            logger.warning("Workbook reader ended with status %s: %s", status, detail)
            raise UploadRefused(
                "文件过大或结构异常：读取时超出了内存或时间上限，已拒绝。"
                "请删除多余的行、列和格式，或分批导入后重新上传。"
            )


def uploaded_cells(path: Path, titles: list[str]) -> dict[str, dict[int, list]]:
    """The cells of the sheets `titles` of `path` as uploaded, by sheet and row number, from
    column A (calamine's values: str, float, int, bool, datetime.date/datetime). A .csv is its one sheet."""
    cells: dict[str, dict[int, list]] = {}
    current = None
    with bounded_read(path, titles) as messages:
        for message in messages:
            if "row" in message and current is not None:
                current[message["row"]] = message["cells"]
            elif "sheet" in message:
                current = cells.setdefault(message["sheet"], {})
    return cells


def first_sheet_rows(path: Path) -> Iterator[tuple[int, list]]:
    """(row number, cells) of every row of the first sheet of an .xlsx, the header first, read by the bounded child.

    The one-table uploads (department lists, team rosters, pairing lists) read through this; each
    maps its own header. A workbook without a sheet, or one the reader cannot open, is refused.
    """
    with bounded_read(path, []) as messages:
        names = next((message["sheets"] for message in messages if "sheets" in message), [])
    if not names:
        raise UploadRefused("文件中没有工作表。")
    with bounded_read(path, names[:1]) as messages:
        for message in messages:
            if "unreadable" in message:
                raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。")
            if "row" in message:
                yield message["row"], list(message["cells"])
