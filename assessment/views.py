from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.db_routers import read_from_replica
from core.forms import FormAction, apply_service_errors, empty_forms, form_of, run_action
from core.pagination import numbered_page
from core.parsing import is_ascii_digits, optional_year
from core.permissions import Action, allows, require
from core.policy import PolicyParameterMissing
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from core.totals import is_small_scope, list_total
from households.models import Household
from monitoring.deadlines import monitoring_deadline
from monitoring.income import line_for
from monitoring.leads import lead_for_household
from monitoring.models import MonitoringLead, MonitoringObject
from villages.models import Region

from . import monitoring_workflows, selectors, services
from .codes import (
    HOUSEHOLD_KINDS,
    MONITORING_KINDS,
    ApplicationAction,
    ApplicationKind,
    ApplicationStatus,
    RatingPeriod,
)
from .elimination import unprefixed
from .forms import (
    DecisionForm,
    HouseholdApplicationForm,
    MonitoringIdentificationForm,
    ObjectionForm,
    ReductionPlanForm,
    RegionApplicationForm,
    ReopenForm,
    ResolveObjectionForm,
    ResubmitForm,
    RiskEliminationForm,
    SampleSurveyForm,
    WithdrawForm,
)
from .monitoring_workflows import lead_day
from .statistics_views import breadcrumb


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


# Rows a page of the queue shows: 批量同意 takes what one page ticks; a county's 公示 may hold hundreds.
QUEUE_PAGE = 100
PUBLICITY_PAGE = 50


@login_required
def review_queue(request):
    """待我审核 (oldest first, with the check result) and what is still in 公示, each paged by number."""
    today = timezone.localdate()
    queue, publicity = selectors.review_queue(request.user, today), selectors.in_publicity(request.user, today)
    recent = selectors.recent_applications(request.user)
    exact = is_small_scope(request.user)  # each section's count by the lists' one rule (core/totals.py)
    waiting_total, publicity_total = list_total(queue, exact=exact), list_total(publicity, exact=exact)
    waiting = numbered_page(queue, waiting_total, request.GET, param="page", per_page=QUEUE_PAGE)
    in_publicity = numbered_page(
        publicity, publicity_total, request.GET, param="publicity_page", per_page=PUBLICITY_PAGE
    )
    waiting_rows = selectors.with_deadlines(waiting.rows, today)
    return render(
        request,
        "assessment/queue.html",
        {
            "waiting": waiting_rows,
            "waiting_page": waiting,
            "in_publicity": selectors.with_deadlines(in_publicity.rows, today),
            "publicity_page": in_publicity,
            "waiting_page_size": QUEUE_PAGE,
            "publicity_page_size": PUBLICITY_PAGE,
            "recent": recent[:20],
            "waiting_total": waiting_total,
            "publicity_total": publicity_total,
            "recent_total": list_total(recent, exact=exact),
            # 批量同意 takes household exits in review (services.approve_many); 全选 ticks those of the page.
            "batchable": any(
                application.kind == ApplicationKind.HOUSEHOLD_EXIT and application.status == ApplicationStatus.IN_REVIEW
                for application in waiting_rows
            ),
            "nav_active": "queue",
        },
    )


def _approve(data, user, application):
    services.require_confirmation(application, ApplicationAction.APPROVE, data["confirm"])
    return services.approve_step(user=user, application_id=application.pk, comment=data["comment"])


def _reject(data, user, application):
    services.require_confirmation(application, ApplicationAction.REJECT, data["confirm"])
    return services.reject_application(user=user, application_id=application.pk, comment=data["comment"])


def _withdraw(data, user, application):
    services.require_confirmation(application, ApplicationAction.WITHDRAW, data["confirm"])
    return services.withdraw_application(user=user, application_id=application.pk, reason=data["reason"])


def _resolve(data, user, application):
    consequence = data["consequence"] if data["upheld"] else ""
    services.require_confirmation(application, ApplicationAction.RESOLVE, data["confirm"], consequence=consequence)
    return services.resolve_objection(
        user=user,
        objection_id=data["objection"] or 0,
        outcome=data["outcome"],
        upheld=data["upheld"],
        consequence=consequence,
    )


