"""Bulk writes keep their history and stay linear: the database's default for `pgtrigger.ignore`
(core migration 0013, docs/architecture.md "Bulk writes")."""

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
