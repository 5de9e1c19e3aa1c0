"""The transfer-job pipeline: background jobs that read or write one file of personal data.

An import (an uploaded 采集表) and an export (a generated report) are the same kind of job: a
row that records who asked, the status and the progress that the page polls, and one file
under MEDIA_ROOT/<directory>/ that is only ever served privately and is deleted after
TRANSFER_FILE_HOURS. An app declares its job model as a `TransferJob` and registers the work
in its AppConfig.ready (`register`); the kernel runs it (one run per job at a time, finished
jobs left alone, failures recorded on the row, see `run_job`) and expires the files of every
registered kind (`expire_transfer_files`). Queueing a run is `core.tasks.queue_transfer_job`.

No job stays in progress forever: a running job beats (`heartbeat_at`, every
TRANSFER_HEARTBEAT_SECONDS from a thread of its worker), and `reap_stale_jobs` fails a job
whose beat stopped, so its files are purged like any other (docs/architecture.md).
"""

import contextlib
import glob
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.http import FileResponse, Http404
from django.utils import timezone

from .downloads import private_download
from .garbage_collection import fewer_full_collections
from .locks import advisory_lock

logger = logging.getLogger(__name__)

# Every kind's Status has these three; the pipeline never touches a finished job again.
DONE, FAILED, EXPIRED = "DONE", "FAILED", "EXPIRED"
FINISHED = (DONE, FAILED, EXPIRED)

HEARTBEAT_SECONDS = settings.TRANSFER_HEARTBEAT_SECONDS
# A job without a beat for this long has stopped, whatever its worker says.
STALE_SECONDS = settings.TRANSFER_STALE_SECONDS
# A job that no session is running and that missed this long has lost its worker.
LOST_SECONDS = 2 * HEARTBEAT_SECONDS
# A message that kills its worker is delivered again (reject_on_worker_lost): not forever.
MAX_ATTEMPTS = 3

INTERRUPTED = "后台任务中断（处理进程已停止），请重新提交。"
NEVER_STARTED = "后台任务长时间未能开始，请重新提交。"
TOO_MANY_ATTEMPTS = "后台任务多次中断，已停止；请检查文件或条件后重新提交。"


