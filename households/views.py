from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.scoping import get_visible_or_404
from villages.models import Region

from . import selectors, services
from .forms import (
    AidMeasureForm,
    HelperAssignForm,
    HouseholdFilterForm,
    HouseholdForm,
    IncomeForm,
    MemberDecreaseForm,
    MemberFormSet,
    MemberIncreaseForm,
    StatusChangeForm,
    apply_service_errors,
)
from .models import Helper, Household
from .quality import household_warnings

PAGE_SIZE = 50


def filter_regions(user) -> list[tuple[str, str]]:
    """The user's own region and its children, for the filter bar."""
    if user.region_id is None:
        return [(region.code, region.name) for region in Region.objects.filter(parent__isnull=True)]
    children = Region.objects.visible_to(user).filter(parent=user.region)
    return [(user.region_id, f"{user.region.name}（全部）")] + [(region.code, region.name) for region in children]


@login_required
def household_list(request):
    """Scoped list with filters and search; keyset pages (`after`), never a COUNT over the province."""
    form = HouseholdFilterForm(request.GET or None, region_choices=filter_regions(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    page, next_after = selectors.household_page(request.user, filters, request.GET.get("after", ""), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    template = "households/_table.html" if request.htmx else "households/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "households": page,
            "next_after": next_after,
            "query": query.urlencode(),
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
            "history": selectors.household_history(household, household.members.all()),
            "living_conditions": selectors.living_conditions(household),
            "status_form": StatusChangeForm(),
            "increase_form": MemberIncreaseForm(prefix="add"),
            "decrease_form": MemberDecreaseForm(members=members, prefix="remove"),
            "income_form": IncomeForm(prefix="income", initial={"year": timezone.localdate().year - 1}),
            "measure_form": AidMeasureForm(prefix="measure", initial={"year": timezone.localdate().year}),
            "helper_form": HelperAssignForm(
                prefix="helper",
                helpers=Helper.objects.visible_to(request.user)[:500],
                initial={"start_date": timezone.localdate()},
            ),
            "nav_active": "households",
        },
    )


@login_required
def household_create(request):
    return household_form(request, household=None)


@login_required
def household_edit(request, pk):
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    return household_form(request, household=household)


def posted_version(request) -> int:
    """The version the form was loaded with; anything malformed counts as stale."""
    version = request.POST.get("version", "")
    return int(version) if version.isdigit() else 0


def household_form(request, household):
    """One form for the household and its members; nothing is saved unless everything is valid."""
    editing = household is not None
    if request.method == "POST":
        form = HouseholdForm(request.POST, user=request.user, editing=editing)
        formset = MemberFormSet(request.POST, prefix="members")
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
                        expected_version=int(request.POST["version"])
                        if request.POST.get("version", "").isdigit()
                        else 0,
                        members=member_data,
                    )
                    messages.success(request, "已保存。")
                else:
                    household = services.register_household(
                        user=request.user,
                        village_code=form.cleaned_data["village"],
                        data=form.service_data(),
                        members=member_data,
                        candidate=form.cleaned_data.get("candidate", False),
                    )
                    messages.success(request, f"已登记：户编号 {household.household_no}。")
                return redirect("households:detail", pk=household.pk)
            except services.StaleEdit as stale:
                messages.error(request, stale.message)
            except ValidationError as error:
                apply_service_errors(error, form, formset, row_of)
    elif editing:
        form = HouseholdForm(
            initial={**{f: getattr(household, f) for f in services.HOUSEHOLD_FIELDS}, "village": household.village_id},
            user=request.user,
            editing=True,
        )
        formset = MemberFormSet(
            prefix="members",
            initial=[
                {**{f: getattr(m, f) for f in services.MEMBER_FIELDS}, "id": m.pk, "id_number": ""}
                for m in household.members.filter(is_active=True).order_by("pk")
            ],
        )
    else:
        form = HouseholdForm(user=request.user, initial={"identified_year": 2020})
        formset = MemberFormSet(prefix="members", initial=[{"relation": "01"}])
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


@login_required
def member_row(request):
    """htmx: one more empty member row for the formset."""
    index = request.GET.get("index", "")
    if not index.isdigit():
        raise Http404
    member_form = MemberFormSet(prefix="members").empty_form  # carries the DELETE box
    member_form.prefix = f"members-{index}"
    # The relation starts empty: the clerk chooses it (a second 户主 would be refused anyway).
    member_form.initial = {"ethnicity": "01", "health": ["01"], "work_months": 0}
    return render(request, "households/_member_row.html", {"member_form": member_form})


