"""The project library and its notices: every change to a project, a beneficiary, a notice or
an objection goes through these functions (views, API and the demo seed call them).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.codes import ParameterKey
from core.parsing import parse_date, parse_money
from core.permissions import Action, allows, require
from core.policy import policy_value
from core.regions import RegionLevel, code_prefix, same_county
from households.models import AidMeasure, Household
from households.services import add_aid_measure, full_clean_or_raise
from villages.models import Region

from .codes import (
    ADVANCE_ROLES,
    EDITABLE_STATUSES,
    MEASURE_CATEGORY,
    PROJECT_FLOW,
    NoticeKind,
    ProjectStatus,
)
from .models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent

PROJECT_FIELDS = [
    "name",
    "category",
    "year",
    "budget",
    "implementing_unit",
    "content",
    "performance_target",
    "poverty_link",
]


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _project_place(user, county_code: str | None, village_codes: list[str]) -> tuple[Region, Region, list[Region]]:
    """(county, scoping region, villages): the villages must be visible to the user and in one county."""
    villages = list(Region.objects.visible_to(user).filter(code__in=village_codes, level=RegionLevel.VILLAGE))
    if len(villages) != len(set(village_codes)):
        raise ValidationError({"villages": ["请选择您管辖范围内的行政村。"]})
    if villages:
        townships = {village.parent_id for village in villages}
        counties = set(Region.objects.filter(code__in=townships).values_list("parent_id", flat=True))
        if len(counties) != 1:
            raise ValidationError({"villages": ["一个项目的实施村须在同一个县。"]})
        county = Region.objects.get(code=counties.pop())
        if len(villages) == 1:
            return county, villages[0], villages
        if len(townships) == 1:
            return county, Region.objects.get(code=townships.pop()), villages
        region = county
    else:
        county = Region.objects.visible_to(user).filter(code=county_code or "", level=RegionLevel.COUNTY).first()
        if county is None:
            raise ValidationError({"villages": ["请选择实施村；全县性项目由县级申报。"]})
        region = county
    if not Region.objects.visible_to(user).filter(code=region.code).exists():
        raise ValidationError({"villages": ["跨乡镇或全县性的项目由县级申报。"]})
    return county, region, villages


def _fill(project: Project, data: dict) -> None:
    """Set the project's fields from `data`; raise every field's error at once, in Chinese."""
    errors = {}
    for name in PROJECT_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    for name in ("name", "implementing_unit", "content", "performance_target", "poverty_link"):
        setattr(project, name, (getattr(project, name) or "").strip())
    try:
        project.budget = parse_money(data.get("budget", project.budget), field="budget")
    except ValidationError as error:
        errors.update(error.message_dict)
        project.budget = Decimal(0)
    try:
        full_clean_or_raise(project, exclude=["county", "region", "created_by", "villages"])
    except ValidationError as error:
        errors.update({key: value for key, value in error.message_dict.items() if key not in errors})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def declare_project(*, user, data: dict, village_codes: list[str], county_code: str | None = None) -> Project:
    """申报: a township clerk or the county enters a project for villages it may see."""
    require(user, Action.DECLARE_PROJECT)
    county, region, villages = _project_place(user, county_code, village_codes)
    project = Project(county=county, region=region, created_by=user, status=ProjectStatus.DECLARED)
    _fill(project, data)
    project.save()
    project.villages.set(villages)
    ProjectEvent.objects.create(project=project, to_status=project.status, user=user, comment="申报")
    return project


def _locked_project(user, project_id: int) -> Project:
    """The project, locked; one outside the user's scope is absent (Project.DoesNotExist, a 404)."""
    return Project.objects.visible_to(user).select_for_update().get(pk=project_id)


@transaction.atomic
def update_project(*, user, project_id: int, data: dict, village_codes: list[str]) -> Project:
    """Correct a project before it enters the library; after 入库 its content is fixed."""
    project = _locked_project(user, project_id)
    require(user, Action.DECLARE_PROJECT)
    if project.status not in EDITABLE_STATUSES:
        raise ValidationError({"__all__": ["项目已入库，内容不能再修改。"]})
    county, region, villages = _project_place(user, project.county_id, village_codes)
    project.county, project.region = county, region
    _fill(project, data)
    project.save()
    project.villages.set(villages)
    return project


def open_objections(project: Project):
    return NoticeObjection.objects.filter(notice__project=project, resolved_at__isnull=True)


def advance_blockers(project: Project, target: str, today: date) -> list[str]:
    """Why a project cannot move to `target` now (empty when it can)."""
    blockers = []
    if open_objections(project).exists():
        blockers.append("公示期间收到的异议尚未处理。")
    if target == ProjectStatus.IN_LIBRARY:
        if not project.performance_target:
            blockers.append("未填写绩效目标的项目不能入库。")
        finished = project.notices.filter(kind=NoticeKind.PUBLICITY, end_date__lt=today)
        if not finished.exists():
            blockers.append("入库前须完成项目公示（公示期满）。")
    return blockers


