from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import FormAction, apply_service_errors, empty_forms, form_of, run_action
from core.permissions import Action, allows
from core.policy import supervision_phone
from core.scoping import get_visible_or_404

from . import selectors, services
from .codes import EDITABLE_STATUSES
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
            "can_declare": allows(user, Action.DECLARE_PROJECT),
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


def _notice_form(data, user, project) -> NoticeForm:
    today = timezone.localdate()
    regions = selectors.notice_regions(user, project)
    return NoticeForm(
        data,
        regions=regions,
        notice_days=services.notice_days(project.region_id, today.year),
        initial=selectors.notice_initial(project, regions, today),
    )


def _objections(project) -> list:
    return [objection for notice in project.notices.all() for objection in notice.objections.all()]


# Each action of the detail page: its form, the service it calls, what the user is told.
ACTIONS = {
    "advance": FormAction(
        "advance_form",
        form_of(AdvanceForm),
        lambda data, user, project: services.advance_project(user=user, project_id=project.pk, **data),
        "已办理。",
    ),
    "add-beneficiary": FormAction(
        "beneficiary_form",
        lambda data, user, project: BeneficiaryForm(data, households=selectors.beneficiary_candidates(user, project)),
        lambda data, user, project: services.set_beneficiary(
            user=user, project_id=project.pk, household_id=data["household"], planned_amount=data["planned_amount"]
        ),
        "已保存受益户。",
    ),
    "remove-beneficiary": FormAction(
        "remove_form",
        lambda data, user, project: RemoveBeneficiaryForm(data, rows=project.beneficiaries.all()),
        lambda data, user, project: services.remove_beneficiary(user=user, beneficiary_id=data["beneficiary"]),
        "已移除受益户。",
    ),
    "notice": FormAction(
        "notice_form",
        _notice_form,
        lambda data, user, project: services.post_notice(
            user=user, project_id=project.pk, region_code=data.pop("region"), **data
        ),
        "已发布公告公示。",
    ),
    "objection": FormAction(
        "objection_form",
        lambda data, user, project: ObjectionForm(
            data, rows=project.notices.all(), initial={"received_on": timezone.localdate()}
        ),
        lambda data, user, project: services.record_notice_objection(
            user=user, notice_id=data["notice"], content=data["content"], received_on=data["received_on"]
        ),
        "异议已登记。",
    ),
    "resolve": FormAction(
        "resolve_form",
        lambda data, user, project: ResolveObjectionForm(data, rows=_objections(project)),
        lambda data, user, project: services.resolve_notice_objection(
            user=user, objection_id=data["objection"], outcome=data["outcome"]
        ),
        "异议已处理。",
    ),
}


def _detail_context(request, project) -> dict:
    user = request.user
    forms = empty_forms(ACTIONS, user, project)
    return {
        "project": project,
        "next_status": services.next_status(project),
        "refusals": services.advance_refusals(user, project, timezone.localdate()),
        "editable": project.status in EDITABLE_STATUSES,
        "can_add_beneficiaries": services.beneficiaries_can_be_added(project),
        "can_remove_beneficiaries": services.beneficiaries_can_be_removed(project),
        "can_post_notice": allows(user, Action.DECLARE_PROJECT) and forms["notice_form"].fields["region"].choices,
        "supervision_phone": supervision_phone(project.region_id, timezone.localdate().year),
        "nav_active": "projects",
        **forms,
    }


@login_required
def project_detail(request, pk):
    project = get_visible_or_404(selectors.project_detail_queryset(request.user), request.user, pk=pk)
    return render(request, "projects/detail.html", _detail_context(request, project))


@login_required
@require_POST
def project_action(request, pk, action):
    """办理, 受益户, 公示, 异议: parse, call the service, redirect — or re-show the page with the errors."""
    if action not in ACTIONS:
        raise Http404
    queryset = selectors.project_detail_queryset(request.user)
    project = get_visible_or_404(queryset, request.user, pk=pk)
    outcome = run_action(request, ACTIONS[action], project)
    if outcome.done:
        return redirect("projects:detail", pk=pk)
    if outcome.refusal is not None:
        project = get_visible_or_404(queryset, request.user, pk=pk)  # as it is after the refused change
    form = outcome.form
    context = {**_detail_context(request, project), ACTIONS[action].name: form}
    context.update(action_errors=form.error_summary(), failed_action=action, failed_form=form)
    return render(request, "projects/detail.html", context, status=400)
