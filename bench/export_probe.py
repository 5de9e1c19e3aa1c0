"""One export of 1,000,000 member rows in a fresh process, so its peak RSS is its own.

    python -m bench.export_probe fupin|plain OUT.xlsx

`fupin`: the real report (labels, masked IDs, escaping, text columns, widths) through
core/excel.py (XlsxWriter, constant-memory mode).
`plain`: the same query's raw values appended to a plain openpyxl write-only sheet, the
reference the target is set against.
Prints {"seconds", "rows", "peak_rss_mib"} as JSON.
"""

import dataclasses
import itertools
import json
import os
import sys
import time

from bench.harness import peak_rss_mib

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))


def main(mode: str, path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from openpyxl import Workbook

    from core.excel import write_workbook
    from core.models import User
    from households.models import Member
    from households.reports import member_roster
    from households.resources import MEMBER_COLUMNS

    user = User(role="admin", is_superuser=True, is_active=True)
    started = time.perf_counter()
    if mode == "fupin":
        sheet = member_roster(user, "62")
        rows = write_workbook(path, [dataclasses.replace(sheet, rows=itertools.islice(sheet.rows, ROWS))])
    else:
        fields = ["id_number_masked" if c.field == "id_number" else c.field for c in MEMBER_COLUMNS]
        query = (
            Member.objects.filter(is_active=True)
            .order_by("household__village_id", "household_id", "id")
            .values_list(*fields)
        )
        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet("家庭成员")
        worksheet.append([c.header for c in MEMBER_COLUMNS])
        rows = 0
        for values in itertools.islice(query.iterator(chunk_size=5000), ROWS):
            worksheet.append([", ".join(v) if isinstance(v, list) else v for v in values])
            rows += 1
        workbook.save(path)
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - started, 2),
                "rows": rows,
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
