import contextlib
import zlib

from django.db import connection


@contextlib.contextmanager
def advisory_lock(*key_parts):
    """A PostgreSQL session advisory lock per (task, key): a second concurrent run sees False."""
    key = zlib.crc32(":".join(str(part) for part in key_parts).encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
