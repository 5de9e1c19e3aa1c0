from celery import shared_task

from .selectors import refresh_summary_cache


@shared_task(acks_late=True)
def refresh_region_counts() -> dict:
    """Warm the home-page counts of every region in one grouped query; safe to re-run."""
    return {"regions": refresh_summary_cache()}
