import re
import secrets
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.downloads import private_download
from core.excel import write_workbook
from core.forms import FormAction, apply_service_errors, empty_forms, form_of, run_action
from core.parsing import is_ascii_digits, parse_int
from core.permissions import Action, allows, require
from core.scoping import get_visible_or_404
from core.sorting import sort_headers
from core.totals import is_small_scope
from villages.models import Region

from . import selectors, services
from .codes import Relation
from .entry import check_id_number, default_ethnicity, default_identified_year
from .forms import (
    AidMeasureForm,
    EditMemberFormSet,
    HelperAssignForm,
    HouseholdFilterForm,
    HouseholdForm,
    IncomeForm,
    MemberDecreaseForm,
    MemberFormSet,
    MemberIncreaseForm,
    StatusChangeForm,
)
from .history import household_history
from .idnumbers import holds_long_number, id_search_hash
from .imports import commit_import, error_file, start_import
from .models import Helper, HistoricalLoad, Household, ImportJob
from .quality import household_warnings
from .template_workbook import blank_template

PAGE_SIZE = 50
ID_HASH = re.compile(r"[0-9a-f]{64}")  # households.idnumbers.id_number_hash: HMAC-SHA256, hex
SAVED_SEARCHES_KEY = "household_searches"
SAVED_SEARCHES = 20
MAX_VERSION = 2**31 - 1  # the version column is an integer
MAX_FORM_INDEX_DIGITS = 4  # a household has far fewer than 10,000 member rows


def filter_regions(user) -> list[tuple[str, str]]:
    """The user's own region and its children, for the filter bar."""
    if user.region_id is None:
        return [(region.code, region.name) for region in Region.objects.filter(parent__isnull=True)]
    children = Region.objects.visible_to(user).filter(parent=user.region)
    return [(user.region_id, f"{user.region.name}（全部）")] + [(region.code, region.name) for region in children]


def search_url(request, data) -> str:
    """The list's URL for a search (post/redirect/get): a valid ID number becomes its keyed hash
    (`id_hash`), any other query holding a long run of digits a token of this session (`qs`), so
    neither lands in a URL or an access log; a name, pinyin or short number stays `q`."""
    params = QueryDict(mutable=True)
    for name in [*HouseholdFilterForm.base_fields, "sort"]:
        if name != "q" and (value := data.get(name)):
            params[name] = value
    query = (data.get("q") or "").strip()
    if id_hash := id_search_hash(query):
        params["id_hash"] = id_hash
    elif holds_long_number(query):
        token = secrets.token_urlsafe(6)
        # The newest searches only: a token lives as long as the session, at most SAVED_SEARCHES of them.
        searches = {**request.session.get(SAVED_SEARCHES_KEY, {}), token: query}
        request.session[SAVED_SEARCHES_KEY] = dict(list(searches.items())[-SAVED_SEARCHES:])
        params["qs"] = token
    elif query:
        params["q"] = query
    return f"{reverse('households:list')}?{params.urlencode()}"


def saved_search(request) -> tuple[dict, str]:
    """The search a URL names by `id_hash` or `qs`, and which kind it is ("id", "saved", "expired" or "")."""
    id_hash = request.GET.get("id_hash", "")
    if ID_HASH.fullmatch(id_hash):
        return {"id_hash": id_hash}, "id"
    if token := request.GET.get("qs"):
        query = request.session.get(SAVED_SEARCHES_KEY, {}).get(token)
        return ({"q": query}, "saved") if query else ({}, "expired")
    return {}, ""


def household_columns(region_columns: bool) -> list[tuple[str, str | None]]:
    """The list's columns (label, sort key); 所属县 and 所属乡镇 for users above a township."""
    regions = [("所属县", None), ("所属乡镇", None)] if region_columns else []
    return [
        ("户编号", "household_no"),
        ("户主", "head_name"),
        *regions,
        ("所在村", "village"),
        ("属性", None),
        ("主要致贫原因", None),
        ("状态", "status"),
        ("识别年度", "identified_year"),
        ("人口", "member_count"),
        ("疑点", None),
    ]


