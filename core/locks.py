import contextlib
import zlib

from django.db import connection


@contextlib.contextmanager
def advisory_lock(*key_parts, wait: bool = False):
    """A PostgreSQL session advisory lock per (task, key).

    By default a second concurrent run sees False and should exit; with `wait` it blocks
    until the first run has finished, then runs on fresh data (for recomputes whose
    result must include the latest commit).
    """
    key = zlib.crc32(":".join(str(part) for part in key_parts).encode())
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
