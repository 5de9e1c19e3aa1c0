"""The one workflow engine: every application kind moves through its step table here.

Views, the API, batch approval and the demo seed call these functions; none of them
changes an application, a step or an objection in any other way.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.codes import Role
from core.models import User
from core.parsing import MAX_INTEGER, parse_int, parse_year
from core.permissions import Action, allows, refusal, require
from core.policy import policy_value
from core.regions import RegionLevel
from core.scoping import sees_code
from core.text import clean_text
from households.codes import AdjustmentKind, HouseholdStatus
from households.models import Household
from households.services import change_status, lock_year, require_reason, unlock_year
from monitoring.codes import OPEN_STATUSES as OPEN_RECORD_STATUSES
from monitoring.codes import MonitoringStatus
from monitoring.models import MonitoringObject
from villages.models import County, Region, Village

from . import notices
from .checks import GUARANTEES, CheckResult, run_check
from .codes import (
    HOUSEHOLD_KINDS,
    MONITORING_KINDS,
    SURVEY_KINDS,
    ApplicationAction,
    ApplicationKind,
    ApplicationStatus,
    ObjectionConsequence,
    StepStatus,
)
from .elimination import clean_elimination_figures
from .models import Application, ApplicationStep, Objection, ReductionPlan, SampleSurvey
from .monitoring_decisions import APPROVAL_HOOKS, RELEASE_HOOKS
from .tasks import recompute_incidence, recompute_ratings, recompute_region_chain, years_from
from .workflow import ANNOUNCEMENT, PUBLICITY, STEPS

# What a household must be for each household kind to apply (docs/domain.md §5.1).
REQUIRED_HOUSEHOLD_STATUS = {
    ApplicationKind.IDENTIFICATION: {HouseholdStatus.CANDIDATE},
    ApplicationKind.HOUSEHOLD_EXIT: {HouseholdStatus.POOR},
    ApplicationKind.RETURN: {HouseholdStatus.EXITED},
    ApplicationKind.REMOVAL: {HouseholdStatus.POOR, HouseholdStatus.EXITED},
    ApplicationKind.CLOSURE: {HouseholdStatus.POOR, HouseholdStatus.EXITED},
}
# The registry adjustment an approval applies.
APPROVAL_ADJUSTMENT = {
    ApplicationKind.IDENTIFICATION: AdjustmentKind.NEW,
    ApplicationKind.HOUSEHOLD_EXIT: AdjustmentKind.EXITED,
    ApplicationKind.RETURN: AdjustmentKind.RETURNED,
    ApplicationKind.REMOVAL: AdjustmentKind.REMOVED,
    ApplicationKind.CLOSURE: AdjustmentKind.CANCELLED,
}
# The household kinds whose approval would leave an open monitoring record behind a household that
# is no longer an exited household or a 一般农户 (docs/domain.md §12.2): refused while one is open,
# and an identification is refused while one of them is open (assessment/monitoring_workflows.py).
ENDS_MONITORING_CATEGORY = (ApplicationKind.CLOSURE, ApplicationKind.REMOVAL, ApplicationKind.RETURN)
# What a monitoring record must be for each monitoring kind (docs/domain.md §12.12).
REQUIRED_RECORD_STATUS = {
    ApplicationKind.MONITORING_IDENTIFICATION: MonitoringStatus.IDENTIFYING,
    ApplicationKind.RISK_ELIMINATION: MonitoringStatus.MONITORED,
}
# What the submitter may withdraw (撤回): nothing waits on a reviewer, nothing is decided yet.
WITHDRAWABLE_STATUSES = {ApplicationStatus.DRAFT, ApplicationStatus.RETURNED}
# Kinds whose submission must say why (the 错评 found, the evidence that the household has ceased).
REASON_REQUIRED = {
    ApplicationKind.REMOVAL: "请填写清退理由（民主评议认定的错评情形）。",
    ApplicationKind.CLOSURE: "请填写销户原因及证明材料（死亡证明、户籍注销等）。",
}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def publicity_end(start: date, days: int, *, workdays: bool) -> date:
    """Last day of a 公示 of `days` days (or working days, Saturday and Sunday skipped)."""
    if not workdays:
        return start + timedelta(days=days - 1)
    end, counted = start, 0
    while True:
        if end.weekday() < 5:
            counted += 1
            if counted == days:
                return end
        end += timedelta(days=1)


def _locked_application(user, application_id: int) -> Application:
    try:
        return (
            Application.objects.visible_to(user)
            .select_for_update(of=("self",))
            .select_related("household", "region")
            .get(pk=application_id)
        )
    except Application.DoesNotExist as error:
        raise ValidationError({"application": ["未找到该申请，或不在您的管辖范围内。"]}) from error


# --- drafting and submission ----------------------------------------------------------


def _household_target(user, kind: str, household_id) -> Household:
    households = Household.objects.visible_to(user).filter(pk=household_id).select_related("village")
    if kind in ENDS_MONITORING_CATEGORY:
        # Locked as an identification's start locks it: of the two, the second sees the first's row.
        households = households.select_for_update(of=("self",))
    household = households.first()
    if household is None:
        raise ValidationError({"household": ["未找到该户，或不在您的管辖范围内。"]})
    _require_household_status(kind, household)
    return household


def _require_household_status(kind: str, household: Household) -> None:
    required = REQUIRED_HOUSEHOLD_STATUS[kind]
    if household.status not in required:
        labels = "或".join(f"“{HouseholdStatus(status).label}”" for status in sorted(required))
        raise ValidationError(
            {
                "household": [
                    f"该户当前为“{household.get_status_display()}”，{ApplicationKind(kind).label}申请要求{labels}。"
                ]
            }
        )
    if kind in ENDS_MONITORING_CATEGORY:
        record = MonitoringObject.objects.filter(household=household, status__in=OPEN_RECORD_STATUSES).first()
        if record is not None:
            raise ValidationError(
                {
                    "household": [
                        f"该户有{record.get_status_display()}的防返贫监测记录（#{record.pk}），须先办结（风险消除或未纳入）"
                        f"后再申请{ApplicationKind(kind).label}。"
                    ]
                }
            )


def _monitoring_target(user, kind: str, monitoring_object_id) -> MonitoringObject:
    record = (
        MonitoringObject.objects.visible_to(user)
        .filter(pk=monitoring_object_id)
        .select_related("household__village")
        .first()
    )
    if record is None:
        raise ValidationError({"monitoring_object": ["未找到该监测记录，或不在您的管辖范围内。"]})
    _require_record_status(kind, record)
    return record


def _require_record_status(kind: str, record: MonitoringObject) -> None:
    required = REQUIRED_RECORD_STATUS[kind]
    if record.status != required:
        raise ValidationError(
            {
                "monitoring_object": [
                    f"该监测记录为“{record.get_status_display()}”，{ApplicationKind(kind).label}申请要求"
                    f"“{MonitoringStatus(required).label}”。"
                ]
            }
        )


def _require_elimination_year(kind: str, year: int, today: date) -> None:
    """风险消除 is judged against this year's range (docs/domain.md §12.7): an application of another
    year (drafted with an old year, or returned and resubmitted after the new year) is refused."""
    if kind == ApplicationKind.RISK_ELIMINATION and year != today.year:
        raise ValidationError(
            {
                "year": [
                    f"风险消除按本年度监测范围核查，申请年度须为{today.year}年；"
                    f"{year}年度的申请请撤回后重新入户核实并申请。"
                ]
            }
        )


def _region_target(user, kind: str, region_code: str) -> Region:
    region = Region.objects.visible_to(user).filter(pk=region_code).first()
    level = RegionLevel.VILLAGE if kind == ApplicationKind.VILLAGE_EXIT else RegionLevel.COUNTY
    if region is None or region.level != level:
        raise ValidationError({"region": [f"请选择您管辖范围内的{RegionLevel(level).label}。"]})
    if kind == ApplicationKind.VILLAGE_EXIT:
        profile = Village.objects.filter(region=region).first()
        if profile is None or not profile.is_poor_village:
            raise ValidationError({"region": ["该村不是贫困村，无需退出。"]})
        if profile.exit_year:
            raise ValidationError({"region": [f"该村已于{profile.exit_year}年退出。"]})
    else:
        profile = County.objects.filter(region=region).first()
        if profile is None or not profile.is_poverty_county:
            raise ValidationError({"region": ["该县不是贫困县，无需摘帽。"]})
        if profile.exit_year:
            raise ValidationError({"region": [f"该县已于{profile.exit_year}年摘帽。"]})
    return region


def clean_reason(kind: str, reason: str | None) -> str:
    reason = (reason or "").strip()
    if kind in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": [REASON_REQUIRED[kind]]})
    return reason


def clean_figures(kind: str, figures: dict | None, *, record=None, today: date | None = None) -> dict:
    """The submitter's answers: 两不愁三保障 for 识别, 户退出 and 返贫, and consent for an exit; the new
    visit's figures of `record` for 风险消除 (a 监测识别's figures are its monitoring record's)."""
    if kind == ApplicationKind.RISK_ELIMINATION:
        return clean_elimination_figures(figures, record=record, today=today)
    figures = figures or {}
    if kind not in SURVEY_KINDS:
        return {}
    errors = {}
    cleaned = {}
    for key, label in GUARANTEES:
        value = figures.get(key)
        if not isinstance(value, bool):
            errors[f"figures.{key}"] = [f"请填写“{label}”是否已解决。"]
        cleaned[key] = value
    if kind == ApplicationKind.HOUSEHOLD_EXIT:
        if figures.get("consent") is not True:
            errors["figures.consent"] = ["户退出须经农户签字认可。"]
        cleaned["consent"] = figures.get("consent") is True
    if errors:
        raise ValidationError(errors)
    return cleaned