class TransferJob(models.Model):
    """A job model of the pipeline: which of its fields and statuses play which part.

    The fields stay on the concrete models (their verbose names differ); a subclass names
    them in these class attributes, and its Status has DONE, FAILED and EXPIRED.
    """

    directory: ClassVar[str]  # MEDIA_ROOT/<directory>/ holds the files of this kind
    file_field: ClassVar[str]  # the stored file's name; "" before it is written and after it expired
    file_time_field: ClassVar[str]  # when the file was written: its age counts from here
    done_field: ClassVar[str]  # progress: rows or households done …
    total_field: ClassVar[str]  # … of this many
    message_field: ClassVar[str]  # why the job failed, in words for its user
    active_statuses: ClassVar[tuple[str, ...]]  # a worker has (or will have) the file open: it is not expired
    expires_with_file: ClassVar[tuple[str, ...]]  # no use without the file: these become EXPIRED with it
    complete_statuses: ClassVar[tuple[str, ...]] = (DONE,)  # shown as 100 %

    # Written by the pipeline only: when the running job last showed it was alive, and how
    # many runs of its current step have started (a redelivered message starts another).
    heartbeat_at = models.DateTimeField("心跳时间", null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("运行次数", default=0, editable=False)

    class Meta:
        abstract = True

    def queue_options(self) -> dict:
        """The options its run was queued with, for a run sent again after the broker was away."""
        return {}

    @property
    def percent(self) -> int:
        if self.status in self.complete_statuses:
            return 100
        total = getattr(self, self.total_field)
        return min(99, getattr(self, self.done_field) * 100 // total) if total else 0

    @classmethod
    def file_dir(cls) -> Path:
        path = Path(settings.MEDIA_ROOT) / cls.directory
        path.mkdir(parents=True, exist_ok=True)
        return path

    def file_path(self) -> Path | None:
        """The job's file, or None before it is written and once it has been deleted."""
        name = getattr(self, self.file_field)
        path = self.file_dir() / name if name else None
        return path if path and path.exists() else None


_work: dict[type[TransferJob], Callable[..., None]] = {}

# Sent with `job=` when a run leaves a job at rest (done, a preview to confirm, failed, or failed by
# the reaper): its user is told (core/notifications.py listens, connected in CoreConfig.ready).
job_ended = Signal()


def register(model: type[TransferJob], *, work: Callable[..., None]) -> None:
    """Make `model` a kind of transfer job whose run is `work(job, **options)`.

    `work` moves the job on with `begin`, the progress writers and `finish`; a ValidationError
    it raises fails the job with its messages, anything else fails it and reaches the worker.
    """
    _work[model] = work


def kinds() -> list[type[TransferJob]]:
    return list(_work)


def run_job(model: type[TransferJob], job_id: int, **options) -> TransferJob | None:
    """Run a job's registered work once; idempotent for a finished job.

    A second run of the same job (a redelivered message) waits for the first, then finds the
    job finished and returns it unchanged. While the work runs the job beats; whatever the
    work raises, the job ends FAILED with a message in Chinese (the exception's text, which
    may quote personal data, goes only to the log), never left in progress. A message whose
    job is gone (deleted with its files after it waited in the broker) is dropped: None.
    """
    with advisory_lock(*_lock_key(model, job_id), wait=True):
        job = model.objects.select_related("user").filter(pk=job_id).first()
        if job is None:
            logger.warning("Transfer job %s #%s no longer exists; its message is dropped", model._meta.label, job_id)
            return None
        if job.status in FINISHED:
            return job
        if job.attempts >= MAX_ATTEMPTS:
            fail(job, TOO_MANY_ATTEMPTS)
            job.refresh_from_db()
            _announce(job)
            return job
        _update(job, heartbeat_at=timezone.now(), attempts=F("attempts") + 1)
        try:
            with _heartbeat(job), fewer_full_collections():  # a job's heap lives until its end
                _work[model](job, **options)
        except ValidationError as error:  # the file's or the request's fault: the user reads why
            fail(job, "；".join(error.messages))
        except Exception as error:
            logger.exception("Transfer job %s #%s failed", model._meta.label, job_id)
            fail(job, f"后台任务出错（{type(error).__name__}），请重新提交；如仍出错请联系管理员。")
            job.refresh_from_db()
            _announce(job)
            raise
        job.refresh_from_db()
        _announce(job)
        return job


def _announce(job: TransferJob) -> None:
    """Tell the listeners of `job_ended` that a run left `job` at rest; a listener's error is only logged."""
    if job.status in job.active_statuses:
        return
    for _receiver, outcome in job_ended.send_robust(sender=type(job), job=job):
        if isinstance(outcome, Exception):
            logger.error("A listener of job_ended failed for %s #%s: %r", job._meta.label, job.pk, outcome)


def _lock_key(model: type[TransferJob], job_id: int) -> tuple:
    """The advisory lock a run holds: held means a live session is running the job."""
    return ("transfer_job", model._meta.label, job_id)


@contextlib.contextmanager
def _heartbeat(job: TransferJob) -> Iterator[None]:
    """Beat every HEARTBEAT_SECONDS while the block runs, from a thread with its own connection.

    The work may hold one long transaction (an import commits all or nothing), so the beat
    commits on a connection of its own; it never waits for the job's row lock (NO KEY UPDATE
    is compatible with the key-share locks the work's foreign keys take). A beat that fails
    is logged and tried again at the next one: a missing beat is exactly what the reaper reads.
    A job that has ended (or been reaped) is not beaten back to life.
    """
    stop = threading.Event()
    table = connections[DEFAULT_DB_ALIAS].ops.quote_name(job._meta.db_table)

    def beat() -> None:
        side = None
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                side = side or connections.create_connection(DEFAULT_DB_ALIAS)
                with side.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} SET heartbeat_at = %s"  # noqa: S608 - the model's own table
                        f" WHERE id = (SELECT id FROM {table} WHERE id = %s AND status = ANY(%s)"
                        " FOR NO KEY UPDATE SKIP LOCKED)",
                        [timezone.now(), job.pk, list(job.active_statuses)],
                    )
            except Exception:
                logger.warning("Heartbeat of transfer job %s #%s missed", job._meta.label, job.pk, exc_info=True)
                if side is not None:
                    side.close()
                side = None
        if side is not None:
            side.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job._meta.label}-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _update(job: TransferJob, **fields) -> None:
    type(job).objects.filter(pk=job.pk).update(**fields)


def begin(job: TransferJob, *, total: int, status: str | None = None) -> None:
    """The work has started: `total` rows (or households) to go, none done yet."""
    fields = {job.total_field: total, job.done_field: 0}
    if status:
        fields["status"] = status
    _update(job, **fields)


def progress_writer(job: TransferJob) -> Callable[[int], None]:
    """A function recording progress on the worker's connection, for work that runs in autocommit."""
    return lambda done: _update(job, **{job.done_field: done})


@contextlib.contextmanager
def side_progress(job: TransferJob) -> Iterator[Callable[[int], None]]:
    """A function recording progress on a connection of its own, for work in one long transaction.

    The page polls the job while the work's transaction (all or nothing) is still open and
    would hide progress written inside it. The side connection commits each write, and skips
    one rather than wait when another transaction holds the row.
    """
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    table = side.ops.quote_name(job._meta.db_table)
    column = side.ops.quote_name(job._meta.get_field(job.done_field).column)

    def write(done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s"  # noqa: S608 - the model's own table and column
                f" WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                [done, job.pk],
            )

    try:
        yield write
    finally:
        side.close()


