"""The figures of 防返贫监测 for a region and for each of its child regions (docs/domain.md §12.13).

Each figure family is a function returning named aggregates. The counting families run together
in one query grouped by status and category (a dozen rows), whose rows are then added up; the
median, which does not add up, is a second query over this year's identified records only. The
child regions' figures are the same two queries grouped by the child's code prefix too. Nothing
is counted record by record in Python: a province holds about 100,000 records.
"""

from datetime import date

from django.db.models import Aggregate, Case, Count, F, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.functions import ExtractYear, Left
from django.db.models.lookups import GreaterThan

from core.codes import ParameterKey
from core.models import PolicyParameter
from core.regions import CHILD_LEVEL, LEVEL_DIGITS, RegionLevel, code_prefix
from households.codes import MonitoringCategory
from villages.models import Region

from .codes import OPEN_STATUSES, EliminationMode, MonitoringStatus, RiskType
from .deadlines import decision_limit_days
from .models import MonitoringObject

VILLAGE_CODE = MonitoringObject.scope_code_field  # the village code, the column scoping reads
# The codes once: an enum's `.values` builds its list again on every read, and a county's figures
# read them for each of its townships.
STATUSES = tuple(MonitoringStatus.values)
CATEGORIES = tuple(MonitoringCategory.values)
RISK_TYPES = tuple(RiskType.values)
ELIMINATION_MODES = tuple(EliminationMode.values)


class DaysBetween(Func):
    """`later - earlier` of two dates: whole days (PostgreSQL's date - date is an integer)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()


class Median(Aggregate):
    """percentile_cont(0.5): the median, interpolated between the two middle values of an even count."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _count(condition: Q) -> Count:
    return Count("id", filter=condition)


# --- the figure families: name → aggregate -------------------------------------------------------


def risk_type_aggregates() -> dict:
    """Records by risk type (within a status group): a record counts once under each risk type it has."""
    return {f"risk_{risk}": _count(Q(risk_types__contains=[risk])) for risk in RiskType.values}


def month_aggregates(today: date) -> dict:
    """Found this month (discovered_on) and identified this month (identified_on, i.e. 纳入监测)."""
    first = today.replace(day=1)
    return {
        "new_this_month": _count(Q(discovered_on__gte=first, discovered_on__lte=today)),
        "identified_this_month": _count(Q(identified_on__gte=first, identified_on__lte=today)),
    }


def elimination_aggregates(today: date) -> dict:
    """风险消除 this year (eliminated_on in the calendar year of `today`), by mode."""
    this_year = Q(status=MonitoringStatus.ELIMINATED, eliminated_on__year=today.year, eliminated_on__lte=today)
    return {f"eliminated_{mode}": _count(this_year & Q(elimination_mode=mode)) for mode in EliminationMode.values}


def identification_aggregates(today: date) -> dict:
    """Identified (纳入监测) this year; the median days found → identified is `median_aggregates`."""
    return {"identified_this_year": _count(identified_this_year(today))}


def identified_this_year(today: date) -> Q:
    return Q(identified_on__year=today.year, identified_on__lte=today)


def median_aggregates() -> dict:
    """The median of identified_on − discovered_on in days (over the records it is run on)."""
    return {"median_days_to_identify": Median(DaysBetween(F("identified_on"), F("discovered_on")))}


def overdue_aggregates(today: date, limit) -> dict:
    """识别中 records found more than the decision limit (in days, an expression per record) ago."""
    age = DaysBetween(Value(today), F("discovered_on"))
    return {"overdue": _count(Q(status=MonitoringStatus.IDENTIFYING) & Q(GreaterThan(age, limit)))}


# --- the decision limit, per record region ---------------------------------------------------------


def decision_limit(records, region: Region | None):
    """The decision limit in days of each 识别中 record, as an SQL expression.

    monitoring/deadlines.py is the one rule: the MONITORING_DECISION_MAX_DAYS of the record's
    village and discovery year, the deepest region's row winning (core/policy.py). Rows may differ
    by region and year, so the expression is the region's own limit per discovery year, overridden
    under each deeper region that has a row of its own, the deepest first: a handful of branches,
    one parameter lookup each, whatever the number of records.
    """
    years = sorted(
        records.filter(status=MonitoringStatus.IDENTIFYING)
        .values_list(ExtractYear("discovered_on"), flat=True)
        .distinct()
    )
    if not years:
        return Value(0)
    rows = PolicyParameter.objects.filter(key=ParameterKey.MONITORING_DECISION_MAX_DAYS, region__isnull=False)
    rows = rows.filter(Q(year__in=years) | Q(year__isnull=True))
    own = code_prefix(region.code, region.level) if region is not None else ""
    deeper = set(rows.filter(region__code__startswith=own).values_list("region_id", flat=True))
    if region is not None:
        deeper.discard(region.code)
    deepest_first = sorted(deeper, key=lambda code: -len(code_prefix(code)))
    own_code = region.code if region is not None else ""
    whens = []
    for year in years:
        found = Q(discovered_on__year=year)
        for code in deepest_first:
            inside = Q(**{f"{VILLAGE_CODE}__startswith": code_prefix(code)})
            whens.append(When(found & inside, then=Value(decision_limit_days(code, year))))
        whens.append(When(found, then=Value(decision_limit_days(own_code, year))))
    return Case(*whens, output_field=IntegerField())


