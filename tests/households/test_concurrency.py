import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from households.models import Household, Member
from households.services import StaleEdit, register_household, update_household
from tests.factories import make_id_number

from .conftest import household_data, member

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    outcomes = []
    lock = threading.Lock()

    def worker(index):
        barrier.wait()
        try:
            result = target(index)
        except Exception as error:
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_fifty_concurrent_registrations_of_one_person_let_exactly_one_win(clerk, village):
    number = make_id_number()
    outcomes = run_in_threads(
        50,
        lambda index: register_household(
            user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=number)]
        ),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, Household)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(winners) == 1
    assert len(losers) == 49, [repr(outcome) for outcome in outcomes if not isinstance(outcome, ValidationError)]
    assert Household.objects.count() == 1
    assert Member.objects.filter(is_active=True).count() == 1


def test_of_two_edits_from_the_same_version_only_the_first_lands(clerk, village):
    household = register_household(user=clerk, village_code=village.code, data=household_data(), members=[member()])
    first = update_household(user=clerk, household_id=household.pk, expected_version=1, data={"group_name": "第一组"})
    assert first.version == 2
    with pytest.raises(StaleEdit):
        update_household(user=clerk, household_id=household.pk, expected_version=1, data={"group_name": "第二组"})
    household.refresh_from_db()
    assert household.group_name == "第一组" and household.version == 2


def test_concurrent_edits_of_one_version_never_both_land(clerk, village):
    household = register_household(user=clerk, village_code=village.code, data=household_data(), members=[member()])
    outcomes = run_in_threads(
        10,
        lambda index: update_household(
            user=clerk, household_id=household.pk, expected_version=1, data={"group_name": f"第{index}组"}
        ),
    )
    assert sum(isinstance(outcome, Household) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, StaleEdit) for outcome in outcomes) == 9
    household.refresh_from_db()
    assert household.version == 2