def finish(job: TransferJob, status: str, **fields) -> None:
    """The work has ended in `status` (DONE, or a kind's own resting status such as a preview)."""
    _update(job, status=status, finished_at=timezone.now() if status == DONE else None, heartbeat_at=None, **fields)


def fail(job: TransferJob, message: str) -> None:
    limit = job._meta.get_field(job.message_field).max_length
    _update(job, status=FAILED, heartbeat_at=None, **{job.message_field: message[:limit]})


def reap_stale_jobs(now=None) -> dict[str, int]:
    """Fail every job in progress that stopped: counts by directory.

    A job has stopped when its beat is older than TRANSFER_STALE_SECONDS, or older than two
    beats while no session holds its run's lock (its worker was killed: PostgreSQL released
    the lock with the connection). A job that never started is failed once it is as old as
    its file may live. Failed, it is purged like any other; the user reads that it was
    interrupted and submits it again. A beat written meanwhile keeps the job.
    """
    now = now or timezone.now()
    return {model.directory: _reap(model, now) for model in kinds()}


def _reap(model: type[TransferJob], now) -> int:
    stale = now - timedelta(seconds=STALE_SECONDS)
    silent = Q(heartbeat_at__lt=now - timedelta(seconds=LOST_SECONDS))
    unstarted = Q(heartbeat_at__isnull=True, created_at__lt=now - timedelta(hours=settings.TRANSFER_FILE_HOURS))
    reaped = 0
    for job in model.objects.filter(silent | unstarted, status__in=model.active_statuses):
        if job.heartbeat_at is not None and job.heartbeat_at >= stale and _running(model, job.pk):
            continue  # a late beat of a live run
        message = INTERRUPTED if job.heartbeat_at else NEVER_STARTED
        if model.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
            status=FAILED, **{model.message_field: message}
        ):
            logger.warning("Transfer job %s #%s reaped: %s", model._meta.label, job.pk, message)
            job.refresh_from_db()
            _announce(job)
            reaped += 1
    return reaped


def _running(model: type[TransferJob], job_id: int) -> bool:
    with advisory_lock(*_lock_key(model, job_id)) as free:
        return not free


def expire_transfer_files(now=None) -> dict[str, int]:
    """Delete the files older than TRANSFER_FILE_HOURS of every registered kind; counts by directory.

    Uploads and reports hold personal data; they do not linger. A job that is no use without
    its file (an unconfirmed preview, a finished report) says 已过期; a job in progress keeps
    its file. The row is changed first and the file deleted only if that succeeded, so a job
    confirmed in the meantime keeps its file. A failed job's file is of no use at any age, and
    a file no job names (a report whose worker died while writing it) goes once it is old.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.TRANSFER_FILE_HOURS)
    expired = {}
    for model in kinds():
        expired[model.directory] = _expire(model, cutoff)
        if swept := _sweep_orphans(model, cutoff):
            logger.warning("Deleted %s files of %s that no job names", swept, model.directory)
    return expired


def _expire(model: type[TransferJob], cutoff) -> int:
    written = Coalesce(model.file_time_field, "created_at")  # a failed report has no finished_at
    old = model.objects.alias(written=written).filter(Q(written__lt=cutoff) | Q(status=FAILED))
    old = old.exclude(**{model.file_field: ""})
    expired = 0
    for job in old.exclude(status__in=model.active_statuses):
        status = EXPIRED if job.status in model.expires_with_file else job.status
        if model.objects.filter(pk=job.pk, status=job.status).update(status=status, **{model.file_field: ""}):
            _delete_file(model.file_dir(), getattr(job, model.file_field))
            expired += 1
    return expired


def _delete_file(directory: Path, name: str) -> None:
    """A job's file and its companions, `<name>.<suffix>` (an import's kept reading, imports/read_cache.py)."""
    (directory / name).unlink(missing_ok=True)
    for companion in directory.glob(glob.escape(name) + ".*"):
        companion.unlink(missing_ok=True)


def _sweep_orphans(model: type[TransferJob], cutoff) -> int:
    named = set(model.objects.exclude(**{model.file_field: ""}).values_list(model.file_field, flat=True))
    swept = 0
    for path in model.file_dir().iterdir():
        if path.name.rpartition(".")[0] in named:
            continue  # a companion of a job's file goes with it
        if path.is_file() and path.name not in named and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            swept += 1
    return swept


def download(job: TransferJob, *, filename: str, missing: str) -> FileResponse:
    """The job's file as a private attachment; 404 with `missing` before it is written and once it expired."""
    path = job.file_path()
    if path is None:
        raise Http404(missing)
    return private_download(path.open("rb"), filename)
