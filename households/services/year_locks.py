"""The year lock of a household's data: set when an approval settles the year, lifted on reopen.

The registry owns the lock and its one reader (`selectors.year_lock`); the workflow that
approves and reopens calls these inside its own transaction, so the lock and the decision
commit together (docs/architecture.md, the year lock).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Household, HouseholdYearLock
from .validation import full_clean_or_raise


@transaction.atomic
def lock_year(*, user, household_id: int, year: int, reason: str) -> HouseholdYearLock:
    """Lock a household's `year`, naming what settled it (`reason`, e.g. "户退出申请 #12").

    A year locked already keeps one lock, now named by `reason` (who and when follow).
    The household row is locked first, so an income write of that year either commits
    before the lock or sees it.
    """
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    lock = HouseholdYearLock.objects.filter(household=household, year=year).first()
    if lock is not None and lock.reason == reason:
        return lock
    lock = lock or HouseholdYearLock(household=household, year=year)
    lock.reason, lock.locked_by, lock.locked_at = reason, user, timezone.now()
    full_clean_or_raise(lock, exclude=["household", "locked_by"])
    lock.save()
    return lock


@transaction.atomic
def unlock_year(*, user, household_id: int, year: int) -> bool:
    """Lift the lock of a household's `year`; whether there was one."""
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    deleted, _ = HouseholdYearLock.objects.filter(household=household, year=year).delete()
    return bool(deleted)
