from celery import shared_task
from django.apps import apps
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from kombu.exceptions import OperationalError

from . import transfer
from .queueing import DISPATCH_DELAYED


# Acknowledged when done, and put back when its worker is killed: another worker runs it again
# (its one transaction rolled back), up to transfer.MAX_ATTEMPTS starts.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_transfer_job(kind: str, job_id: int, options: dict | None = None) -> dict:
    """One import or export job (`kind` is its model's label); a redelivered message finds it finished."""
    job = transfer.run_job(apps.get_model(kind), job_id, **(options or {}))
    return {"kind": kind, "job": job_id, "status": job.status if job else None}


def queue_transfer_job(job: transfer.TransferJob, **options) -> None:
    """Run the job's registered work in a worker once the current transaction has committed."""
    model = type(job)
    transaction.on_commit(lambda: dispatch_transfer_job(model, job.pk, options))


def dispatch_transfer_job(model: type[transfer.TransferJob], job_id: int, options: dict) -> bool:
    """Send the job to the broker; while it is unreachable the job waits with DISPATCH_DELAYED on its page."""
    try:
        sent = run_transfer_job.delay(model._meta.label, job_id, options)
    except OperationalError:  # a task class that is not core.queueing.TolerantTask
        sent = None
    if sent is None:
        model.objects.filter(pk=job_id, status__in=model.active_statuses).update(
            **{model.message_field: DISPATCH_DELAYED}
        )
        return False
    return True


@shared_task
def redispatch_transfer_jobs() -> int:
    """Every minute (beat): send again the jobs queued while the broker was away; how many were sent."""
    sent = 0
    for model in transfer.kinds():
        waiting = model.objects.filter(status__in=model.active_statuses, **{model.message_field: DISPATCH_DELAYED})
        for job in waiting:
            # Cleared first, only if still waiting: two beats never send the same job twice.
            if model.objects.filter(pk=job.pk, **{model.message_field: DISPATCH_DELAYED}).update(
                **{model.message_field: ""}
            ):
                sent += dispatch_transfer_job(model, job.pk, job.queue_options())
    return sent


@shared_task
def send_notification_email(addresses: list[str], title: str, body: str, url: str) -> int:
    """A notice by e-mail too (FUPIN_NOTIFICATION_EMAIL), through Django's mail settings (EMAIL_URL).

    One message per address: no recipient sees another's address. The text is the notice's, already
    masked (core/notifications.py); a failure is the worker's log, the notice in the system stands.
    """
    lines = [body] if body else []
    lines.append(f"请登录扶贫开发建档立卡系统查看{('：' + url) if url else '。'}")
    messages = [
        EmailMessage(subject=f"[扶贫开发建档立卡系统] {title}", body="\n\n".join(lines), to=[address])
        for address in addresses
    ]
    with get_connection() as connection:
        return connection.send_messages(messages)
