"""Background work that dies: a job's heartbeat and reaper, and real workers killed with SIGKILL.

A worker here is a real `celery worker` process (tests/fupin/fault_worker.py) on this test's
database and media directory, listening on a queue of its own in a Redis database of its own,
so no other test run can take its tasks. FAULT_PAUSE stops it in the middle of one step, where
the test kills it; the product code has no hook for that.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import IncidenceRate
from assessment.tasks import recompute_incidence
from core import transfer
from core.codes import Role
from core.models import ExportJob
from core.tasks import run_transfer_job
from fupin.celery import app
from fupin.exports import run_export
from households.imports import run_import
from households.models import Household, ImportJob, Member
from tests.factories import UserFactory, household_with_members, region, write_collection_file
from tests.histories import with_history
from tests.households.test_import import sheet_rows
from tests.households.test_upload_bounds import handmade_xlsx
from villages.models import County, Village, VillagePopulation

pytestmark = pytest.mark.django_db(transaction=True)

# A Redis database no other part of the project uses: a killed worker's unacknowledged
# message stays there, out of every other worker's way.
FAULT_REDIS_DB = 14


def per_kind(imports: int, exports: int) -> dict[str, int]:
    """What a sweep reports per job kind; department lists (monitoring) keep no file to sweep here."""
    return {"imports": imports, "exports": exports, "department_lists": 0}


def fault_broker() -> str:
    url = settings.CELERY_BROKER_URL.split("?")[0]
    if url.startswith("redis+socket://"):
        return f"{url}?virtual_host={FAULT_REDIS_DB}"
    return f"{url.rpartition('/')[0]}/{FAULT_REDIS_DB}"


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    marker: Path
    log: Path

    def send(self, task, *args) -> None:
        with app.connection_for_write(fault_broker()) as broker:
            task.apply_async(args, queue=self.queue, connection=broker)

    def paused_pid(self, seconds: float = 60) -> int:
        """The process id of the pool process stopped at FAULT_PAUSE."""
        assert wait_for(lambda: self.marker.exists() and self.marker.read_text(), seconds), self.tail()
        return int(self.marker.read_text())

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextlib.contextmanager
def worker(tmp_path, *, pause: str = "", pool: str = "prefork", queue: str | None = None):
    """A `celery worker` process of one pool process; killed (its whole process group) on the way out."""
    queue = queue or f"faults-{uuid.uuid4().hex}"
    name = uuid.uuid4().hex[:8]
    log = tmp_path / f"worker-{name}.log"
    environment = {
        **os.environ,
        "FAULT_DATABASE": connection.settings_dict["NAME"],
        "FAULT_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FAULT_BROKER": fault_broker(),
        "FAULT_KEYPREFIX": settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"],
        "FAULT_PAUSE": pause,
        "FAULT_MARKER": str(tmp_path / f"paused-{name}"),
    }
    command = [sys.executable, "-m", "celery", "-A", "tests.fupin.fault_worker", "worker", "-Q", queue]
    command += ["-P", pool, "-c", "1", "-l", "INFO", "-n", f"{name}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process, queue, Path(environment["FAULT_MARKER"]), log)
    try:
        assert wait_for(lambda: " ready." in running.tail() or process.poll() is not None), running.tail()
        assert process.poll() is None, running.tail()
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        connections.close_all()
        forget_queue(queue)


def forget_queue(queue: str) -> None:
    """Delete the queue's keys in the fault database, and what its jobs queued (recomputes) there."""
    with app.connection_for_write(fault_broker()) as broker:
        client = broker.default_channel.client
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}", "celery")


def forget_unacknowledged(queue: str) -> None:
    """Drop the message a killed worker left unacknowledged in the fault database."""
    with app.connection_for_write(fault_broker()) as broker:
        client = broker.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if queue.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def status_of(job) -> str:
    return type(job).objects.values_list("status", flat=True).get(pk=job.pk)


