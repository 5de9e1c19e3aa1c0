"""PostgreSQL restarted or stopped under a running gunicorn, and Redis down: clear pages, then service resumes.

Each test starts its own servers (tests/fupin/servers.py): a PostgreSQL initialised in a
temporary directory, a gunicorn as `make run` starts it. The shared PostgreSQL and Redis
in var/run are never stopped.
"""

import os
import subprocess
import sys
import time

import pytest
from celery.contrib.testing.worker import start_worker

from core.codes import Role
from core.models import ExportJob
from core.queueing import DISPATCH_DELAYED
from core.tasks import redispatch_transfer_jobs
from fupin.celery import app
from fupin.service_status import BACKGROUND_DELAYED
from tests.factories import TEST_PASSWORD, UserFactory, household_with_members
from tests.fupin.servers import ROOT, Gunicorn, OwnPostgres, Session, collect_static, database_url, server_env

DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后重试"
ADMIN_PASSWORD = "restart-proof-2026"


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults-var")
    collect_static(path, server_env(path, database=os.environ["DATABASE_URL"]))
    return path


@pytest.fixture
def own_postgres():
    server = OwnPostgres()
    yield server
    server.destroy()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=300)


def test_postgres_restarted_or_stopped_under_gunicorn_gives_503_then_service_resumes(own_postgres, var_dir, tmp_path):
    env = server_env(var_dir, database=own_postgres.url)
    manage(env, "migrate", "--noinput", "-v", "0")
    create_admin = "from core.models import User; User.objects.create_user('admin', password='%s', role='admin')"
    manage(env, "shell", "-c", create_admin % ADMIN_PASSWORD)
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1, threads=2)
    try:
        session = Session(server)
        session.log_in("admin", ADMIN_PASSWORD)
        assert session.get("/households/")[0] == 200
        workers_before = server.process.pid

        # A restart drops every connection the workers hold: the next request reconnects by itself.
        own_postgres.restart()
        for _ in range(3):
            status, _, page = session.get("/households/")
            assert status == 200, page[:500]

        # Stopped: a clear Chinese page with 503, not a traceback, for pages and for the login form.
        own_postgres.stop()
        status, headers, page = session.get("/households/")
        assert status == 503, page[:500]
        assert DATABASE_UNAVAILABLE in page and "服务暂时不可用（503）" in page
        assert "Traceback" not in page and "psycopg" not in page and "PGSQL" not in page
        assert headers["Retry-After"] == "30"
        status, _, page = server.request(
            "POST",
            "/login/",
            body="username=admin&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status in (403, 503)  # without a CSRF cookie Django refuses before the database; never a 500
        api_status, _, api_body = server.request("GET", "/api/v1/households/", headers=session._headers())
        assert api_status == 503 and DATABASE_UNAVAILABLE in api_body

        # Back: the same gunicorn, never restarted, serves again.
        own_postgres.start()
        deadline = time.monotonic() + 30
        while (status := session.get("/households/")[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200
        assert server.process.poll() is None and server.process.pid == workers_before
        assert "Booting worker" in server.log() and server.log().count("Booting worker") == 1
    finally:
        server.stop()


DEAD_REDIS = "redis+socket:///tmp/fupin-no-redis-here/redis.sock"


# The export job reads its rows through the replica alias (fupin/exports.py), here in this process's worker thread.
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_redis_down_pages_serve_and_a_queued_export_waits_then_runs(var_dir, settings, two_townships, tmp_path):
    township = two_townships["township_a"]
    clerk = UserFactory(role=Role.TOWNSHIP_CLERK, region=township)
    household_with_members(two_townships["village_a"], size=3)
    env = server_env(var_dir, database=database_url(settings.DATABASES["default"]["NAME"]), redis=DEAD_REDIS)
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    try:
        session = Session(server)
        session.log_in(clerk.username, TEST_PASSWORD)  # sessions live in PostgreSQL
        status, _, home = session.get("/")
        assert status == 200 and BACKGROUND_DELAYED in home
        status, _, page = session.get("/households/")
        assert status == 200 and BACKGROUND_DELAYED in page
        # The API's throttles count in the cache: with no cache they let the request through.
        status, _, body = server.request("GET", "/api/v1/households/", headers=session._headers())
        assert status == 200, body[:300]

        started = time.monotonic()
        status, _, _ = session.post(
            "/exports/", {"report": "households", "region_code": township.code}, form_page="/exports/"
        )
        assert status == 302, status
        assert time.monotonic() - started < 10  # a few quick tries, not a hanging page
        status, _, page = session.get("/exports/")
        assert status == 200 and DISPATCH_DELAYED in page
        job = ExportJob.objects.get(user=clerk)
        assert (job.status, job.error) == (ExportJob.Status.PENDING, DISPATCH_DELAYED)
        assert "Traceback" not in server.log()
    finally:
        server.stop()

    # Redis is back (this process's broker): the beat task sends the waiting job and a worker runs it.
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        assert redispatch_transfer_jobs() == 1
        deadline = time.monotonic() + 30
        while job.status != ExportJob.Status.DONE and time.monotonic() < deadline:
            time.sleep(0.2)
            job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.error == "" and job.rows_written == 1
    assert redispatch_transfer_jobs() == 0  # sent once, never twice
