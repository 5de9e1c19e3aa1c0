from celery import shared_task
from django.apps import apps
from django.db import transaction

from . import transfer


@shared_task(acks_late=True)
def run_transfer_job(kind: str, job_id: int, options: dict | None = None) -> dict:
    """One import or export job (`kind` is its model's label); a redelivered message finds it finished."""
    job = transfer.run_job(apps.get_model(kind), job_id, **(options or {}))
    return {"kind": kind, "job": job.pk, "status": job.status}


def queue_transfer_job(job: transfer.TransferJob, **options) -> None:
    """Run the job's registered work in a worker once the current transaction has committed."""
    kind = job._meta.label
    transaction.on_commit(lambda: run_transfer_job.delay(kind, job.pk, options))
