"""`{% visit_card household %}`: the 帮扶日志 card of the household page (docs/domain.md §9.6).

households sits below assistance, so its view cannot ask for the last visit; its template loads
this library by name instead, and the card is rendered with the page, in one request.
"""

from django import template

from core.permissions import Action, allows

from .. import visits
from ..models import Visit

register = template.Library()


@register.inclusion_tag("assistance/visit_card.html", takes_context=True)
def visit_card(context, household):
    """The household's last visit (date, helper, findings), its count, and 记录走访 for who may."""
    user = getattr(context.get("request"), "user", None)
    last = visits.last_visit(household.pk)
    standing = visits.visit_standing(household)  # the rule of the 未按期走访 list, asked of this household
    return {
        "household": household,
        "last": last,
        "count": Visit.objects.filter(household_id=household.pk).count() if last else 0,
        "interval": standing.interval_days,
        "overdue": standing.overdue,
        "can_record": allows(user, Action.RECORD_VISIT) and household.status not in visits.CLOSED_STATUSES,
    }


# The 扶贫手册 prints the latest visits; the whole log stays on the 帮扶日志 pages.
HANDBOOK_VISITS = 50


@register.inclusion_tag("assistance/visit_log_print.html")
def visit_log(household):
    """The household's visits for the printed 扶贫手册 (households/print_views.py), newest first."""
    visits_of_household = Visit.objects.filter(household_id=household.pk).select_related("helper", "recorded_by")
    return {"visits": list(visits_of_household[:HANDBOOK_VISITS]), "limit": HANDBOOK_VISITS}
