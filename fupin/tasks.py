from celery import shared_task

from assessment import services
from core.transfer import expire_transfer_files, reap_stale_jobs


@shared_task
def reap_stale_transfer_jobs() -> dict:
    """Every minute: a job whose worker stopped beating is failed with a message, not left in progress."""
    return reap_stale_jobs()


@shared_task
def purge_transfer_files() -> dict:
    """Hourly: exports and uploads hold personal data; their files live TRANSFER_FILE_HOURS.

    Stopped jobs are failed first, so the upload of a job whose worker died is purged too.
    """
    reap_stale_jobs()
    return expire_transfer_files()


@shared_task
def remind_publicity_ending() -> int:
    """Daily (beat): the reviewers of the step after a 公示 that ends today or tomorrow are told, once."""
    return services.remind_publicity_ending()
