"""Print-ready A4 pages of the procedures: a village's 公示 list and an application's 审批表.

Both are ordinary scoped pages (out of scope is a 404) whose layout is for paper: the 打印 button
and the print styles are static/js/fupin.js and static/css/print.css.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core.policy import supervision_phone
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from villages.models import Region

from . import selectors
from .publicity import village_publicity_sheets


@login_required
def publicity_list(request, code):
    """The village's 公示 lists to post: title, period, names and the allowed columns, 监督电话, seal."""
    village = get_visible_or_404(
        Region.objects.filter(level=RegionLevel.VILLAGE).select_related("parent"), request.user, code=code
    )
    today = timezone.localdate()
    return render(
        request,
        "assessment/print_publicity.html",
        {
            "village": village,
            "sheets": village_publicity_sheets(request.user, village, today),
            "supervision_phone": supervision_phone(village.code, today.year),
            "today": today,
            "nav_active": "queue",
        },
    )


@login_required
def application_sheet(request, pk):
    """审批表: the application, its check and every step of every round with who, when and the opinion."""
    application = get_visible_or_404(selectors.application_detail_queryset(request.user), request.user, pk=pk)
    objections = list(application.objections.all())
    steps = [
        {"step": step, "objections": [item for item in objections if item.step_id == step.pk]}
        for step in application.steps.all()
    ]
    return render(
        request,
        "assessment/print_application.html",
        {"application": application, "steps": steps, "today": timezone.localdate(), "nav_active": "queue"},
    )
