"""How the two monitoring workflows start (docs/domain.md §12.12): 入户核实 opens them.

监测识别: the clerk's visit opens the 识别中 record (monitoring.services.start_identification), marks
the lead it came from (monitoring.leads.take_lead), and the application is drafted and submitted,
all in one transaction. 风险消除: the clerk's new visit of a 监测中 record, whose figures the
application keeps. Both are then moved by the one engine (assessment/services.py).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.permissions import Action, require
from core.scoping import get_visible_or_404
from households.models import Household
from monitoring.codes import DiscoveryWay
from monitoring.leads import take_lead
from monitoring.models import MonitoringLead, MonitoringObject
from monitoring.services import start_identification

from .codes import OPEN_STATUSES, ApplicationKind
from .elimination import clean_elimination_figures
from .models import Application
from .services import ENDS_MONITORING_CATEGORY, draft_and_submit


def lead_day(lead: MonitoringLead) -> date:
    """The day a lead came in (local): the latest day its risk can have been found (docs/domain.md §12.6)."""
    return timezone.localtime(lead.created_at).date()


@transaction.atomic
def start_monitoring_identification(
    *,
    user,
    household_id: int,
    lead_id: int | None = None,
    discovered_on: date | None = None,
    today: date | None = None,
    **visit,
) -> Application:
    """发起监测识别: open the record from the visit (`visit`: the keyword arguments of
    monitoring.services.start_identification but `user`, `household_id`, `way`, `discovered_on`,
    `today`) and submit its application; the lead, if any, becomes 已发起识别.

    The way is the lead's when a lead is given, else 干部排查: it is not an input. With a lead,
    `discovered_on` is at the latest the day the lead came in (the 15 days count from the day the
    risk was found by any way in, docs/domain.md §12.6) and that day when not given. Refused, keyed
    `household`, while the household has an open 自然销户, 清退 or 返贫 application (its approval
    would leave the record open behind a household no longer monitored).

    Scope first (a household or lead outside the user's region is a 404), then the role (403).
    """
    if "way" in visit:
        raise TypeError("start_monitoring_identification() takes no `way`: it is the lead's, else 干部排查")
    # Locked before the applications are read, as drafting one of those kinds locks it (assessment/services.py).
    household = get_visible_or_404(Household.objects.select_for_update(), user, pk=household_id)
    lead = get_visible_or_404(MonitoringLead.objects.all(), user, pk=lead_id) if lead_id is not None else None
    require(user, Action.START_MONITORING)
    errors: dict[str, list[str]] = {}
    blocking = (
        Application.objects.filter(household=household, kind__in=ENDS_MONITORING_CATEGORY, status__in=OPEN_STATUSES)
        .order_by("pk")
        .first()
    )
    if blocking is not None:
        errors["household"] = [f"该户有未办结的{blocking}，须先办结后再发起监测识别。"]
    if lead is not None:
        came_in = lead_day(lead)
        if discovered_on is None:
            discovered_on = came_in
        elif discovered_on > came_in:
            errors["discovered_on"] = [
                f"发现日期不能晚于线索登记之日（{came_in:%Y年%m月%d日}）：时限自以任何方式发现风险之日起算。"
            ]
    elif discovered_on is None:
        errors["discovered_on"] = ["请填写发现日期。"]
    if errors:
        raise ValidationError(errors)
    record = start_identification(
        user=user,
        household_id=household.pk,
        way=lead.way if lead is not None else DiscoveryWay.CADRE_VISIT,
        discovered_on=discovered_on,
        today=today,
        **visit,
    )
    if lead is not None:
        take_lead(user=user, lead_id=lead.pk, monitoring_object=record)
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
    judged against this year's monitoring range: the application is of today's year. Scope first
    (404), then the role (403), then the figures (before the record's status, so that the form
    shows every problem of the visit)."""
    record = get_visible_or_404(MonitoringObject.objects.select_related("household"), user, pk=monitoring_object_id)
    require(user, Action.REQUEST_RISK_ELIMINATION)
    clean_elimination_figures(figures, record=record, today=today)  # the engine cleans them again, the same
    return draft_and_submit(
        user=user,
        kind=ApplicationKind.RISK_ELIMINATION,
        year=(today or timezone.localdate()).year,
        monitoring_object_id=record.pk,
        figures=figures,
        reason=reason,
        today=today,
    )
