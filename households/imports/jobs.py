"""The 采集表 import as a job of the transfer pipeline (core/transfer.py).

Upload: the file is stored and guarded at once, and its validation queued. The worker
validates it into a preview (or, confirmed, imports it); a file with errors comes back as its
error workbook (error_workbook.py) to correct and upload again. The commit takes the rows the
preview read (read_cache.py) and checks them all again. The upload expires with the
pipeline's other files.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from core import transfer
from core.permissions import Action, require
from core.tasks import queue_transfer_job

from ..models import ImportJob
from . import read_cache
from .error_workbook import described, person_names, write_error_workbook
from .guard import COLLECTION_FORMATS, UploadRefused, check_upload, store_checked_upload, upload_problems
from .run import import_rows
from .sheets import read_file

logger = logging.getLogger(__name__)

# The preview lists this many errors (and counts the rest): the page and the row stay small.
MAX_STORED_ERRORS = 500


def start_import(*, user, uploaded, commit: bool = False, historical: bool = False) -> ImportJob:
    """Store the upload, refuse a bad file at once (before parsing), queue the validation.

    With `commit` (the API's dry_run=false) a file without errors is imported directly. With
    `historical` it is a 历史数据导入 (county reviewer or province staff only): the records keep
    their status and years (services/historical.py).
    """
    require(user, Action.LOAD_HISTORICAL_RECORDS if historical else Action.IMPORT_COLLECTION_FORM)
    if problems := upload_problems(uploaded):
        raise ValidationError({"file": problems})
    stored = store_checked_upload(uploaded, ImportJob.file_dir(), accepted=COLLECTION_FORMATS)
    job = ImportJob.objects.create(
        user=user,
        original_name=uploaded.name[:200],
        stored_name=stored,
        mode=ImportJob.Mode.HISTORICAL if historical else ImportJob.Mode.REGULAR,
        status=ImportJob.Status.COMMITTING if commit else ImportJob.Status.VALIDATING,
    )
    queue_transfer_job(job, commit=commit)
    return job


@transaction.atomic
def commit_import(*, user, job_id: int) -> ImportJob:
    """The clerk confirms a clean preview: the same file is imported for real, in one transaction."""
    # Each user sees only their own imports: another's is absent (404), like any object out of scope.
    job = ImportJob.objects.select_for_update().get(pk=job_id, user=user)
    historical = job.mode == ImportJob.Mode.HISTORICAL
    require(user, Action.LOAD_HISTORICAL_RECORDS if historical else Action.IMPORT_COLLECTION_FORM)
    if job.status != ImportJob.Status.PREVIEW or job.errors:
        raise ValidationError({"job": ["只有校验无误的导入可以确认导入。"]})
    job.status = ImportJob.Status.COMMITTING
    job.households_done = 0
    job.heartbeat_at, job.attempts = None, 0  # a new step: the validation's beats and runs do not count
    job.save(update_fields=["status", "households_done", "heartbeat_at", "attempts"])
    queue_transfer_job(job, commit=True)
    return job


def run_import(job_id: int, commit: bool) -> ImportJob | None:
    """Validate (or commit) the stored file of a job and record the preview; idempotent when done."""
    return transfer.run_job(ImportJob, job_id, commit=commit)


def validate_or_commit(job: ImportJob, *, commit: bool) -> None:
    """The worker's part of a run (registered in HouseholdsConfig.ready).

    A file refused now (UploadRefused) fails the job with the reason. The households are
    imported in one transaction, so progress is written on a side connection.
    """
    path = job.file_path()
    if path is None:
        raise UploadRefused("上传的文件已不存在，请重新上传。")
    check_upload(path)
    historical = job.mode == ImportJob.Mode.HISTORICAL
    read = read_cache.take(path, historical=historical) if commit else None
    if read is None:
        read = read_file(path, historical=historical)
    frozen = None if commit or read.errors else read_cache.freeze(path, read)  # before the checks fill in the rows
    household_rows = read.households
    transfer.begin(job, total=len(household_rows))
    try:
        with transfer.side_progress(job) as write_progress:
            result = import_rows(
                job.user,
                household_rows,
                read.members,
                read.errors,
                commit=commit,
                progress=write_progress,
                historical=historical,
                source_name=job.original_name,
                import_job=job,
            )
    except BaseException:
        if frozen is not None:  # a run that failed keeps nothing for a commit
            frozen.unlink(missing_ok=True)
        raise
    errors = described(result.errors, person_names(household_rows, read.members))
    if frozen is not None and not errors:  # a preview that can be confirmed: its commit need not read again
        read_cache.store(path, frozen, historical=historical)
    elif frozen is not None:
        frozen.unlink(missing_ok=True)
    if errors:  # the file as uploaded with its errors marked, for the clerk to correct (error_workbook.py)
        try:
            write_error_workbook(job, read.layouts, errors)
        except Exception:  # the preview and its error list stand without the workbook (the page says so)
            logger.exception("Error workbook of import #%s not written", job.pk)
    transfer.finish(
        job,
        ImportJob.Status.DONE if result.committed else ImportJob.Status.PREVIEW,
        counts={**result.counts(), "reading": read.reading()},  # how the file was read, for the preview
        errors=errors[:MAX_STORED_ERRORS],
        errors_total=len(result.errors),
        households_done=len(household_rows),
    )
