"""Reads of the assessment app: the review queue, applications, incidence and ratings."""

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from core.codes import Role
from core.models import Notification
from core.permissions import Action, allows
from core.regions import CHILD_LEVEL, RegionLevel
from monitoring.deadlines import decision_limits, monitoring_deadline
from villages.models import Region

from .checks import exit_rate_limits
from .codes import ApplicationKind, ApplicationStatus, RatingPeriod
from .models import Application, ApplicationStep, CountyRating, IncidenceRate, Objection, ReductionPlan, SampleSurvey


def _with_target(queryset):
    """What a page of one application shows beside it: its targets, region and submitter, whole.

    Joined: the targets, the region and the submitter. Read apart: the region's township (an eighth
    joined table cost more planning than the one query) and the withdrawer (rarely set). Lists
    read less of the joined rows (`_listed`).
    """
    return (
        queryset.select_related("household", "region", "submitted_by", "monitoring_object__household")
        # No page of applications shows a phone: not deciphered.
        .defer("household__phone", "monitoring_object__household__phone")
        .prefetch_related("withdrawn_by", "region__parent")
        .annotate(open_objections=_open_objections())
    )


# What a list of applications shows of its joined rows (审核待办's sections, the API's lists): the
# target's name and number, the region, the submitter's name, what a 监测识别's deadline counts
# from. Not each household's other 40 columns nor the submitter's password hash: Django compiles
# every selected column on every request, and compiling SQL was a quarter of the workers' time
# under the load test. A page of one application reads it whole (application_detail_queryset).
LISTED_RELATED_COLUMNS = (
    "household__head_name",
    "household__household_no",
    "region__name",
    "region__level",
    "region__parent",
    "submitted_by__username",
    "monitoring_object__discovered_on",
    "monitoring_object__identified_on",
    "monitoring_object__status",
    "monitoring_object__closed_on",
)


def _listed(queryset):
    """`queryset` with what a list shows: the application's own columns and LISTED_RELATED_COLUMNS."""
    own = (field.name for field in Application._meta.concrete_fields)
    return (
        queryset.select_related("household", "region", "submitted_by", "monitoring_object")
        .only(*own, *LISTED_RELATED_COLUMNS)
        .prefetch_related("withdrawn_by", "region__parent")
        .annotate(open_objections=_open_objections())
    )


def _steps_with_actors():
    """Steps in order, each with who acted on it as the timeline names them (姓名, else the username):
    the actors joined, not a query per step, and not their password hashes."""
    own = (field.name for field in ApplicationStep._meta.concrete_fields)
    actor = ("acted_by__username", "acted_by__first_name", "acted_by__last_name")
    return ApplicationStep.objects.select_related("acted_by").only(*own, *actor).order_by("round", "index")


def with_steps(applications):
    """`applications` with each one's steps and their actors (the API lists the timeline), one query a page."""
    return applications.prefetch_related(Prefetch("steps", queryset=_steps_with_actors()))


