"""监测统计: the figures of a region of the user's scope and of its child regions (docs/domain.md §12.13)."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone

from core.db_routers import read_from_replica
from core.downloads import private_download
from core.excel import write_workbook
from core.parsing import optional_region_prefix
from core.permissions import Action, require
from core.regions import code_of_prefix, code_prefix
from core.scoping import scope_prefix
from households.codes import MonitoringCategory
from villages.models import Region

from . import statistics
from .codes import EliminationMode, MonitoringStatus, RiskType
from .exports import CHILD_HEADERS, child_row, statistics_sheets, status_row


def chosen_region(user, params) -> Region | None:
    """The region of `?region=` (a code or its prefix), else the user's own; None: the admin's whole tree.

    A region outside the user's scope, or no region of that code, is absent (404); so is a
    malformed one on a page (the API answers 400 for that, through core.parsing).
    """
    prefix = optional_region_prefix(params, "region")
    if prefix is None:
        if scope_prefix(user) is None:
            raise Http404("未找到或无权查看。")
        return user.region
    region = Region.objects.visible_to(user).filter(code=code_of_prefix(prefix)).first()
    if region is None:
        raise Http404("未找到或无权查看。")
    return region


def _region_or_404(request) -> Region | None:
    try:
        return chosen_region(request.user, request.GET)
    except ValidationError as error:
        raise Http404("未找到或无权查看。") from error


def breadcrumbs(user, region: Region | None) -> list[Region]:
    """The ancestors of `region` the user may see (for links up), the region itself last."""
    if region is None:
        return []
    own = scope_prefix(user) or ""
    path = [region]
    while path[0].parent_id and code_prefix(path[0].parent_id).startswith(own):
        path.insert(0, path[0].parent)
    return path


@login_required
@read_from_replica()
def monitoring_dashboard(request):
    """The figures of the chosen region; each child region's row links to the same page for it."""
    region = _region_or_404(request)
    today = timezone.localdate()
    figures = statistics.region_figures(request.user, region, today)
    children = statistics.child_region_figures(request.user, region, today)
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "region": region,
            "path": breadcrumbs(request.user, region),
            "today": today,
            "figures": figures,
            "status_labels": MonitoringStatus.labels,
            "statuses": [(label, figures["by_status"][code]) for code, label in MonitoringStatus.choices],
            "categories": [
                (label, status_row(figures["by_category"][code])) for code, label in MonitoringCategory.choices
            ],
            "risk_types": [(label, status_row(figures["by_risk_type"][code])) for code, label in RiskType.choices],
            "eliminated": [(label, figures["eliminated_this_year"][code]) for code, label in EliminationMode.choices],
            "eliminated_total": sum(figures["eliminated_this_year"].values()),
            "child_headers": CHILD_HEADERS,
            "children": [(child, child_row(child_figures)) for child, child_figures in children],
            # The export page offers the user's own region and its children (fupin/forms.py::ExportForm).
            "roster_region": region.code
            if region is not None and request.user.region_id in (region.code, region.parent_id)
            else "",
            "nav_active": "monitoring_dashboard",
        },
    )


@login_required
@read_from_replica()
def monitoring_dashboard_export(request):
    """The dashboard's figures as an xlsx, at once (a few dozen rows, no personal data)."""
    require(request.user, Action.EXPORT)
    region = _region_or_404(request)
    prefix = code_prefix(region.code, region.level) if region is not None else ""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(handle.name, statistics_sheets(request.user, prefix))
    name = f"防返贫监测统计-{region.code if region else '全部'}-{timezone.localdate():%Y%m%d}.xlsx"
    response: FileResponse = private_download(open(handle.name, "rb"), name)  # noqa: SIM115 - FileResponse closes it
    return response