@login_required
def household_list(request):
    """Scoped list with filters, search and sortable columns; keyset pages (`after`), and 共 N 户 / M 人
    counted exactly within a township, estimated above it (never a COUNT over the province).

    The search box posts; the answer redirects to a URL without the number (`search_url`)."""
    if request.method == "POST":
        return HttpResponseRedirect(search_url(request, request.POST), status=303)
    if holds_long_number(request.GET.get("q", "")):
        # Typed into the address bar: moved out of the URL at once (the log masks this one request).
        return HttpResponseRedirect(search_url(request, request.GET))
    form = HouseholdFilterForm(request.GET or None, region_choices=filter_regions(request.user))
    filters = dict(form.cleaned_data) if form.is_valid() else {}
    search, searched = saved_search(request)
    filters.update(search)
    sort = selectors.list_sort(request.GET.get("sort"))
    if searched == "expired":
        page, next_after, total = [], None, None
    else:
        after = request.GET.get("after", "")
        page, next_after = selectors.household_page(request.user, filters, after, PAGE_SIZE, sort=sort)
        total = selectors.household_total(request.user, filters)
    query = request.GET.copy()
    query.pop("after", None)
    region_columns = not is_small_scope(request.user)
    template = "households/_table.html" if request.htmx else "households/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "households": page,
            "next_after": next_after,
            "query": query.urlencode(),
            "searched": searched,
            "sort": sort,
            "total": total,
            "region_columns": region_columns,
            "headers": sort_headers(query, household_columns(region_columns), sort),
            "nav_active": "households",
        },
    )


@login_required
def household_detail(request, pk):
    household = get_visible_or_404(selectors.household_detail_queryset(request.user), request.user, pk=pk)
    members = household.active_members
    return render(
        request,
        "households/detail.html",
        {
            "household": household,
            "members": members,
            "incomes": selectors.income_rows(household),
            "warnings": household_warnings(household, members=members),
            # Members who left are part of the history too.
            "history": household_history(household, household.members.all()),
            "living_conditions": selectors.living_conditions(household),
            **empty_forms(ACTIONS, request.user, household),
            "nav_active": "households",
        },
    )


@login_required
def household_create(request):
    return household_form(request, household=None)


SAVE_AND_NEXT = "next"  # the value of the 保存并新增下一户 button (name "then")


@login_required
def household_edit(request, pk):
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    return household_form(request, household=household)


def posted_version(request) -> int:
    """The version the form was loaded with; anything malformed counts as stale."""
    try:
        return parse_int(request.POST.get("version", ""), field="version", minimum=0, maximum=MAX_VERSION)
    except ValidationError:
        return 0


def member_masks(household) -> dict[int, str]:
    """{member id: masked ID number} of the household being edited; a row sent back with its mask
    unchanged keeps the stored number."""
    if household is None:
        return {}
    return dict(household.members.filter(is_active=True).values_list("pk", "id_number_masked"))


