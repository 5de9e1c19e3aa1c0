"""Read the rows of some sheets of an .xlsx in a child process under hard limits.

Run as a script by sheets.read_sheets (`python -I -B bounded_read.py PATH MEMORY CPU TITLE…`),
never imported by the project: it loads nothing but python-calamine, so that a workbook which
makes calamine ask for tens of GB (a cell at XFD1048576, a shared string copied into millions
of cells) ends this process, not the worker. It first lowers its own address-space, CPU-time
and file-size limits, then writes one JSON line per message on stdout:

    {"sheets": [every sheet name]}
    {"sheet": title}                       then, per non-empty row of that sheet,
    {"row": number, "cells": [...]}        number counted from 1, cells from column A
    {"end": true}

or {"unreadable": detail} when calamine refuses the file. Dates and times are tagged objects
({"t": "date", "v": iso}) so the parent gets back the values calamine returned.
"""

import datetime
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


def main(path: str, memory_bytes: int, cpu_seconds: int, titles: list[str]) -> None:
    _limit(memory_bytes, cpu_seconds)
    from python_calamine import CalamineWorkbook  # loaded under the limits

    try:
        workbook = CalamineWorkbook.from_path(path)
        names = list(workbook.sheet_names)
        _emit({"sheets": names})
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