# --- running them ----------------------------------------------------------------------------------


def _count_aggregates(today: date, limit) -> dict:
    return {
        "records": Count("id"),
        **risk_type_aggregates(),
        **month_aggregates(today),
        **elimination_aggregates(today),
        **identification_aggregates(today),
        **overdue_aggregates(today, limit),
    }


def _empty() -> dict:
    return {
        "total": 0,
        "by_status": dict.fromkeys(STATUSES, 0),
        "open": 0,
        "by_category": {category: dict.fromkeys(STATUSES, 0) for category in CATEGORIES},
        "by_risk_type": {risk: dict.fromkeys(STATUSES, 0) for risk in RISK_TYPES},
        "new_this_month": 0,
        "identified_this_month": 0,
        "eliminated_this_year": dict.fromkeys(ELIMINATION_MODES, 0),
        "identified_this_year": 0,
        "median_days_to_identify": None,
        "overdue": 0,
    }


def _add(figures: dict, row: dict) -> None:
    """Add one (status, category) group's counts to the figures."""
    status, category, count = row["status"], row["category"], row["records"]
    figures["total"] += count
    figures["by_status"][status] += count
    if status in OPEN_STATUSES:
        figures["open"] += count
    if category in figures["by_category"]:
        figures["by_category"][category][status] += count
    for risk in RISK_TYPES:
        figures["by_risk_type"][risk][status] += row[f"risk_{risk}"]
    for mode in ELIMINATION_MODES:
        figures["eliminated_this_year"][mode] += row[f"eliminated_{mode}"]
    for key in ("new_this_month", "identified_this_month", "identified_this_year", "overdue"):
        figures[key] += row[key]


def _median(value) -> float | None:
    return round(value, 1) if value is not None else None


def scoped_records(user, region: Region | None):
    """The user's records under `region` (None: the user's whole scope)."""
    records = MonitoringObject.objects.visible_to(user)
    if region is not None:
        records = records.within_prefix(code_prefix(region.code, region.level))
    return records.order_by()


def region_figures(user, region: Region | None, today: date) -> dict:
    """Every figure of the region (in the user's scope): two queries; `region` must be visible to the user."""
    records = scoped_records(user, region)
    figures = _empty()
    groups = records.values("status", "category").annotate(**_count_aggregates(today, decision_limit(records, region)))
    for row in groups:
        _add(figures, row)
    median = records.filter(identified_this_year(today)).aggregate(**median_aggregates())
    figures["median_days_to_identify"] = _median(median["median_days_to_identify"])
    return {**figures, "decision_limit_days": decision_limit_days(region.code if region else "", today.year)}


def child_regions(user, region: Region | None):
    """The regions one level down (the provinces for the whole tree), visible to the user, by code."""
    children = Region.objects.visible_to(user)
    children = children.filter(parent=region) if region is not None else children.filter(parent__isnull=True)
    return children.order_by("code")


def child_region_figures(user, region: Region | None, today: date) -> list[tuple[Region, dict]]:
    """The same figures for each child region, grouped by the child's code prefix (a child without records: zeros)."""
    if region is not None and region.level == RegionLevel.VILLAGE:
        return []
    digits = LEVEL_DIGITS[CHILD_LEVEL[region.level]] if region is not None else LEVEL_DIGITS[RegionLevel.PROVINCE]
    records = scoped_records(user, region).annotate(child=Left(VILLAGE_CODE, digits))
    children = list(child_regions(user, region))
    by_prefix = {child.code[:digits]: _empty() for child in children}
    groups = records.values("child", "status", "category").annotate(
        **_count_aggregates(today, decision_limit(records, region))
    )
    for row in groups:
        if row["child"] in by_prefix:
            _add(by_prefix[row["child"]], row)
    medians = records.filter(identified_this_year(today)).values("child").annotate(**median_aggregates())
    for row in medians:
        if row["child"] in by_prefix:
            by_prefix[row["child"]]["median_days_to_identify"] = _median(row["median_days_to_identify"])
    return [(child, by_prefix[child.code[:digits]]) for child in children]
