"""Reads from the streaming replica, only where a page or a task asks for it.

With DATABASE_REPLICA_URL set, settings have a `replica` alias (fupin/settings.py). Most pages
must read their own writes (a form saved, then the redirect shows it), and a standby replays
the primary a little late, so reads are not sent there wholesale: a view or task that only
shows figures or writes a report opts in with `read_from_replica()` (a context manager or a
decorator), and inside it the ORM's reads go to the replica. Everything else stays on the
primary:

- every write, and every read of a write query (select_for_update, get_or_create);
- whatever runs inside a transaction of its own on the primary (it reads its own writes and
  holds its locks there);
- sessions, logins, users, permissions and lockouts (PRIMARY_ONLY_APPS): who may see a page
  is never answered from a copy that may be behind;
- a related object of a row read from the primary.

Without a replica alias the router answers nothing and Django reads the primary, as before.
"""

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"
PRIMARY_ONLY_APPS = frozenset({"admin", "auth", "authtoken", "axes", "contenttypes", "sessions"})

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("read_from_replica", default=False)


@contextlib.contextmanager
def read_from_replica() -> Iterator[None]:
    """Within the block (or the decorated view or task), reads go to the replica when there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def has_replica() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def in_primary_transaction() -> bool:
    """A transaction of the code's own is open on the primary (a test case's own wrapper is not one)."""
    return any(not getattr(block, "_from_testcase", False) for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # a related object comes from where its row came from
        if (
            _reading_replica.get()
            and has_replica()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and model._meta.label != settings.AUTH_USER_MODEL
            and not in_primary_transaction()
        ):
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: a row of either may point at a row of the other.
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
