"""A password handed out by an administrator is changed before anything else is done with it."""

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

MUST_CHANGE = "请先修改初始密码：管理员发放或重置的密码只能用来设置您自己的新密码。"


class InitialPasswordMiddleware:
    """A user whose password was set by 用户管理 (a new account, a reset) reaches only 修改密码 and
    退出 until they have changed it: a page redirects there, an API call is refused (403)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return self.get_response(request)
        change_url = reverse("users:password")
        if request.path_info in (change_url, reverse("users:password_changed"), reverse("logout")):
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": MUST_CHANGE}, status=403)
        # The reason is on 修改密码 itself (PasswordChangeView), not a message queued per request:
        # a page firing several requests at once would otherwise show it several times.
        response = HttpResponseRedirect(change_url)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = change_url  # htmx follows this with a full page load
        return response
