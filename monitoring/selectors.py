"""Read paths of monitoring: scoped querysets (core/scoping.py); outside the scope a record is absent."""

from django.core.exceptions import ValidationError
from django.db.models import Count

from core.parsing import optional_region_prefix
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


def status_counts(records) -> dict[str, int]:
    """How many of `records` are in each status (every status, zeros included), and the total."""
    found = dict(records.order_by().values_list("status").annotate(n=Count("id")))
    counts = {status.value: found.get(status.value, 0) for status in MonitoringStatus}
    return {**counts, "total": sum(counts.values())}