def household_form(request, household):
    """One form for the household and its members; nothing is saved unless everything is valid."""
    editing = household is not None
    # A role that may not save the form is told so before typing a household into it (403).
    require(request.user, Action.EDIT_HOUSEHOLD if editing else Action.REGISTER_HOUSEHOLD)
    formset_class = EditMemberFormSet if editing else MemberFormSet
    if request.method == "POST":
        form = HouseholdForm(request.POST, user=request.user, household=household)
        formset = formset_class(request.POST, prefix="members", form_kwargs={"masks": member_masks(household)})
        if form.is_valid() and formset.is_valid():
            kept = formset.kept_forms()
            row_of = [index for index, _ in kept]
            member_data = [member_form.service_data() for _, member_form in kept]
            try:
                if editing:
                    household = services.update_household(
                        user=request.user,
                        household_id=household.pk,
                        data=form.service_data(),
                        expected_version=posted_version(request),
                        members=member_data,
                    )
                    messages.success(request, "已保存。")
                else:
                    household = services.register_household(
                        user=request.user,
                        village_code=form.cleaned_data["village"],
                        data=form.service_data(),
                        members=member_data,
                        ordinary=form.ordinary,
                    )
                    if request.POST.get("then") == SAVE_AND_NEXT:
                        return save_and_next(request, household, ordinary=form.ordinary)
                    messages.success(
                        request,
                        f"已登记为一般农户：户编号 {household.household_no}。一般农户不是建档立卡贫困户，"
                        "纳入防返贫监测排查；发现风险时发起监测识别。"
                        if form.ordinary
                        else f"已登记为拟识别户：户编号 {household.household_no}。"
                        "提交识别申请，经公示和县审定后成为未脱贫户。",
                    )
                return redirect("households:detail", pk=household.pk)
            except services.StaleEdit as stale:
                messages.error(request, stale.message)
            except ValidationError as error:
                apply_service_errors(error, form, formset, row_of)
    elif editing:
        # Phones and ID numbers start masked; the full ones are shown only by the audited unmask.
        form = HouseholdForm(
            initial={
                **{f: getattr(household, f) for f in services.HOUSEHOLD_FIELDS if f != "phone"},
                "village": household.village_id,
            },
            user=request.user,
            household=household,
        )
        formset = EditMemberFormSet(
            prefix="members",
            initial=[
                {**{f: getattr(m, f) for f in services.MEMBER_FIELDS}, "id": m.pk, "id_number": m.id_number_masked}
                for m in household.members.filter(is_active=True).order_by("pk")
            ],
            form_kwargs={"masks": member_masks(household)},
        )
    else:
        form = HouseholdForm(user=request.user, initial=new_household_initial(request))
        region = form.initial.get("village") or request.user.region_id
        formset = MemberFormSet(prefix="members", initial=[{"relation": "01", "ethnicity": default_ethnicity(region)}])
    focus_first_field(form, formset)
    return render(
        request,
        "households/form.html",
        {
            "form": form,
            "formset": formset,
            "household": household,
            "error_summary": form.error_summary() + formset.error_summary() if form.is_bound else [],
            "nav_active": "households",
        },
    )


def new_household_initial(request) -> dict:
    """A new form's defaults: the current work year, and the village of the household saved just
    before (保存并新增下一户 passes it as ?village=) when it is one of the clerk's."""
    initial = {"identified_year": default_identified_year()}
    village = request.GET.get("village", "")
    if is_ascii_digits(village) and Region.objects.visible_to(request.user).filter(code=village).exists():
        initial["village"] = village
    return initial


def focus_first_field(form, formset) -> None:
    """The cursor starts in the first field to type, or after a refusal in the first field in error."""
    if not form.is_bound:
        form.focus()
        return
    for field in form.errors:
        if field in form.fields and not form.fields[field].disabled:
            form.focus(field)
            return
    for member_form in formset.forms:
        for field in member_form.errors:
            if field in member_form.fields:
                member_form.fields[field].widget.attrs["autofocus"] = True
                return


def save_and_next(request, household, *, ordinary: bool):
    """保存并新增下一户: a fresh form in the same village, the saved household named in the message."""
    kind = "一般农户" if ordinary else "拟识别户"
    messages.success(
        request,
        f"已登记{household.head_name}户为{kind}（户编号 {household.household_no}），请录入下一户。",
    )
    return redirect(f"{reverse('households:create')}?village={household.village_id}")


@login_required
def member_row(request):
    """htmx: one more empty member row for the formset."""
    index = request.GET.get("index", "")
    if not is_ascii_digits(index) or len(index) > MAX_FORM_INDEX_DIGITS:
        raise Http404
    member_form = MemberFormSet(prefix="members").empty_form  # carries the DELETE box
    member_form.prefix = f"members-{index}"
    # The relation starts empty: the clerk chooses it (a second 户主 would be refused anyway). The 民族
    # is the region's default; the page replaces it with the 户主's as the row arrives (static/js/fupin.js).
    member_form.initial = {
        "ethnicity": default_ethnicity(request.user.region_id),
        "health": ["01"],
        "work_months": 0,
    }
    return render(request, "households/_member_row.html", {"member_form": member_form})


