"""The project's Celery app as a worker process for tests/fupin/test_job_faults.py.

Started with `celery -A tests.fupin.fault_worker worker …` so that a test can SIGKILL it. It
works on the test's database, media directory and a Redis database of its own (FAULT_*
variables), and, with FAULT_PAUSE naming a step, stops in the middle of that step once: it
writes its process id to FAULT_MARKER and sleeps, so the test kills it exactly there. A second
run (the retry) finds the marker and goes through. The product code has no hook for this.
"""

import os
import time
from pathlib import Path

from django.conf import settings

from fupin.celery import app  # sets DJANGO_SETTINGS_MODULE

settings.DATABASES["default"]["NAME"] = os.environ["FAULT_DATABASE"]
# Reads stay on the test's database: a standby (DATABASE_REPLICA_URL) names another and trails the test's commits.
settings.DATABASES.pop("replica", None)

import django  # noqa: E402

django.setup()
settings.MEDIA_ROOT = os.environ["FAULT_MEDIA_ROOT"]
app.conf.broker_url = os.environ["FAULT_BROKER"]
# The test process's queue names carry its key prefix (settings: each test process has its own).
app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "global_keyprefix": os.environ["FAULT_KEYPREFIX"],
}

__all__ = ["app"]

PAUSE = os.environ.get("FAULT_PAUSE", "")


def pause_here() -> None:
    marker = Path(os.environ["FAULT_MARKER"])
    if marker.exists():
        return  # the run after the kill goes through
    marker.write_text(str(os.getpid()))
    time.sleep(600)


if PAUSE == "import-commit":
    from households import services

    register_households = services.register_households

    def register_then_pause(*args, **kwargs):
        """The new households are inserted in the import's open transaction: stop before it commits."""
        outcomes = register_households(*args, **kwargs)
        if kwargs.get("write"):
            pause_here()
        return outcomes

    services.register_households = register_then_pause

if PAUSE == "export":
    from fupin import exports

    write_workbook = exports.write_workbook

    def write_then_pause(path, sheets, **kwargs):
        """Stop after ten rows, with the workbook half written."""

        def rows(sheet_rows):
            for index, row in enumerate(sheet_rows):
                if index == 10:
                    pause_here()
                yield row

        for sheet in sheets:
            sheet.rows = rows(sheet.rows)
        return write_workbook(path, sheets, **kwargs)

    exports.write_workbook = write_then_pause

if PAUSE == "incidence":
    from assessment import tasks

    recompute_incidence_rates = tasks.recompute_incidence_rates

    def recompute_then_pause(year):
        """Stop after the first year's upsert, before the next ones."""
        written = recompute_incidence_rates(year)
        pause_here()
        return written

    tasks.recompute_incidence_rates = recompute_then_pause