def _open_objections():
    """The count of an application's open 异议, a subquery per row.

    As a joined count it grouped every row by seven tables' columns, and PostgreSQL took 11–17 ms
    to plan each list for 1 ms of work (a page showed three lists).
    """
    open_objections = (
        Objection.objects.filter(application=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(open_objections), 0)


def review_queue(user, today):
    """What waits for the user, in scope, oldest first: the steps of their role, and their own
    applications sent back for correction (退回修改) to resubmit.

    Their own submissions in review are left out (the submitter never approves).
    """
    return _listed(waiting_for(user, today)).order_by("awaiting_since", "id")


REVIEWING_ROLES = (Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_STAFF)


def _to_review(user) -> Q:
    return Q(status=ApplicationStatus.IN_REVIEW, awaiting_role=user.role) & ~Q(submitted_by=user)


def _returned(user) -> Q:
    return Q(status=ApplicationStatus.RETURNED, submitted_by=user)


def waiting_for(user, today):
    """The rows of the review queue, without their targets: its count is the navigation's badge."""
    if user.role not in REVIEWING_ROLES:
        return Application.objects.none()
    waiting = Application.objects.visible_to(user).filter(_to_review(user) | _returned(user))
    return waiting.filter(awaiting_since__lte=today)


# 公示 ending within this many days count as a to-do of the next step's reviewers.
PUBLICITY_ENDING_DAYS = 2


def todo_counts(user, today) -> dict[str, int]:
    """我的待办, in the user's scope: applications waiting for my step, 公示 ending within
    PUBLICITY_ENDING_DAYS before my step, open 异议 I may answer, applications sent back to me, and my
    import and export jobs whose notice I have not read. Three counting queries."""
    counts = {"waiting": 0, "publicity_ending": 0, "objections": 0, "returned": 0}
    if user.role in REVIEWING_ROLES:
        # A 公示 ending on day D makes its next step actionable on D + 1 (awaiting_since).
        ending = Q(awaiting_since__gt=today, awaiting_since__lte=today + timedelta(days=PUBLICITY_ENDING_DAYS + 1))
        counts.update(
            Application.objects.visible_to(user).aggregate(
                waiting=Count("id", filter=_to_review(user) & Q(awaiting_since__lte=today)),
                publicity_ending=Count("id", filter=_to_review(user) & ending),
                returned=Count("id", filter=_returned(user)),
            )
        )
        counts["objections"] = answerable_objections(user).count()
    counts["jobs"] = (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .filter(kind__in=[Notification.Kind.JOB_DONE, Notification.Kind.JOB_FAILED])
        .count()
    )
    return counts


def answerable_objections(user):
    """Open 异议 of the running round that wait on the user's step, as the engine lets them be resolved
    (assessment/services.py::_require_resolvable): not on their own application, nor a clerk's own record."""
    if not allows(user, Action.RESOLVE_OBJECTION):
        return Objection.objects.none()
    objections = (
        Objection.objects.visible_to(user)
        .filter(resolved_at__isnull=True, step__round=F("application__round"))
        .filter(application__status=ApplicationStatus.IN_REVIEW, application__awaiting_role=user.role)
        .exclude(application__submitted_by=user)
    )
    return objections.exclude(filed_by=user) if user.role == Role.TOWNSHIP_CLERK else objections


def in_publicity(user, today):
    """Applications of the user's scope whose 公示 is still running."""
    running = Application.objects.visible_to(user).filter(status=ApplicationStatus.IN_REVIEW, awaiting_since__gt=today)
    return _listed(running).order_by("awaiting_since", "id")


def application_list(user, *, status: str = "", kind: str = ""):
    applications = Application.objects.visible_to(user)
    if status:
        applications = applications.filter(status=status)
    if kind:
        applications = applications.filter(kind=kind)
    return _listed(applications).order_by("-id")


def recent_applications(user):
    """The queue's 最近的申请: newest first, with only what that short list shows (the target, the status)."""
    return (
        Application.objects.visible_to(user)
        .select_related("household", "region")
        .only(
            "kind",
            "year",
            "status",
            "check_passed",
            "household",
            "region",
            "household__head_name",
            "household__household_no",
            "region__name",
        )
        .order_by("-id")
    )


def application_detail_queryset(user):
    return _with_target(Application.objects.visible_to(user)).prefetch_related(
        Prefetch("steps", queryset=_steps_with_actors()),
        Prefetch("objections", queryset=Objection.objects.select_related("filed_by", "resolved_by", "step")),
    )


def with_deadlines(applications, today) -> list:
    """The applications, each 监测识别 with `deadline` (monitoring/deadlines.py: days since discovery, 超期)."""
    applications = list(applications)
    identifications = [
        application
        for application in applications
        if application.kind == ApplicationKind.MONITORING_IDENTIFICATION and application.monitoring_object is not None
    ]
    regions_by_year: dict[int, set[str]] = {}
    for application in identifications:
        regions_by_year.setdefault(application.monitoring_object.discovered_on.year, set()).add(application.region_id)
    limits = decision_limits(regions_by_year)
    for application in identifications:
        record = application.monitoring_object
        limit = limits[application.region_id, record.discovered_on.year]
        application.deadline = monitoring_deadline(record, today, limit_days=limit)
    return applications


def incidence_years() -> list[int]:
    return list(IncidenceRate.objects.values_list("year", flat=True).distinct().order_by("-year"))


def incidence_table(user, region: Region, year: int, sort: str = "code") -> list[dict]:
    """The child regions' rates for `year`, each marked against its exit threshold."""
    child_level = CHILD_LEVEL.get(region.level)
    if child_level is None:
        return []
    rows = (
        IncidenceRate.objects.visible_to(user)
        .within_prefix(region.prefix)
        .filter(year=year, region__level=child_level)
        .select_related("region")
    )
    order = {
        "code": ["region_id"],
        "rate": ["rate", "region_id"],
        "-rate": ["-rate", "region_id"],
        "poor": ["-poor_population", "region_id"],
    }
    county_level = child_level in (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE)
    rows = list(rows.order_by(*order.get(sort, order["code"])))
    limits = exit_rate_limits([row.region_id for row in rows], county_level=county_level, year=year)
    return [{"row": row, "limit": limits[row.region_id], "below": row.is_below(limits[row.region_id])} for row in rows]


def county_rates(user, region: Region, year: int):
    """Every county under `region` for the bar chart."""
    return (
        IncidenceRate.objects.visible_to(user)
        .within_prefix(region.prefix)
        .filter(year=year, region__level=RegionLevel.COUNTY)
        .select_related("region")
        .order_by("region_id")
    )


def incidence_trend(user, region: Region):
    return IncidenceRate.objects.visible_to(user).filter(region=region).order_by("year")


def ratings_table(user, region: Region, year: int):
    return (
        CountyRating.objects.visible_to(user)
        .within_prefix(region.prefix)
        .filter(year=year)
        .select_related("county")
        .order_by("county_id", "period")
    )


def ratings_by_county(user, region: Region, year: int) -> list[dict]:
    """One row per county: its four quarters and the year."""
    by_county: dict[str, dict] = {}
    for rating in ratings_table(user, region, year):
        entry = by_county.setdefault(rating.county_id, {"county": rating.county, "periods": {}})
        entry["periods"][rating.period] = rating
    for entry in by_county.values():
        entry["year"] = entry["periods"].get(RatingPeriod.YEAR)
    return list(by_county.values())


def county_samples(user, county: Region):
    return (
        SampleSurvey.objects.visible_to(user)
        .filter(county=county)
        .select_related("entered_by")
        .order_by("-year", "-quarter")
    )


def county_plans(user, county: Region):
    return ReductionPlan.objects.visible_to(user).filter(county=county).order_by("-year")