# The actions of the application page: the form, the engine's move, what the reviewer is told.
ACTIONS = {
    ApplicationAction.APPROVE: FormAction("decision_form", form_of(DecisionForm), _approve, "已同意。"),
    ApplicationAction.SEND_BACK: FormAction(
        "decision_form",
        form_of(DecisionForm),
        lambda data, user, application: services.send_back_application(
            user=user, application_id=application.pk, comment=data["comment"]
        ),
        "已退回修改，申请人修改后可重新提交。",
    ),
    ApplicationAction.REJECT: FormAction("decision_form", form_of(DecisionForm), _reject, "已办结：不予通过。"),
    ApplicationAction.RESUBMIT: FormAction(
        "resubmit_form",
        lambda data, user, application: ResubmitForm(data, application=application),
        lambda data, user, application: services.resubmit_application(user=user, application_id=application.pk, **data),
        "已重新提交，标准核查已重新运行，各步骤重新办理。",
    ),
    ApplicationAction.WITHDRAW: FormAction(
        "withdraw_form", form_of(WithdrawForm), _withdraw, "已撤回申请（已办结），该对象可重新提出同类申请。"
    ),
    ApplicationAction.OBJECT: FormAction(
        "objection_form",
        form_of(ObjectionForm),
        lambda data, user, application: services.file_objection(
            user=user, application_id=application.pk, content=data["content"]
        ),
        "异议已登记。",
    ),
    ApplicationAction.RESOLVE: FormAction("resolve_form", form_of(ResolveObjectionForm), _resolve, "异议已处理。"),
    ApplicationAction.REOPEN: FormAction(
        "reopen_form",
        form_of(ReopenForm),
        lambda data, user, application: services.reopen_application(
            user=user, application_id=application.pk, reason=data["reason"]
        ),
        "已重新开放。",
    ),
    ApplicationAction.RELOCK: FormAction(
        "reopen_form",
        form_of(ReopenForm),
        lambda data, user, application: services.relock_application(
            user=user, application_id=application.pk, reason=data["reason"]
        ),
        "已重新锁定。",
    ),
}


def _detail_context(request, application, **extra):
    """The page and its buttons: only the moves the engine would accept from this user today."""
    user = request.user
    today = timezone.localdate()
    current = next((step for step in application.steps.all() if step.index == application.current_step), None)
    refusals = services.action_refusals(user, application, today)
    return {
        **monitoring_context(application, today),
        "application": application,
        "current": current,
        "actions": set(ApplicationAction.values) - refusals.keys(),
        "approve_refusals": refusals.get(ApplicationAction.APPROVE, []),
        "approve_needs_confirm": services.needs_confirmation(application, ApplicationAction.APPROVE),
        "resolvable": services.resolvable_objection_ids(user, application),
        "publicity_running": bool(current and current.is_publicity and current.ends_on >= today),
        **empty_forms(ACTIONS, user, application),
        "nav_active": "queue",
        **extra,
    }


def monitoring_context(application, today) -> dict:
    """A monitoring kind's page: its record, the line of the application's year, the deadline of an identification."""
    record = application.monitoring_object
    if record is None:
        return {}
    try:
        line = line_for(application.region_id, application.year)
    except PolicyParameterMissing:
        line = None
    context = {"record": record, "line": line, "finding_label": services.finding_label(application)}
    if application.kind == ApplicationKind.MONITORING_IDENTIFICATION:
        context["deadline"] = monitoring_deadline(record, today)
    return context


@login_required
def application_detail(request, pk):
    application = get_visible_or_404(selectors.application_detail_queryset(request.user), request.user, pk=pk)
    return render(request, "assessment/detail.html", _detail_context(request, application))