@login_required
@require_POST
def id_check(request):
    """htmx: the ID number of a member row, checked by the save's validator as the clerk leaves the box:
    the birth date and gender it holds, or why it is refused. Nothing is stored or logged."""
    # htmx posts the whole form; the box that was left names itself in the HX-Trigger-Name header.
    name = request.htmx.trigger_name if request.htmx and request.htmx.trigger_name else ""
    if not name.endswith("id_number"):
        name = next((key for key in request.POST if key.endswith("id_number")), "")
    typed = request.POST.get(name, "")
    response = render(request, "households/_id_check.html", {"check": check_id_number(typed[:40])})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def household_unmask(request, pk):
    """htmx: the full ID numbers and phone, for holders of the permission; audited in the service."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    full = services.unmask_household(user=request.user, household_id=household.pk)
    names = dict(household.members.filter(is_active=True).values_list("pk", "name"))
    response = render(
        request,
        "households/_unmasked.html",
        {
            "phone": full["phone"],
            "members": [(names[pk], number) for pk, number in full["members"].items()],
        },
    )
    response["Cache-Control"] = "no-store"
    return response


# --- actions of the household page ------------------------------------------------------------

HELPER_CHOICES = 500  # helpers of the scope the page offers; a posted one may be any of them


def _helper_form(data, user, household) -> HelperAssignForm:
    helpers = Helper.objects.visible_to(user)
    return HelperAssignForm(
        data,
        prefix="helper",
        helpers=helpers if data is not None else helpers[:HELPER_CHOICES],
        initial={"start_date": timezone.localdate()},
    )


@transaction.atomic
def _assign_helper(data, user, household):
    """结对 with a helper of the scope, or with a new one registered in the user's region first."""
    helper_id = data["helper"]
    if not helper_id:
        helper_id = services.create_helper(
            user=user,
            region_code=user.region_id or household.village_id,
            name=data["name"],
            unit=data["unit"],
            level=data["level"],
            phone=data["phone"],
        ).pk
    return services.assign_helper(
        user=user, helper_id=int(helper_id), household_id=household.pk, start_date=data["start_date"]
    )


def joining_ethnicity(household) -> str:
    """The 户主's 民族 (from the page's members when it has read them), else the region's default."""
    members = getattr(household, "active_members", None)
    if members is not None:
        heads = [member for member in members if member.relation == Relation.HEAD]
        head = min(heads, key=lambda member: member.pk).ethnicity if heads else None
    else:
        head = household.members.filter(is_active=True, relation=Relation.HEAD).values_list("ethnicity", flat=True)
        head = head.first()
    return head or default_ethnicity(household.village_id)


# Each action of the household page: its form, the service it calls, what the clerk is told.
ACTIONS = {
    "adjust": FormAction(
        "status_form",
        form_of(StatusChangeForm),
        lambda data, user, household: services.change_status(user=user, household_id=household.pk, **data),
        "已记录动态调整。",
    ),
    "member_add": FormAction(
        "increase_form",
        # A member who joins starts with the 户主's 民族, or the region's default.
        lambda data, user, household: MemberIncreaseForm(
            data, prefix="add", initial={"ethnicity": joining_ethnicity(household)}
        ),
        lambda data, user, household: services.add_member(user=user, household_id=household.pk, **data),
        "已新增成员。",
    ),
    "member_remove": FormAction(
        "decrease_form",
        lambda data, user, household: MemberDecreaseForm(
            data, members=household.members.filter(is_active=True), prefix="remove"
        ),
        lambda data, user, household: services.remove_member(
            user=user, member_id=data["member"], member_reason=data["member_reason"], reason=data["reason"]
        ),
        "已记录成员减少。",
    ),
    "income": FormAction(
        "income_form",
        lambda data, user, household: IncomeForm(
            data, prefix="income", initial={"year": timezone.localdate().year - 1}
        ),
        lambda data, user, household: services.save_income(user=user, household_id=household.pk, **data),
        "已保存年度收入。",
    ),
    "aid_measure": FormAction(
        "measure_form",
        lambda data, user, household: AidMeasureForm(
            data, prefix="measure", initial={"year": timezone.localdate().year}
        ),
        lambda data, user, household: services.add_aid_measure(user=user, household_id=household.pk, **data),
        "已登记帮扶措施。",
    ),
    "assign_helper": FormAction("helper_form", _helper_form, _assign_helper, "已结对帮扶责任人。"),
}


