"""区划浏览: a region of the user's scope with its household counts (households/counts.py).

The page lives in households, not villages, because what it shows are households counted
per region; villages keeps the tree itself.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.scoping import get_visible_or_404
from villages.models import Region, Village

from .counts import child_region_counts, subtree_counts


@login_required
def region_detail(request, code):
    """A region in the user's scope: breadcrumb, counts, children; a village also shows its profile."""
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    breadcrumb = list(Region.objects.visible_to(request.user).filter(code__in=region.ancestor_codes()))
    return render(
        request,
        "households/region_detail.html",
        {
            "region": region,
            "breadcrumb": breadcrumb,
            "summary": subtree_counts(region.prefix),
            "children": child_region_counts(region),
            "village": Village.objects.filter(region=region).first(),
        },
    )
