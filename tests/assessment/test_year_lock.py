"""An approval locks the household's year in the registry; a county reviewer's reopen lifts it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessment import services
from assessment.models import Application
from households.models import HouseholdYearLock
from households.services import save_income
from tests.factories import household_with_members

from .conftest import GUARANTEES_MET, set_income

pytestmark = pytest.mark.django_db


def approve_household_application(people, household, kind: str, figures: dict) -> Application:
    """Submit with the 公示 already over, then 乡镇审核 and 县审定 (two 公示 for 识别 and 返贫)."""
    today = timezone.localdate()
    application = services.draft_and_submit(
        user=people["clerk"],
        kind=kind,
        year=2019,
        household_id=household.pk,
        figures=figures,
        today=today - timedelta(days=60),
    )
    services.approve_step(user=people["clerk2"], application_id=application.pk, today=today - timedelta(days=30))
    application = services.approve_step(user=people["county"], application_id=application.pk, today=today)
    assert application.status == "APPROVED"
    return application


def refused_income_message(people, household) -> str:
    with pytest.raises(ValidationError) as error:
        save_income(user=people["clerk"], household_id=household.pk, year=2019, items={"wage_income": "1"})
    return error.value.message_dict["year"][0]


def test_the_final_approval_locks_the_year_and_the_reopen_lifts_it(people, poor_household):
    application = approve_household_application(
        people, poor_household, "HOUSEHOLD_EXIT", {**GUARANTEES_MET, "consent": True}
    )
    lock = HouseholdYearLock.objects.get(household=poor_household)
    assert (lock.year, lock.reason, lock.locked_by) == (2019, f"户退出申请 #{application.pk}", people["county"])
    assert application.is_locked
    assert refused_income_message(people, poor_household) == (
        f"2019年度已由户退出申请 #{application.pk}审定锁定，修改收入须县级审核员先重新开放。"
    )

    application = services.reopen_application(
        user=people["county"], application_id=application.pk, reason="审计发现收入漏记，需更正"
    )
    assert not application.is_locked
    assert not HouseholdYearLock.objects.filter(household=poor_household).exists()
    income = save_income(user=people["clerk"], household_id=poor_household.pk, year=2019, items={"wage_income": "1"})
    assert income.wage_income == 1
    # Reopened once: a second reopen is refused.
    with pytest.raises(ValidationError):
        services.reopen_application(user=people["county"], application_id=application.pk, reason="再次开放")


def test_a_reopen_keeps_the_lock_while_another_approval_of_that_year_holds_it(people, tree):
    household = household_with_members(tree["village_a"], size=4, status="CANDIDATE")
    set_income(household, 2019, Decimal("5000"))
    identification = approve_household_application(
        people, household, "IDENTIFICATION", {**GUARANTEES_MET, "housing": False}
    )
    exit_application = approve_household_application(
        people, household, "HOUSEHOLD_EXIT", {**GUARANTEES_MET, "consent": True}
    )
    assert HouseholdYearLock.objects.get(household=household).reason == f"户退出申请 #{exit_application.pk}"

    services.reopen_application(user=people["county"], application_id=exit_application.pk, reason="更正收入")
    assert HouseholdYearLock.objects.get(household=household).reason == f"识别申请 #{identification.pk}"
    assert f"由识别申请 #{identification.pk}审定锁定" in refused_income_message(people, household)

    services.reopen_application(user=people["county"], application_id=identification.pk, reason="更正收入")
    assert not HouseholdYearLock.objects.filter(household=household).exists()
    save_income(user=people["clerk"], household_id=household.pk, year=2019, items={"wage_income": "1"})


def test_a_rejection_locks_nothing(people, poor_household):
    today = timezone.localdate()
    application = services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        today=today - timedelta(days=30),
    )
    services.reject_application(user=people["clerk2"], application_id=application.pk, comment="收入未核实", today=today)
    assert not Application.objects.get(pk=application.pk).is_locked
    assert not HouseholdYearLock.objects.exists()


def test_the_county_locks_a_reopened_year_again_with_a_reason_and_may_reopen_it_later(people, poor_household):
    application = approve_household_application(
        people, poor_household, "HOUSEHOLD_EXIT", {**GUARANTEES_MET, "consent": True}
    )
    services.reopen_application(user=people["county"], application_id=application.pk, reason="审计发现收入漏记")
    save_income(user=people["clerk"], household_id=poor_household.pk, year=2019, items={"wage_income": "1"})
    with pytest.raises(PermissionDenied):  # only the county locks again
        services.relock_application(user=people["clerk"], application_id=application.pk, reason="已更正")
    with pytest.raises(ValidationError):  # and never without a reason
        services.relock_application(user=people["county"], application_id=application.pk, reason=" ")

    application = services.relock_application(user=people["county"], application_id=application.pk, reason="收入已更正")
    assert application.is_locked
    assert (application.relocked_by, application.relock_reason) == (people["county"], "收入已更正")
    assert Application.objects.holding_year_lock().filter(pk=application.pk).exists()
    lock = HouseholdYearLock.objects.get(household=poor_household, year=2019)
    assert lock.reason == f"户退出申请 #{application.pk}（重新锁定：收入已更正）"
    assert "2019年度已由" in refused_income_message(people, poor_household)
    # Locked once more: it cannot be locked twice, but it can be reopened again.
    with pytest.raises(ValidationError):
        services.relock_application(user=people["county"], application_id=application.pk, reason="再次锁定")
    application = services.reopen_application(user=people["county"], application_id=application.pk, reason="再核")
    assert not application.is_locked
