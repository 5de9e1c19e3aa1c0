"""The time limit of an identification (docs/domain.md §12.6): from the day a risk is found to the decision.

One rule for every page, the review queue and the dashboard: the limit is the PolicyParameter
MONITORING_DECISION_MAX_DAYS (15 days by default) of the record's village and discovery year; a
record is overdue when it is still 识别中 more than that many days after `discovered_on`, or was
decided (纳入 on `identified_on`, 未纳入 when it was closed) later than that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import DateField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from core.codes import ParameterKey
from core.policy import policy_value

from .codes import MonitoringStatus


@dataclass(frozen=True)
class Deadline:
    """Where an identification stands against its time limit."""

    limit_days: int
    due_on: date
    # The day it was decided (纳入 or 未纳入); None while 识别中.
    decided_on: date | None
    # Days from discovery to the decision, or to `today` while undecided.
    days_to_decision: int
    is_overdue: bool


def decision_limit_days(region_code: str, year: int) -> int:
    """MONITORING_DECISION_MAX_DAYS for a region (any code inside it) and year."""
    return int(policy_value(ParameterKey.MONITORING_DECISION_MAX_DAYS, year=year, region_code=region_code))


def decided_on(record) -> date | None:
    """When the identification was decided: 纳入 on `identified_on`; 未纳入 when the record was closed."""
    if record.identified_on:
        return record.identified_on
    if record.status == MonitoringStatus.NOT_INCLUDED:
        return timezone.localtime(record.updated_at).date()
    return None


def monitoring_deadline(record, today: date | None = None, *, limit_days: int | None = None) -> Deadline:
    """The deadline of a record's identification: its due day, the days it took (or takes so far), overdue or not.

    `limit_days`: the limit when the caller has read it already (a list of one township's records).
    """
    today = today or timezone.localdate()
    limit = (
        limit_days
        if limit_days is not None
        else decision_limit_days(record.household.village_id, record.discovered_on.year)
    )
    decided = decided_on(record)
    end = decided or today
    days = (end - record.discovered_on).days
    return Deadline(
        limit_days=limit,
        due_on=record.discovered_on + timedelta(days=limit),
        decided_on=decided,
        days_to_decision=days,
        is_overdue=days > limit,
    )


def is_overdue(record, today: date | None = None) -> bool:
    return monitoring_deadline(record, today).is_overdue


def overdue_filter(today: date, *, region_code: str = "", year: int | None = None) -> Q:
    """A filter of MonitoringObject: the overdue identifications, open or decided late.

    One limit for the whole query: the parameter of `region_code` (the page's region; the national
    row for "") and `year` (today's year by default). A province that sets different limits for its
    counties is counted per county by calling this once per county.
    """
    limit = timedelta(days=decision_limit_days(region_code, year or today.year))
    due = ExpressionWrapper(F("discovered_on") + limit, output_field=DateField())
    return (
        Q(status=MonitoringStatus.IDENTIFYING, discovered_on__lt=today - limit)
        | Q(identified_on__isnull=False, identified_on__gt=due)
        | (
            Q(status=MonitoringStatus.NOT_INCLUDED, identified_on__isnull=True)
            & Q(GreaterThan(TruncDate("updated_at"), due))
        )
    )
