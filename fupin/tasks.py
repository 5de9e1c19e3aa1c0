from celery import shared_task

from core.locks import advisory_lock


@shared_task(acks_late=True)
def run_export_job(job_id: int) -> dict:
    """One export job; a second delivery of the same job waits, then finds it done."""
    from .exports import run_export

    with advisory_lock("run_export_job", job_id, wait=True):
        job = run_export(job_id)
    return {"job": job.pk, "rows": job.rows_written, "status": job.status}


@shared_task
def purge_transfer_files() -> dict:
    """Hourly: exports and uploads hold personal data; their files live TRANSFER_FILE_HOURS."""
    from households.imports import expire_old_uploads

    from .exports import expire_old_exports

    return {"exports": expire_old_exports(), "imports": expire_old_uploads()}
