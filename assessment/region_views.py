"""区划浏览: a region of the user's scope with its figures (assessment/figures.py).

The page lives in assessment because its poor households and people are the IncidenceRate
figures, the same ones the home page and the dashboard show; villages keeps the tree itself.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from assistance.teams import village_team_summary
from core.db_routers import read_from_replica
from core.scoping import get_visible_or_404
from households.poverty import current_year
from villages.models import Region, Village

from .breakdowns import region_page_charts
from .figures import child_region_figures, region_figures


@login_required
@read_from_replica()
def region_detail(request, code):
    """A region in the user's scope: breadcrumb, figures, children; a village also shows its profile."""
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    breadcrumb = list(Region.objects.visible_to(request.user).filter(code__in=region.ancestor_codes()))
    year = current_year()
    children = child_region_figures(region, year)
    return render(
        request,
        "assessment/region_detail.html",
        {
            "region": region,
            "breadcrumb": breadcrumb,
            "summary": region_figures(region, year),
            "children": children,
            "charts": region_page_charts(request.user, region, children),
            "village": Village.objects.filter(region=region).first(),
            "village_team": village_team_summary(request.user, region.code) if region.level == "village" else None,
        },
    )