@login_required
@require_POST
def application_action(request, pk, action):
    """An action of the page (ApplicationAction): parse, call the engine, redirect or re-show."""
    application = get_visible_or_404(selectors.application_detail_queryset(request.user), request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    outcome = run_action(request, ACTIONS[action], application)
    if outcome.done:
        return redirect("assessment:detail", pk=pk)
    form = outcome.form
    if outcome.refusal is not None:
        errors = error_messages(outcome.refusal)
    else:
        errors = [f"{form.fields[name].label}：{'；'.join(msgs)}" for name, msgs in form.errors.items()]
    context = _detail_context(
        request, application, **{ACTIONS[action].name: form}, action_errors=errors, failed_action=action
    )
    return render(request, "assessment/detail.html", context, status=400)


@login_required
@require_POST
def batch_approve(request):
    ids = [int(value) for value in request.POST.getlist("applications") if is_ascii_digits(value) and len(value) < 19]
    try:
        if not request.POST.get("confirm"):
            # A batch may hold 县审定 decisions, which change the households' status for good.
            raise ValidationError({"confirm": ["批量同意须勾选确认。"]})
        approved = services.approve_many(
            user=request.user, application_ids=ids, comment=request.POST.get("comment", "")
        )
        messages.success(request, f"已批量同意{len(approved)}件户退出申请。")
    except ValidationError as error:
        messages.error(request, "批量审核未执行：" + "；".join(error_messages(error)))
    return redirect("assessment:queue")


@login_required
def application_new(request, kind):
    """Start an application: a household kind from the household page, or a village/county exit."""
    if kind not in ApplicationKind.values or kind in MONITORING_KINDS:  # those start on their own pages
        raise Http404
    household = region = None
    if kind in HOUSEHOLD_KINDS:
        household = get_visible_or_404(
            Household.objects.select_related("village"),
            request.user,
            pk=request.GET.get("household") or request.POST.get("household"),
        )
        form_class, kwargs = HouseholdApplicationForm, {"kind": kind}
    else:
        region = get_visible_or_404(
            Region.objects.all(), request.user, pk=request.GET.get("region") or request.POST.get("region")
        )
        form_class, kwargs = RegionApplicationForm, {}
    initial = {"year": timezone.localdate().year - 1}
    form = form_class(request.POST or None, initial=initial, **kwargs)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            application = services.draft_and_submit(
                user=request.user,
                kind=kind,
                year=form.cleaned_data["year"],
                household_id=household.pk if household else None,
                region_code=region.code if region else None,
                figures=form.figures() if household else None,
                reason=form.cleaned_data.get("reason", ""),
            )
            verdict = "通过" if application.check_passed else "未通过（审核人员不能同意，请更正后重新核查）"
            messages.success(request, f"已提交{application}，标准核查{verdict}。")
            return redirect("assessment:detail", pk=application.pk)
        except ValidationError as error:
            errors = error_messages(error)
    return render(
        request,
        "assessment/new.html",
        {
            "form": form,
            "survey": getattr(form, "survey", False),
            "kind_label": ApplicationKind(kind).label,
            "household": household,
            "region": region,
            "errors": errors,
            "nav_active": "queue",
        },
        status=400 if errors or form.errors else 200,
    )


@login_required
@read_from_replica()
def dashboard(request, code=None):
    """Incidence by child region (sortable, threshold marked), county bars, trend, ratings."""
    region = get_visible_or_404(Region.objects.all(), request.user, pk=code or request.user.region_id or "")
    years = selectors.incidence_years()
    try:
        year = optional_year(request.GET, "year")
    except ValidationError:
        year = None  # a mistyped year in the address shows the default year, as no year does
    if year is None:
        year = years[0] if years else timezone.localdate().year
    sort = request.GET.get("sort", "code")
    table = selectors.incidence_table(request.user, region, year, sort)
    # Above the county the bars are its counties; below, its child regions (none for a village).
    if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY):
        bars, bars_title = list(selectors.county_rates(request.user, region, year)), "各县"
    else:
        bars, bars_title = sorted((entry["row"] for entry in table), key=lambda row: row.region_id), "下级区划"
    trend = list(selectors.incidence_trend(request.user, region))
    charts = {
        "bars": {
            "names": [row.region.name for row in bars],
            "rates": [float(row.rate * 100) if row.rate is not None else None for row in bars],
        },
        "trend": {
            "years": [row.year for row in trend],
            "rates": [float(row.rate * 100) if row.rate is not None else None for row in trend],
        },
    }
    return render(
        request,
        "assessment/dashboard.html",
        {
            "region": region,
            "year": year,
            "years": years,
            "sort": sort,
            "table": table,
            "own": next((row for row in trend if row.year == year), None),
            "ratings": selectors.ratings_by_county(request.user, region, year),
            "quarters": [RatingPeriod.Q1, RatingPeriod.Q2, RatingPeriod.Q3, RatingPeriod.Q4],
            "charts": charts,
            "bars_title": bars_title if bars else "",
            "breadcrumb": breadcrumb(request.user, region),
            "nav_active": "dashboard",
        },
    )