@pytest.fixture
def village():
    county = region("622926000000", "东乡族自治县")
    County.objects.create(region=county, is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    return region("622926101201", "红柳村")


@pytest.fixture
def clerk(village):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=village.parent)


def queued_import(user, path, *, status=ImportJob.Status.VALIDATING) -> ImportJob:
    stored = f"{uuid.uuid4().hex}.xlsx"
    (ImportJob.file_dir() / stored).write_bytes(path.read_bytes())
    return ImportJob.objects.create(user=user, original_name=path.name, stored_name=stored, status=status)


def lock_key(job) -> int:
    return zlib.crc32(":".join(str(part) for part in transfer._lock_key(type(job), job.pk)).encode())


# The reaper and the heartbeat, without a worker.


def test_a_job_whose_beat_stopped_is_failed_with_a_message_and_its_upload_purged(clerk, tmp_path):
    now = timezone.now()
    job = queued_import(clerk, write_collection_file(tmp_path / "a.xlsx", *sheet_rows(households=1)))
    fresh = queued_import(clerk, write_collection_file(tmp_path / "b.xlsx", *sheet_rows(households=1)))
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=now - timedelta(minutes=10), attempts=1)
    ImportJob.objects.filter(pk=fresh.pk).update(heartbeat_at=now, attempts=1)
    upload = job.file_path()

    assert transfer.reap_stale_jobs(now=now) == per_kind(1, 0)
    job.refresh_from_db()
    assert (job.status, job.message) == ("FAILED", transfer.INTERRUPTED)
    assert status_of(fresh) == "VALIDATING"  # its worker beats
    # Failed, its upload goes at the next purge, whatever its age; the live job keeps its file.
    assert transfer.expire_transfer_files(now=now) == per_kind(1, 0)
    assert not upload.exists() and fresh.file_path() is not None
    assert transfer.reap_stale_jobs(now=now) == per_kind(0, 0)


def test_a_late_beat_of_a_run_that_holds_its_lock_is_waited_for_and_a_lost_one_is_not(clerk):
    now = timezone.now()
    running = ImportJob.objects.create(user=clerk, original_name="a.xlsx", heartbeat_at=now - timedelta(minutes=2))
    lost = ImportJob.objects.create(user=clerk, original_name="b.xlsx", heartbeat_at=now - timedelta(minutes=2))
    worker_session = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        # Held as the worker holds it behind PgBouncer too (core/locks.py): in an open transaction
        # of its own connection, which the pooler keeps on one server connection.
        worker_session.set_autocommit(False)
        with worker_session.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(running)])
        assert transfer.reap_stale_jobs(now=now) == per_kind(1, 0)
        assert (status_of(running), status_of(lost)) == ("VALIDATING", "FAILED")
        # No beat at all for the stale period: failed even though a session still holds the lock.
        assert transfer.reap_stale_jobs(now=now + timedelta(minutes=4)) == per_kind(1, 0)
        assert status_of(running) == "FAILED"
    finally:
        worker_session.rollback()
        worker_session.close()


def test_a_job_that_never_started_fails_once_its_file_would_expire(clerk):
    job = ImportJob.objects.create(user=clerk, original_name="a.xlsx")
    report = ExportJob.objects.create(user=clerk, report="households", params={"region": "622926101000"})
    assert transfer.reap_stale_jobs() == per_kind(0, 0)  # queued: a worker may be busy
    later = timezone.now() + timedelta(hours=settings.TRANSFER_FILE_HOURS, minutes=1)
    assert transfer.reap_stale_jobs(now=later) == per_kind(1, 1)
    job.refresh_from_db()
    report.refresh_from_db()
    assert (job.message, report.error) == (transfer.NEVER_STARTED, transfer.NEVER_STARTED)


