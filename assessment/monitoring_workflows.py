"""How the two monitoring workflows start (docs/domain.md §12.12): 入户核实 opens them.

监测识别: the clerk's visit opens the 识别中 record (monitoring.services.start_identification), marks
the lead it came from (monitoring.leads.take_lead), and the application is drafted and submitted,
all in one transaction. 风险消除: the clerk's new visit of a 监测中 record, whose figures the
application keeps. Both are then moved by the one engine (assessment/services.py).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from core.permissions import Action, require
from core.scoping import get_visible_or_404
from monitoring.leads import take_lead
from monitoring.models import MonitoringLead, MonitoringObject
from monitoring.services import start_identification

from .codes import ApplicationKind
from .elimination import clean_elimination_figures
from .models import Application
from .services import draft_and_submit


@transaction.atomic
def start_monitoring_identification(
    *, user, household_id: int, lead_id: int | None = None, today: date | None = None, **visit
) -> Application:
    """发起监测识别: open the record from the visit (`visit`: the keyword arguments of
    monitoring.services.start_identification but `user`, `household_id`, `today`; the way is the
    lead's when a lead is given) and submit its application; the lead, if any, becomes 已发起识别.

    Scope first (a household or lead outside the user's region is a 404), then the role (403).
    """
    if lead_id is not None:
        lead = get_visible_or_404(MonitoringLead.objects.all(), user, pk=lead_id)
        visit["way"] = lead.way
    record = start_identification(user=user, household_id=household_id, today=today, **visit)
    if lead_id is not None:
        take_lead(user=user, lead_id=lead_id, monitoring_object=record)
    return draft_and_submit(
        user=user,
        kind=ApplicationKind.MONITORING_IDENTIFICATION,
        year=record.discovered_on.year,
        monitoring_object_id=record.pk,
        reason=record.note,
        today=today,
    )


@transaction.atomic
def request_risk_elimination(
    *, user, monitoring_object_id: int, figures: dict, reason: str = "", today: date | None = None
) -> Application:
    """申请风险消除 of a 监测中 record, from the clerk's new visit (`figures`, assessment/elimination.py),
    judged against the monitoring range of the visit's year. Scope first (404), then the role (403)."""
    record = get_visible_or_404(MonitoringObject.objects.all(), user, pk=monitoring_object_id)
    require(user, Action.REQUEST_RISK_ELIMINATION)
    cleaned = clean_elimination_figures(figures, today=today)
    return draft_and_submit(
        user=user,
        kind=ApplicationKind.RISK_ELIMINATION,
        year=date.fromisoformat(cleaned["visited_on"]).year,
        monitoring_object_id=record.pk,
        figures=cleaned,
        reason=reason,
        today=today,
    )
