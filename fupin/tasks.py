from celery import shared_task

from core.transfer import expire_transfer_files


@shared_task
def purge_transfer_files() -> dict:
    """Hourly: exports and uploads hold personal data; their files live TRANSFER_FILE_HOURS."""
    return expire_transfer_files()
