"""Bulk writes keep their history and stay linear: the database's default for `pgtrigger.ignore`
(core migration 0013, docs/architecture.md "Bulk writes")."""

from datetime import date

import psycopg
import pytest
from django.db import connection, transaction

from assistance.models import Visit, VisitEvent
from households.models import Household

from ..factories import household_with_members, region

pytestmark = pytest.mark.django_db(transaction=True)


def new_session():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_every_new_session_finds_the_setting_the_history_triggers_read():
    with new_session() as session:
        assert session.execute("SHOW pgtrigger.ignore").fetchone()[0] == "{}"
        # Read the way the triggers read it: no error, so no subtransaction rolled back per row.
        assert session.execute("SELECT current_setting('pgtrigger.ignore')::text[]").fetchone()[0] == []


def test_a_bulk_insert_in_one_transaction_records_every_row_once():
    village = region("622926101201", "甲村")
    households = [household_with_members(village, size=1) for _ in range(3)]
    with transaction.atomic():
        Visit.objects.bulk_create(
            [
                Visit(household=household, visited_on=f"2026-11-0{day}", findings="入户走访")
                for household in households
                for day in range(1, 10)
            ]
        )
    assert Visit.objects.count() == 27
    assert VisitEvent.objects.filter(pgh_label="insert").count() == 27
    assert set(VisitEvent.objects.values_list("pgh_obj_id", flat=True)) == set(
        Visit.objects.values_list("id", flat=True)
    )
    assert Household.objects.count() == 3


@pytest.mark.parametrize("write", ["bulk_create", "copy"])
def test_one_insert_statement_records_each_row_with_its_own_values_and_the_one_context(write):
    """The insert events of households and members are written per statement (households/models.py
    batch_insert_event): every row once, with its values, under the context of the write."""
    import pghistory

    from core.bulk import copy_insert
    from households.codes import Relation
    from households.models import Member, MemberEvent

    from ..factories import make_id_number

    household = household_with_members(region("622926101201", "甲村"), size=1)
    members = []
    for index in range(4):
        member = Member(household=household, name=f"新成员{index}", relation=Relation.SON)
        member.set_id_number(make_id_number(birth=date(2020, 1, index + 1)))
        members.append(member)
    with transaction.atomic(), pghistory.context(reason="采集表导入"):
        copy_insert(members) if write == "copy" else Member.objects.bulk_create(members)
    events = MemberEvent.objects.filter(pgh_label="insert", household=household).exclude(name="成员0")
    recorded = {event.pgh_obj_id: (event.name, event.id_number_hash, event.relation) for event in events}
    assert recorded == {member.pk: (member.name, member.id_number_hash, Relation.SON) for member in members}
    assert {event.pgh_context.metadata["reason"] for event in events} == {"采集表导入"}
    assert len({event.pgh_context_id for event in events}) == 1
    assert MemberEvent.objects.filter(pgh_label="insert").count() == 5  # and the factory's one member
