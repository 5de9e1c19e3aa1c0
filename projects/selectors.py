"""Read paths of the project library: scoped querysets, related rows fetched in a fixed number of queries."""

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from core.parsing import optional_region_code, optional_year
from core.policy import supervision_phone
from core.regions import RegionLevel, code_prefix, county_of
from households.models import Household
from villages.models import Region

from .codes import NoticeKind, ProjectCategory, ProjectStatus
from .models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent

LIST_FILTERS = ("year", "status", "category", "county")


def project_list(user, filters: dict | None = None):
    """Projects the user may see, newest year first, filtered by year, status, category and county."""
    filters = filters or {}
    projects = Project.objects.visible_to(user)
    if (year := optional_year(filters, "year")) is not None:
        projects = projects.filter(year=year)
    if (status := filters.get("status")) in ProjectStatus.values:
        projects = projects.filter(status=status)
    if (category := filters.get("category")) in ProjectCategory.values:
        projects = projects.filter(category=category)
    if county := optional_region_code(filters, "county"):
        projects = projects.filter(county_id=county)
    return (
        projects.select_related("county", "region")
        .annotate(beneficiary_count=Count("beneficiaries"))
        .order_by("-year", "-id")
    )


def project_years(user) -> list[int]:
    return list(Project.objects.visible_to(user).values_list("year", flat=True).distinct().order_by("-year"))


def notices_with_objections(user):
    """Notices the user may see, each with its objections (and who recorded and resolved them)."""
    objections = NoticeObjection.objects.visible_to(user).select_related("recorded_by", "resolved_by")
    return (
        Notice.objects.visible_to(user)
        .select_related("region", "project", "fund_source", "created_by")
        .prefetch_related(Prefetch("objections", queryset=objections))
    )


def project_detail_queryset(user):
    """One project with its villages, moves, beneficiaries, notices and objections."""
    return (
        Project.objects.visible_to(user)
        .select_related("county", "region", "created_by")
        .prefetch_related(
            Prefetch("villages", queryset=Region.objects.order_by("code")),
            Prefetch("events", queryset=ProjectEvent.objects.select_related("user")),
            Prefetch(
                "beneficiaries",
                queryset=Beneficiary.objects.visible_to(user).select_related("household__village"),
            ),
            Prefetch("notices", queryset=notices_with_objections(user)),
        )
    )


def beneficiary_list(user, project: Project):
    return Beneficiary.objects.visible_to(user).filter(project=project).select_related("household__village")


def beneficiary_candidates(user, project: Project, limit: int = 1000):
    """Households the user may add to the project: in its villages (or its county), not yet on it."""
    households = Household.objects.visible_to(user)
    villages = [village.code for village in project.villages.all()]
    households = (
        households.filter(village_id__in=villages)
        if villages
        else households.within_prefix(code_prefix(project.county_id, RegionLevel.COUNTY))
    )
    return (
        households.exclude(project_benefits__project=project)
        .select_related("village")
        .order_by("village_id", "head_name", "id")[:limit]
    )


def declarable_villages(user):
    return Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).order_by("code")


def declarable_counties(user):
    return Region.objects.visible_to(user).filter(level=RegionLevel.COUNTY).order_by("code")


def notice_regions(user, project: Project) -> list[Region]:
    """Where a project's notice may be posted: its county, its township(s) and villages, as the user may see."""
    villages = list(project.villages.all())
    codes = {project.county_id, project.region_id} | {village.code for village in villages}
    codes |= {village.parent_id for village in villages if village.parent_id}
    return list(Region.objects.visible_to(user).filter(code__in=codes).order_by("code"))


def notice_initial(project: Project, regions: list[Region], today) -> dict:
    """What a new 公示 of the project starts with: posted where the project sits, saying what
    docs/domain.md §10.5 asks."""
    region = next((region for region in regions if region.code == project.region_id), regions[0] if regions else None)
    lines = [
        f"项目名称：{project.name}",
        f"项目类别：{project.get_category_display()}",
        f"实施单位：{project.implementing_unit}",
        f"预算：{project.budget}元",
    ]
    lines += [
        f"{label}：{value}"
        for label, value in (
            ("建设内容和规模", project.content),
            ("绩效目标", project.performance_target),
            ("带贫减贫机制", project.poverty_link),
        )
        if value
    ]
    lines.append(f"监督举报电话：{supervision_phone(region.code if region else project.region_id, today.year)}")
    return {
        "kind": NoticeKind.PUBLICITY,
        "region": region.code if region else "",
        "title": f"{project.name}项目公示",
        "place": f"{region.name}公示栏" if region else "",
        "content": "\n".join(lines),
        "start_date": today,
    }


# --- the public notice board ------------------------------------------------------------------


def public_village(village_code: str) -> Region | None:
    return Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).select_related("parent").first()


def public_notices(village: Region, today=None) -> dict:
    """公告公示 a village's notice board shows: notices of its projects, of its county's county-wide
    projects (declared without villages) and the fund notices of its county.

    Deliberately unscoped (it is public, docs/domain.md §10.5) and deliberately narrow: rows are read as plain
    values of the published fields only, and a beneficiary is only 户主姓名 and the planned
    amount — no ID number, phone, 户编号, members or bank details ever reach the template.
    """
    today = today or timezone.localdate()
    county_code = county_of(village.code)
    notices = Notice.objects.filter(start_date__lte=today).filter(
        Q(project__villages=village)
        | Q(project__county_id=county_code, project__villages__isnull=True)
        | Q(fund_source__county_id=county_code)
    )
    rows = list(
        notices.distinct()
        .order_by("-start_date", "-id")
        .values(
            "id",
            "kind",
            "title",
            "content",
            "place",
            "start_date",
            "end_date",
            "region__name",
            "project_id",
            "project__name",
            "project__category",
            "project__budget",
            "fund_source__level",
            "fund_source__year",
            "fund_source__document_no",
            "fund_source__purpose",
            "fund_source__amount",
        )[:200]
    )
    project_ids = {row["project_id"] for row in rows if row["project_id"]}
    beneficiaries: dict[int, list[dict]] = {}
    for row in (
        Beneficiary.objects.filter(project_id__in=project_ids, household__village=village)
        .order_by("project_id", "id")
        .values("project_id", "household__head_name", "planned_amount")
    ):
        beneficiaries.setdefault(row["project_id"], []).append(
            {"head_name": row["household__head_name"], "planned_amount": row["planned_amount"]}
        )
    categories, levels, kinds = (
        dict(ProjectCategory.choices),
        dict(Notice.fund_source_model()._meta.get_field("level").choices),
        dict(NoticeKind.choices),
    )
    for row in rows:
        row["kind_label"] = kinds.get(row["kind"], "")
        row["category_label"] = categories.get(row["project__category"], "")
        row["fund_level_label"] = levels.get(row["fund_source__level"], "")
        row["beneficiaries"] = beneficiaries.get(row["project_id"], [])
        row["is_current"] = row["end_date"] >= today
    return {
        "current": [row for row in rows if row["is_current"]],
        "past": [row for row in rows if not row["is_current"]],
    }