# Who may start an application, by kind (core/permissions.py); the step table decides each step after.
SUBMIT_ACTION = {
    ApplicationKind.VILLAGE_EXIT: Action.SUBMIT_VILLAGE_EXIT,
    ApplicationKind.COUNTY_EXIT: Action.SUBMIT_COUNTY_EXIT,
    ApplicationKind.MONITORING_IDENTIFICATION: Action.START_MONITORING,
    ApplicationKind.RISK_ELIMINATION: Action.REQUEST_RISK_ELIMINATION,
}


@transaction.atomic
def draft_application(
    *,
    user,
    kind: str,
    year: int,
    household_id: int | None = None,
    region_code: str | None = None,
    monitoring_object_id: int | None = None,
    figures: dict | None = None,
    reason: str = "",
    today: date | None = None,
) -> Application:
    """A draft for a target in the user's scope, by the role that starts this kind.

    A 风险消除 is of `today`'s year: its visit is judged against this year's monitoring range
    (docs/domain.md §12.7)."""
    if kind not in STEPS:
        raise ValidationError({"kind": ["不是有效的申请类别。"]})
    require(user, SUBMIT_ACTION.get(kind, Action.SUBMIT_HOUSEHOLD_APPLICATION))
    first = STEPS[kind][0]
    if user.role != first.role:
        raise ValidationError({"kind": [f"{ApplicationKind(kind).label}申请应由{Role(first.role).label}提出。"]})
    current_year = timezone.localdate().year
    year = parse_year(year, field="year", maximum=current_year)
    record = None
    if kind in MONITORING_KINDS:
        record = _monitoring_target(user, kind, monitoring_object_id)
        _require_elimination_year(kind, year, _today(today))
        household = record.household
        region = household.village
    elif kind in HOUSEHOLD_KINDS:
        household = _household_target(user, kind, household_id)
        region = household.village
    else:
        household = None
        region = _region_target(user, kind, region_code or "")
    application = Application(
        kind=kind,
        region=region,
        household=household,
        monitoring_object=record,
        year=year,
        figures=clean_figures(kind, figures, record=record, today=today),
        reason=clean_reason(kind, reason),
        submitted_by=user,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as error:
        if "application_one_open_per_target" not in str(error):
            raise
        raise ValidationError(
            {"kind": [f"该对象已有未办结的{ApplicationKind(kind).label}申请，请先办结。"]}, code="duplicate"
        ) from error
    return application


@transaction.atomic
def draft_and_submit(*, user, today: date | None = None, **draft) -> Application:
    """The browser's one-step submission: draft and submit together, or nothing."""
    application = draft_application(user=user, today=today, **draft)
    return submit_application(user=user, application_id=application.pk, today=today)


def _open_step(application: Application, index: int, today: date) -> None:
    """Make step `index` of the current round the current one; a publicity starts today."""
    step = application.steps.get(round=application.round, index=index)
    application.current_step = index
    if step.kind == ANNOUNCEMENT:
        return
    step.status = StepStatus.OPEN
    if step.is_publicity:
        definition = STEPS[application.kind][index]
        days = int(policy_value(definition.notice_days_key, year=application.year, region_code=application.region_id))
        step.starts_on = today
        step.ends_on = publicity_end(today, days, workdays="WORKDAYS" in definition.notice_days_key)
        following = STEPS[application.kind][index + 1]
        application.awaiting_role = following.role
        application.awaiting_since = step.ends_on + timedelta(days=1)
    else:
        application.awaiting_role = step.role
        application.awaiting_since = today
    step.save()
    if not step.is_publicity:  # a decision after a 公示 is announced when the 公示 ends (remind_publicity_ending)
        notices.step_waiting(application, reviewers(application, today), step.name)


def _store_check(application: Application) -> CheckResult:
    """Run the standard check on current data and keep its result and reasons on the application."""
    result = run_check(application)
    application.check_passed = result.passed
    application.check_items = result.as_items()
    application.checked_at = timezone.now()
    if application.pk:
        Application.objects.filter(pk=application.pk).update(
            check_passed=result.passed, check_items=application.check_items, checked_at=application.checked_at
        )
    return result


def _start_round(application: Application, user, today: date) -> None:
    """The steps of the application's current round: the submitter's first step done, the next one open.

    A resubmission after 退回修改 starts again from the first step, 公示 included: the corrected
    application is what the public and every level must see (docs/domain.md §5.10).
    """
    now = timezone.now()
    ApplicationStep.objects.bulk_create(
        ApplicationStep(
            application=application,
            round=application.round,
            index=index,
            code=step.code,
            name=step.name,
            kind=step.kind,
            role=step.role,
            status=StepStatus.DONE if index == 0 else StepStatus.WAITING,
            acted_by=user if index == 0 else None,
            acted_at=now if index == 0 else None,
            comment=application.reason if index == 0 else "",
        )
        for index, step in enumerate(STEPS[application.kind])
    )
    application.status = ApplicationStatus.IN_REVIEW
    application.submitted_at = now
    application.decided_at = None
    _open_step(application, 1, today)


@transaction.atomic
def submit_application(*, user, application_id: int, today: date | None = None) -> Application:
    """Run the standard check, store it, record the first step as done and open the next."""
    today = _today(today)
    application = _locked_application(user, application_id)
    require_action(ApplicationAction.SUBMIT, user, application, today)
    _store_check(application)
    _start_round(application, user, today)
    application.save()
    return application


@transaction.atomic
def resubmit_application(
    *, user, application_id: int, figures: dict | None = None, reason: str | None = None, today: date | None = None
) -> Application:
    """修改后重新提交: the submitter's corrected application runs every step again, as a new round.

    `figures` and `reason` replace the submitted ones when given; corrections of the household
    record itself are made on the household page before. The check reruns on the current data.
    """
    today = _today(today)
    application = _locked_application(user, application_id)
    require_action(ApplicationAction.RESUBMIT, user, application, today)
    if application.kind in MONITORING_KINDS:
        _require_record_status(application.kind, application.monitoring_object)
        _require_elimination_year(application.kind, application.year, today)
    elif application.household_id:
        _require_household_status(application.kind, application.household)
    if figures is not None:
        application.figures = clean_figures(
            application.kind, figures, record=application.monitoring_object, today=today
        )
    if reason is not None:
        application.reason = clean_reason(application.kind, reason)
    application.round += 1
    _store_check(application)
    _start_round(application, user, today)
    application.save()
    return application


# --- review ---------------------------------------------------------------------------


def _round_steps(application: Application) -> dict[int, ApplicationStep]:
    """The steps of the current round by index (earlier rounds stay in the timeline)."""
    return {step.index: step for step in application.steps.all() if step.round == application.round}


def _acting_steps(application: Application) -> tuple[ApplicationStep | None, ApplicationStep]:
    """(the 公示 that precedes, the action step) of an application in review."""
    steps = _round_steps(application)
    current = steps[application.current_step]
    publicity = current if current.is_publicity else None
    return publicity, steps[application.current_step + 1] if publicity else current


def _current_step(application: Application) -> ApplicationStep:
    return _round_steps(application)[application.current_step]


def _is_final_action(application: Application) -> bool:
    """Whether the step waiting now is the last decision (the next one is the 公告)."""
    if application.status != ApplicationStatus.IN_REVIEW:
        return False
    steps = STEPS[application.kind]
    index = application.current_step + (1 if steps[application.current_step].is_publicity else 0)
    return steps[index + 1].kind == ANNOUNCEMENT


# --- who may act, now ---------------------------------------------------------------------


# The permission table's say on the moves it names (core/permissions.py); the step rules follow it.
POLICY_ACTION = {
    ApplicationAction.OBJECT: Action.FILE_OBJECTION,
    ApplicationAction.RESOLVE: Action.RESOLVE_OBJECTION,
    ApplicationAction.REOPEN: Action.REOPEN_YEAR,
    ApplicationAction.RELOCK: Action.REOPEN_YEAR,
}


def require_action(action: str, user, application: Application, today: date | None = None) -> None:
    """Raise the engine's refusal when `user` may not take `action` on `application` on `today`.

    The rules of who acts when, once: every move of the engine checks them here before it
    writes, and `available_actions` (the page's buttons, the API's field) asks the same. What
    the user types (a reason, an objection's outcome) is checked by the move itself. Approval
    also needs the standard met on current data (docs/domain.md §6.6).
    """
    today = _today(today)
    if (policy := POLICY_ACTION.get(action)) and not allows(user, policy):
        raise ValidationError({"role": [refusal(user, policy)]})  # the move itself answers 403 (require)
    if action == ApplicationAction.SUBMIT:
        if application.status != ApplicationStatus.DRAFT:
            raise ValidationError({"status": ["该申请已提交。"]})
        if application.submitted_by_id != user.pk:
            raise ValidationError({"status": ["只有起草人可以提交该申请。"]})
    elif action == ApplicationAction.RESUBMIT:
        if application.status != ApplicationStatus.RETURNED:
            raise ValidationError({"status": ["只有退回修改的申请可以重新提交。"]})
        if application.submitted_by_id != user.pk:
            raise ValidationError({"status": ["只有申请人可以修改后重新提交。"]})
    elif action == ApplicationAction.WITHDRAW:
        _require_withdrawable(application, user)
    elif action == ApplicationAction.APPROVE:
        _require_reviewer(application, user, today, deciding=True)
        _require_standard_met(run_check(application))
    elif action in (ApplicationAction.SEND_BACK, ApplicationAction.REJECT):
        _require_reviewer(application, user, today, deciding=False)
    elif action == ApplicationAction.OBJECT:
        _require_running_publicity(application, today)
    elif action == ApplicationAction.RESOLVE:
        if not resolvable_objection_ids(user, application):
            raise ValidationError({"objection": ["该申请没有您可以处理的异议。"]})
    elif action in (ApplicationAction.REOPEN, ApplicationAction.RELOCK) and application.kind in MONITORING_KINDS:
        raise ValidationError({"status": ["防返贫监测的申请不锁定年度，无需重新开放或锁定。"]})
    elif action == ApplicationAction.REOPEN:
        if user.role != Role.COUNTY_REVIEWER:
            raise ValidationError({"role": ["只有县级审核员可以重新开放已审定的年度。"]})
        if application.status != ApplicationStatus.APPROVED or not application.is_locked:
            raise ValidationError({"status": ["只有已批准且锁定的申请可以重新开放。"]})
    elif action == ApplicationAction.RELOCK:
        if user.role != Role.COUNTY_REVIEWER:
            raise ValidationError({"role": ["只有县级审核员可以重新锁定年度。"]})
        if application.status != ApplicationStatus.APPROVED or application.is_locked:
            raise ValidationError({"status": ["只有已重新开放的申请可以重新锁定。"]})
    else:
        raise ValueError(f"unknown application action {action!r}")


def _require_withdrawable(application: Application, user) -> None:
    """撤回 is the submitter's, of a draft or an application sent back to them: while a reviewer holds
    it, only the reviewer stops it (退回修改, 不予通过), and a decided application stays decided."""
    if application.status == ApplicationStatus.IN_REVIEW:
        raise ValidationError({"status": ["该申请审核中，不能撤回；须由审核人员退回修改后，申请人方可撤回。"]})
    if application.status not in WITHDRAWABLE_STATUSES:
        raise ValidationError({"status": [f"该申请已办结（{application.get_status_display()}），不能撤回。"]})
    if application.submitted_by_id != user.pk:
        raise ValidationError({"status": ["只有申请人可以撤回该申请。"]})


def finding_label(application: Application) -> str:
    """What the waiting step records in its comment (信息比对结果, 民主评议结果), or "" for a plain review."""
    if application.status != ApplicationStatus.IN_REVIEW:
        return ""
    _publicity, action = _acting_steps(application)
    return STEPS[application.kind][action.index].comment_label


def _require_finding(application: Application, comment: str) -> None:
    """A step that records a finding (信息比对, 民主评议) is approved with it written in the comment."""
    label = finding_label(application)
    if label and not (comment or "").strip():
        raise ValidationError({"comment": [f"请在审核意见中填写{label}。"]})


def _require_standard_met(result: CheckResult) -> None:
    """A failing standard is a gate: no reason lets it through (docs/domain.md §6.6)."""
    if not result.passed:
        failed = "、".join(item["item"] for item in result.items if not item["passed"])
        raise ValidationError(
            {"check": [f"标准核查未通过（{failed}），不能同意：请更正数据后再办理，或退回修改、不予通过。"]}
        )


def needs_confirmation(application: Application, action: str, *, consequence: str = "") -> bool:
    """Whether `action` cannot be undone and the user must confirm it (the page's box, the API's `confirm`).

    不予通过, 撤回, ending an application, and the approval that changes a household's status or a
    monitoring record's.
    """
    if action in (ApplicationAction.REJECT, ApplicationAction.WITHDRAW):
        return True
    if action == ApplicationAction.RESOLVE:
        return consequence == ObjectionConsequence.END
    if action == ApplicationAction.APPROVE:
        return application.kind in HOUSEHOLD_KINDS | MONITORING_KINDS and _is_final_action(application)
    return False


def require_confirmation(application: Application, action: str, confirmed: bool, *, consequence: str = "") -> None:
    """Refuse an irreversible move the user did not confirm; the HTML and API interfaces call this."""
    if needs_confirmation(application, action, consequence=consequence) and not confirmed:
        raise ValidationError({"confirm": ["此操作办结后不可撤回，请勾选确认后再提交。"]})


def action_refusals(user, application: Application, today: date | None = None) -> dict[str, list[str]]:
    """Why `user` may not take each action on `application` now; an action not named is allowed."""
    today = _today(today)
    refusals = {}
    for action in ApplicationAction:
        try:
            require_action(action, user, application, today)
        except ValidationError as error:
            refusals[action.value] = error.messages
    return refusals


def available_actions(user, application: Application, today: date | None = None) -> set[str]:
    """The actions (ApplicationAction values) `user` may take on `application` now.

    Exactly those `require_action` lets through, so a button shown is a move the engine
    accepts and a move it refuses has no button; the API lists the same.
    """
    return set(ApplicationAction.values) - action_refusals(user, application, today).keys()


def resolvable_objection_ids(user, application: Application) -> set[int]:
    """The open 异议 of `application` that `user` may resolve (the page shows their 处理 form)."""
    ids = set()
    for objection in application.objections.all():
        try:
            _require_resolvable(user, objection, application)
        except ValidationError:
            continue
        ids.add(objection.pk)
    return ids


def _require_reviewer(application: Application, user, today: date, *, deciding: bool) -> None:
    """The reviewer of the waiting step, not its submitter; to decide, after the 公示 and its 异议."""
    if application.status != ApplicationStatus.IN_REVIEW:
        raise ValidationError({"status": [f"该申请{application.get_status_display()}，不能再审核。"]})
    publicity, action = _acting_steps(application)
    if user.role != action.role:
        raise ValidationError({"role": [f"“{action.name}”应由{Role(action.role).label}办理。"]})
    if user.pk == application.submitted_by_id:
        raise ValidationError({"role": ["申请人不能审核自己提交的申请。"]})
    if publicity and deciding:
        if today <= publicity.ends_on:
            raise ValidationError(
                {"status": [f"{publicity.name}至{publicity.ends_on:%Y年%m月%d日}，公示期满后方可办理“{action.name}”。"]}
            )
        open_objections = application.objections.filter(step=publicity, resolved_at__isnull=True).count()
        if open_objections:
            raise ValidationError(
                {"status": [f"{publicity.name}有{open_objections}条异议尚未处理，处理后方可进入下一步。"]}
            )


def reviewers(application: Application, today: date) -> list[User]:
    """Who may take the step waiting now: the users of its role whose scope holds the application and
    whom `_require_reviewer` lets through (never the applicant). The ones its notices go to."""
    candidates = User.objects.filter(sees_code(application.region_id), role=application.awaiting_role)
    allowed = []
    for user in candidates.order_by("pk"):
        try:
            _require_reviewer(application, user, today, deciding=False)
        except ValidationError:
            continue
        allowed.append(user)
    return allowed


def objection_resolvers(application: Application, objection: Objection, today: date) -> list[User]:
    """Who must answer an 异议: the reviewers of the step it blocks, as far as `_require_resolvable`
    lets them (not the applicant, not the clerk who recorded it) and the permission table allows."""
    resolvers = []
    for user in reviewers(application, today):
        try:
            _require_resolvable(user, objection, application)
        except ValidationError:
            continue
        if allows(user, Action.RESOLVE_OBJECTION):
            resolvers.append(user)
    return resolvers


def _require_running_publicity(application: Application, today: date) -> None:
    """异议 are filed while a 公示 runs, within its dates."""
    step = _current_step(application) if application.status == ApplicationStatus.IN_REVIEW else None
    if step is None or not step.is_publicity:
        raise ValidationError({"content": ["只能在公示期间登记异议。"]})
    if not (step.starts_on <= today <= step.ends_on):
        raise ValidationError(
            {"content": [f"公示期为{step.starts_on:%Y年%m月%d日}至{step.ends_on:%Y年%m月%d日}，不在公示期内。"]}
        )


def _require_resolvable(user, objection: Objection, application: Application) -> None:
    """An open 异议 of the running round, resolved by anyone in scope but the applicant and
    the township clerk who recorded it: neither judges an objection to their own work."""
    if objection.resolved_at:
        raise ValidationError({"objection": ["该异议已处理。"]})
    if application.status != ApplicationStatus.IN_REVIEW or objection.step.round != application.round:
        raise ValidationError({"objection": ["该申请已不在审核中，异议随本轮办结。"]})
    if user.pk == application.submitted_by_id:
        raise ValidationError({"objection": ["申请人不能处理对本申请的异议。"]})
    if user.role == Role.TOWNSHIP_CLERK and objection.filed_by_id == user.pk:
        raise ValidationError({"objection": ["登记人不能处理自己登记的异议。"]})


def _apply_approval(user, application: Application, reason: str, today: date) -> None:
    """The registry change an approved application makes, through the registry's services.

    A household's change takes effect in the application's year (docs/domain.md §7.5) and locks
    that year of the household in the registry, named by this application. A monitoring kind
    decides its record instead (its hook, assessment/monitoring_decisions.py) and locks nothing.
    """
    kind = application.kind
    if kind in APPROVAL_HOOKS:
        APPROVAL_HOOKS[kind](application, reason, today)
    elif kind in APPROVAL_ADJUSTMENT:
        change_status(
            user=user,
            household_id=application.household_id,
            kind=APPROVAL_ADJUSTMENT[kind],
            reason=reason,
            effective_year=application.year,
            application=application,
        )
        lock_year(user=user, household_id=application.household_id, year=application.year, reason=str(application))
    elif kind == ApplicationKind.VILLAGE_EXIT:
        Village.objects.filter(region=application.region).update(exit_year=application.year)
    else:
        County.objects.filter(region=application.region).update(exit_year=application.year)


def _enqueue_recompute(year: int, *, village_code: str | None = None) -> None:
    """After commit: the figures a household's change moves (its village's chain, from `year`
    on), or the whole year for village and county exits and assessment data; then the ratings."""

    def enqueue():
        if village_code:
            recompute_region_chain.delay(village_code, years_from(year))
        else:
            recompute_incidence.delay(year)
        recompute_ratings.delay(year)

    transaction.on_commit(enqueue)


def approve_step(*, user, application_id: int, comment: str = "", today: date | None = None) -> Application:
    """Approve the step waiting for the user; the last approval applies the change and locks the year.

    The standard check reruns on current data first and its result is kept, also when it fails
    and the approval is refused (docs/domain.md §6.6): no written reason lets a failing check through.
    """
    today = _today(today)
    with transaction.atomic():
        application = _locked_application(user, application_id)
        _require_reviewer(application, user, today, deciding=True)
        _require_finding(application, comment)
        result = _store_check(application)
        if result.passed:
            require_action(ApplicationAction.APPROVE, user, application, today)
            _approve(user, application, comment, today)
            return application
    # Outside the block, so that the refreshed check result stays recorded. Inside approve_many's
    # transaction the whole batch rolls back, this check result with it: the batch is all or nothing.
    _require_standard_met(result)
    raise AssertionError("unreachable: a failed check raises")


def _approve(user, application: Application, comment: str, today: date) -> None:
    publicity, action = _acting_steps(application)
    now = timezone.now()
    if publicity:
        publicity.status = StepStatus.DONE
        publicity.acted_at = now
        publicity.save(update_fields=["status", "acted_at"])
    action.status = StepStatus.DONE
    action.acted_by = user
    action.acted_at = now
    action.comment = (comment or "").strip()
    action.save()
    following = STEPS[application.kind][action.index + 1]
    if following.kind == ANNOUNCEMENT:
        announcement = application.steps.get(round=application.round, index=action.index + 1)
        announcement.status = StepStatus.DONE
        announcement.acted_by = user
        announcement.acted_at = now
        announcement.starts_on = today
        announcement.save()
        application.status = ApplicationStatus.APPROVED
        application.current_step = announcement.index
        application.awaiting_role = ""
        application.awaiting_since = None
        application.decided_at = now
        _apply_approval(user, application, f"{application}经{action.name}批准。{action.comment}".strip(), today)
        notices.decided(application, approved=True, comment=action.comment)
        if application.kind not in MONITORING_KINDS:  # a monitoring record moves no incidence or rating figure
            household_village = application.household.village_id if application.household_id else None
            _enqueue_recompute(application.year, village_code=household_village)
    else:
        _open_step(application, action.index + 1, today)
    application.save()


@transaction.atomic
def approve_many(
    *, user, application_ids: list[int], comment: str = "", today: date | None = None
) -> list[Application]:
    """批量审核: several household exits of one village, all approved or none."""
    ids = sorted({int(pk) for pk in application_ids})
    if not ids:
        raise ValidationError({"applications": ["请选择要审核的申请。"]})
    targets = Application.objects.visible_to(user).filter(pk__in=ids)
    if targets.count() != len(ids):
        raise ValidationError({"applications": ["部分申请不存在或不在您的管辖范围内。"]})
    if targets.exclude(kind=ApplicationKind.HOUSEHOLD_EXIT).exists():
        raise ValidationError({"applications": ["批量审核只适用于户退出申请。"]})
    if targets.values("region").distinct().count() != 1:
        raise ValidationError({"applications": ["批量审核的申请须属于同一个村。"]})
    approved = []
    for pk in ids:
        try:
            approved.append(approve_step(user=user, application_id=pk, comment=comment, today=today))
        except ValidationError as error:
            application = Application.objects.select_related("household").get(pk=pk)
            messages = [message for values in error.message_dict.values() for message in values]
            raise ValidationError({"applications": [f"{application.target_label}：{'；'.join(messages)}"]}) from error
    return approved


def _stop(user, application: Application, *, step_status: str, app_status: str, comment: str, now) -> ApplicationStep:
    """Close the current round at the waiting step: it records who stopped it and why; the rest end."""
    _publicity, action = _acting_steps(application)
    action.status = step_status
    action.acted_by = user
    action.acted_at = now
    action.comment = comment
    action.save()
    application.steps.filter(round=application.round, status__in=[StepStatus.WAITING, StepStatus.OPEN]).update(
        status=StepStatus.CANCELLED
    )
    application.status = app_status
    application.awaiting_role = ""
    return action


def _send_back(user, application: Application, comment: str, today: date) -> None:
    """退回修改: back to the submitter, whose queue shows it from today."""
    _stop(
        user,
        application,
        step_status=StepStatus.RETURNED,
        app_status=ApplicationStatus.RETURNED,
        comment=comment,
        now=timezone.now(),
    )
    application.awaiting_since = today
    application.save()
    notices.sent_back(application, comment)


def _finish_unapproved(
    user, application: Application, *, step_status: str, app_status: str, comment: str, today: date
) -> None:
    """不予通过 or 终止: final. A candidate not identified leaves the list, so the person may be registered again."""
    now = timezone.now()
    action = _stop(user, application, step_status=step_status, app_status=app_status, comment=comment, now=now)
    application.awaiting_since = None
    application.decided_at = now
    application.save()
    notices.decided(application, approved=False, comment=comment)
    _release_candidate(user, application, f"{application}未通过{action.name}：{comment}", today)


def _release_candidate(user, application: Application, reason: str, today: date) -> None:
    """A 识别 closed without approval: its 拟识别 household is 清退 in the registry, which frees its
    people for another registration; a 监测识别's record closes as 未纳入 (its hook); the other
    kinds leave their target as it is."""
    if application.kind in RELEASE_HOOKS:
        RELEASE_HOOKS[application.kind](application, reason, today)
    elif application.kind == ApplicationKind.IDENTIFICATION:
        change_status(
            user=user,
            household_id=application.household_id,
            kind=AdjustmentKind.REMOVED,
            reason=reason,
            effective_year=application.year,
            application=application,
        )


@transaction.atomic
def send_back_application(*, user, application_id: int, comment: str, today: date | None = None) -> Application:
    """退回修改: the reviewer returns the application with a reason; the submitter corrects and resubmits."""
    comment = require_reason(comment)
    today = _today(today)
    application = _locked_application(user, application_id)
    require_action(ApplicationAction.SEND_BACK, user, application, today)
    _send_back(user, application, comment, today)
    return application


@transaction.atomic
def reject_application(*, user, application_id: int, comment: str, today: date | None = None) -> Application:
    """不予通过: a final refusal; the waiting step is marked with the reason and the rest end."""
    comment = require_reason(comment)
    today = _today(today)
    application = _locked_application(user, application_id)
    require_action(ApplicationAction.REJECT, user, application, today)
    _finish_unapproved(
        user,
        application,
        step_status=StepStatus.REJECTED,
        app_status=ApplicationStatus.REJECTED,
        comment=comment,
        today=today,
    )
    return application


@transaction.atomic
def withdraw_application(*, user, application_id: int, reason: str, today: date | None = None) -> Application:
    """撤回: the submitter closes their draft or sent-back application for good, with a reason on record.

    Final: no move leaves WITHDRAWN. The target may have a new application of the kind at once
    (a withdrawn application is not open); a withdrawn 识别 candidate leaves the list as a refused
    one does. The confirmation is the interface's (`require_confirmation`), as for 不予通过.
    """
    reason = clean_text(require_reason(reason), field="reason", multiline=True)
    today = _today(today)
    application = _locked_application(user, application_id)
    require_action(ApplicationAction.WITHDRAW, user, application, today)
    now = timezone.now()
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_by = user
    application.withdrawn_at = now
    application.withdraw_reason = reason
    application.decided_at = now
    application.awaiting_role = ""
    application.awaiting_since = None
    application.save()
    _release_candidate(user, application, f"{application}已由申请人撤回：{reason}", today)
    return application


# --- objections and reopening -----------------------------------------------------------


@transaction.atomic
def file_objection(*, user, application_id: int, content: str, today: date | None = None) -> Objection:
    """Record an 异议 during an open 公示; it blocks the next step until resolved."""
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": ["请填写异议内容。"]})
    today = _today(today)
    application = _locked_application(user, application_id)
    require(user, Action.FILE_OBJECTION)
    require_action(ApplicationAction.OBJECT, user, application, today)
    objection = Objection.objects.create(
        application=application, step=_current_step(application), content=content, filed_by=user
    )
    notices.objection_filed(application, objection, objection_resolvers(application, objection, today))
    return objection


@transaction.atomic
def resolve_objection(
    *, user, objection_id: int, outcome: str, upheld: bool, consequence: str = "", today: date | None = None
) -> Objection:
    """Close an 异议 with a written outcome (docs/domain.md §5.10).

    不成立: the application goes on. 成立: it stops at once — sent back for correction
    (`consequence` "send_back") or ended ("end"), as the resolver decides.
    """
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": ["请填写处理结果。"]})
    today = _today(today)
    found = Objection.objects.visible_to(user).filter(pk=objection_id).values_list("application_id", flat=True).first()
    if found is None:
        raise ValidationError({"objection": ["未找到该异议，或不在您的管辖范围内。"]})
    application = _locked_application(user, found)
    objection = Objection.objects.select_for_update().select_related("step").get(pk=objection_id)
    require(user, Action.RESOLVE_OBJECTION)
    _require_resolvable(user, objection, application)
    upheld = bool(upheld)
    if upheld and consequence not in ObjectionConsequence.values:
        raise ValidationError({"consequence": ["异议成立时请选择退回修改或终止申请。"]})
    objection.outcome = outcome
    objection.is_upheld = upheld
    objection.consequence = consequence if upheld else ""
    objection.resolved_by = user
    objection.resolved_at = timezone.now()
    objection.save()
    if upheld:
        comment = f"公示异议成立：{outcome}"
        if consequence == ObjectionConsequence.SEND_BACK:
            _send_back(user, application, comment, today)
        else:
            _finish_unapproved(
                user,
                application,
                step_status=StepStatus.CANCELLED,
                app_status=ApplicationStatus.ENDED,
                comment=comment,
                today=today,
            )
    return objection


@transaction.atomic
def reopen_application(*, user, application_id: int, reason: str) -> Application:
    """县级重新开放: lifts the year lock of an approved application, with a reason on record."""
    reason = require_reason(reason)
    application = _locked_application(user, application_id)
    require(user, Action.REOPEN_YEAR)
    require_action(ApplicationAction.REOPEN, user, application)
    application.reopened_by = user
    application.reopened_at = timezone.now()
    application.reopen_reason = reason
    application.save(update_fields=["reopened_by", "reopened_at", "reopen_reason"])
    if application.household_id:
        _release_year_lock(user, application, reason)
    return application


@transaction.atomic
def relock_application(*, user, application_id: int, reason: str) -> Application:
    """县级重新锁定: after the correction, the reopened year is locked again, with a reason on record."""
    reason = require_reason(reason)
    application = _locked_application(user, application_id)
    require(user, Action.REOPEN_YEAR)
    require_action(ApplicationAction.RELOCK, user, application)
    application.relocked_by = user
    application.relocked_at = timezone.now()
    application.relock_reason = reason
    application.save(update_fields=["relocked_by", "relocked_at", "relock_reason"])
    if application.household_id:
        lock_year(
            user=user,
            household_id=application.household_id,
            year=application.year,
            reason=f"{application}（重新锁定：{reason}）",
        )
    return application


def _release_year_lock(user, application: Application, reason: str) -> None:
    """Lift the registry's lock of the household's year, unless another approval of that year still holds it.

    Then the lock stays, named (as on approval) by the latest decided of those approvals.
    """
    holder = (
        Application.objects.holding_year_lock()
        .filter(household_id=application.household_id, year=application.year)
        .order_by(F("decided_at").desc(nulls_last=True), "-id")
        .first()
    )
    if holder is None:
        unlock_year(user=user, household_id=application.household_id, year=application.year, reason=reason)
    else:
        lock_year(user=user, household_id=application.household_id, year=application.year, reason=str(holder))


# --- reminders ---------------------------------------------------------------------------

# A 公示 is announced to the next step's reviewers when it ends today or tomorrow.
PUBLICITY_REMINDER_DAYS = 1


def remind_publicity_ending(*, today: date | None = None) -> int:
    """Daily (beat): tell the reviewers of the step after each running 公示 that ends today or
    tomorrow; once per 公示 and reviewer (the notice's key), however often it runs. How many 公示."""
    today = _today(today)
    steps = (
        ApplicationStep.objects.filter(
            kind=PUBLICITY,
            status=StepStatus.OPEN,
            ends_on__gte=today,
            ends_on__lte=today + timedelta(days=PUBLICITY_REMINDER_DAYS),
            application__status=ApplicationStatus.IN_REVIEW,
            round=F("application__round"),
            index=F("application__current_step"),
        )
        .select_related("application__household", "application__region")
        .order_by("ends_on", "id")
    )
    found = 0
    for step in steps:
        notices.publicity_ending(step.application, step, reviewers(step.application, today), today)
        found += 1
    return found


# --- assessors' figures -----------------------------------------------------------------

SAMPLE_FIELDS = [
    "sampled_exited_population",
    "wrong_exit_population",
    "sampled_unregistered_population",
    "omitted_population",
    "surveyed_households",
    "approving_households",
    "data_fraud",
]


def _assessed_county(user, county_code: str) -> Region:
    county = Region.objects.visible_to(user).filter(pk=county_code, level=RegionLevel.COUNTY).first()
    if county is None:
        raise ValidationError({"county": ["请选择您管辖范围内的县。"]})
    require(user, Action.RECORD_ASSESSMENT_DATA)
    return county


@transaction.atomic
def record_sample_survey(*, user, county_code: str, year: int, quarter: int, figures: dict) -> SampleSurvey:
    """Enter or correct a county's sample figures for a quarter (错退, 漏评, 认可度, 造假)."""
    county = _assessed_county(user, county_code)
    year = parse_year(year, field="year")
    survey = SampleSurvey.objects.filter(county=county, year=year, quarter=quarter).first() or SampleSurvey(
        county=county, year=year, quarter=quarter
    )
    for name in SAMPLE_FIELDS:
        setattr(survey, name, figures.get(name, False if name == "data_fraud" else None))
    survey.entered_by = user
    errors = {}
    try:
        survey.full_clean(exclude=["county", "entered_by"], validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not errors:
        pairs = [
            ("wrong_exit_population", "sampled_exited_population", "错退人口不能多于抽样脱贫人口。"),
            ("omitted_population", "sampled_unregistered_population", "漏评人口不能多于抽查人口。"),
            ("approving_households", "surveyed_households", "认可户数不能多于调查户数。"),
        ]
        for part, whole, message in pairs:
            if getattr(survey, part) > getattr(survey, whole):
                errors[part] = [message]
    if errors:
        raise ValidationError(errors)
    survey.save()
    _enqueue_recompute(year)
    return survey


@transaction.atomic
def set_reduction_plan(*, user, county_code: str, year: int, planned_exit_population: int) -> ReductionPlan:
    """A county's planned exits for a year, the denominator of 减贫成效."""
    county = _assessed_county(user, county_code)
    year = parse_year(year, field="year")
    try:
        population = parse_int(planned_exit_population, field="planned_exit_population", minimum=1, maximum=MAX_INTEGER)
    except ValidationError:
        raise ValidationError({"planned_exit_population": ["计划脱贫人口数应为正整数。"]}) from None
    plan, _ = ReductionPlan.objects.update_or_create(
        county=county, year=year, defaults={"planned_exit_population": population}
    )
    _enqueue_recompute(year)
    return plan
