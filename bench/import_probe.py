"""One 采集表 import (preview, then 确认导入) of a stored job in a fresh process, so its peak RSS is its own.

    python -m bench.import_probe JOB_ID

What a Celery worker does for one upload, from a cold start: run_import(job, commit=False),
then run_import(job, commit=True), rolled back (bench/steps.py rolled_back), so the database is
unchanged. Prints {"seconds", "preview", "commit", "peak_rss_mib"} as JSON: the process's own
peak (the bounded child that parses the workbook, households/imports/bounded_read.py, is a
process of its own under its own memory limit).
"""

import json
import os
import sys
import time

from bench.harness import peak_rss_mib


def main(job_id: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from bench.steps import rolled_back
    from households.imports import run_import
    from households.models import ImportJob

    with rolled_back():
        started = time.perf_counter()
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.VALIDATING)
        preview = run_import(job_id, False)
        assert preview.status == ImportJob.Status.PREVIEW and not preview.errors, preview.errors[:5]
        validated = time.perf_counter()
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.COMMITTING)
        done = run_import(job_id, True)
        assert done.status == ImportJob.Status.DONE, done.status
        ended = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": round(ended - started, 2),
                "preview": round(validated - started, 2),
                "commit": round(ended - validated, 2),
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
