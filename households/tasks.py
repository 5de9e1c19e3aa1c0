from celery import shared_task

from core.locks import advisory_lock

from .counts import refresh_summary_cache
from .services import refresh_warning_counts


@shared_task(acks_late=True)
def refresh_region_counts() -> dict:
    """Warm the home-page counts of every region in one grouped query; safe to re-run."""
    return {"regions": refresh_summary_cache()}


@shared_task(acks_late=True)
def refresh_warnings(prefix: str = "") -> dict:
    """Recount the 疑点 of the households under a region prefix; idempotent, one run per prefix at a time."""
    with advisory_lock("refresh_warnings", prefix) as acquired:
        if not acquired:
            return {"skipped": "another run holds the lock", "prefix": prefix}
        return {"households": refresh_warning_counts(prefix), "prefix": prefix}
