"""A household's income, its aid measures (帮扶措施) and its helpers (帮扶责任人, 结对帮扶)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from core.parsing import parse_money, parse_year
from core.permissions import Action, require
from core.years import FIRST_INCOME_YEAR
from villages.models import Region

from ..income import INCOME_ITEMS
from ..models import AidMeasure, Helper, HelperAssignment, Household, IncomeRecord
from ..selectors import year_lock
from .validation import full_clean_or_raise
from .warning_counts import refresh_warning_count
from .year_locks import check_year_open


@transaction.atomic
def save_income(*, user, household_id: int, year: int, items: dict) -> IncomeRecord:
    """Create or replace a household's income of `year`; the household size is taken as of now.

    A locked year (an approval settled it) is refused until the lock is lifted.
    """
    year = parse_year(year, field="year", minimum=FIRST_INCOME_YEAR)
    amounts, errors = {}, {}
    for field in INCOME_ITEMS:
        try:
            amounts[field] = parse_money(items.get(field) or 0, field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.RECORD_INCOME)
    if household.member_count < 1:
        raise ValidationError({"household": ["该户没有在册成员，不能登记收入。"]})
    lock = year_lock(household_id=household.pk, year=year)
    if lock is not None:
        raise ValidationError(
            {"year": [f"{year}年度已由{lock.reason}审定锁定，修改收入须县级审核员先重新开放。"]}, code="year_locked"
        )
    income, _ = IncomeRecord.objects.get_or_create(
        household=household, year=year, defaults={"household_size": household.member_count}
    )
    for field, amount in amounts.items():
        setattr(income, field, amount)
    income.household_size = household.member_count
    full_clean_or_raise(income, exclude=["household"])
    with pghistory.context(reason=f"登记{year}年度收入"):
        income.save()
    refresh_warning_count(household.pk)
    return income


@transaction.atomic
def add_aid_measure(
    *,
    user,
    household_id: int,
    category: str,
    year: int,
    description: str,
    amount: Decimal | str = "0",
    project=None,
) -> AidMeasure:
    """帮扶措施 for a household in the user's scope (from a project when `project` is given)."""
    # The household's row lock serialises this write with lock_year (the year-lock check below).
    year = parse_year(year, field="year")
    amount = parse_money(amount or 0, field="amount")
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.RECORD_AID_MEASURE)
    measure = AidMeasure(
        household=household,
        category=category,
        year=year,
        description=description,
        amount=amount,
        project=project,
        created_by=user,
    )
    full_clean_or_raise(measure, exclude=["household", "created_by", "project"])
    check_year_open(household_id=household.pk, year=int(measure.year), what="登记帮扶措施")
    with pghistory.context(reason="登记帮扶措施"):
        measure.save()
    return measure


@transaction.atomic
def create_helper(*, user, region_code: str, name: str, unit: str, level: str, phone: str = "") -> Helper:
    """帮扶责任人, registered in a region the user may see."""
    region = Region.objects.visible_to(user).filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": ["请选择您管辖范围内的区划。"]})
    require(user, Action.PAIR_HELPER)
    helper = Helper(region=region, name=name, unit=unit, level=level, phone=phone or None)
    full_clean_or_raise(helper, exclude=["region"])
    helper.save()
    return helper


@transaction.atomic
def assign_helper(*, user, helper_id: int, household_id: int, start_date: date) -> HelperAssignment:
    """Pair a helper with a household (both in the user's scope); one open pairing per pair."""
    helper = Helper.objects.visible_to(user).get(pk=helper_id)
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.PAIR_HELPER)
    check_year_open(household_id=household.pk, year=start_date.year, what="结对帮扶", key="start_date")
    if HelperAssignment.objects.filter(helper=helper, household=household, end_date__isnull=True).exists():
        raise ValidationError({"helper": ["该帮扶责任人已与此户结对。"]})
    with pghistory.context(reason="结对帮扶"):
        assignment = HelperAssignment.objects.create(helper=helper, household=household, start_date=start_date)
    refresh_warning_count(household.pk)
    return assignment


@transaction.atomic
def end_helper_assignment(*, user, assignment_id: int, end_date: date) -> HelperAssignment:
    assignment = HelperAssignment.objects.visible_to(user).select_for_update().get(pk=assignment_id)
    Household.objects.select_for_update().filter(pk=assignment.household_id).first()  # serialised with lock_year
    require(user, Action.PAIR_HELPER)
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": ["结束日期不能早于结对日期。"]})
    check_year_open(household_id=assignment.household_id, year=end_date.year, what="结束结对帮扶", key="end_date")
    assignment.end_date = end_date
    with pghistory.context(reason="结束结对帮扶"):
        assignment.save(update_fields=["end_date"])
    refresh_warning_count(assignment.household_id)
    return assignment