def test_a_running_job_beats_from_its_own_connection(clerk, monkeypatch):
    monkeypatch.setattr(transfer, "HEARTBEAT_SECONDS", 0.1)
    job = ImportJob.objects.create(user=clerk, original_name="a.xlsx")
    seen = []

    def slow_work(job, **options):
        for _ in range(8):
            time.sleep(0.1)
            seen.append(ImportJob.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk))
        transfer.finish(job, ImportJob.Status.PREVIEW)

    monkeypatch.setitem(transfer._work, ImportJob, slow_work)
    job = transfer.run_job(ImportJob, job.pk)
    assert len(set(seen)) >= 3  # the beat moved while the work ran
    assert (job.status, job.heartbeat_at, job.attempts) == ("PREVIEW", None, 1)


def test_a_message_that_keeps_killing_its_worker_is_stopped(clerk, monkeypatch):
    job = ImportJob.objects.create(user=clerk, original_name="a.xlsx", attempts=transfer.MAX_ATTEMPTS)
    monkeypatch.setitem(transfer._work, ImportJob, lambda job, **options: pytest.fail("run again"))
    job = run_import(job.pk, False)
    assert (job.status, job.message) == ("FAILED", transfer.TOO_MANY_ATTEMPTS)


def test_a_message_whose_job_is_gone_is_dropped_with_a_warning(clerk, caplog):
    """A job deleted (with its files) while its message waited in the broker: nothing to run."""
    job = ImportJob.objects.create(user=clerk, original_name="a.xlsx")
    job_id = job.pk
    job.delete()
    with caplog.at_level("WARNING", logger=transfer.logger.name):
        result = run_transfer_job(ImportJob._meta.label, job_id, {"commit": False})
    assert result == {"kind": "households.ImportJob", "job": job_id, "status": None}
    assert f"#{job_id} no longer exists" in caplog.text
    assert run_export(job_id + 1_000_000) is None


# Real workers, killed.


def test_a_hostile_upload_fails_its_job_and_the_same_worker_runs_the_next(clerk, tmp_path):
    far = handmade_xlsx(tmp_path / "far.xlsx", household_rows='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    hostile = queued_import(clerk, far)
    good = queued_import(clerk, write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=2)))
    with worker(tmp_path) as running:
        pid = running.process.pid
        running.send(run_transfer_job, "households.ImportJob", hostile.pk, {"commit": False})
        running.send(run_transfer_job, "households.ImportJob", good.pk, {"commit": False})
        assert wait_for(lambda: status_of(good) == "PREVIEW"), running.tail()
        assert running.process.poll() is None and running.process.pid == pid
        assert "WorkerLostError" not in running.tail()  # not even its pool process died
    hostile.refresh_from_db()
    assert hostile.status == "FAILED" and "超出了内存或时间上限" in hostile.message


def test_an_import_killed_in_its_commit_writes_nothing_and_is_run_again_to_the_end(clerk, tmp_path):
    path = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=5))
    job = queued_import(clerk, path, status=ImportJob.Status.COMMITTING)
    with worker(tmp_path, pause="import-commit") as running:
        running.send(run_transfer_job, "households.ImportJob", job.pk, {"commit": True})
        pool_process = running.paused_pid()
        # Five households are inserted, in the import's one open transaction: none is visible.
        assert Household.objects.count() == 0
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("COMMITTING", 1) and job.heartbeat_at is not None
        os.kill(pool_process, signal.SIGKILL)
        assert wait_for(lambda: status_of(job) == "DONE"), running.tail()
        assert "WorkerLostError" in running.tail()
    job.refresh_from_db()
    assert job.attempts == 2 and job.counts["households_new"] == 5
    assert (Household.objects.count(), Member.objects.count()) == (5, 15)
    # The retry wrote exactly what the file says: importing it once more changes nothing.
    again = run_import(queued_import(clerk, path, status=ImportJob.Status.COMMITTING).pk, True)
    assert again.status == "DONE"
    assert (again.counts["households_unchanged"], again.counts["households_new"]) == (5, 0)


