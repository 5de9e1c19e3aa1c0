"""站内消息: the one way the system tells a user that something happened to their work.

The services that change the work call `notify` (the workflow engine, the transfer-job pipeline,
the daily 公示 reminder); the bell, the list and the API read through `for_user`, `unread_count`
and `mark_read`. A notice is written when the change it reports commits (never for a change that
rolled back), names no clear ID or phone number (masked here, whatever the caller passed), and
reaches the user's e-mail too when FUPIN_NOTIFICATION_EMAIL is on and the user has an address.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .logging import mask_personal_numbers
from .models import Notification, User
from .tasks import send_notification_email

Kind = Notification.Kind
TITLE_LENGTH = Notification._meta.get_field("title").max_length
URL_LENGTH = Notification._meta.get_field("url").max_length


def safe_url(url: str) -> str:
    """A link inside this site (a path), or "" for anything else: a notice never sends a user away."""
    url = (url or "").strip()
    if not url.startswith("/") or len(url) > URL_LENGTH:
        return ""
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""


def notify(
    *,
    recipients: Iterable[User | int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
) -> None:
    """Tell each recipient once, after the current transaction commits (at once outside one).

    `key` names what the notice is about for a reminder that must reach a user once (a second
    notice with the same key is dropped, by the table's constraint, so two runs never send twice).
    """
    ids = sorted({getattr(recipient, "pk", recipient) for recipient in recipients} - {None})
    if not ids:
        return
    title = mask_personal_numbers(title)[:TITLE_LENGTH]
    body = mask_personal_numbers(body)
    url = safe_url(url)

    def write() -> None:
        targets = ids
        if key:  # who already has it is left out; the constraint settles a race between two runs
            had = set(Notification.objects.filter(key=key, recipient_id__in=ids).values_list("recipient_id", flat=True))
            targets = [pk for pk in ids if pk not in had]
        Notification.objects.bulk_create(
            [Notification(recipient_id=pk, kind=kind, title=title, body=body, url=url, key=key) for pk in targets],
            ignore_conflicts=bool(key),
        )
        if targets and settings.NOTIFICATION_EMAIL:
            _queue_email(targets, title, body, url)

    transaction.on_commit(write)


def _queue_email(ids: list[int], title: str, body: str, url: str) -> None:
    addresses = list(User.objects.filter(pk__in=ids, is_active=True).exclude(email="").values_list("email", flat=True))
    if addresses:
        send_notification_email.delay(addresses, title, body, url)


def for_user(user) -> QuerySet[Notification]:
    """My notices, newest first; nobody else's, whoever asks."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    """One indexed count (notification_unread_idx)."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark my notices read (`ids` of them, or all); another user's are never touched. How many changed."""
    unread = for_user(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def open_notification(*, user, notification_id: int) -> Notification | None:
    """Mark one of my notices read and return it (its url is where the page sends me); None if not mine."""
    notification = for_user(user).filter(pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def job_ended(sender, job, **kwargs) -> None:
    """An import or export job is at rest (core.transfer.job_ended): its user is told how it ended."""
    user_id = getattr(job, "user_id", None)
    if user_id is None:
        return
    failed = job.status == "FAILED"
    name = getattr(job, "original_name", "")
    lines = [f"文件：{name}"] if name else []
    if message := getattr(job, job.message_field, ""):
        lines.append(message)
    get_url = getattr(job, "get_absolute_url", None)
    notify(
        recipients=[user_id],
        kind=Kind.JOB_FAILED if failed else Kind.JOB_DONE,
        title=f"{job._meta.verbose_name} #{job.pk}：{job.get_status_display()}",
        body="\n".join(lines),
        url=get_url() if get_url else "",
    )
