from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.scoping import get_visible_or_404
from households.forms import apply_service_errors

from . import selectors, services
from .codes import EDITABLE_STATUSES, SUPERVISION_PHONE
from .forms import (
    AdvanceForm,
    BeneficiaryForm,
    NoticeForm,
    ObjectionForm,
    ProjectFilterForm,
    ProjectForm,
    RemoveBeneficiaryForm,
    ResolveObjectionForm,
)
from .models import Project

PAGE_SIZE = 30


@login_required
def project_list(request):
    """项目库: the projects in scope, filtered by year, status, category and county, 30 a page."""
    user = request.user
    counties = list(selectors.declarable_counties(user))
    form = ProjectFilterForm(request.GET or None, years=selectors.project_years(user), counties=counties)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.project_list(user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_declare": user.role in services.DECLARING_ROLES,
            "nav_active": "projects",
        },
    )


@login_required
def project_new(request):
    return project_form(request, project=None)


@login_required
def project_edit(request, pk):
    project = get_visible_or_404(Project.objects.prefetch_related("villages"), request.user, pk=pk)
    if project.status not in EDITABLE_STATUSES:
        messages.error(request, "项目已入库，内容不能再修改。")
        return redirect("projects:detail", pk=pk)
    return project_form(request, project=project)


def project_form(request, project):
    """申报 or correct a project; a refused form comes back with every field as typed and its errors."""
    user = request.user
    villages = selectors.declarable_villages(user).select_related("parent")
    choices = {"villages": villages, "counties": list(selectors.declarable_counties(user))}
    if request.method == "POST":
        form = ProjectForm(request.POST, **choices)
        if form.is_valid():
            village_codes = form.cleaned_data["villages"]
            try:
                if project is None:
                    project = services.declare_project(
                        user=user,
                        data=form.service_data(),
                        village_codes=village_codes,
                        county_code=form.cleaned_data.get("county") or None,
                    )
                    messages.success(request, f"已申报项目“{project.name}”。")
                else:
                    services.update_project(
                        user=user, project_id=project.pk, data=form.service_data(), village_codes=village_codes
                    )
                    messages.success(request, "已保存。")
                return redirect("projects:detail", pk=project.pk)
            except ValidationError as error:
                apply_service_errors(error, form)
    elif project is not None:
        initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
        initial.update(villages=[village.code for village in project.villages.all()], county=project.county_id)
        form = ProjectForm(initial=initial, **choices)
    else:
        form = ProjectForm(initial={"year": timezone.localdate().year}, **choices)
    return render(
        request,
        "projects/form.html",
        {
            "form": form,
            "project": project,
            "error_summary": form.error_summary() if form.is_bound else [],
            "nav_active": "projects",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _forms(request, project, action: str | None = None) -> dict:
    """Every form of the detail page; the one named by `action` is bound to what was posted."""
    user = request.user
    today = timezone.localdate()
    regions = selectors.notice_regions(user, project)
    data = request.POST if action else None
    notices = list(project.notices.all())
    objections = [objection for notice in notices for objection in notice.objections.all()]

    def bound(name):
        return data if action == name else None

    return {
        "advance_form": AdvanceForm(bound("advance")),
        "beneficiary_form": BeneficiaryForm(
            bound("add-beneficiary"), households=selectors.beneficiary_candidates(user, project)
        ),
        "remove_form": RemoveBeneficiaryForm(bound("remove-beneficiary"), rows=project.beneficiaries.all()),
        "notice_form": NoticeForm(
            bound("notice"),
            regions=regions,
            notice_days=services.notice_days(project.region_id, today.year),
            initial=selectors.notice_initial(project, regions, today),
        ),
        "objection_form": ObjectionForm(bound("objection"), rows=notices, initial={"received_on": today}),
        "resolve_form": ResolveObjectionForm(bound("resolve"), rows=objections),
    }


def _detail_context(request, project, action: str | None = None) -> dict:
    user = request.user
    forms = _forms(request, project, action)
    return {
        "project": project,
        "next_status": services.next_status(project),
        "refusals": services.advance_refusals(user, project, timezone.localdate()),
        "editable": project.status in EDITABLE_STATUSES,
        "can_add_beneficiaries": services.beneficiaries_can_be_added(project),
        "can_remove_beneficiaries": services.beneficiaries_can_be_removed(project),
        "can_post_notice": user.role in services.DECLARING_ROLES and forms["notice_form"].fields["region"].choices,
        "supervision_phone": SUPERVISION_PHONE,
        "nav_active": "projects",
        **forms,
    }


@login_required
def project_detail(request, pk):
    project = get_visible_or_404(selectors.project_detail_queryset(request.user), request.user, pk=pk)
    return render(request, "projects/detail.html", _detail_context(request, project))


# What each action of the detail page calls, given the user, the project and the cleaned form data.
ACTIONS = {
    "advance": (
        "advance_form",
        "已办理。",
        lambda user, project, data: services.advance_project(user=user, project_id=project.pk, **data),
    ),
    "add-beneficiary": (
        "beneficiary_form",
        "已保存受益户。",
        lambda user, project, data: services.set_beneficiary(
            user=user, project_id=project.pk, household_id=data["household"], planned_amount=data["planned_amount"]
        ),
    ),
    "remove-beneficiary": (
        "remove_form",
        "已移除受益户。",
        lambda user, project, data: services.remove_beneficiary(user=user, beneficiary_id=data["beneficiary"]),
    ),
    "notice": (
        "notice_form",
        "已发布公告公示。",
        lambda user, project, data: services.post_notice(
            user=user, project_id=project.pk, region_code=data.pop("region"), **data
        ),
    ),
    "objection": (
        "objection_form",
        "异议已登记。",
        lambda user, project, data: services.record_notice_objection(
            user=user, notice_id=data["notice"], content=data["content"], received_on=data["received_on"]
        ),
    ),
    "resolve": (
        "resolve_form",
        "异议已处理。",
        lambda user, project, data: services.resolve_notice_objection(
            user=user, objection_id=data["objection"], outcome=data["outcome"]
        ),
    ),
}


@login_required
@require_POST
def project_action(request, pk, action):
    """办理, 受益户, 公示, 异议: parse, call the service, redirect — or re-show the page with the errors."""
    if action not in ACTIONS:
        raise Http404
    queryset = selectors.project_detail_queryset(request.user)
    project = get_visible_or_404(queryset, request.user, pk=pk)
    context = _detail_context(request, project, action)
    form_key, done, perform = ACTIONS[action]
    form = context[form_key]
    if form.is_valid():
        try:
            perform(request.user, project, dict(form.cleaned_data))
            messages.success(request, done)
            return redirect("projects:detail", pk=pk)
        except ValidationError as error:
            apply_service_errors(error, form)
        project = get_visible_or_404(queryset, request.user, pk=pk)  # as it is after the refused change
        context = {**_detail_context(request, project), form_key: form}
    context.update(action_errors=form.error_summary(), failed_action=action, failed_form=form)
    return render(request, "projects/detail.html", context, status=400)


def public_notices(request, village_code):
    """The village's notice board online, for anyone: no login, nothing personal beyond 户主 and amount."""
    village = selectors.public_village(village_code)
    if village is None:
        raise Http404("未找到该行政村。")
    return render(
        request,
        "projects/public_notices.html",
        {"village": village, "supervision_phone": SUPERVISION_PHONE, **selectors.public_notices(village)},
    )
