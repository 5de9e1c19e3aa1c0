"""未纳入 is dated by `closed_on`, set by the decision (docs/domain.md §12.6): never by the record's
last edit; the database refuses a 未纳入 record without it, and migration 0004 dated the old ones."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from households.codes import HouseholdStatus
from monitoring.codes import MonitoringStatus
from monitoring.deadlines import decided_on
from monitoring.models import MonitoringObject
from monitoring.services import apply_decision, start_identification
from tests.factories import household_with_members

from .conftest import visit

BEFORE, AFTER = ("monitoring", "0003_leads_measures_department_lists"), ("monitoring", "0004_not_included_closed_on")


def test_the_decision_sets_closed_on_and_the_deadline_reads_it(clerk, exited):
    record = start_identification(user=clerk, household_id=exited.pk, **visit())
    closed = apply_decision(
        monitoring_object_id=record.pk, to_status=MonitoringStatus.NOT_INCLUDED, on=date(2024, 3, 9), reason="测试"
    )
    closed.refresh_from_db()
    assert (closed.closed_on, closed.identified_on, decided_on(closed)) == (date(2024, 3, 9), None, date(2024, 3, 9))


def test_a_not_included_record_without_its_date_is_refused(clerk, exited):
    record = start_identification(user=clerk, household_id=exited.pk, **visit())
    with pytest.raises(IntegrityError, match="monitoring_not_included_has_date"), transaction.atomic():
        MonitoringObject.objects.filter(pk=record.pk).update(status=MonitoringStatus.NOT_INCLUDED)
    MonitoringObject.objects.filter(pk=record.pk).update(
        status=MonitoringStatus.NOT_INCLUDED, closed_on=date(2024, 3, 9)
    )


@pytest.mark.django_db(transaction=True)
def test_migration_0004_dates_the_old_not_included_records_by_their_last_change(village):
    household = household_with_members(village, size=2, status=HouseholdStatus.EXITED)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = MigrationExecutor(connection).loader.project_state([BEFORE]).apps.get_model("monitoring", "MonitoringObject")
    fields = {
        "household_id": household.pk,
        "category": "1",
        "risk_types": ["01"],
        "discovery_way": "2",
        "discovered_on": date(2024, 3, 1),
        "income_12_months": Decimal("10000.00"),
        "member_count": 2,
        "income_per_person": Decimal("5000.00"),
        "line_year": 2024,
        "line_amount": Decimal("7100.00"),
        "line_verified": False,
    }
    closed = old.objects.create(**fields, status=MonitoringStatus.NOT_INCLUDED)
    kept = old.objects.create(**{**fields, "household_id": household_with_members(village, size=1).pk})
    # 2024-03-20 23:30 in UTC is the 21st in China: the date is the project's local day.
    old.objects.filter(pk=closed.pk).update(updated_at=datetime(2024, 3, 20, 23, 30, tzinfo=ZoneInfo("UTC")))
    MigrationExecutor(connection).migrate([AFTER])
    try:
        values = dict(MonitoringObject.objects.values_list("pk", "closed_on"))
        assert values == {closed.pk: date(2024, 3, 21), kept.pk: None}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
