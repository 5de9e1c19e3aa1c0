"""/public/: a village's online 公示栏, for anyone, without login (docs/domain.md §5.10, §10.5).

It shows the households' 公示 running today (assessment/publicity.py) beside the projects' and
funds' notices (projects.selectors.public_notices). The page lives here, above both, because
projects sits below assessment in the floors and cannot read the applications.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.policy import supervision_phone
from projects import selectors as project_selectors

from .publicity import public_household_notices


def public_notices(request, village_code):
    """The village's notice board: nothing personal beyond names, the village and a beneficiary's amount."""
    village = project_selectors.public_village(village_code)
    if village is None:
        raise Http404("未找到该行政村。")
    today = timezone.localdate()
    return render(
        request,
        "projects/public_notices.html",
        {
            "village": village,
            "supervision_phone": supervision_phone(village.code, today.year),
            "household_notices": public_household_notices(village, today),
            **project_selectors.public_notices(village, today),
        },
    )
