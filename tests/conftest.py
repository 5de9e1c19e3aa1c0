import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import RequestFactory
from rest_framework.test import APIClient

from assessment.defaults import ensure_default_scheme
from core.codes import Role
from core.db_routers import REPLICA_DB_ALIAS
from core.logging import PERSONAL_NUMBER
from core.policy_defaults import ensure_default_parameters

from .factories import TEST_PASSWORD, UserFactory, region


def pytest_collection_modifyitems(items):
    """A live server answers from threads of its own, which read the `replica` mirror on a connection
    of their own (to the test database, whose rows such tests commit): the alias is allowed there."""
    for item in items:
        if "live_server" not in getattr(item, "fixturenames", ()):
            continue
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        if kwargs.get("databases") != "__all__":
            kwargs["databases"] = sorted({*(kwargs.get("databases") or [DEFAULT_DB_ALIAS]), REPLICA_DB_ALIAS})
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session", autouse=True)
def session_log(tmp_path_factory):
    """The handlers of LOGGING write the whole run to one file, which must hold no full ID number
    or phone at the end (tests/fupin/test_log_masking.py checks that each source reaches it)."""
    path = tmp_path_factory.mktemp("logs") / "session.log"
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    names = settings.LOGGING["handlers"]
    configured = {handler for logger in loggers for handler in logger.handlers if handler.get_name() in names}
    with path.open("a", encoding="utf-8") as stream:
        previous = {handler: handler.stream for handler in configured}
        for handler in configured:
            handler.setStream(stream)
        yield path
        for handler, old in previous.items():
            handler.setStream(old)
    lines = path.read_text(encoding="utf-8").splitlines()
    leaks = [number for number, line in enumerate(lines, 1) if PERSONAL_NUMBER.search(line)]
    # Line numbers only: the report must not print the numbers it found.
    assert not leaks, f"{path}: a full ID number or phone in the log, lines {leaks[:20]}"


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each xdist worker has its own key prefix; clear it between tests (never FLUSHDB)."""
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)
    yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    """Exports, uploads and scanned attachments of a test land in temporary directories, never in var/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.PRIVATE_ATTACHMENT_DIR = tmp_path_factory.mktemp("attachments")


@pytest.fixture(autouse=True)
def _policy_parameters(request):
    """The seeded policy parameters, for every database test.

    Transactional tests flush all tables afterwards, data-migration rows included, and
    xdist may run an ordinary test after one in the same worker: restore them each time.
    """
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    elif marker or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    ensure_default_parameters()
    ensure_default_scheme()


@pytest.fixture(autouse=True)
def _replica_reads_in_the_test_transaction(_policy_parameters):
    """Reads routed to the `replica` mirror run on the test's own connection, so they see its rows.

    The mirror's own connection would not see a test case's uncommitted transaction. Lent after
    the database fixtures (which fence off the aliases a test may not use) and given back before.
    Other threads (the live server's) open their own replica connection from connections.settings,
    which the mirror setup left naming the development database: it is pointed at the test
    database too. tests/fupin/test_replica.py puts a real standby's connection there instead.
    """
    if REPLICA_DB_ALIAS not in connections:
        yield
        return
    replica = connections[REPLICA_DB_ALIAS]
    connections.settings[REPLICA_DB_ALIAS] = replica.settings_dict
    connections[REPLICA_DB_ALIAS] = connections[DEFAULT_DB_ALIAS]
    try:
        yield
    finally:
        connections[REPLICA_DB_ALIAS] = replica


@pytest.fixture
def two_townships(db):
    """Two townships of one county, each with one village."""
    county = region("622926000000", "东乡族自治县")
    township_a, township_b = region("622926101000", "甲镇"), region("622926102000", "乙镇")
    return {
        "county": county,
        "township_a": township_a,
        "township_b": township_b,
        "village_a": region("622926101201", "甲村"),
        "village_b": region("622926102201", "乙村"),
    }


@pytest.fixture
def clerk_a(two_townships):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=two_townships["township_a"])


@pytest.fixture
def api_client():
    return APIClient()


def login(client, user, password=TEST_PASSWORD):
    """Log in through the real backends (django-axes needs a request to authenticate)."""
    assert client.login(request=RequestFactory().get("/"), username=user.username, password=password)
    return client