def next_status(project: Project) -> str | None:
    index = PROJECT_FLOW.index(project.status)
    return PROJECT_FLOW[index + 1] if index + 1 < len(PROJECT_FLOW) else None


def role_refusal(user, target: str) -> str:
    """Why the user's role may not move a project to `target` (the step rule, ADVANCE_ROLES), or "".

    Only declaring roles (Action.DECLARE_PROJECT) move projects at all; each step narrows that.
    """
    if not allows(user, Action.DECLARE_PROJECT) or user.role not in ADVANCE_ROLES[target]:
        return f"您的角色不能办理“{ProjectStatus(target).label}”。"
    return ""


def advance_refusals(user, project: Project, today: date) -> list[str]:
    """Why `user` cannot move `project` one step now (empty when they can).

    The role and the 申报人 rule come alone; otherwise the project's own blockers. The detail
    page shows this list next to the button, and advance_project raises it.
    """
    target = next_status(project)
    if target is None:
        return ["项目已完成。"]
    if refusal := role_refusal(user, target):
        return [refusal]
    if project.created_by_id == user.pk and target in (ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.COUNTY_APPRAISED):
        return ["申报人不能审核自己申报的项目。"]
    return advance_blockers(project, target, today)


@transaction.atomic
def advance_project(*, user, project_id: int, comment: str = "", today: date | None = None) -> Project:
    """Move a project one step (乡审核, 县论证, 入库, 批复, 实施, 验收, 完成), recording who and when.

    Entering 实施 gives every beneficiary household its 帮扶措施, linked to the project.
    """
    project = _locked_project(user, project_id)
    target = next_status(project)
    if target is not None and (refusal := role_refusal(user, target)):
        raise PermissionDenied(refusal)  # a role refusal is a 403, the project's own blockers a 400
    refusals = advance_refusals(user, project, _today(today))
    if refusals:
        raise ValidationError({"status": refusals})
    target = next_status(project)
    ProjectEvent.objects.create(
        project=project, from_status=project.status, to_status=target, user=user, comment=comment.strip()[:500]
    )
    project.status = target
    project.save(update_fields=["status"])
    if target == ProjectStatus.IMPLEMENTING:
        for beneficiary in project.beneficiaries.select_related("household"):
            _measure_for(user, project, beneficiary)
    return project


def _measure_for(user, project: Project, beneficiary: Beneficiary) -> AidMeasure:
    existing = AidMeasure.objects.filter(project=project, household=beneficiary.household).first()
    if existing is not None:
        return existing
    return add_aid_measure(
        user=user,
        household_id=beneficiary.household_id,
        category=MEASURE_CATEGORY[project.category],
        year=project.year,
        description=f"项目：{project.name}"[:500],
        amount=beneficiary.planned_amount,
        project=project,
    )


def beneficiaries_can_be_added(project: Project) -> bool:
    """Households may join (or change their amount) until the project is accepted (验收)."""
    return project.status not in (ProjectStatus.ACCEPTED, ProjectStatus.COMPLETED)


def beneficiaries_can_be_removed(project: Project) -> bool:
    """Once implemented, each beneficiary holds an aid measure: nobody leaves any more."""
    return PROJECT_FLOW.index(project.status) < PROJECT_FLOW.index(ProjectStatus.IMPLEMENTING)


@transaction.atomic
def set_beneficiary(*, user, project_id: int, household_id: int, planned_amount) -> Beneficiary:
    """Add a household to a project (or change its planned amount) before the project is accepted."""
    project = _locked_project(user, project_id)
    require(user, Action.DECLARE_PROJECT)
    if not beneficiaries_can_be_added(project):
        raise ValidationError({"household": ["项目已验收，受益户不能再调整。"]})
    amount = parse_money(planned_amount, field="planned_amount")
    households = Household.objects.visible_to(user).filter(pk=household_id)
    villages = list(project.villages.values_list("code", flat=True))
    household = (
        households.filter(village_id__in=villages)
        if villages
        else households.within_prefix(code_prefix(project.county_id, RegionLevel.COUNTY))
    ).first()
    if household is None:
        raise ValidationError({"household": ["受益户须是本项目实施村内、您管辖范围内的建档立卡户。"]})
    beneficiary, created = Beneficiary.objects.get_or_create(
        project=project, household=household, defaults={"planned_amount": amount}
    )
    if not created:
        if (
            project.status != ProjectStatus.DECLARED
            and beneficiary.planned_amount != amount
            and AidMeasure.objects.filter(project=project, household=household).exists()
        ):
            raise ValidationError({"planned_amount": ["项目已实施，受益金额已形成帮扶措施，不能修改。"]})
        beneficiary.planned_amount = amount
        beneficiary.save(update_fields=["planned_amount"])
    if PROJECT_FLOW.index(project.status) >= PROJECT_FLOW.index(ProjectStatus.IMPLEMENTING):
        _measure_for(user, project, beneficiary)
    return beneficiary