def rows_of(job: ExportJob) -> list:
    workbook = load_workbook(job.file_path(), read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
    finally:
        workbook.close()


def test_an_export_killed_while_writing_is_failed_by_the_reaper_purged_and_a_rerun_matches(village, tmp_path):
    for _ in range(15):
        household_with_members(village, size=2)
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=village.parent.parent)
    params = {"region": "622926000000", "year": None, "full": False, "split_by_county": False}
    job = ExportJob.objects.create(user=reviewer, report="households", params=params)
    with worker(tmp_path, pause="export", pool="solo") as running:
        running.send(run_transfer_job, "fupin.ExportJob", job.pk)
        assert running.paused_pid() == running.process.pid  # solo: the worker itself
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait()
    forget_unacknowledged(running.queue)  # the killed worker's message: the reaper's case, not a redelivery
    job.refresh_from_db()
    assert job.status == "RUNNING" and job.heartbeat_at is not None  # what was stuck forever before
    assert wait_for(lambda: not transfer._running(ExportJob, job.pk), 10)  # PostgreSQL saw the connection go
    assert transfer.reap_stale_jobs() == per_kind(0, 0)  # two beats' grace
    later = timezone.now() + timedelta(seconds=transfer.LOST_SECONDS + 1)
    assert transfer.reap_stale_jobs(now=later) == per_kind(0, 1)
    job.refresh_from_db()
    assert (job.status, job.error, job.file_name) == ("FAILED", transfer.INTERRUPTED, "")
    # Whatever it had written goes with the next purge once old: nothing of it lingers.
    transfer.expire_transfer_files(now=timezone.now() + timedelta(hours=settings.TRANSFER_FILE_HOURS, minutes=1))
    assert list(ExportJob.file_dir().iterdir()) == []

    rerun = ExportJob.objects.create(user=reviewer, report="households", params=params)
    with worker(tmp_path) as running:
        running.send(run_transfer_job, "fupin.ExportJob", rerun.pk)
        assert wait_for(lambda: status_of(rerun) == "DONE"), running.tail()
    rerun.refresh_from_db()
    clean = run_export(ExportJob.objects.create(user=reviewer, report="households", params=params).pk)
    assert rerun.rows_written == clean.rows_written == 15
    assert rows_of(rerun) == rows_of(clean)


def incidence_rows() -> dict:
    return {
        (row.region_id, row.year): (row.poor_households, row.poor_population, row.rural_population, row.rate)
        for row in IncidenceRate.objects.all()
    }


def test_an_incidence_recompute_killed_between_years_is_run_again_to_the_same_figures(village, tmp_path):
    VillagePopulation.objects.create(
        village=Village.objects.create(region=village, is_poor_village=True), year=2016, rural_population=1000
    )
    with_history(household_with_members(village, size=3), identified_year=2016)
    recompute_incidence()  # every year, in this process: the figures before the change
    before = incidence_rows()
    with_history(household_with_members(village, size=4), identified_year=2016)
    years = sorted({year for _, year in before})
    assert len(years) >= 2

    with worker(tmp_path, pause="incidence") as running:
        running.send(recompute_incidence)
        pool_process = running.paused_pid()
        paused = incidence_rows()
        os.kill(pool_process, signal.SIGKILL)
        # Put back and run again from the start (reject_on_worker_lost): every year recomputed.
        assert wait_for(lambda: "recompute_incidence" in running.tail() and " succeeded in " in running.tail())
        assert "WorkerLostError" in running.tail()
    after = incidence_rows()
    # Killed after the first year: each year's rows are all before or all after, never a mix.
    first = [key for key in paused if key[1] == years[0]]
    assert all(paused[key] == after[key] != before[key] for key in first if key[0] == "622926000000")
    for year in years[1:]:
        assert all(paused[key] == before[key] for key in before if key[1] == year)
    assert after != before
    recompute_incidence()  # a clean run of the same data gives the same figures
    assert incidence_rows() == after
