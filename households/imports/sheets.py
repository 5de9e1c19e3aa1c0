"""Reading the two official sheets with python-calamine into rows of registry values.

A cell that cannot be read becomes a SheetError at its (sheet, row, column) and the row goes
on; a workbook that cannot be read at all, or lacks a sheet or its key columns, is refused.
"""

import contextlib
import datetime
import json
import logging
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from core.parsing import MAX_INTEGER, parse_decimal, parse_int

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
    REGISTRATION_FIELDS,
    Column,
)
from .guard import UploadRefused

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
# Past this many unreadable cells the file is not a 采集表 filled in by hand: it is refused.
MAX_READ_ERRORS = 10_000
# A reason quotes at most this much of the cell: 2,000 pasted paragraphs stay a short list.
QUOTED_CHARACTERS = 50
PARSE_MEMORY_BYTES = settings.IMPORT_PARSE_MEMORY_BYTES
PARSE_CPU_SECONDS = settings.IMPORT_PARSE_SECONDS


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


@dataclass
class ParsedRow:
    row: int
    values: dict


def quoted(text: str, *, limit: int = QUOTED_CHARACTERS) -> str:
    """`text` cut to `limit` characters for a message, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit] + "…"


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
        raise ValueError(f"“{quoted(text)}”不是有效的{column.header}。")
    if column.kind == MULTI:
        by_label = {label: code for code, label in column.choices.items()}
        codes = []
        for part in text.replace("，", "、").replace(",", "、").split("、"):
            part = part.strip()
            if part:
                code = part if part in column.choices else by_label.get(part)
                if code is None:
                    raise ValueError(f"“{quoted(part)}”不是有效的{column.header}。")
                codes.append(code)
        return codes
    # Numbers through core.parsing: ASCII or full-width digits only; Infinity, NaN, sNaN and
    # exponents are a row error, never a Decimal that stops the commit.
    if column.kind == INT:
        try:
            return parse_int(raw if isinstance(raw, float) else text, field=column.field, maximum=MAX_INTEGER)
        except ValidationError as error:
            raise ValueError(f"{column.header}应为整数。") from error
    if column.kind == DECIMAL:
        try:
            return parse_decimal(raw if isinstance(raw, float) else text, field=column.field)
        except ValidationError as error:
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


# Columns a 历史数据导入 also reads: a historical record keeps its status and exit year.
HISTORICAL_FIELDS = ("status", "exit_year")


class _SheetRows:
    """One official sheet as its rows arrive from the reader: the header first, then data rows."""

    def __init__(self, title: str, columns: list[Column], *, historical: bool, errors: list[SheetError]):
        self.title, self.errors, self.rows = title, errors, []
        extra = HISTORICAL_FIELDS if historical else REGISTRATION_FIELDS
        self.importable = [column for column in columns if not column.export_only or column.field in extra]
        self.positions: dict[str, int] | None = None

    def header(self, cells: list) -> None:
        headers = [str(value).strip() if value is not None else "" for value in cells]
        missing = [column.header for column in self.importable[:2] if column.header not in headers]
        if missing:
            raise UploadRefused(f"工作表“{self.title}”缺少列：{'、'.join(missing)}。")
        self.positions = {
            column.field: headers.index(column.header) for column in self.importable if column.header in headers
        }

    def add(self, number: int, cells: list) -> None:
        if self.positions is None:  # the header row is empty: what came first is data
            self.header([])
        if number > MAX_ROWS + 1:
            raise UploadRefused(f"工作表“{self.title}”超过 {MAX_ROWS} 行，请分批导入。")
        by_field = {column.field: column for column in self.importable}
        values = {}
        for name, position in self.positions.items():
            raw = cells[position] if position < len(cells) else None
            try:
                values[name] = cell_value(by_field[name], raw)
            except (ValueError, ArithmeticError, ValidationError) as error:
                self.error(number, by_field[name], error)
        self.rows.append(ParsedRow(number, values))

    def error(self, number: int, column: Column, error: Exception) -> None:
        if len(self.errors) >= MAX_READ_ERRORS:
            raise UploadRefused(
                f"文件中无法识别的单元格超过 {MAX_READ_ERRORS} 处（如工作表“{self.title}”第{number}行），"
                "请使用系统提供的模板填写后重新上传。"
            )
        if isinstance(error, ValidationError):
            reason = "；".join(error.messages)
        elif isinstance(error, ValueError):
            reason = str(error)
        else:  # decimal's signals and overflows speak English: the clerk reads the column instead
            reason = f"{column.header}无法识别。"
        self.errors.append(SheetError(self.title, number, column.header, reason))

    def finish(self) -> list[ParsedRow]:
        if self.positions is None:
            self.header([])
        return self.rows


def read_sheets(path: Path, *, historical: bool = False) -> tuple[list[ParsedRow], list[ParsedRow], list[SheetError]]:
    """Rows of both sheets as registry values. Formulas are read as their stored values, never run.

    With `historical` the 户状态 and 脱贫年度 columns, exported and otherwise never imported,
    are read too (the 历史数据导入, services/historical.py); otherwise 户状态 is read only to
    mark a new household 一般农户 (imports/run.py).

    python-calamine reads a 10,000-household file about 14× faster than openpyxl's read-only
    mode; its XML parser expands no entities. It runs in a child process (bounded_read.py)
    under PARSE_MEMORY_BYTES and PARSE_CPU_SECONDS: a workbook that would need more is
    refused with a reason, and the worker that asked lives on.
    """
    errors: list[SheetError] = []
    sheets = {
        HOUSEHOLD_SHEET: _SheetRows(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, historical=historical, errors=errors),
        MEMBER_SHEET: _SheetRows(MEMBER_SHEET, MEMBER_COLUMNS, historical=historical, errors=errors),
    }
    current = None
    with bounded_read(path, list(sheets)) as messages:
        for message in messages:
            if "row" in message:
                if current.positions is None and message["row"] == 1:
                    current.header(message["cells"])
                else:
                    current.add(message["row"], message["cells"])
            elif "sheet" in message:
                current = sheets[message["sheet"]]
            elif "sheets" in message:
                for title in sheets:
                    if title not in message["sheets"]:
                        raise UploadRefused(f"缺少工作表“{title}”，请使用系统提供的模板。")
            elif "unreadable" in message:
                logger.info("Workbook unreadable: %s", message["unreadable"])
                raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。")
    return sheets[HOUSEHOLD_SHEET].finish(), sheets[MEMBER_SHEET].finish(), errors


READER = Path(__file__).with_name("bounded_read.py")
_TAGGED = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda seconds: datetime.timedelta(seconds=seconds),
}


def _tagged(value: dict):
    if value.keys() == {"t", "v"} and value["t"] in _TAGGED:
        return _TAGGED[value["t"]](value["v"])
    return value


@contextlib.contextmanager
def bounded_read(path: Path, titles: list[str]) -> Iterator[Iterator[dict]]:
    """The messages of bounded_read.py reading `titles` of `path` (see there); always reaps the child.

    A child that ends without its last message died of a limit (or a bug of the parser): the
    file is refused with the reason a clerk can act on.
    """
    command = [sys.executable, "-I", "-B", str(READER), str(path), str(PARSE_MEMORY_BYTES), str(PARSE_CPU_SECONDS)]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own script, the path is ours too
            [*command, *titles], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
        # CPU time bounds a busy child; the wall clock bounds one that waits (it never should).
        timer = threading.Timer(PARSE_CPU_SECONDS * 2, process.kill)
        timer.start()
        ended = False

        def messages() -> Iterator[dict]:
            nonlocal ended
            for line in process.stdout:
                message = json.loads(line, object_hook=_tagged)
                ended = "end" in message or "unreadable" in message
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
