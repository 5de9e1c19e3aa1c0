"""Read the rows of some sheets of an .xlsx, .xls or .csv in a child process under hard limits.

Run as a script by sheets.read_file (`python -I -B bounded_read.py PATH MEMORY CPU
[--or-first-sheet] TITLE…`),
never imported by the project: it loads nothing but python-calamine, so that a workbook which
makes calamine ask for tens of GB (a cell at XFD1048576, a shared string copied into millions
of cells) ends this process, not the worker. It first lowers its own address-space, CPU-time
and file-size limits, then writes one JSON line per message on stdout:

    {"sheets": [every sheet name], "hidden": [the hidden ones]}
    {"sheet": title}                       then, per non-empty row of that sheet,
    {"row": number, "cells": [...]}        number counted from 1, cells from column A
    {"end": true}

or {"unreadable": detail} when calamine refuses the file. Dates and times are tagged objects
({"t": "date", "v": iso}) so the parent gets back the values calamine returned.

With --or-first-sheet, a workbook holding none of the titles has its first visible sheet read.
A .csv (by the file's suffix) is one sheet named CSV, every cell text: it is decoded as UTF-8
(with or without BOM), UTF-16 with a BOM, or else GB18030 ({"encoding": name} says which), or
answered {"undecodable": true}.
"""

import codecs
import csv
import datetime
import io
import json
import resource
import sys


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it reads; it never writes a file


def _plain(value):
    if isinstance(value, datetime.datetime):
        return {"t": "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"t": "time", "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"t": "timedelta", "v": value.total_seconds()}
    return value


def _emit(message: dict) -> None:
    # Bytes in UTF-8 whatever the locale says: the parent decodes them so.
    sys.stdout.buffer.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")


CSV_SHEET = "CSV"


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text of a .csv and the encoding that read it, or None."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "strict"), "UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "strict"), "UTF-16"
    for encoding, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding, "strict"), label
        except UnicodeDecodeError:
            continue
    return None


def read_csv(path: str) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        decoded = _decode(data)
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or "\x00" in decoded[0]:
        _emit({"undecodable": True})
        return
    text, encoding = decoded
    del data
    _emit({"sheets": [CSV_SHEET], "hidden": []})
    _emit({"encoding": encoding})
    _emit({"sheet": CSV_SHEET})
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if "\t" in first and "," not in first else ","
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        if any(cell.strip() for cell in cells):
            _emit({"row": number, "cells": cells})
    _emit({"end": True})
    sys.stdout.flush()


def main(path: str, memory_bytes: int, cpu_seconds: int, titles: list[str]) -> None:
    _limit(memory_bytes, cpu_seconds)
    or_first = titles[:1] == ["--or-first-sheet"]
    titles = titles[1:] if or_first else titles
    if path.lower().endswith(".csv"):
        try:
            read_csv(path)
        except MemoryError:
            sys.exit(3)
        except csv.Error as error:
            _emit({"unreadable": f"csv: {error}"[:500]})
        return
    from python_calamine import CalamineWorkbook  # loaded under the limits

    try:
        workbook = CalamineWorkbook.from_path(path)
        names = list(workbook.sheet_names)
        hidden = [sheet.name for sheet in workbook.sheets_metadata if str(sheet.visible).split(".")[-1] != "Visible"]
        _emit({"sheets": names, "hidden": hidden})
        if or_first and not any(title in names for title in titles):
            titles = [name for name in names if name not in hidden][:1] or names[:1]
        for title in titles:
            if title not in names:
                continue
            sheet = workbook.get_sheet_by_name(title)
            _emit({"sheet": title})
            if sheet.start is None:
                continue
            first_row, first_column = sheet.start  # calamine starts at the first non-empty cell
            padding = [None] * first_column
            for offset, cells in enumerate(sheet.iter_rows()):
                if any(cell not in (None, "") for cell in cells):
                    _emit({"row": first_row + offset + 1, "cells": padding + [_plain(cell) for cell in cells]})
        workbook.close()
    except MemoryError:
        sys.exit(3)  # over the limit: ending without "end" says so
    except Exception as error:  # a CalamineError, or anything else calamine cannot make of the file
        _emit({"unreadable": f"{type(error).__name__}: {error}"[:500]})
        return
    _emit({"end": True})
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
