"""Shared Excel writing: official headers, text-typed IDs, escaped formula-like cells, streamed.

Every report is written in openpyxl write-only mode (rows stream to disk; memory stays flat),
the header row frozen and filtered. A string that starts with = + - @ tab or CR is stored
as a *string* cell with Excel's quote prefix: it can never run as a formula, and it
re-imports unchanged (no apostrophe is added to the data).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .text import sanitise_for_export

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass
class Sheet:
    """One sheet of a report: its title, the official headers, and the rows (lazily)."""

    title: str
    headers: list[str]
    rows: Iterable[list]
    widths: dict[int, int] = field(default_factory=dict)


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def cell(sheet, value):
    """What to append for `value`: plain values as they are (openpyxl types a str as text),
    a cell object only where needed — formula-like text, money, dates. Text loses what an xlsx
    cannot hold (core/text.py), so no stored value can stop an export."""
    if isinstance(value, str):
        value = sanitise_for_export(value)
        if not value.startswith(FORMULA_PREFIXES):
            return value
        written = WriteOnlyCell(sheet, value=value)
        written.data_type = "s"  # text, never a formula
        written.quotePrefix = True
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


def write_workbook(path, sheets: Iterable[Sheet], progress: Callable[[int], None] | None = None, every=5000) -> int:
    """Stream `sheets` into an xlsx at `path`; returns the number of data rows written."""
    workbook = Workbook(write_only=True)
    written = 0
    for sheet in sheets:
        worksheet = workbook.create_sheet(sanitise_for_export(sheet.title)[:31])
        worksheet.freeze_panes = "A2"
        for index, header in enumerate(sheet.headers, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = sheet.widths.get(
                index, max(10, len(header) * 2 + 2)
            )
        header_cells = []
        for header in sheet.headers:
            header_cell = WriteOnlyCell(worksheet, value=sanitise_for_export(header))
            header_cell.font = HEADER_FONT
            header_cell.fill = HEADER_FILL
            header_cells.append(header_cell)
        worksheet.append(header_cells)
        count = 0
        for row in sheet.rows:
            worksheet.append([cell(worksheet, value) for value in row])
            count += 1
            written += 1
            if progress and written % every == 0:
                progress(written)
        worksheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(sheet.headers)))}{count + 1}"
    if not workbook.worksheets:
        workbook.create_sheet("空")
    workbook.save(path)
    return written
