"""A household's income, its aid measures (帮扶措施) and its helpers (帮扶责任人, 结对帮扶)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from core.codes import ParameterKey
from core.parsing import parse_money, parse_year
from core.permissions import Action, require
from core.policy import policy_value
from core.years import FIRST_INCOME_YEAR
from villages.models import Region

from ..codes import HelperLevel
from ..income import INCOME_ITEMS
from ..models import AidMeasure, Helper, HelperAssignment, Household, HouseholdYearLock, IncomeRecord
from ..selectors import year_lock
from .validation import full_clean_or_raise
from .warning_counts import refresh_warning_count, refresh_warning_counts_of
from .year_locks import check_year_open, locked_message

# The household limit of a helper, by the helper's 隶属关系 (docs/domain.md §9.2).
HELPER_LIMIT_KEYS = {
    HelperLevel.PROVINCE: ParameterKey.HELPER_LIMIT_PROVINCE,
    HelperLevel.CITY: ParameterKey.HELPER_LIMIT_CITY,
    HelperLevel.COUNTY: ParameterKey.HELPER_LIMIT_COUNTY,
    HelperLevel.TOWNSHIP: ParameterKey.HELPER_LIMIT_TOWNSHIP,
    HelperLevel.VILLAGE: ParameterKey.HELPER_LIMIT_VILLAGE,
}


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


def helper_limit(helper: Helper, *, year: int) -> int:
    """How many open pairings the helper may have: the parameter of its level, its region's row winning."""
    return int(policy_value(HELPER_LIMIT_KEYS[helper.level], year=year, region_code=helper.region_id))


def open_pairing_count(helper_id: int) -> int:
    return HelperAssignment.objects.filter(helper_id=helper_id, end_date__isnull=True).count()


def open_pairings(plan: list[tuple[Helper, Household, date]], *, reason: str) -> list[HelperAssignment]:
    """THE way pairings start (单户结对, 批量结对, 调整结对, 导入): every rule of a new pairing, set-based.

    `plan` holds (helper, household, start date) triples; the caller has checked scope and
    permission and locked the households (in id order); this locks the helpers (in id order), so
    two batches for one helper count one after the other. Refused, writing nothing: a household
    already paired with that helper, a start date in a year locked by an approval, or a helper
    who would hold more open pairings than the limit of his level (docs/domain.md §9.2). A few
    queries whatever the size of the plan.
    """
    if not plan:
        return []
    pairs = [(helper.pk, household.pk) for helper, household, _ in plan]
    if len(set(pairs)) != len(pairs):
        raise ValidationError({"households": ["同一户与同一帮扶责任人在本次结对中重复出现。"]})
    helpers = {helper.pk: helper for helper in Helper.objects.select_for_update().filter(pk__in={h for h, _ in pairs})}
    household_ids = {household.pk for _, household, _ in plan}
    paired = list(
        HelperAssignment.objects.filter(
            helper_id__in=list(helpers), household_id__in=household_ids, end_date__isnull=True
        ).values_list("helper_id", "household_id", "household__household_no")
    )
    clashes = sorted(number for helper_id, household_id, number in paired if (helper_id, household_id) in set(pairs))
    if clashes:
        raise ValidationError({"households": [f"以下农户已与所选帮扶责任人结对：{'、'.join(clashes[:10])}。"]})
    wanted_years = {(household.pk, start.year) for _, household, start in plan}
    locks = HouseholdYearLock.objects.filter(
        household_id__in=household_ids, year__in={year for _, year in wanted_years}
    ).select_related("household", "locked_by")
    locked = [lock for lock in locks.order_by("household_id") if (lock.household_id, lock.year) in wanted_years]
    lock = locked[0] if locked else None
    if lock is not None:
        message = locked_message(lock, "结对帮扶")
        raise ValidationError({"start_date": [f"户编号{lock.household.household_no}：{message}"]}, code="year_locked")
    _check_limits(helpers, plan)
    with pghistory.context(reason=reason):
        assignments = HelperAssignment.objects.bulk_create(
            [
                HelperAssignment(helper=helpers[helper.pk], household_id=household.pk, start_date=start)
                for helper, household, start in plan
            ]
        )
    refresh_warning_counts_of(household_ids)
    return assignments


def _check_limits(helpers: dict[int, Helper], plan) -> None:
    """Refuse (keyed `helper`) every helper the plan takes over his limit, naming the limit and the result."""
    adding = Counter(helper.pk for helper, _, _ in plan)
    latest = {}
    for helper, _, start in plan:
        latest[helper.pk] = max(latest.get(helper.pk, start), start)
    held = dict(
        HelperAssignment.objects.filter(helper_id__in=list(adding), end_date__isnull=True)
        .values("helper_id")
        .annotate(count=Count("pk"))
        .values_list("helper_id", "count")
    )
    limits: dict[tuple, int] = {}
    problems = []
    for helper_id in sorted(adding):
        helper = helpers[helper_id]
        key = (helper.level, helper.region_id, latest[helper_id].year)
        if key not in limits:
            limits[key] = helper_limit(helper, year=key[2])
        result = held.get(helper_id, 0) + adding[helper_id]
        if result > limits[key]:
            problems.append(
                f"{helper.name}（{helper.get_level_display()}）最多结对{limits[key]}户，"
                f"本次结对后将有{result}户，超出{result - limits[key]}户。"
            )
    if problems:
        more = [f"……共{len(problems)}位帮扶责任人超出上限。"] if len(problems) > 10 else []
        raise ValidationError({"helper": problems[:10] + more}, code="helper_limit")


@transaction.atomic
def assign_helper(*, user, helper_id: int, household_id: int, start_date: date) -> HelperAssignment:
    """Pair a helper with a household (both in the user's scope), through the rules of open_pairings."""
    helper = Helper.objects.visible_to(user).get(pk=helper_id)
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.PAIR_HELPER)
    check_year_open(household_id=household.pk, year=start_date.year, what="结对帮扶", key="start_date")
    if HelperAssignment.objects.filter(helper=helper, household=household, end_date__isnull=True).exists():
        raise ValidationError({"helper": ["该帮扶责任人已与此户结对。"]})
    return open_pairings([(helper, household, start_date)], reason="结对帮扶")[0]


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
