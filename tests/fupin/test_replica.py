"""The read replica (core/db_routers.py): which reads go there, and that a real standby serves them.

Every test run has a `replica` alias, a mirror of the test database (fupin/settings.py). The
last test needs DATABASE_REPLICA_URL naming a real streaming standby of DATABASE_URL (.ci/run
starts one) and is skipped without it.
"""

import contextlib
import os
import time
from urllib.parse import unquote

import environ
import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from assessment.models import IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from core.db_routers import REPLICA_DB_ALIAS, read_from_replica
from core.models import ExportJob, User
from fupin.exports import request_export, run_export
from households.models import Household
from tests.conftest import login
from tests.factories import UserFactory, household_with_members
from villages.models import Region

PAGES = ("/", "/assessment/dashboard/", "/regions/622926000000/", "/monitoring/dashboard/")


def test_reads_in_the_block_go_to_the_replica_and_see_the_test_rows(two_townships):
    with read_from_replica():
        village = Region.objects.get(code="622926101201")
        parent = village.parent
    assert (village.name, village._state.db) == ("甲村", REPLICA_DB_ALIAS)
    assert parent._state.db == REPLICA_DB_ALIAS  # a related row comes from where its row came from


def test_reads_outside_the_block_and_every_write_go_to_the_primary(two_townships):
    assert Region.objects.get(code="622926101201")._state.db == DEFAULT_DB_ALIAS
    with read_from_replica():
        household = household_with_members(two_townships["village_a"], size=2)
        assert household._state.db == DEFAULT_DB_ALIAS
        assert router.db_for_write(Household) == DEFAULT_DB_ALIAS
        assert Household.objects.select_for_update().db == DEFAULT_DB_ALIAS
        # The household just written is read from the primary: it came from there.
        assert household.village._state.db == DEFAULT_DB_ALIAS
    assert Region.objects.all().db == DEFAULT_DB_ALIAS


def test_logins_sessions_users_and_permissions_stay_on_the_primary(db):
    with read_from_replica():
        for model in (User, Permission, Session, Token, AccessAttempt):
            assert router.db_for_read(model) == DEFAULT_DB_ALIAS, model


def test_a_transaction_of_its_own_reads_the_primary(two_townships):
    with read_from_replica():
        with transaction.atomic():
            assert Region.objects.get(code="622926101201")._state.db == DEFAULT_DB_ALIAS
        assert Region.objects.all().db == REPLICA_DB_ALIAS


def test_without_a_replica_the_block_reads_the_primary(two_townships, settings, monkeypatch):
    monkeypatch.delitem(settings.DATABASES, REPLICA_DB_ALIAS)
    with read_from_replica():
        assert Region.objects.get(code="622926101201")._state.db == DEFAULT_DB_ALIAS


def test_only_the_primary_is_migrated_and_rows_of_both_may_relate(two_townships):
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "households") is True
    assert router.allow_migrate(REPLICA_DB_ALIAS, "households") is False
    with read_from_replica():
        village = Region.objects.get(code="622926101201")
    household = household_with_members(village, size=1)  # a replica row on a primary row
    assert household.village_id == village.code


@contextlib.contextmanager
def lent_replica(settings_dict: dict):
    """`replica` on a connection of its own (not the test's), for tests whose rows are committed."""
    wrapper = DatabaseWrapper(settings_dict, REPLICA_DB_ALIAS)
    lent = connections[REPLICA_DB_ALIAS]
    connections[REPLICA_DB_ALIAS] = wrapper
    try:
        with CaptureQueriesContext(wrapper) as queries:
            yield wrapper, queries
    finally:
        connections[REPLICA_DB_ALIAS] = lent
        wrapper.close()


def county_with_figures(two_townships) -> User:
    household_with_members(two_townships["village_a"], size=3)
    household_with_members(two_townships["village_b"], size=2)
    recompute_incidence_rates(2025)
    return UserFactory(role=Role.COUNTY_REVIEWER, region=two_townships["county"])


def read_tables(queries) -> str:
    return " ".join(
        query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(("SELECT", "WITH", "DECLARE"))
    )


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS])
def test_dashboards_region_pages_statistics_and_exports_read_the_replica(client, two_townships):
    reviewer = county_with_figures(two_townships)
    login(client, reviewer)
    with (
        lent_replica(dict(connections[DEFAULT_DB_ALIAS].settings_dict)) as (_, replica_queries),
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary_queries,
    ):
        for page in (*PAGES, "/api/v1/monitoring-statistics/"):
            assert client.get(page).status_code == 200, page
        job = run_export(request_export(user=reviewer, report="households", region_code="622926000000").pk)
    assert (job.status, job.rows_written) == ("DONE", 2)
    on_replica, on_primary = read_tables(replica_queries), read_tables(primary_queries)
    for table in ("assessment_incidencerate", "monitoring_monitoringobject", "households_household"):
        assert table in on_replica, table
    # (The registry counts, kept in the cache for minutes, are counted on the primary: households/counts.py.)
    assert "assessment_incidencerate" not in on_primary and "monitoring_monitoringobject" not in on_primary
    # Who is asking, and the job itself, are answered by the primary.
    assert "django_session" in on_primary and "fupin_user" in on_primary and "fupin_exportjob" in on_primary
    assert "django_session" not in on_replica and "fupin_exportjob" not in on_replica


def standby_settings() -> dict:
    """The test database on the standby that DATABASE_REPLICA_URL names (created there by replication)."""
    url = environ.Env.db_url_config(os.environ["DATABASE_REPLICA_URL"])
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    keys = ("HOST", "PORT", "USER", "PASSWORD")
    return {**primary, **{key: url[key] for key in keys}, "HOST": unquote(url["HOST"]), "TEST": {}}


def wait_for_replay(standby: DatabaseWrapper, seconds: float = 30) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        written = cursor.fetchone()[0]
    deadline = time.monotonic() + seconds
    with standby.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"the standby has not replayed {written} in {seconds} s"
            time.sleep(0.05)


@pytest.mark.skipif("DATABASE_REPLICA_URL" not in os.environ, reason="DATABASE_REPLICA_URL names no standby")
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS])
def test_a_real_standby_serves_the_dashboard_and_the_export(client, two_townships):
    reviewer = county_with_figures(two_townships)
    login(client, reviewer)
    with lent_replica(standby_settings()) as (standby, queries):
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0] is True, "DATABASE_REPLICA_URL is not a standby"
        wait_for_replay(standby)
        page = client.get("/regions/622926000000/")
        job = run_export(request_export(user=reviewer, report="households", region_code="622926000000").pk)
    assert page.status_code == 200 and "甲镇" in page.content.decode()
    # The standby is read-only: the job's status and progress were written on the primary.
    assert (job.status, job.rows_written) == ("DONE", 2)
    assert ExportJob.objects.get(pk=job.pk).status == "DONE"
    on_standby = read_tables(queries)
    assert "assessment_incidencerate" in on_standby and "households_household" in on_standby
    assert IncidenceRate.objects.filter(region_id="622926000000", year=2025).exists()
