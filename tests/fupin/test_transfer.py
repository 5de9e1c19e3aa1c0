"""The transfer-job pipeline (core/transfer.py): one expiry for every kind, one run wrapper, one task."""

import gc
from datetime import timedelta

import pytest
from django.utils import timezone

from core import transfer
from core.garbage_collection import FULL_COLLECTION_EVERY, fewer_full_collections
from core.models import ExportJob
from core.tasks import run_transfer_job
from fupin.exports import run_export
from households.imports import run_import
from households.models import ImportJob
from monitoring.models import DepartmentList


def per_kind(imports: int, exports: int) -> dict[str, int]:
    """What a sweep reports per job kind; department lists (monitoring) keep no file to sweep here."""
    return {"imports": imports, "exports": exports, "department_lists": 0}


def stored(model, job, content: bytes = b"personal data"):
    """Give `job` a file in its kind's directory; returns the file's path."""
    name = f"{model.directory}-{job.pk}.xlsx"
    path = model.file_dir() / name
    path.write_bytes(content)
    model.objects.filter(pk=job.pk).update(**{model.file_field: name})
    job.refresh_from_db()
    return path


def test_every_job_kind_is_registered_and_names_what_it_has():
    assert set(transfer.kinds()) == {ImportJob, ExportJob, DepartmentList}
    for model in transfer.kinds():
        names = {field.name for field in model._meta.get_fields()}
        fields = (model.file_field, model.file_time_field, model.done_field, model.total_field, model.message_field)
        assert set(fields) <= names, model
        statuses = set(model.Status.values)
        assert set(transfer.FINISHED) <= statuses, model
        assert {*model.active_statuses, *model.expires_with_file, *model.complete_statuses} <= statuses, model


def test_one_call_expires_the_old_files_of_both_kinds_and_spares_jobs_in_progress(clerk_a):
    now = timezone.now()
    preview = ImportJob.objects.create(user=clerk_a, original_name="a.xlsx", status=ImportJob.Status.PREVIEW)
    imported = ImportJob.objects.create(user=clerk_a, original_name="b.xlsx", status=ImportJob.Status.DONE)
    validating = ImportJob.objects.create(user=clerk_a, original_name="c.xlsx")
    report = ExportJob.objects.create(user=clerk_a, report="households", status="DONE", finished_at=now)
    files = {job: stored(type(job), job) for job in (preview, imported, validating, report)}

    assert transfer.expire_transfer_files(now=now) == per_kind(0, 0)  # young files stay
    later = now + timedelta(hours=24, minutes=1)
    assert transfer.expire_transfer_files(now=later) == per_kind(2, 1)
    assert transfer.expire_transfer_files(now=later) == per_kind(0, 0)

    for job in files:
        job.refresh_from_db()
    assert {job: path.exists() for job, path in files.items()} == {
        preview: False,
        imported: False,
        validating: True,  # the worker has not read it yet
        report: False,
    }
    # Without its file a preview cannot be confirmed, nor a report downloaded; an import stays done.
    assert [job.status for job in files] == ["EXPIRED", "DONE", "VALIDATING", "EXPIRED"]
    assert preview.file_path() is None and report.file_path() is None


def test_a_broken_run_fails_the_job_and_reaches_the_worker_once(clerk_a):
    job = ExportJob.objects.create(user=clerk_a, report="no_such_report", params={"region": "622926101000"})
    with pytest.raises(KeyError):
        run_export(job.pk)
    job.refresh_from_db()
    # The user reads a Chinese message; the exception's text (it may quote personal data) goes to the log.
    assert (job.status, job.error) == ("FAILED", "后台任务出错（KeyError），请重新提交；如仍出错请联系管理员。")
    assert run_export(job.pk).status == "FAILED"  # a finished job is left alone: no second raise


def test_a_file_refused_at_run_time_fails_the_job_with_the_reason(clerk_a):
    job = ImportJob.objects.create(user=clerk_a, original_name="a.xlsx")
    stored(ImportJob, job, content="户编号,姓名\n".encode())
    job = run_import(job.pk, False)
    assert job.status == ImportJob.Status.FAILED
    assert "按内容判断" in job.message


def test_the_one_task_runs_a_job_of_either_kind_by_its_label(clerk_a):
    export = ExportJob.objects.create(user=clerk_a, report="households", params={"region": "622926101000"})
    upload = ImportJob.objects.create(user=clerk_a, original_name="a.xlsx")
    stored(ImportJob, upload, content=b"not a workbook")
    summary = run_transfer_job("fupin.ExportJob", export.pk)
    assert summary == {"kind": "fupin.ExportJob", "job": export.pk, "status": "DONE"}
    summary = run_transfer_job("households.ImportJob", upload.pk, {"commit": False})
    assert summary == {"kind": "households.ImportJob", "job": upload.pk, "status": "FAILED"}
    export.refresh_from_db()
    assert export.percent == 100 and export.file_path() is not None


def test_a_run_postpones_full_garbage_collections_and_restores_the_thresholds(clerk_a, monkeypatch):
    """A job's heap lives until its end: full collections wait (core/garbage_collection.py), then the
    process's own thresholds come back, also when the work fails."""
    before = gc.get_threshold()
    seen = []

    def work(job, **options):
        seen.append(gc.get_threshold())
        if job.report == "fails":
            raise RuntimeError("broken")

    monkeypatch.setitem(transfer._work, ExportJob, work)
    run_export(ExportJob.objects.create(user=clerk_a, report="households").pk)
    with pytest.raises(RuntimeError):
        run_export(ExportJob.objects.create(user=clerk_a, report="fails").pk)

    assert [thresholds[:2] for thresholds in seen] == [before[:2]] * 2  # young collections as before
    assert [thresholds[2] for thresholds in seen] == [max(before[2], FULL_COLLECTION_EVERY)] * 2
    assert gc.get_threshold() == before


def test_thresholds_come_back_only_when_the_last_of_overlapping_batches_ends():
    before = gc.get_threshold()
    first, second = fewer_full_collections(), fewer_full_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the other batch still runs
    assert gc.get_threshold()[2] == max(before[2], FULL_COLLECTION_EVERY)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
