"""register_households: the rules of register_household for a whole 采集表 at once.

Large batches are written with COPY (core/bulk.py); these tests read what was written back
through the ORM, and race a concurrent registration against a batch.
"""

import threading
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from households.codes import HouseholdStatus, Relation
from households.models import AdjustmentRecord, Household, Member
from households.services import COPY_FROM, DuplicatePerson, NewHousehold, register_household, register_households
from tests.factories import make_id_number, region

from .conftest import household_data, member


def family(index: int) -> list[dict]:
    return [
        member(name=f"马{index}成", id_number=make_id_number(birth=date(1970, 1, 1))),
        member(Relation.SPOUSE, name=f"何{index}英", id_number=make_id_number(birth=date(1972, 2, 2), male=False)),
    ]


def entries(village, count: int) -> list[NewHousehold]:
    return [
        NewHousehold(village.code, household_data(household_no=f"{village.code}{9000 + index}"), family(index))
        for index in range(count)
    ]


@pytest.mark.django_db
def test_a_large_batch_reads_back_as_registered_one_by_one(clerk, village):
    batch = entries(village, COPY_FROM + 10)
    batch[3].members[1]["health"] = ["02", "03"]
    outcomes = register_households(user=clerk, entries=batch, reason="采集表导入")
    assert all(isinstance(outcome, Household) and outcome.pk for outcome in outcomes)
    assert Household.objects.count() == COPY_FROM + 10 and Member.objects.count() == 2 * (COPY_FROM + 10)
    household = Household.objects.get(household_no=f"{village.code}9003")
    assert household.status == HouseholdStatus.CANDIDATE and household.member_count == 2 and household.version == 1
    assert household.head_name == "马3成" and household.head_name_initials == "MC"
    assert household.other_causes == ["7"]
    spouse = household.members.get(relation=Relation.SPOUSE)
    assert spouse.id_number == batch[3].members[1]["id_number"]  # decrypts
    assert spouse.health == ["02", "03"] and spouse.gender == "2" and spouse.birth_date == date(1972, 2, 2)
    # 拟识别: the 新识别 adjustment is written when its 识别 is approved, not on registration.
    assert not AdjustmentRecord.objects.filter(household=household).exists()
    # the history triggers fired, with the import's reason
    event = household.events.get()
    assert event.pgh_context.metadata["reason"] == "采集表导入"
    member_events = apps.get_model("households", "MemberEvent").objects.filter(pgh_obj__household=household)
    assert member_events.count() == 2
    # and a later registration of the same person is refused as for any other
    with pytest.raises(DuplicatePerson):
        register_household(
            user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=spouse.id_number)]
        )


@pytest.mark.django_db
@pytest.mark.parametrize("write", [True, False])
def test_every_refusal_is_returned_in_place_with_or_without_writing(clerk, village, write):
    batch = entries(village, 4)
    batch[1].members[0]["id_number"] = batch[0].members[1]["id_number"]  # a person twice in the file
    batch[2].data["household_no"] = batch[0].data["household_no"]  # a 户编号 twice
    batch[3].data["main_cause"] = ""
    outcomes = register_households(user=clerk, entries=batch, write=write)
    assert isinstance(outcomes[0], Household) and (outcomes[0].pk is not None) == write
    assert isinstance(outcomes[1], DuplicatePerson)
    assert outcomes[1].message_dict == {
        "members.0.id_number": [f"该身份证号码已在锁南镇红柳村（户编号 {village.code}9000）登记。"]
    }
    assert isinstance(outcomes[2], ValidationError) and outcomes[2].message_dict == {"household_no": ["户编号已存在。"]}
    assert outcomes[3].message_dict == {"main_cause": ["请选择主要致贫原因。"]}
    assert Household.objects.count() == (1 if write else 0)
    assert Member.objects.count() == (2 if write else 0)


@pytest.mark.django_db
def test_numbers_are_given_in_order_within_a_batch(clerk, village):
    register_household(user=clerk, village_code=village.code, data=household_data(), members=[member()])
    batch = [NewHousehold(village.code, household_data(), [member()]) for _ in range(3)]
    outcomes = register_households(user=clerk, entries=batch)
    assert [outcome.household_no for outcome in outcomes] == [f"{village.code}{n:04d}" for n in (2, 3, 4)]


@pytest.mark.django_db(transaction=True)
def test_a_person_registered_concurrently_refuses_only_that_household(clerk, village, monkeypatch):
    """The batch checked before the other registration committed; the unique index decides.

    The other registration is in another village: the batch holds its own villages' locks.
    """
    from households.services import registration

    other_village = region("622926101202", "塔山村")
    batch = entries(village, COPY_FROM)
    contested = batch[7].members[1]["id_number"]
    original = registration._insert_households
    raced, started = [], []

    def register_elsewhere_first(*args, **kwargs):
        if not started:  # once: the other registration passes through here too
            started.append(True)

            def other():
                try:
                    raced.append(
                        register_household(
                            user=clerk,
                            village_code=other_village.code,
                            data=household_data(household_no=f"{other_village.code}8000"),
                            members=[member(id_number=contested)],
                        )
                    )
                finally:
                    connection.close()

            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(registration, "_insert_households", register_elsewhere_first)
    outcomes = register_households(user=clerk, entries=batch)
    assert isinstance(raced[0], Household)
    refused = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, ValidationError)]
    assert refused == [7]
    assert isinstance(outcomes[7], DuplicatePerson)
    assert outcomes[7].message_dict["members.1.id_number"] == [
        f"该身份证号码已在锁南镇塔山村（户编号 {other_village.code}8000）登记。"
    ]
    assert Household.objects.count() == COPY_FROM  # 49 of the batch and the other one
    assert Member.objects.filter(id_number_hash=raced[0].members.get().id_number_hash).count() == 1
