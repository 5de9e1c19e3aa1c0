"""The year lock: the registry's own record that an approval settled a household's year."""

import pytest
from django.core.exceptions import ValidationError

from core.codes import Role
from households.models import Household, HouseholdYearLock, IncomeRecord
from households.selectors import year_lock
from households.services import lock_year, save_income, unlock_year
from tests.factories import UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(village):
    return household_with_members(village, size=2)


def test_a_locked_year_refuses_an_income_change_and_names_what_locked_it(clerk, household):
    save_income(user=clerk, household_id=household.pk, year=2019, items={"wage_income": "3000"})
    lock_year(user=clerk, household_id=household.pk, year=2019, reason="户退出申请 #12")
    with pytest.raises(ValidationError) as error:
        save_income(user=clerk, household_id=household.pk, year=2019, items={"wage_income": "9000"})
    assert error.value.message_dict["year"] == ["2019年度已由户退出申请 #12审定锁定，修改收入须县级审核员先重新开放。"]
    assert IncomeRecord.objects.get(household=household, year=2019).wage_income == 3000
    # Other years stay open.
    save_income(user=clerk, household_id=household.pk, year=2020, items={"wage_income": "9000"})


def test_unlocking_lets_the_income_change_again(clerk, household):
    lock_year(user=clerk, household_id=household.pk, year=2019, reason="户退出申请 #12")
    assert unlock_year(user=clerk, household_id=household.pk, year=2019) is True
    assert year_lock(household_id=household.pk, year=2019) is None
    income = save_income(user=clerk, household_id=household.pk, year=2019, items={"wage_income": "9000"})
    assert income.wage_income == 9000
    assert unlock_year(user=clerk, household_id=household.pk, year=2019) is False


def test_a_year_keeps_one_lock_named_by_the_latest_reason(clerk, household):
    first = lock_year(user=clerk, household_id=household.pk, year=2019, reason="识别申请 #3")
    assert (first.reason, first.locked_by) == ("识别申请 #3", clerk)
    lock_year(user=clerk, household_id=household.pk, year=2019, reason="户退出申请 #12")
    lock = HouseholdYearLock.objects.get(household=household)
    assert (lock.pk, lock.reason) == (first.pk, "户退出申请 #12")
    assert year_lock(household_id=household.pk, year=2019) == lock


def test_only_a_household_in_scope_can_be_locked_or_unlocked(clerk, household):
    other_township = region("622926102000", "那勒寺镇")
    outsider = UserFactory(role=Role.TOWNSHIP_CLERK, region=other_township)
    with pytest.raises(Household.DoesNotExist):
        lock_year(user=outsider, household_id=household.pk, year=2019, reason="户退出申请 #12")
    HouseholdYearLock.objects.create(
        household=household, year=2019, reason="户退出申请 #12", locked_at="2020-01-01T00:00Z"
    )
    with pytest.raises(Household.DoesNotExist):
        unlock_year(user=outsider, household_id=household.pk, year=2019)
    assert HouseholdYearLock.objects.filter(household=household).count() == 1