def refusal_message(outcome) -> str:
    """One line for the message on the page: the service's reasons, or each bad field with its first error."""
    if outcome.refusal is not None:
        return "；".join(outcome.refusal.messages)
    form = outcome.form
    return "；".join(
        f"{form.fields[key].label if key in form.fields else '表单'}：{errors[0]}"
        for key, errors in form.errors.items()
    )


@login_required
@require_POST
def household_action(request, pk, action):
    """清退/销户, 成员增减, 年度收入, 帮扶措施, 结对: the outcome comes back as a message on the detail page."""
    if action not in ACTIONS:
        raise Http404
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    outcome = run_action(request, ACTIONS[action], household)
    if not outcome.done:
        messages.error(request, refusal_message(outcome))
    return redirect("households:detail", pk=household.pk)


# --- 采集表 import ---------------------------------------------------------------------------


@login_required
def import_upload(request):
    """Upload a 采集表 (or, for a county reviewer or province staff, a 历史数据导入 of one).

    It is checked at once and validated in the background into a preview.
    """
    errors = []
    historical = request.POST.get("mode") == ImportJob.Mode.HISTORICAL
    if request.method == "POST":
        try:
            job = start_import(user=request.user, uploaded=request.FILES.get("file"), historical=historical)
            return redirect("households:import_detail", pk=job.pk)
        except ValidationError as error:
            errors = error.messages
    jobs = ImportJob.objects.filter(user=request.user)[:20]
    context = {
        "errors": errors,
        "historical_errors": historical,
        "jobs": jobs,
        "nav_active": "import",
        "may_import": allows(request.user, Action.IMPORT_COLLECTION_FORM),
        "may_load_history": allows(request.user, Action.LOAD_HISTORICAL_RECORDS),
        "historical_loads": HistoricalLoad.objects.visible_to(request.user).select_related("loaded_by", "region")[:20],
    }
    return render(request, "households/import.html", context, status=400 if errors else 200)


@login_required
def import_detail(request, pk):
    """Progress, then the preview: counts and every error as (sheet, row, column, 原因)."""
    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    template = "households/_import_status.html" if request.htmx else "households/import_detail.html"
    workbook = error_file(job) if job.errors else None
    context = {
        "job": job,
        "nav_active": "import",
        "transfer_hours": settings.TRANSFER_FILE_HOURS,
        "error_workbook_ready": workbook is not None and workbook.exists(),
    }
    return render(request, template, context)


@login_required
@require_POST
def import_commit(request, pk):
    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    try:
        commit_import(user=request.user, job_id=job.pk)
        messages.success(request, "已开始导入，完成前请勿重复提交。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("households:import_detail", pk=pk)


@login_required
def import_errors(request, pk):
    """The uploaded file with its errors marked (imports/error_workbook.py): to the uploader only, never cached."""
    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    path = error_file(job) if job is not None and job.errors else None
    if path is None or not path.exists():
        raise Http404("错误报告不存在或已过期。")
    stem = job.original_name.rsplit(".", 1)[0]
    return private_download(path.open("rb"), f"{stem}-错误标注.xlsx")


@login_required
def import_template(request):
    """The blank 采集表: both official sheets with their lists, 填表说明, and the user's villages (我的村)."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(handle.name, blank_template(request.user))
    return FileResponse(open(handle.name, "rb"), as_attachment=True, filename="贫困户采集表模板.xlsx")