@login_required
def county_figures(request, code):
    """市/省 assessors enter a county's sample survey and reduction plan; ratings recompute after."""
    county = get_visible_or_404(Region.objects.filter(level="county"), request.user, pk=code)
    this_year = timezone.localdate().year
    sample_form = SampleSurveyForm(request.POST if "sample" in request.POST else None, initial={"year": this_year})
    plan_form = ReductionPlanForm(request.POST if "plan" in request.POST else None, initial={"year": this_year})
    errors = []
    if request.method == "POST":
        form = sample_form if "sample" in request.POST else plan_form
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if form is sample_form:
                    services.record_sample_survey(
                        user=request.user,
                        county_code=county.code,
                        year=data.pop("year"),
                        quarter=data.pop("quarter"),
                        figures=data,
                    )
                    messages.success(request, "抽样调查已保存，考核评级将重新计算。")
                else:
                    services.set_reduction_plan(user=request.user, county_code=county.code, **data)
                    messages.success(request, "减贫计划已保存，考核评级将重新计算。")
                return redirect("assessment:county_figures", code=county.code)
            except ValidationError as error:
                errors = error_messages(error)
        else:
            errors = [f"{form.fields[name].label}：{'；'.join(msgs)}" for name, msgs in form.errors.items()]
    return render(
        request,
        "assessment/county_figures.html",
        {
            "county": county,
            "sample_form": sample_form,
            "plan_form": plan_form,
            "errors": errors,
            "samples": selectors.county_samples(request.user, county),
            "plans": selectors.county_plans(request.user, county),
            "can_enter": allows(request.user, Action.RECORD_ASSESSMENT_DATA),
            "nav_active": "dashboard",
        },
        status=400 if errors else 200,
    )


# --- 防止返贫动态监测: the pages that start the two workflows (docs/domain.md §12.12) -------------


@login_required
def monitoring_identify(request):
    """发起监测识别 of a household (`?household=`), or from a lead (`?lead=`: its household and way)."""
    user = request.user
    lead = None
    lead_id = request.GET.get("lead") or request.POST.get("lead")
    if lead_id:
        lead = get_visible_or_404(MonitoringLead.objects.select_related("village"), user, pk=lead_id)
    household_id = request.GET.get("household") or request.POST.get("household") or (lead and lead.household_id)
    household = get_visible_or_404(Household.objects.select_related("village"), user, pk=household_id or "")
    require(user, Action.START_MONITORING)
    if lead is not None and request.method == "GET":
        # A lead already handled, or not of this household, is refused before the clerk fills in the
        # visit: back to the lead, which shows what became of it (the POST is checked by the service).
        try:
            lead_for_household(user=user, lead_id=lead.pk, household_id=household.pk)
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, f"不能由线索 #{lead.pk} 发起识别：{message}")
            return redirect("monitoring:lead_detail", pk=lead.pk)
    initial = {"discovered_on": timezone.localdate(), "consent_signed_on": timezone.localdate()}
    if lead is not None:
        initial.update(
            discovered_on=lead_day(lead),
            risk_types=[lead.risk_type] if lead.risk_type else [],
        )
        initial["note"] = lead.description
    form = MonitoringIdentificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = monitoring_workflows.start_monitoring_identification(
                user=user, household_id=household.pk, lead_id=lead.pk if lead else None, **form.service_data()
            )
            verdict = "通过" if application.check_passed else "未通过（审核人员不能同意，请更正后重新核查）"
            messages.success(request, f"已发起监测识别（{application}），标准核查{verdict}。")
            return redirect("assessment:detail", pk=application.pk)
        except ValidationError as error:
            apply_service_errors(error, form)
    return render(
        request,
        "assessment/monitoring_identify.html",
        {"form": form, "household": household, "lead": lead, "nav_active": "monitoring"},
        status=400 if form.errors else 200,
    )


@login_required
def risk_eliminate(request, pk):
    """申请风险消除 of a 监测中 record: the clerk's new visit."""
    user = request.user
    record = get_visible_or_404(MonitoringObject.objects.select_related("household__village"), user, pk=pk)
    require(user, Action.REQUEST_RISK_ELIMINATION)
    form = RiskEliminationForm(request.POST or None, record=record, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            application = monitoring_workflows.request_risk_elimination(
                user=user, monitoring_object_id=record.pk, **form.service_data()
            )
            verdict = "通过" if application.check_passed else "未通过（审核人员不能同意，请更正后重新核查）"
            messages.success(request, f"已提交{application}，标准核查{verdict}。")
            return redirect("assessment:detail", pk=application.pk)
        except ValidationError as error:
            apply_service_errors(unprefixed(error), form)
    return render(
        request,
        "assessment/risk_eliminate.html",
        {"form": form, "record": record, "nav_active": "monitoring"},
        status=400 if form.errors else 200,
    )
