"""统计分析: a region's breakdowns (assessment/breakdowns.py) as tables and charts, drill-down, Excel.

`?region=` picks a region of the user's scope (404 outside, or for a malformed code) and `?year=`
a year (400 with a Chinese message when malformed); without them the user's own region and the
latest year it still had poor households.
"""

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render

from core.downloads import private_download
from core.excel import write_workbook
from core.parsing import optional_region_code, optional_year
from core.permissions import Action, require
from core.scoping import get_visible_or_404
from villages.models import Region

from . import breakdowns


def _region(request) -> Region:
    try:
        code = optional_region_code(request.GET, "region")
    except ValidationError as error:
        raise Http404("未找到或无权查看。") from error
    return get_visible_or_404(
        Region.objects.select_related("parent"), request.user, pk=code or request.user.region_id or ""
    )


def _year(request, region: Region) -> int:
    """The year asked for, or the region's default; a malformed one raises ValidationError (a 400)."""
    year = optional_year(request.GET, "year")
    return year if year is not None else breakdowns.default_year(region)


def breadcrumb(user, region: Region) -> list[Region]:
    """The region's ancestors the user may see, province first (for the links back up)."""
    ancestors = Region.objects.visible_to(user).filter(code__in=region.ancestor_codes())
    return sorted(ancestors, key=lambda ancestor: len(ancestor.prefix))


def _bad_year(request, error: ValidationError):
    return render(
        request,
        "assessment/statistics.html",
        {"year_error": "；".join(error.messages) or "年度格式不正确。", "nav_active": "statistics"},
        status=400,
    )


@login_required
def statistics_page(request):
    """Each breakdown as a table and chart, the trend by year, the child regions to drill into."""
    region = _region(request)
    try:
        year = _year(request, region)
    except ValidationError as error:
        return _bad_year(request, error)
    statistics = breakdowns.region_statistics(request.user, region, year)
    return render(
        request,
        "assessment/statistics.html",
        {
            "region": region,
            "year": year,
            "years": breakdowns.breakdown_years(region),
            "breadcrumb": breadcrumb(request.user, region),
            "statistics": statistics,
            "charts": statistics.charts(),
            "nav_active": "statistics",
        },
    )


@login_required
def statistics_export(request):
    """The breakdowns as an xlsx at once, one sheet each (`?table=` for one of them); aggregates only."""
    require(request.user, Action.EXPORT)
    region = _region(request)
    try:
        year = _year(request, region)
    except ValidationError as error:
        return _bad_year(request, error)
    statistics = breakdowns.region_statistics(request.user, region, year)
    sheets = statistics.sheets()
    table = request.GET.get("table", "")
    if table:
        sheets = [
            sheet
            for breakdown, sheet in zip([*statistics.breakdowns, statistics.trend], sheets, strict=True)
            if breakdown.key == table
        ]
        if not sheets:
            raise Http404("没有这张统计表。")
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(handle.name, sheets)
    name = f"统计分析-{region.name}-{year}年{'-' + sheets[0].title if table else ''}.xlsx"
    response: FileResponse = private_download(open(handle.name, "rb"), name)  # noqa: SIM115 - FileResponse closes it
    return response
