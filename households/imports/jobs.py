"""The 采集表 import as a job of the transfer pipeline (core/transfer.py).

Upload: the file is stored and guarded at once, and its validation queued. The worker
validates it into a preview (or, confirmed, imports it); the clerk downloads the bad rows as
an error report. The upload expires with the pipeline's other files.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import load_workbook

from core import transfer
from core.excel import Sheet, write_workbook
from core.permissions import Action, require
from core.tasks import queue_transfer_job

from ..idnumbers import mask_id_number, mask_phone
from ..models import ImportJob
from ..resources import HOUSEHOLD_SHEET, MEMBER_SHEET
from .guard import UploadRefused, check_upload, store_checked_upload, upload_problems
from .run import import_rows
from .sheets import read_sheets

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
    stored = store_checked_upload(uploaded, ImportJob.file_dir())
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


def run_import(job_id: int, commit: bool) -> ImportJob:
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
    household_rows, member_rows, errors = read_sheets(path, historical=historical)
    transfer.begin(job, total=len(household_rows))
    with transfer.side_progress(job) as write_progress:
        result = import_rows(
            job.user,
            household_rows,
            member_rows,
            errors,
            commit=commit,
            progress=write_progress,
            historical=historical,
            source_name=job.original_name,
            import_job=job,
        )
    transfer.finish(
        job,
        ImportJob.Status.DONE if result.committed else ImportJob.Status.PREVIEW,
        counts=result.counts(),
        errors=[error.as_dict() for error in result.errors[:MAX_STORED_ERRORS]],
        errors_total=len(result.errors),
        households_done=len(household_rows),
    )


def error_workbook(job: ImportJob, path: Path | str) -> int:
    """The bad rows of each sheet, as uploaded, with a 原因 column; returns the rows written.

    ID and phone numbers are masked: the report is a second copy of the file, and 原因 with
    the row number says what to fix in the clerk's own workbook.
    """
    masks = {"证件号码": mask_id_number, "联系电话": mask_phone}

    reasons: dict[tuple[str, int], list[str]] = {}
    for error in job.errors:
        reasons.setdefault((error["sheet"], error["row"]), []).append(f"{error['column']}：{error['reason']}")
    source = load_workbook(job.file_path(), read_only=True, data_only=True)
    try:
        sheets = []
        for title in (HOUSEHOLD_SHEET, MEMBER_SHEET):
            if title not in source.sheetnames:
                continue
            rows = source[title].iter_rows(values_only=True)  # streamed: only the bad rows are kept
            first = next(rows, None)
            headers = [str(value or "") for value in first] if first else []
            masked = {position: masks[header] for position, header in enumerate(headers) if header in masks}

            def shown(position, value, masked=masked):
                if value is None:
                    return ""
                return masked[position](str(value)) if position in masked else value

            bad = [
                [shown(position, value) for position, value in enumerate(row)]
                + ["；".join(reasons[(title, number)]), number]
                for number, row in enumerate(rows, start=2)
                if (title, number) in reasons
            ]
            sheets.append(Sheet(title, [*headers, "原因", "原行号"], iter(bad)))
    finally:
        source.close()
    return write_workbook(path, sheets)
