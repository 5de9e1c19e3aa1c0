"""Finding a sheet's header row and mapping its columns by header text, whatever their order.

A file from elsewhere (the national system's export, a sheet typed in WPS) has title rows above
the header, headers in another order, with ASCII brackets, units, line breaks or the national
system's own words (身份证号码 for 证件号码), and columns the import does not read. The header
is the row among the first SCAN_ROWS that names the most known columns; a header split over two
rows (a merged group cell above its sub-headers) is read from both. Every header the file has is
either mapped to a Column of households/resources.py or reported as not read (SheetLayout.unread).
"""

import re
import unicodedata
from dataclasses import dataclass, field

from ..resources import CHECKED_FIELDS, Column

SCAN_ROWS = 10
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")
_MARKS = "*＊※★"


def header_key(text) -> str:
    """A header compared by its words: NFKC (full-width brackets and letters as ASCII), no spaces or
    line breaks, no required-marks (*), lower case."""
    if text is None:
        return ""
    key = "".join(unicodedata.normalize("NFKC", str(text)).split())
    return key.strip(_MARKS).lower()


def _without_note(key: str) -> str:
    """The key without its trailing bracket, (亩), (㎡)→(m2), (月) or (可多选): the unit is optional."""
    stripped = _TRAILING_NOTE.sub("", key)
    return stripped if stripped else key


class HeaderTable:
    """The known headers (and aliases) of a set of columns, by header_key."""

    def __init__(self, columns: list[Column]):
        self.exact: dict[str, Column] = {}
        self.loose: dict[str, Column] = {}
        for column in columns:
            for name in (column.header, *column.aliases):
                key = header_key(name)
                self.exact.setdefault(key, column)
                self.loose.setdefault(_without_note(key), column)

    def match(self, text) -> Column | None:
        key = header_key(text)
        if not key:
            return None
        return self.exact.get(key) or self.loose.get(_without_note(key))


@dataclass
class SheetLayout:
    """How one sheet of the file was read: what the preview and the error workbook need.

    title       the sheet's name in the file ("CSV" for a .csv)
    header_row  the row number (from 1) of the header; data rows follow it (with a two-row
                header, the lower row)
    headers     the header text of each column as in the file, by column index (from 0)
    columns     column index → the Column of households/resources.py read from it
    unread      (header as in the file, why) of every non-empty header not read
    absent      headers of the template's columns the file does not have
    hidden      the sheet is hidden in the workbook (it was read all the same)
    """

    title: str
    header_row: int = 0
    first_header_row: int = 0  # the upper row of a two-row header (else header_row)
    headers: list[str] = field(default_factory=list)
    columns: dict[int, Column] = field(default_factory=dict)
    unread: list[tuple[str, str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    hidden: bool = False

    def header_of(self, field_name: str, default: str = "") -> str:
        """The file's header of the column read into `field_name` (else `default`)."""
        for position, column in self.columns.items():
            if column.field == field_name:
                return self.headers[position] or column.header
        return default

    def as_dict(self) -> dict:
        return {
            "sheet": self.title,
            "header_row": self.header_row,
            "first_header_row": self.first_header_row,
            "unread": [{"column": header, "reason": reason} for header, reason in self.unread],
            "absent": list(self.absent),
            "hidden": self.hidden,
        }


def _score(table: HeaderTable, cells: list) -> int:
    return len({column.field for column in map(table.match, cells) if column is not None})


def _text(cell) -> str:
    return "" if cell is None else " ".join(str(cell).split())


def find_header(rows: list[tuple[int, list]], table: HeaderTable) -> tuple[int, int]:
    """(index in `rows` of the header row, index of the last header row): the row naming the most
    known columns among the first SCAN_ROWS, and the row below it when it adds sub-headers."""
    best, best_score = 0, -1
    for index, (_, cells) in enumerate(rows[:SCAN_ROWS]):
        score = _score(table, cells)
        if score > best_score:
            best, best_score = index, score
    last = best
    if best + 1 < len(rows):
        upper, lower = rows[best][1], rows[best + 1][1]
        adds = [
            position
            for position, cell in enumerate(lower)
            if table.match(cell) is not None and (position >= len(upper) or table.match(upper[position]) is None)
        ]
        # Only sub-headers: a data row never names a column (a cell "户主" is an alias of 户主姓名,
        # so a lower row that also holds data-like cells elsewhere is not taken).
        others = [position for position, cell in enumerate(lower) if _text(cell) and table.match(cell) is None]
        if adds and not others:
            last = best + 1
    return best, last


def build_layout(
    title: str, rows: list[tuple[int, list]], first: int, last: int, columns: list[Column], importable: set[str]
) -> SheetLayout:
    """The layout of the header rows rows[first..last]: each column mapped or reported.

    `importable` are the fields read from this sheet (the rest of `columns` are known but only
    exported, and reported as not read with the reason).
    """
    table = HeaderTable(columns)
    upper = rows[first][1] if rows else []
    lower = rows[last][1] if rows else []
    width = max(len(upper), len(lower))
    layout = SheetLayout(title, rows[last][0] if rows else 1, rows[first][0] if rows else 1)
    taken: dict[str, str] = {}
    for position in range(width):
        top = _text(upper[position]) if position < len(upper) else ""
        bottom = _text(lower[position]) if last != first and position < len(lower) else ""
        # A sub-header names the column; a group cell merged over several columns does not.
        header = bottom if bottom and table.match(bottom) is not None else top or bottom
        layout.headers.append(header)
        if not header:
            continue
        column = table.match(header)
        if column is None:
            layout.unread.append((header, "不是采集表的列"))
        elif column.field in taken:
            layout.unread.append((header, f"与“{taken[column.field]}”重复，只读取第一列"))
        elif column.field not in importable and column.field not in CHECKED_FIELDS:
            layout.unread.append((header, "由系统生成，不导入"))
        else:
            taken[column.field] = header
            layout.columns[position] = column
    layout.absent = [column.header for column in columns if column.field in importable and column.field not in taken]
    return layout
