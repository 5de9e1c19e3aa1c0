"""Pages of monitoring: the records of the user's scope with their counts, and one record."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render

from core.scoping import get_visible_or_404
from core.sorting import sort_headers
from core.totals import is_small_scope
from households.codes import MonitoringCategory

from . import selectors
from .codes import OPEN_STATUSES, MonitoringStatus, RiskType
from .record_views import record_context
from .selectors import LIST_FILTERS

PAGE_SIZE = 200  # the newest records first; a township holds a few dozen to a few hundred


def monitoring_columns(region_columns: bool) -> list[tuple[str, str | None]]:
    """The list's columns (label, sort key); 所属县 and 所属乡镇 for users above a township."""
    regions = [("所属县", None), ("所属乡镇", None)] if region_columns else []
    return [
        ("户编号", "household_no"),
        ("户主", "head_name"),
        *regions,
        ("所在村", "village"),
        ("类别", "category"),
        ("风险类型", None),
        ("状态", "status"),
        ("发现方式", None),
        ("发现日期", "discovered_on"),
    ]


@login_required
def monitoring_list(request):
    """监测对象 of the user's scope (a township clerk: the township's), by status and category, with counts."""
    selected = {name: request.GET.get(name, "") for name in LIST_FILTERS}
    try:
        records = selectors.monitoring_list(request.user, selected)
    except ValidationError:  # a hand-edited address: the whole list
        selected = dict.fromkeys(LIST_FILTERS, "")
        records = selectors.monitoring_list(request.user)
    sort = selectors.list_sort(request.GET.get("sort"))
    region_columns = not is_small_scope(request.user)
    scope = selectors.monitoring_list(request.user)
    counts = selectors.status_counts(scope)
    by_category = dict(
        scope.filter(status__in=OPEN_STATUSES).order_by().values_list("category").annotate(n=Count("id"))
    )
    return render(
        request,
        "monitoring/list.html",
        {
            "records": selectors.sorted_records(records, sort).select_related("household__village__parent__parent")[
                :PAGE_SIZE
            ],
            "listed": selectors.monitoring_total(request.user, records),
            "page_size": PAGE_SIZE,
            "region_columns": region_columns,
            "headers": sort_headers(request.GET, monitoring_columns(region_columns), sort),
            "counts": [(MonitoringStatus(code).label, counts[code]) for code in MonitoringStatus.values],
            "total": counts["total"],
            "open_by_category": [(label, by_category.get(code, 0)) for code, label in MonitoringCategory.choices],
            "filters": [
                ("status", "状态", MonitoringStatus.choices, selected["status"]),
                ("category", "监测对象类别", MonitoringCategory.choices, selected["category"]),
                ("risk_type", "风险类型", RiskType.choices, selected["risk_type"]),
            ],
            "nav_active": "monitoring",
        },
    )


@login_required
def monitoring_detail(request, pk):
    record = get_visible_or_404(selectors.monitoring_list(request.user), request.user, pk=pk)
    return render(request, "monitoring/detail.html", record_context(request.user, record))