@transaction.atomic
def remove_beneficiary(*, user, beneficiary_id: int) -> None:
    beneficiary = Beneficiary.objects.visible_to(user).select_related("project").filter(pk=beneficiary_id).first()
    if beneficiary is None:
        raise ValidationError({"household": ["未找到该受益户。"]})
    project = _locked_project(user, beneficiary.project_id)
    require(user, Action.DECLARE_PROJECT)
    if not beneficiaries_can_be_removed(project):
        raise ValidationError({"household": ["项目已实施，受益户不能移除。"]})
    beneficiary.delete()


# --- notices ---------------------------------------------------------------------------------


def notice_days(region_code: str, year: int) -> int:
    return int(policy_value(ParameterKey.FUND_PROJECT_NOTICE_DAYS, year=year, region_code=region_code))


@transaction.atomic
def post_notice(
    *,
    user,
    region_code: str,
    title: str,
    content: str,
    place: str,
    start_date: date,
    end_date: date | None = None,
    kind: str = NoticeKind.PUBLICITY,
    project_id: int | None = None,
    fund_source_id: int | None = None,
) -> Notice:
    """公告公示 of a project or a fund source, posted in a region the user may see.

    A 公示 lasts at least FUND_PROJECT_NOTICE_DAYS days (10 by default, docs/domain.md §10.5); without an end
    date it lasts exactly that long.
    """
    region = Region.objects.visible_to(user).filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": ["请选择您管辖范围内的公示区划。"]})
    project = Project.objects.visible_to(user).filter(pk=project_id).first() if project_id else None
    fund_sources = Notice.fund_source_model().objects.visible_to(user)
    fund_source = fund_sources.filter(pk=fund_source_id).first() if fund_source_id else None
    if (project is None) == (fund_source is None):
        raise ValidationError({"__all__": ["请选择要公示的项目或资金（只能选一个）。"]})
    require(user, Action.DECLARE_PROJECT)
    subject_county = project.county_id if project else fund_source.county_id
    if not same_county(region.code, subject_county):
        raise ValidationError({"region": ["公示区划须在项目或资金所在县内。"]})
    if start_date is None:
        raise ValidationError({"start_date": ["请填写开始日期。"]})
    # Bounded before the arithmetic below: 9999-12-31 plus the notice days would overflow.
    start_date = parse_date(start_date, field="start_date")
    if end_date is not None:
        end_date = parse_date(end_date, field="end_date")
    days = notice_days(region.code, start_date.year)
    minimum_end = start_date + timedelta(days=days - 1)
    if end_date is None:
        end_date = minimum_end
    elif kind == NoticeKind.PUBLICITY and end_date < minimum_end:
        raise ValidationError({"end_date": [f"公示期不少于{days}天（最早结束于{minimum_end:%Y-%m-%d}）。"]})
    notice = Notice(
        kind=kind,
        project=project,
        fund_source=fund_source,
        region=region,
        title=(title or "").strip(),
        content=(content or "").strip(),
        place=(place or "").strip(),
        start_date=start_date,
        end_date=end_date,
        created_by=user,
    )
    full_clean_or_raise(notice, exclude=["project", "fund_source", "region", "created_by"])
    notice.save()
    return notice


@transaction.atomic
def record_notice_objection(*, user, notice_id: int, content: str, received_on: date) -> NoticeObjection:
    """An objection received while the notice is up; it blocks the project until resolved."""
    notice = Notice.objects.visible_to(user).filter(pk=notice_id).first()
    if notice is None:
        raise ValidationError({"notice": ["未找到该公示。"]})
    require(user, Action.FILE_OBJECTION)
    if not (content or "").strip():
        raise ValidationError({"content": ["请填写异议内容。"]})
    if received_on is None or not notice.start_date <= received_on <= notice.end_date:
        raise ValidationError({"received_on": ["异议须在公示期内收到。"]})
    return NoticeObjection.objects.create(
        notice=notice, content=content.strip(), received_on=received_on, recorded_by=user
    )


@transaction.atomic
def resolve_notice_objection(*, user, objection_id: int, outcome: str) -> NoticeObjection:
    objection = NoticeObjection.objects.visible_to(user).select_for_update().filter(pk=objection_id).first()
    if objection is None:
        raise ValidationError({"objection": ["未找到该异议。"]})
    require(user, Action.DECLARE_PROJECT)  # the declaring side answers objections to its notice
    if objection.resolved_at is not None:
        raise ValidationError({"objection": ["该异议已处理。"]})
    if not (outcome or "").strip():
        raise ValidationError({"outcome": ["请填写处理结果。"]})
    objection.outcome = outcome.strip()
    objection.resolved_by = user
    objection.resolved_at = timezone.now()
    objection.save(update_fields=["outcome", "resolved_by", "resolved_at"])
    return objection