@login_required
@require_POST
def household_unmask(request, pk):
    """htmx: the full ID numbers and phone, for holders of the permission; audited in the service."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    try:
        full = services.unmask_household(user=request.user, household_id=household.pk)
    except PermissionError:
        return HttpResponseForbidden("您没有查看完整个人信息的权限。")
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


def adjustment_action(request, household, form, perform, success: str):
    """Run one adjustment form through its service; the outcome comes back as a message on the detail page."""
    if form.is_valid():
        try:
            perform(form.cleaned_data)
            messages.success(request, success)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
    else:
        messages.error(
            request,
            "；".join(
                f"{form.fields[key].label if key in form.fields else '表单'}：{errors[0]}"
                for key, errors in form.errors.items()
            ),
        )
    return redirect("households:detail", pk=household.pk)


@login_required
@require_POST
def household_adjust(request, pk):
    """清退 / 自然销户 with a reason (脱贫 and 返贫 are applications)."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    return adjustment_action(
        request,
        household,
        StatusChangeForm(request.POST),
        lambda data: services.change_status(user=request.user, household_id=household.pk, **data),
        "已记录动态调整。",
    )


@login_required
@require_POST
def member_add(request, pk):
    """成员自然增加 with its reason."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    form = MemberIncreaseForm(request.POST, prefix="add")
    return adjustment_action(
        request,
        household,
        form,
        lambda data: services.add_member(
            user=request.user,
            household_id=household.pk,
            member=form.service_data(),
            member_reason=data["member_reason"],
            reason=data["reason"],
        ),
        "已新增成员。",
    )


@login_required
@require_POST
def member_remove(request, pk):
    """成员自然减少 with its reason."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    form = MemberDecreaseForm(request.POST, members=household.members.filter(is_active=True), prefix="remove")
    return adjustment_action(
        request,
        household,
        form,
        lambda data: services.remove_member(
            user=request.user,
            member_id=int(data["member"]),
            member_reason=data["member_reason"],
            reason=data["reason"],
        ),
        "已记录成员减少。",
    )


@login_required
@require_POST
def household_income(request, pk):
    """年度收入 of one year (replaces that year's figures)."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    return adjustment_action(
        request,
        household,
        IncomeForm(request.POST, prefix="income"),
        lambda data: services.save_income(
            user=request.user, household_id=household.pk, year=data.pop("year"), items=data
        ),
        "已保存年度收入。",
    )


@login_required
@require_POST
def household_aid_measure(request, pk):
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    return adjustment_action(
        request,
        household,
        AidMeasureForm(request.POST, prefix="measure"),
        lambda data: services.add_aid_measure(user=request.user, household_id=household.pk, **data),
        "已登记帮扶措施。",
    )


@login_required
@require_POST
def household_assign_helper(request, pk):
    """结对: an existing helper of the scope, or a new one registered in the user's region."""
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)

    def assign(data):
        helper_id = data["helper"]
        if not helper_id:
            helper_id = services.create_helper(
                user=request.user,
                region_code=request.user.region_id or household.village_id,
                name=data["name"],
                unit=data["unit"],
                level=data["level"],
                phone=data["phone"],
            ).pk
        services.assign_helper(
            user=request.user, helper_id=int(helper_id), household_id=household.pk, start_date=data["start_date"]
        )

    form = HelperAssignForm(request.POST, prefix="helper", helpers=Helper.objects.visible_to(request.user))
    return adjustment_action(request, household, form, assign, "已结对帮扶责任人。")


# --- 采集表 import ---------------------------------------------------------------------------


@login_required
def import_upload(request):
    """Upload a 采集表; it is checked at once and validated in the background into a preview."""
    from .imports import start_import
    from .models import ImportJob

    errors = []
    if request.method == "POST":
        try:
            job = start_import(user=request.user, uploaded=request.FILES.get("file"))
            return redirect("households:import_detail", pk=job.pk)
        except ValidationError as error:
            errors = error.messages
    jobs = ImportJob.objects.filter(user=request.user)[:20]
    return render(
        request,
        "households/import.html",
        {"errors": errors, "jobs": jobs, "nav_active": "import"},
        status=400 if errors else 200,
    )


@login_required
def import_detail(request, pk):
    """Progress, then the preview: counts and every error as (sheet, row, column, 原因)."""
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    template = "households/_import_status.html" if request.htmx else "households/import_detail.html"
    context = {"job": job, "nav_active": "import", "transfer_hours": settings.TRANSFER_FILE_HOURS}
    return render(request, template, context)


@login_required
@require_POST
def import_commit(request, pk):
    from .imports import commit_import

    try:
        commit_import(user=request.user, job_id=pk)
        messages.success(request, "已开始导入，完成前请勿重复提交。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("households:import_detail", pk=pk)


@login_required
def import_errors(request, pk):
    """The bad rows as uploaded, with a 原因 column."""
    import tempfile

    from core.downloads import private_download

    from .imports import error_workbook, upload_path
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None or not job.errors or upload_path(job) is None:
        raise Http404("错误报告不存在或已过期。")
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed (and so deleted) by the response
    error_workbook(job, handle.name)
    return private_download(handle, f"错误行-{job.original_name}")


@login_required
def import_template(request):
    """The blank 采集表 with the official headers of both sheets."""
    import tempfile

    from django.http import FileResponse

    from core.excel import write_workbook

    from .reports import blank_template

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(handle.name, blank_template())
    return FileResponse(open(handle.name, "rb"), as_attachment=True, filename="贫困户采集表模板.xlsx")
