"""Read paths of monitoring: scoped querysets (core/scoping.py); outside the scope a record is absent."""

from django.core.exceptions import ValidationError
from django.db.models import Count

from core.parsing import optional_region_prefix
from core.totals import Total, is_small_scope, list_total
from households.codes import MonitoringCategory

from .codes import MonitoringStatus, RiskType
from .models import MonitoringObject

# The list's filters and the codes each accepts.
LIST_FILTERS = {"status": MonitoringStatus, "category": MonitoringCategory, "risk_type": RiskType}


def monitoring_list(user, filters=None):
    """The monitoring records the user may see, filtered by status, category, risk type and region prefix."""
    filters = filters or {}
    records = MonitoringObject.objects.visible_to(user)
    if prefix := optional_region_prefix(filters, "region"):
        records = records.within_prefix(prefix)
    for name, codes in LIST_FILTERS.items():
        if (value := filters.get(name)) and value not in codes.values:
            raise ValidationError({name: ["不是有效的选项。"]})
    for field in ("status", "category"):
        if value := filters.get(field):
            records = records.filter(**{field: value})
    if risk_type := filters.get("risk_type"):
        records = records.filter(risk_types__contains=[risk_type])
    return records.select_related("household")


# The columns the list sorts by (its header links); id last keeps the order stable.
SORTS = {
    "household_no": "household__household_no",
    "head_name": "household__head_name",
    "village": "household__village_id",
    "category": "category",
    "status": "status",
    "discovered_on": "discovered_on",
}
DEFAULT_SORT = "-discovered_on"  # the newest records first, as the model orders them


def list_sort(value: str | None) -> str:
    """The sort a URL asks for ("status", "-status"), or the default for anything unknown."""
    value = value or ""
    return value if value.removeprefix("-") in SORTS else DEFAULT_SORT


def sorted_records(records, sort: str):
    """`records` in the order of `sort` (see list_sort), id breaking ties."""
    sort = list_sort(sort)
    field, sign = SORTS[sort.removeprefix("-")], "-" if sort.startswith("-") else ""
    return records.order_by(f"{sign}{field}", f"{sign}id")


def monitoring_total(user, records) -> Total:
    """共 N 户次 of the filtered list, by the lists' one counting rule (core/totals.py)."""
    return list_total(records, exact=is_small_scope(user))


def status_counts(records) -> dict[str, int]:
    """How many of `records` are in each status (every status, zeros included), and the total."""
    found = dict(records.order_by().values_list("status").annotate(n=Count("id")))
    counts = {status.value: found.get(status.value, 0) for status in MonitoringStatus}
    return {**counts, "total": sum(counts.values())}
