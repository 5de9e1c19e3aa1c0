"""The Redis cache, tolerant of Redis being down.

Everything the project caches (scope counts, API throttle counters) can be recomputed or
skipped, so a Redis outage must not turn pages into 500s: a read answers a miss, a write
is dropped, and the failure is logged once per outage. After a failure Redis is left alone
for a few seconds, so a page does not wait on a dead server for every key it reads.
Sessions live in PostgreSQL, never only in Redis.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0


class TolerantRedisCache(RedisCache):
    """django's RedisCache whose operations answer a miss (and write nothing) while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _guard(self, operation, default, *args, **kwargs):
        if self.is_down:
            return default
        try:
            return operation(*args, **kwargs)
        except (RedisError, OSError) as error:
            with self._lock:
                if not self.is_down:
                    logger.warning("Redis cache unreachable, serving without it: %s", error.__class__.__name__)
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._guard(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._guard(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        # No counter while Redis is away; callers (throttles) treat a missing key as a fresh count.
        return self._guard(super().incr, delta, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard(super().delete_many, None, keys, version)

    def clear(self):
        return self._guard(super().clear, False)
