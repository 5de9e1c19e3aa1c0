"""Behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer): nothing outlives a transaction.

These run on the plain server: what they check is what the app asks of its connection. The
same files run through Debian's PgBouncer in transaction mode in CI (.ci/run, its last step)
with the job, import, export and API tests.
"""

import zlib

import environ
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from core.locks import advisory_lock
from fupin.settings import database

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_pgbouncer(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "POOLER", "pgbouncer")


@pytest.fixture
def other_session():
    session = connections.create_connection(DEFAULT_DB_ALIAS)
    yield session
    session.close()


def lock_is_free(session, key_parts) -> bool:
    """Whether another session could take the lock now (and it lets go of it at once)."""
    key = zlib.crc32(":".join(str(part) for part in key_parts).encode())
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return cursor.fetchone()[0]


def test_pgbouncer_setting_turns_off_server_side_cursors_and_prepared_statements(monkeypatch):
    monkeypatch.setenv("FUPIN_TEST_POOLER", "pgbouncer")
    behind = database("DATABASE_URL", "FUPIN_TEST_POOLER")
    assert behind["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert behind["OPTIONS"]["prepare_threshold"] is None
    assert behind["POOLER"] == "pgbouncer"
    monkeypatch.setenv("FUPIN_TEST_POOLER", "")
    direct = database("DATABASE_URL", "FUPIN_TEST_POOLER")
    assert "DISABLE_SERVER_SIDE_CURSORS" not in direct and direct["POOLER"] == ""


def test_an_unknown_pooler_is_refused(monkeypatch):
    monkeypatch.setenv("FUPIN_TEST_POOLER", "pgpool")
    with pytest.raises(environ.ImproperlyConfigured, match="FUPIN_TEST_POOLER"):
        database("DATABASE_URL", "FUPIN_TEST_POOLER")


def test_behind_pgbouncer_the_lock_is_held_until_the_block_ends(behind_pgbouncer, other_session):
    with advisory_lock("replica-test", 1, wait=True) as acquired:
        assert acquired is True
        assert not lock_is_free(other_session, ("replica-test", 1))
        # A second run in the meantime sees the lock taken and leaves.
        with advisory_lock("replica-test", 1) as second:
            assert second is False
    assert lock_is_free(other_session, ("replica-test", 1))


def test_behind_pgbouncer_the_lock_goes_when_the_block_raises(behind_pgbouncer, other_session):
    with pytest.raises(RuntimeError), advisory_lock("replica-test", 2):
        raise RuntimeError("the work failed")
    assert lock_is_free(other_session, ("replica-test", 2))


def test_behind_pgbouncer_no_session_lock_is_left_on_the_work_connection(behind_pgbouncer):
    with advisory_lock("replica-test", 3) as acquired:
        assert acquired is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0
