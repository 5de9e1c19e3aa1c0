"""Whether background work can be queued now: the Celery broker (Redis) answers.

Pages keep serving while Redis is down (core/cache.py); what stops is queueing imports,
exports and recomputes. Each page tells the user so (the banner in base.html), and a job
queued meanwhile stays in its waiting status until core.tasks.redispatch_transfer_jobs
sends it once the broker is back. The answer is kept a few seconds per process so that
pages do not ping Redis each time.
"""

import dataclasses
import threading
import time

import celery
import redis
import redis.asyncio
from celery.app import app_or_default
from django.conf import settings
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis as RedisCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu.exceptions import OperationalError

CHECK_EVERY_SECONDS = 5.0
BACKGROUND_DELAYED = "后台任务服务暂时无法连接：导入、导出和统计更新已登记，将在服务恢复后自动执行，请稍后查看结果。"

_lock = threading.Lock()
_last = {"at": -CHECK_EVERY_SECONDS, "reachable": True}


def broker_redis_url(url: str) -> str:
    """redis-py's spelling of the broker URL (Celery writes a socket as redis+socket://)."""
    if url.startswith("redis+socket://"):
        return "unix://" + url.removeprefix("redis+socket://")
    return url


def broker_client() -> redis.asyncio.Redis:
    """A client of the broker for the /health/ check (fupin/urls.py)."""
    return redis.asyncio.Redis.from_url(
        broker_redis_url(settings.CELERY_BROKER_URL), socket_connect_timeout=2, socket_timeout=2
    )


class BrokerRedis(RedisCheck):
    """django-health-check's Redis ping, named "Redis()" on /health/: the unauthenticated page does
    not tell the broker's host and port."""

    def __repr__(self):
        return "Redis()"


@dataclasses.dataclass
class CeleryPing(Ping):
    """django-health-check's Celery ping, named without the app object's address on /health/."""

    app: celery.Celery = dataclasses.field(default_factory=app_or_default, repr=False)

    def run(self):
        try:
            super().run()
        except OperationalError as error:  # kombu's, not an OSError: the library would report "unknown error"
            raise ServiceUnavailable("Celery broker unreachable") from error


def ping_broker() -> bool:
    client = redis.Redis.from_url(
        broker_redis_url(settings.CELERY_BROKER_URL), socket_connect_timeout=1, socket_timeout=1
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def broker_reachable() -> bool:
    now = time.monotonic()
    with _lock:
        if now - _last["at"] < CHECK_EVERY_SECONDS:
            return _last["reachable"]
    reachable = ping_broker()
    with _lock:
        _last.update(at=time.monotonic(), reachable=reachable)
    return reachable


def forget() -> None:
    """Ask again on the next call (tests, and right after a failed publish)."""
    with _lock:
        _last["at"] = -CHECK_EVERY_SECONDS


def background_status(request):
    """Context processor: `background_delayed` (the banner's text) while the broker is unreachable."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or broker_reachable():
        return {}
    return {"background_delayed": BACKGROUND_DELAYED}


class HealthView(HealthCheckView):
    """/health/: 503 when a service is down (the package answers 500, which reads as a bug of ours).

    A load balancer or docker-compose reads 503 as "not ready"; a 500 is kept for our own errors.
    """

    async def dispatch(self, request, *args, **kwargs):
        response = await super().dispatch(request, *args, **kwargs)
        if response.status_code == 500:  # the package's code for "a check failed"
            response.status_code = 503
        return response
