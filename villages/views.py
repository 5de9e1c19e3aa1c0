from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.scoping import get_visible_or_404

from .models import Region, Village
from .selectors import child_region_counts, subtree_counts


@login_required
def region_detail(request, code):
    """A region in the user's scope: breadcrumb, counts, children; a village also shows its profile."""
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    breadcrumb = list(Region.objects.visible_to(request.user).filter(code__in=region.ancestor_codes()))
    return render(
        request,
        "villages/region_detail.html",
        {
            "region": region,
            "breadcrumb": breadcrumb,
            "summary": subtree_counts(region.prefix),
            "children": child_region_counts(region),
            "village": Village.objects.filter(region=region).first(),
        },
    )
