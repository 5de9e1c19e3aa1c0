"""用户管理 pages: thin views over fupin/accounts.py (the rules, the scope and the permission live there)."""

import io
import tempfile

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.downloads import private_download
from core.excel import write_workbook
from core.permissions import Action, require

from . import accounts
from .account_forms import AccountSheetForm, OwnPasswordChangeForm, UserFilterForm
from .middleware import MUST_CHANGE

PAGE_SIZE = 30
# The initial passwords of the last batch, until their one download (the session lives in PostgreSQL).
PASSWORDS_KEY = "accounts.initial_passwords"


def _no_store(response):
    response["Cache-Control"] = "no-store"  # a page showing a password is kept by no browser or proxy
    return response


@login_required
def user_list(request):
    """用户管理: the province's accounts, filtered and paged."""
    form = UserFilterForm(request.GET or None, manager=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(accounts.user_list(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "nav_active": "users"}
    return render(request, "accounts/list.html", context)


@login_required
def user_detail(request, pk):
    target = accounts.managed_user(request.user, pk)
    context = {"target": target, "history": accounts.history(target)[:50], "nav_active": "users"}
    return render(request, "accounts/detail.html", context)


@login_required
@require_POST
def reset_password(request, pk):
    """A new random password, shown on this response only."""
    try:
        password = accounts.reset_password(user=request.user, target_id=pk)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("users:detail", pk=pk)
    target = accounts.managed_user(request.user, pk)
    return _no_store(render(request, "accounts/password.html", {"target": target, "password": password}))


@login_required
@require_POST
def set_active(request, pk):
    active = request.POST.get("active") == "1"
    try:
        target = accounts.set_active(user=request.user, target_id=pk, active=active)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号 {target.username}。")
    return redirect("users:detail", pk=pk)


@login_required
def import_sheet(request):
    """批量创建账号: upload → preview (every row checked, nothing written) → 确认创建."""
    form = AccountSheetForm(request.POST or None, request.FILES or None)
    plan, errors = None, []
    if request.method == "POST":
        try:
            plan = accounts.plan_accounts(user=request.user, uploaded=request.FILES.get("file"))
        except ValidationError as error:
            errors = [message for problems in error.message_dict.values() for message in problems]
        else:
            if plan.errors:
                errors = ["账号表有错误，未创建任何账号；请按行号修改后重新上传。"]
    else:
        require(request.user, Action.MANAGE_USERS)
    context = {"form": form, "plan": plan, "errors": errors, "max_rows": accounts.MAX_ROWS, "nav_active": "users"}
    return render(request, "accounts/import.html", context, status=400 if errors else 200)


@login_required
@require_POST
def import_confirm(request):
    """Create the previewed accounts (all or none) and show their initial passwords once."""
    try:
        created = accounts.create_accounts(user=request.user, token=request.POST.get("plan", ""))
    except accounts.AccountsRefused as refused:
        plan = accounts.Plan(accounts=[], errors=refused.errors, notes=[])
        errors = ["账号表有错误，未创建任何账号；请按行号修改后重新上传。"]
    except ValidationError as error:
        plan, errors = None, error.messages
    else:
        request.session[PASSWORDS_KEY] = created
        return _no_store(render(request, "accounts/created.html", {"created": created, "nav_active": "users"}))
    context = {"form": AccountSheetForm(), "plan": plan, "errors": errors, "max_rows": accounts.MAX_ROWS}
    return render(request, "accounts/import.html", {**context, "nav_active": "users"}, status=400)


@login_required
def import_template(request):
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(handle.name, accounts.template_sheets(request.user))
    return FileResponse(open(handle.name, "rb"), as_attachment=True, filename="批量创建账号模板.xlsx")


@login_required
def passwords_download(request):
    """The last batch's initial passwords, once: taken out of the session as they are served."""
    require(request.user, Action.MANAGE_USERS)
    created = request.session.pop(PASSWORDS_KEY, None)
    if not created:
        raise Http404("初始密码已下载过或已失效。")
    filename = f"初始密码{timezone.localdate():%Y%m%d}.xlsx"
    return private_download(io.BytesIO(accounts.passwords_workbook(created)), filename)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every user's own 修改密码; after it, one handed out by an administrator no longer holds them here."""

    form_class = OwnPasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_context_data(self, **kwargs):
        # Why every other page leads here (InitialPasswordMiddleware), for as long as it does.
        must_change = self.request.user.must_change_password
        return {**super().get_context_data(**kwargs), "must_change_reason": MUST_CHANGE if must_change else ""}

    def form_valid(self, form):
        accounts.change_own_password(form)
        update_session_auth_hash(self.request, form.user)  # this session stays; the others end
        return HttpResponseRedirect(self.get_success_url())
