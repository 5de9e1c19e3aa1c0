from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fupin.scoping import scope_prefix
from villages.selectors import child_region_counts, scope_summary


@login_required
def home(request):
    """The role-aware home page: counts for the user's scope and its child regions."""
    region = request.user.region
    return render(
        request,
        "fupin/home.html",
        {
            "region": region,
            "summary": scope_summary(request.user),
            "children": child_region_counts(region) if region or scope_prefix(request.user) == "" else [],
        },
    )
