"""The 疑点 count stored on each household, kept in step after every registry write.

households/quality.py holds the rules; this module only recounts and stores.
"""

from django.db.models import Count, Q

from ..models import Household
from ..quality import household_warnings
from ..selectors import active_members


def refresh_warning_count(household_id: int) -> int:
    """Recount a household's 疑点 after a write (households/quality.py holds the rules)."""
    household = Household.objects.get(pk=household_id)
    count = len(household_warnings(household))
    Household.objects.filter(pk=household_id).update(warning_count=count)
    return count


def refresh_warning_counts(prefix: str = "", chunk_size: int = 500) -> int:
    """Recount the 疑点 of every household under a code prefix, a chunk at a time; returns how many.

    Used after bulk loads and nightly; each chunk is a handful of queries, not one per household.
    """
    households = Household.objects.within_prefix(prefix) if prefix else Household.objects.all()
    ids = list(households.order_by("pk").values_list("pk", flat=True))
    refresh_warning_counts_of(ids, chunk_size=chunk_size)
    return len(ids)


def refresh_warning_counts_of(household_ids, chunk_size: int = 500) -> None:
    """Recount the 疑点 of the given households, a chunk at a time (a bulk pairing, a bulk load)."""
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), chunk_size):
        batch = list(
            Household.objects.filter(pk__in=ids[start : start + chunk_size])
            .prefetch_related(active_members(), "incomes")
            .annotate(open_assignments=Count("helper_assignments", filter=Q(helper_assignments__end_date=None)))
        )
        for household in batch:
            household.warning_count = len(
                household_warnings(
                    household,
                    members=household.active_members,
                    incomes=list(household.incomes.all()),
                    open_assignments=household.open_assignments,
                )
            )
        Household.objects.bulk_update(batch, ["warning_count"])
