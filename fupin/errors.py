"""The server-error handler: a Chinese page, never a traceback, and 503 while the database is away.

Django calls `handler500` from inside the `except` block of the failed request, so the error
is still in `sys.exc_info()`. A lost or refused PostgreSQL connection (a restart, a failover)
answers 503 with 数据库暂时不可用 and Retry-After; the next request after PostgreSQL is back
reconnects by itself (CONN_HEALTH_CHECKS in fupin/settings.py). Both pages are standalone
templates that need neither the database nor a request context.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后重试。"
SERVER_ERROR = "服务器内部错误，请稍后重试；如果反复出现，请联系系统管理员。"
RETRY_AFTER_SECONDS = 30
UTF8 = {"ensure_ascii": False}  # like the API's own JSON


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or an exception it was raised from) is PostgreSQL being unreachable."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OperationalError | InterfaceError):
            return True
        # psycopg's own classes, when they escape Django's wrapper (a connection made outside the ORM).
        if type(error).__module__.startswith("psycopg") and type(error).__name__ in {
            "OperationalError",
            "InterfaceError",
        }:
            return True
        error = error.__cause__ or error.__context__
    return False


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def server_error(request, template_name="500.html"):
    """handler500: 503 数据库暂时不可用 for a database outage, else the Chinese 500 page."""
    if database_unavailable(sys.exc_info()[1]):
        logger.warning("database unavailable: answered 503 for %s", request.path)
        if _wants_json(request):
            response = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503, json_dumps_params=UTF8)
        else:
            response = HttpResponse(
                loader.get_template("503.html").render({"message": DATABASE_UNAVAILABLE}), status=503
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _wants_json(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500, json_dumps_params=UTF8)
    return HttpResponse(loader.get_template(template_name).render({"message": SERVER_ERROR}), status=500)
