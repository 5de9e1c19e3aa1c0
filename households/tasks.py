from celery import shared_task

from core.locks import advisory_lock

from .services import refresh_warning_counts


@shared_task(acks_late=True)
def refresh_warnings(prefix: str = "") -> dict:
    """Recount the 疑点 of the households under a region prefix; idempotent, one run per prefix at a time."""
    with advisory_lock("refresh_warnings", prefix) as acquired:
        if not acquired:
            return {"skipped": "another run holds the lock", "prefix": prefix}
        return {"households": refresh_warning_counts(prefix), "prefix": prefix}


@shared_task(acks_late=True)
def run_import_job(job_id: int, commit: bool) -> dict:
    """Validate or commit one 采集表 upload; a redelivered message waits, then finds the job done."""
    from .imports import run_import

    with advisory_lock("run_import_job", job_id, wait=True):
        job = run_import(job_id, commit)
    return {"job": job.pk, "status": job.status, "errors": len(job.errors)}
