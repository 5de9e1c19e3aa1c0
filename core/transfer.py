"""The transfer-job pipeline: background jobs that read or write one file of personal data.

An import (an uploaded 采集表) and an export (a generated report) are the same kind of job: a
row that records who asked, the status and the progress that the page polls, and one file
under MEDIA_ROOT/<directory>/ that is only ever served privately and is deleted after
TRANSFER_FILE_HOURS. An app declares its job model as a `TransferJob` and registers the work
in its AppConfig.ready (`register`); the kernel runs it (one run per job at a time, finished
jobs left alone, failures recorded on the row, see `run_job`) and expires the files of every
registered kind (`expire_transfer_files`). Queueing a run is `core.tasks.queue_transfer_job`.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.http import FileResponse, Http404
from django.utils import timezone

from .downloads import private_download
from .locks import advisory_lock

# Every kind's Status has these three; the pipeline never touches a finished job again.
DONE, FAILED, EXPIRED = "DONE", "FAILED", "EXPIRED"
FINISHED = (DONE, FAILED, EXPIRED)


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

    class Meta:
        abstract = True

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


def register(model: type[TransferJob], *, work: Callable[..., None]) -> None:
    """Make `model` a kind of transfer job whose run is `work(job, **options)`.

    `work` moves the job on with `begin`, the progress writers and `finish`; a ValidationError
    it raises fails the job with its messages, anything else fails it and reaches the worker.
    """
    _work[model] = work


def kinds() -> list[type[TransferJob]]:
    return list(_work)


def run_job(model: type[TransferJob], job_id: int, **options) -> TransferJob:
    """Run a job's registered work once; idempotent for a finished job.

    A second run of the same job (a redelivered message) waits for the first, then finds the
    job finished and returns it unchanged.
    """
    with advisory_lock("transfer_job", model._meta.label, job_id, wait=True):
        job = model.objects.select_related("user").get(pk=job_id)
        if job.status in FINISHED:
            return job
        try:
            _work[model](job, **options)
        except ValidationError as error:  # the file's or the request's fault: the user reads why
            fail(job, "；".join(error.messages))
        except Exception as error:
            fail(job, str(error))
            raise
        job.refresh_from_db()
        return job


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
    _update(job, status=status, finished_at=timezone.now() if status == DONE else None, **fields)


def fail(job: TransferJob, message: str) -> None:
    limit = job._meta.get_field(job.message_field).max_length
    _update(job, status=FAILED, **{job.message_field: message[:limit]})


def expire_transfer_files(now=None) -> dict[str, int]:
    """Delete the files older than TRANSFER_FILE_HOURS of every registered kind; counts by directory.

    Uploads and reports hold personal data; they do not linger. A job that is no use without
    its file (an unconfirmed preview, a finished report) says 已过期; a job in progress keeps
    its file. The row is changed first and the file deleted only if that succeeded, so a job
    confirmed in the meantime keeps its file.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.TRANSFER_FILE_HOURS)
    return {model.directory: _expire(model, cutoff) for model in kinds()}


def _expire(model: type[TransferJob], cutoff) -> int:
    old = model.objects.filter(**{f"{model.file_time_field}__lt": cutoff}).exclude(**{model.file_field: ""})
    expired = 0
    for job in old.exclude(status__in=model.active_statuses):
        status = EXPIRED if job.status in model.expires_with_file else job.status
        if model.objects.filter(pk=job.pk, status=job.status).update(status=status, **{model.file_field: ""}):
            (model.file_dir() / getattr(job, model.file_field)).unlink(missing_ok=True)
            expired += 1
    return expired


def download(job: TransferJob, *, filename: str, missing: str) -> FileResponse:
    """The job's file as a private attachment; 404 with `missing` before it is written and once it expired."""
    path = job.file_path()
    if path is None:
        raise Http404(missing)
    return private_download(path.open("rb"), filename)
