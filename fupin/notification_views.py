"""站内消息 pages: my notices (the bell's list), opening one (read, then its page), 全部标为已读."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import notifications

PER_PAGE = 20


@login_required
def notification_list(request):
    """Mine only, newest first, paged; the unread are marked."""
    page = Paginator(notifications.for_user(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "fupin/notifications.html",
        {"page": page, "unread": notifications.unread_count(request.user), "nav_active": "notifications"},
    )


@login_required
def notification_open(request, pk):
    """Mark one of my notices read and go where it points (a page of this site only); 404 if not mine."""
    notification = notifications.open_notification(user=request.user, notification_id=pk)
    if notification is None:
        raise Http404("未找到该消息。")
    return redirect(notifications.safe_url(notification.url) or "notifications")


@login_required
@require_POST
def notification_read_all(request):
    marked = notifications.mark_read(user=request.user)
    messages.success(request, f"已将{marked}条消息标为已读。" if marked else "没有未读消息。")
    return redirect("notifications")
