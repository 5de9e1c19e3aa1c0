"""The time limit of an identification (docs/domain.md §12.6): from the day a risk is found to the decision.

One rule for every page, the review queue and the dashboard: the limit is the PolicyParameter
MONITORING_DECISION_MAX_DAYS (15 days by default) of the record's village and discovery year; a
record is overdue when it is still 识别中 more than that many days after `discovered_on`, or was
decided (纳入 on `identified_on`, 未纳入 on `closed_on`) later than that. The dashboard counts
the open ones by the same rule in SQL (statistics.overdue_aggregates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from core.codes import ParameterKey
from core.policy import policy_value, policy_values

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


def decision_limits(regions_by_year: dict[int, set[str]]) -> dict[tuple[str, int], int]:
    """decision_limit_days of each (region, year) asked for, one query a year."""
    limits = {}
    for year, region_codes in regions_by_year.items():
        values = policy_values(ParameterKey.MONITORING_DECISION_MAX_DAYS, year=year, region_codes=region_codes)
        limits.update({(code, year): int(value) for code, value in values.items()})
    return limits


def decided_on(record) -> date | None:
    """When the identification was decided: 纳入 on `identified_on`; 未纳入 on `closed_on`."""
    if record.identified_on:
        return record.identified_on
    if record.status == MonitoringStatus.NOT_INCLUDED:
        return record.closed_on
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
