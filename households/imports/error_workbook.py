"""The error workbook of a 采集表 import: the file as uploaded, every bad cell highlighted, a 原因 column.

All rows, not only the bad ones. The import is all or nothing (run.py): a file with one error
wrote nothing, so its good rows are still to be imported too. The clerk corrects the highlighted
cells and uploads this workbook as it is: every household goes in once. Uploaded again after
that, its households match by 户编号 and ID number and come out unchanged, never duplicated. A
workbook of the bad rows alone would import only those, or, merged back by hand, invite the
duplicates the registry refuses.

The same sheets (their names in the file) with the same header at the same row, and every data
row at its row number, so 第N行 on the page is row N here. Rows above the header (a title) are
left blank. Values are the uploader's own, unmasked (ID numbers and phones included), so that the
corrected file imports: the workbook is served only to the uploader (views.import_errors, 404 for
anyone else), with no-store, and lives as long as the upload. It is written by the worker when
the validation finds errors, next to the upload (ERRORS_SUFFIX), and expires with it:
core.transfer.expire_transfer_files deletes the upload after TRANSFER_FILE_HOURS and sweeps
this file, which no job names, once it is as old.
"""

from pathlib import Path

from core.excel import DropDown, Flagged, Sheet, write_workbook

from ..codes import Relation
from ..models import ImportJob
from ..resources import HOUSEHOLD_COLUMNS, IDENTIFIER_FIELDS, MEMBER_COLUMNS, MEMBER_SHEET
from ..template_workbook import column_width, listed_values, my_villages
from .headers import HeaderTable, SheetLayout
from .sheets import ParsedRow, SheetError, uploaded_cells

ERRORS_SUFFIX = ".errors.xlsx"
REASON_HEADER = "原因"
REASON_WIDTH = 60
_KNOWN_HEADERS = HeaderTable(HOUSEHOLD_COLUMNS + MEMBER_COLUMNS)


def error_file(job: ImportJob) -> Path | None:
    """Where the job's error workbook is (or goes); None once the upload is gone."""
    upload = job.file_path()
    return upload.with_name(upload.stem + ERRORS_SUFFIX) if upload else None


def person_names(household_rows: list[ParsedRow], member_rows: list[ParsedRow]) -> dict[tuple[str, int], str]:
    """(sheet, row) → the person a row is about: a member row its member, a household row its 户主
    (else its first member)."""
    names: dict[tuple[str, int], str] = {}
    heads: dict[str, str] = {}
    firsts: dict[str, str] = {}
    for row in member_rows:
        name = row.values.get("name")
        if not isinstance(name, str) or not name:
            continue
        names[(row.sheet or MEMBER_SHEET, row.row)] = name
        number = row.values.get("household__household_no") or ""
        firsts.setdefault(number, name)
        if row.values.get("relation") == Relation.HEAD:
            heads.setdefault(number, name)
    for row in household_rows:
        number = row.values.get("household_no") or ""
        head = heads.get(number) or firsts.get(number)
        if head:
            names.setdefault((row.sheet, row.row), head)
    return names


def described(errors: list[SheetError], names: dict[tuple[str, int], str]) -> list[dict]:
    """The errors as the page, the API and the workbook show them: each with the person's name.

    A member row's reason may already begin with the name (ParsedRow.error): it is said once.
    """
    rows = []
    for error in errors:
        entry = error.as_dict()
        name = names.get((error.sheet, error.row), "")
        if name and entry["reason"].startswith(f"{name}："):
            entry["reason"] = entry["reason"][len(name) + 1 :]
        entry["name"] = name
        rows.append(entry)
    return rows


def _position(layout: SheetLayout, column: str) -> int | None:
    """The column index of the error's column: its header as in the file, else the template's."""
    if column in layout.headers:
        return layout.headers.index(column)
    for position, mapped in layout.columns.items():
        if mapped.header == column:
            return position
    known = _KNOWN_HEADERS.match(column)
    for position, mapped in layout.columns.items():
        if known is not None and mapped.field == known.field:
            return position
    return None


def _reason(entry: dict) -> str:
    person = f"（{entry['name']}）" if entry.get("name") else ""
    return f"{entry['column']}{person}：{entry['reason']}"


def _sheet(layout: SheetLayout, cells_by_row: dict[int, list], errors: list[dict], villages: list[str]) -> Sheet:
    """One sheet as uploaded: blank rows above the header, the header, every row at its number."""
    width = max([len(layout.headers), *(len(cells) for cells in cells_by_row.values())])
    marks: dict[int, dict[int, None]] = {}
    reasons: dict[int, list[str]] = {}
    for entry in errors:
        reasons.setdefault(entry["row"], []).append(_reason(entry))
        position = _position(layout, entry["column"])
        if position is not None:
            marks.setdefault(entry["row"], {})[position] = None
    header_row = max(1, layout.header_row)
    last = max([header_row, *cells_by_row, *reasons])

    def rows():
        for number in range(header_row + 1, last + 1):
            cells = list(cells_by_row.get(number) or [])
            if not cells and number not in reasons:
                yield []
                continue
            cells += [None] * (width - len(cells))
            for position in marks.get(number, {}):
                cells[position] = Flagged(cells[position])
            reason = "；".join(reasons.get(number, []))
            yield [*cells, Flagged(reason) if reason else None]

    headers = [*layout.headers, *[""] * (width - len(layout.headers)), REASON_HEADER]
    text_columns = {position + 1 for position, column in layout.columns.items() if column.field in IDENTIFIER_FIELDS}
    widths = {position + 1: column_width(column) for position, column in layout.columns.items()}
    widths[width + 1] = REASON_WIDTH
    drop_downs = []
    for position, column in sorted(layout.columns.items()):
        values = villages if column.field == "village_id" else listed_values(column)
        if values:
            drop_downs.append(DropDown(position + 1, tuple(values)))
    return Sheet(
        layout.title,
        headers,
        rows(),
        widths=widths,
        preamble=[[] for _ in range(header_row - 1)],
        text_columns=frozenset(text_columns),
        drop_downs=drop_downs,
    )


def write_error_workbook(job: ImportJob, layouts: list[SheetLayout], errors: list[dict]) -> Path | None:
    """Write the job's error workbook (every error of `errors`, described()) next to its upload.

    The cells come from the upload again (the reading keeps only the values it maps)."""
    target = error_file(job)
    if target is None:
        return None
    titles = [layout.title for layout in layouts]
    cells = uploaded_cells(job.file_path(), titles)
    by_sheet: dict[str, list[dict]] = {}
    for entry in errors:
        # A single table (one sheet for households and members) takes the errors of both.
        sheet = entry["sheet"] if entry["sheet"] in titles or len(titles) != 1 else titles[0]
        by_sheet.setdefault(sheet, []).append(entry)
    villages = [code for code, *_ in my_villages(job.user)]
    sheets = [
        _sheet(layout, cells.get(layout.title, {}), by_sheet.get(layout.title, []), villages) for layout in layouts
    ]
    partial = target.with_name(target.name + ".part")
    write_workbook(partial, sheets)
    partial.replace(target)  # a download never reads a half-written file
    return target
