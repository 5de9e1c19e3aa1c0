"""The error handlers: Chinese pages (JSON `{"detail": …}` under /api/), no traceback, 503 while the database is away.

400, 403 and 404 (handler400/403/404 in fupin/urls.py, CSRF_FAILURE_VIEW) show only messages
of our own: a PermissionDenied's Chinese reason, never Django's English text or a path.

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

from core.errors import NOT_FOUND

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


# --- 400, 403 and 404: the project's own Chinese pages (JSON under /api/), never Django's English ones.

BAD_REQUEST = "请求无效，请返回上一页检查后重试。"
PERMISSION_DENIED = "您的角色无权进行此操作。"
CSRF_FAILED = "页面已过期或缺少安全校验（CSRF），请刷新页面后重新提交。"


def _chinese(message: object) -> str:
    """The exception's own message when it is ours (Chinese), else "": Django's English internals never show."""
    text = str(message or "")
    return text if any("\u4e00" <= char <= "\u9fff" for char in text) else ""


def bad_request(request, exception, template_name="400.html"):
    """handler400 (a SuspiciousOperation, too many fields): Chinese, without the exception's text."""
    if _wants_json(request):
        return JsonResponse({"detail": BAD_REQUEST}, status=400, json_dumps_params=UTF8)
    return HttpResponse(loader.get_template(template_name).render({"message": BAD_REQUEST}), status=400)


def permission_denied(request, exception, template_name="403.html"):
    """handler403: the permission table's Chinese reason (core/permissions.py), inside the layout."""
    reason = _chinese(exception) or PERMISSION_DENIED
    if _wants_json(request):
        return JsonResponse({"detail": reason}, status=403, json_dumps_params=UTF8)
    return HttpResponse(loader.get_template(template_name).render({"exception": reason}, request), status=403)


def page_not_found(request, exception, template_name="404.html"):
    """handler404: out of the user's region looks exactly like a page that does not exist."""
    if _wants_json(request):
        return JsonResponse({"detail": NOT_FOUND}, status=404, json_dumps_params=UTF8)
    return HttpResponse(loader.get_template(template_name).render({}, request), status=404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's page is English and names its internals; this one says what to do."""
    if _wants_json(request):
        return JsonResponse({"detail": CSRF_FAILED}, status=403, json_dumps_params=UTF8)
    return HttpResponse(loader.get_template("403.html").render({"exception": CSRF_FAILED}, request), status=403)


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
