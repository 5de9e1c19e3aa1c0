import contextlib
import zlib

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections


@contextlib.contextmanager
def advisory_lock(*key_parts, wait: bool = False):
    """A PostgreSQL advisory lock per (task, key), held while the block runs.

    By default a second concurrent run sees False and should exit; with `wait` it blocks
    until the first run has finished, then runs on fresh data (for recomputes whose
    result must include the latest commit). Either way the lock goes with the session that
    holds it, so a killed worker releases it.
    """
    key = zlib.crc32(":".join(str(part) for part in key_parts).encode())
    if connection.settings_dict.get("POOLER"):
        with _lock_in_a_transaction(key, wait=wait) as acquired:
            yield acquired
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            acquired = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextlib.contextmanager
def _lock_in_a_transaction(key: int, *, wait: bool):
    """Behind PgBouncer in transaction mode (DATABASE_POOLER): the lock in an open transaction of its own.

    There a session lock could be taken on one server connection and released on another: the
    pooler keeps a client on one server connection only while a transaction is open. A
    connection of its own holds a transaction-level lock until the block ends and rolls back;
    the work itself commits on the usual connection as often as it likes.
    """
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
                acquired = True
            else:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
                acquired = cursor.fetchone()[0]
        yield acquired
    finally:
        # The rollback releases the lock; a connection that broke meanwhile has released it already.
        with contextlib.suppress(DatabaseError):
            holder.rollback()
        holder.close()
