"""扶贫手册 (户档案): the household's record as one print-ready A4 document.

The sections of the household page in the order of the national form, members and phone always
masked (a printed sheet leaves the system: the full numbers stay behind the audited 显示完整证件号码),
and the household's 帮扶日志 drawn by assistance's template tag (assistance sits above households).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core.scoping import get_visible_or_404

from . import selectors


@login_required
def household_handbook(request, pk):
    household = get_visible_or_404(selectors.household_detail_queryset(request.user), request.user, pk=pk)
    conditions = selectors.living_conditions(household)
    return render(
        request,
        "households/handbook.html",
        {
            "household": household,
            "members": household.active_members,
            "incomes": selectors.income_rows(household),
            # Two conditions a row: the block fits half a page.
            "living_conditions": [conditions[index : index + 2] for index in range(0, len(conditions), 2)],
            "today": timezone.localdate(),
            "nav_active": "households",
        },
    )
