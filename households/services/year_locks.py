"""The year lock of a household's data: set when an approval settles the year, lifted on reopen.

The lock covers all of that year's household data (docs/domain.md §7.5): household edits in
that work year, members, income, aid measures, helper pairings and status changes taking
effect in it. Every registry write checks it through `check_year_open`; the workflow that
approves and reopens calls `lock_year` / `unlock_year` inside its own transaction, so the
lock and the decision commit together. Each lock, re-lock and lift is kept in the lock's
history with who, when and why (pghistory, docs/architecture.md).
"""

from __future__ import annotations

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Household, HouseholdYearLock
from ..selectors import year_lock
from .validation import full_clean_or_raise


def locked_message(lock: HouseholdYearLock, what: str) -> str:
    """Why a write is refused: the year, what locked it, who, and who may lift it."""
    who = lock.locked_by.get_full_name() or lock.locked_by.username if lock.locked_by else "系统"
    return (
        f"{lock.year}年度已由{lock.reason}审定锁定（锁定人：{who}，"
        f"{timezone.localtime(lock.locked_at):%Y-%m-%d}），{what}须县级审核员先重新开放。"
    )


def check_year_open(*, household_id: int, year: int, what: str, key: str = "year") -> None:
    """Refuse (ValidationError keyed `key`, code "year_locked") a write into a locked year of the household."""
    lock = year_lock(household_id=household_id, year=year)
    if lock is not None:
        raise ValidationError({key: [locked_message(lock, what)]}, code="year_locked")


@transaction.atomic
def lock_year(*, user, household_id: int, year: int, reason: str) -> HouseholdYearLock:
    """Lock a household's `year`, naming what settled it (`reason`, e.g. "户退出申请 #12").

    A year locked already keeps one lock, now named by `reason` (who and when follow).
    The household row is locked first, so a write of that year either commits
    before the lock or sees it.
    """
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    lock = HouseholdYearLock.objects.filter(household=household, year=year).first()
    if lock is not None and lock.reason == reason:
        return lock
    lock = lock or HouseholdYearLock(household=household, year=year)
    lock.reason, lock.locked_by, lock.locked_at = reason, user, timezone.now()
    full_clean_or_raise(lock, exclude=["household", "locked_by"])
    with pghistory.context(reason=f"锁定{year}年度：{reason}", user=getattr(user, "pk", None)):
        lock.save()
    return lock


@transaction.atomic
def unlock_year(*, user, household_id: int, year: int, reason: str = "") -> bool:
    """Lift the lock of a household's `year` (a county reopen, with its `reason`); whether there was one."""
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    with pghistory.context(reason=f"重新开放{year}年度：{reason or '县级重新开放'}", user=getattr(user, "pk", None)):
        deleted, _ = HouseholdYearLock.objects.filter(household=household, year=year).delete()
    return bool(deleted)
