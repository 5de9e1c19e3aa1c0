"""帮扶措施 of a monitoring record (docs/domain.md §12.10): each measure answers one of the record's risks.

Scope first (a record outside the user's region is a 404), then the role
(RECORD_MONITORING_MEASURE: township clerk and county), then the rules, refused with
`ValidationError` keyed by field, in Chinese. A measure is never edited or deleted: it is
ended (`end_measure`), and its history (pghistory) says who did what and why.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.parsing import parse_date, parse_money
from core.permissions import Action, require
from core.scoping import get_visible_or_404
from core.text import clean_text

from .codes import AssistanceCategory, MonitoringStatus, RiskType
from .models import AssistanceMeasure, MonitoringObject

# A measure may be planned for the coming year (识别中 plans what 监测中 carries out); one further
# ahead is entered when it is decided.
PLAN_HORIZON = timedelta(days=366)
DESCRIPTION_MAX = AssistanceMeasure._meta.get_field("description").max_length
# 识别中 may plan measures, 监测中 carries them out; a closed record (已消除风险 / 未纳入) takes none.
MEASURE_STATUSES = (MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)


def risk_choices_of(record: MonitoringObject) -> list[tuple[str, str]]:
    """The record's own risks, as (code, label): the only risks a measure may answer."""
    return [(code, RiskType(code).label) for code in record.risk_types if code in RiskType.values]


def _checked_date(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        return parse_date(value, field=field)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


@transaction.atomic
def add_measure(
    *,
    user,
    monitoring_object_id: int,
    category: str,
    risk_type: str,
    description: str,
    amount: Decimal | str | int = 0,
    started_on: date | str,
    ended_on: date | str | None = None,
    today: date | None = None,
) -> AssistanceMeasure:
    """登记帮扶措施 on an open record (识别中 or 监测中), answering one of its risks.

    Guarantees: the record is in the user's scope (else 404) and the role may take
    RECORD_MONITORING_MEASURE; the category is one of the 2021 categories; the risk is one of
    the record's; the start is not before the record's discovery nor more than a year ahead; an
    end (optional) is not before the start nor after today; the amount is in 元 (core.parsing).
    """
    today = today or timezone.localdate()
    record = get_visible_or_404(MonitoringObject.objects.select_for_update(), user, pk=monitoring_object_id)
    require(user, Action.RECORD_MONITORING_MEASURE)
    errors: dict[str, list[str]] = {}
    if record.status not in MEASURE_STATUSES:
        errors["monitoring_object"] = [f"监测记录已{record.get_status_display()}，不能再登记帮扶措施。"]
    if category not in AssistanceCategory.values:
        errors["category"] = ["请选择帮扶措施类别。"]
    if risk_type not in record.risk_types:
        own = "、".join(label for _, label in risk_choices_of(record)) or "—"
        errors["risk_type"] = [f"措施须针对该户登记的风险之一（{own}）。"]
    description = (description or "").strip()
    if not description:
        errors["description"] = ["请填写措施内容。"]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"措施内容最多{DESCRIPTION_MAX}字。"]
    else:
        try:
            description = clean_text(description, field="description")
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        amount = parse_money(amount if amount not in (None, "") else 0, field="amount")
    except ValidationError as error:
        errors.update(error.message_dict)
    start = _checked_date(started_on, "started_on", errors)
    end = _checked_date(ended_on, "ended_on", errors)
    if start is None and "started_on" not in errors:
        errors["started_on"] = ["请填写开始日期。"]
    if start is not None:
        if start < record.discovered_on:
            errors["started_on"] = [f"开始日期不能早于发现日期（{record.discovered_on:%Y-%m-%d}）。"]
        elif start > today + PLAN_HORIZON:
            errors["started_on"] = ["开始日期最多为一年以内的计划日期。"]
    if end is not None:
        if end > today:
            errors["ended_on"] = ["结束日期不能晚于今天（措施结束后再登记）。"]
        elif start is not None and end < start:
            errors["ended_on"] = ["结束日期不能早于开始日期。"]
    if errors:
        raise ValidationError(errors)
    measure = AssistanceMeasure(
        monitoring_object=record,
        category=category,
        risk_type=risk_type,
        description=description,
        amount=amount,
        started_on=start,
        ended_on=end,
        created_by=user,
    )
    with pghistory.context(reason=f"登记帮扶措施：{AssistanceCategory(category).label}"):
        measure.save()
    return measure


@transaction.atomic
def end_measure(
    *, user, measure_id: int, ended_on: date | str, reason: str = "", today: date | None = None
) -> AssistanceMeasure:
    """A measure ended (措施结束): its end date, not before its start nor after today; once only.

    The record may be closed meanwhile: the end is a fact recorded when it is known. Same scope
    (404) and role (RECORD_MONITORING_MEASURE) as add_measure.
    """
    today = today or timezone.localdate()
    measure = get_visible_or_404(AssistanceMeasure.objects.select_for_update(), user, pk=measure_id)
    require(user, Action.RECORD_MONITORING_MEASURE)
    errors: dict[str, list[str]] = {}
    end = _checked_date(ended_on, "ended_on", errors)
    reason = (reason or "").strip()
    if measure.ended_on is not None:
        errors["ended_on"] = [f"该措施已于{measure.ended_on:%Y-%m-%d}结束。"]
    elif end is None and "ended_on" not in errors:
        errors["ended_on"] = ["请填写结束日期。"]
    elif end is not None and end < measure.started_on:
        errors["ended_on"] = [f"结束日期不能早于开始日期（{measure.started_on:%Y-%m-%d}）。"]
    elif end is not None and end > today:
        errors["ended_on"] = ["结束日期不能晚于今天。"]
    if reason:
        try:
            reason = clean_text(reason, field="reason", multiline=True)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    measure.ended_on = end
    with pghistory.context(reason=f"帮扶措施结束：{reason}" if reason else "帮扶措施结束"):
        measure.save(update_fields=["ended_on"])
    return measure


def measures_by_risk(record: MonitoringObject) -> list[dict]:
    """The record's measures grouped under each of its risks, in the record's order; a risk without one is flagged.

    [{"code", "label", "measures": [...], "uncovered": bool}], measures of a risk no longer on
    the record (it cannot be removed while it has measures, so none) are listed last, never lost.
    """
    measures = list(record.measures.select_related("created_by").order_by("started_on", "id"))
    groups = []
    for code in record.risk_types:
        own = [measure for measure in measures if measure.risk_type == code]
        groups.append({"code": code, "label": RiskType(code).label, "measures": own, "uncovered": not own})
    stray = [measure for measure in measures if measure.risk_type not in record.risk_types]
    if stray:
        groups.append({"code": "", "label": "其他", "measures": stray, "uncovered": False})
    return groups
