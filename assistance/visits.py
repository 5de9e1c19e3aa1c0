"""帮扶日志 (docs/domain.md §9.6): a visit to a household, who made it, what was found and done.

Scope first (a household, helper or visit outside the user's region is absent: 404), then the
role (RECORD_VISIT: township clerk and county reviewer; city and province read), then the rules,
refused with `ValidationError` keyed by field, in Chinese. A scanned photo or signed paper is
kept by core/attachments.py in the same transaction as its row: a refused or failed save keeps
no file.

Which households are overdue for a visit is `not_visited`, the one place of that rule: a
household that needs a helper (households.quality.needs_helper_q) whose last visit is older than
the VISIT_INTERVAL_DAYS parameter of its region, or that was never visited.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pghistory
import pghistory.models
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from core import attachments
from core.codes import ParameterKey
from core.models import PolicyParameter, User
from core.parsing import parse_date, parse_int
from core.permissions import Action, require
from core.policy import policy_value
from core.regions import CODE_DIGITS, code_of_prefix, code_prefix
from core.scoping import get_visible_or_404, prefix_range, scope_prefix
from core.text import clean_text
from households.codes import HouseholdStatus
from households.history import EMPTY, Change
from households.models import AdjustmentRecord, Helper, HelperAssignment, Household
from households.quality import needs_helper_q
from villages.models import Region

from .models import Visit

MAX_ID = 2**63 - 1
TEXT_MAX = {name: Visit._meta.get_field(name).max_length for name in ("findings", "actions", "follow_up")}
# A closed record is not visited: 清退 and 自然销户 households have left the register.
CLOSED_STATUSES = (HouseholdStatus.REMOVED, HouseholdStatus.CANCELLED)
LIST_FILTERS = ("region", "helper", "date_from", "date_to")


# --- the rules of one visit -----------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    """One visit for record_visits (the demo, an import): what a form would send, without a scan."""

    household_id: int
    visited_on: date | str
    findings: str
    actions: str = ""
    follow_up: str = ""
    helper_id: int | None = None


def registration_days(households) -> dict[int, date]:
    """The first day the register knows each household: 1 January of its 识别年度 (a historical load
    keeps it), its earliest recorded change, or the day it was entered, whichever is earliest."""
    households = list(households)
    first_changes = dict(
        AdjustmentRecord.objects.filter(household_id__in=[household.pk for household in households])
        .values("household_id")
        .annotate(first=Min("effective_date"))
        .values_list("household_id", "first")
    )
    days = {}
    for household in households:
        candidates = [timezone.localdate(household.created_at)]
        if household.identified_year:
            candidates.append(date(household.identified_year, 1, 1))
        if first_changes.get(household.pk):
            candidates.append(first_changes[household.pk])
        days[household.pk] = min(candidates)
    return days


def registered_on(household: Household) -> date:
    return registration_days([household])[household.pk]


def _text(value, field: str, errors: dict, *, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        if required:
            errors[field] = ["请填写了解情况。"] if field == "findings" else ["请填写此项。"]
        return ""
    if len(text) > TEXT_MAX[field]:
        errors[field] = [f"最多{TEXT_MAX[field]}字。"]
        return text
    cleaned, problems = _cleaned(text, field)
    if problems:
        errors[field] = list(problems)
    return cleaned


@functools.lru_cache(maxsize=4096)
def _cleaned(text: str, field: str) -> tuple[str, tuple[str, ...]]:
    """core.text's verdict on a text, remembered: a batch of visits repeats the same phrases."""
    try:
        return clean_text(text, field=field, multiline=True), ()
    except ValidationError as error:
        return text, tuple(error.message_dict[field])


def _visit_date(value, first_day: date, today: date, errors: dict) -> date | None:
    if value in (None, ""):
        errors["visited_on"] = ["请填写走访日期。"]
        return None
    try:
        visited_on = parse_date(value, field="visited_on")
    except ValidationError as error:
        errors.update(error.message_dict)
        return None
    if visited_on > today:
        errors["visited_on"] = ["走访日期不能晚于今天。"]
    elif visited_on < first_day:
        errors["visited_on"] = [f"走访日期不能早于该户建档日期（{first_day:%Y-%m-%d}）。"]
    return visited_on


def _helper_id(value, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_int(value, field="helper", minimum=1, maximum=MAX_ID)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


def _checked(
    visit: Visit, *, household, helper, paired: bool, first_day: date, row: VisitRow, today: date, errors: dict
) -> Visit:
    """The rules of every visit, on an unsaved or corrected one: the same for one, a correction and many.

    `helper` is the named helper found in scope (None: none named, or none found, which
    _helper_in_scope has already refused); `paired`: whether it is paired with the household now.
    """
    if household.status in CLOSED_STATUSES:
        errors["household"] = [f"该户已{household.get_status_display()}，不再记录走访。"]
    if helper is not None and not paired:
        errors["helper"] = [f"{helper.name}目前没有与该户结对，不能记为该户的走访人；请先结对，或不选帮扶责任人。"]
    visit.household = household
    visit.helper = helper
    visit.visited_on = _visit_date(row.visited_on, first_day, today, errors)
    visit.findings = _text(row.findings, "findings", errors, required=True)
    visit.actions = _text(row.actions, "actions", errors)
    visit.follow_up = _text(row.follow_up, "follow_up", errors)
    return visit


def _one(user, visit: Visit, household: Household, row: VisitRow, today: date, errors: dict) -> Visit:
    """_checked for one visit: its helper looked up in scope and its pairing asked."""
    helper_id = _helper_id(row.helper_id, errors)
    helper = Helper.objects.visible_to(user).filter(pk=helper_id).first() if helper_id else None
    if helper_id and helper is None:
        errors["helper"] = ["请选择您管辖范围内的帮扶责任人。"]
    paired = (
        helper is not None
        and HelperAssignment.objects.filter(helper=helper, household=household, end_date__isnull=True).exists()
    )
    first_day = registered_on(household)
    return _checked(
        visit,
        household=household,
        helper=helper,
        paired=paired,
        first_day=first_day,
        row=row,
        today=today,
        errors=errors,
    )


def _check_upload(upload, errors: dict) -> None:
    if upload is not None:
        try:
            attachments.check_attachment(upload)
        except ValidationError as error:
            errors.update(error.message_dict)


@transaction.atomic
def record_visit(
    *,
    user,
    household_id: int,
    visited_on: date | str,
    findings: str,
    actions: str = "",
    follow_up: str = "",
    helper_id: int | str | None = None,
    upload=None,
    today: date | None = None,
) -> Visit:
    """记录走访: one visit to a household in scope, optionally by its paired helper, with an optional scan.

    Guarantees: the household is in the user's scope (else 404) and on the register (not 清退 or
    销户); the role may RECORD_VISIT; the helper, if named, is in scope and paired with the
    household now; the date is neither in the future nor before the household's registration;
    the texts pass core.text; a scan is JPEG, PNG or PDF by its content and within the size
    limit, and it is kept only if the visit is saved.
    """
    today = today or timezone.localdate()
    household = get_visible_or_404(Household.objects.all(), user, pk=household_id)
    require(user, Action.RECORD_VISIT)
    errors: dict[str, list[str]] = {}
    row = VisitRow(household.pk, visited_on, findings, actions, follow_up, helper_id)
    visit = _one(user, Visit(recorded_by=user), household, row, today, errors)
    _check_upload(upload, errors)
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="记录帮扶走访"):
        _save_with_attachment(visit, upload)
    return visit


@transaction.atomic
def record_visits(*, user, rows: list[VisitRow], today: date | None = None) -> int:
    """Many visits at once, without scans (the demo, an import): record_visit's checks on every row, all or nothing.

    A refusal is keyed `rows.<index>.<field>`; a household or helper out of scope is refused like
    one that does not exist. A few queries for the whole batch, then one bulk insert.
    """
    today = today or timezone.localdate()
    require(user, Action.RECORD_VISIT)
    households = Household.objects.visible_to(user).in_bulk({row.household_id for row in rows})
    first_days = registration_days(households.values())
    helpers = Helper.objects.visible_to(user).in_bulk({row.helper_id for row in rows if row.helper_id})
    paired = set(
        HelperAssignment.objects.filter(household_id__in=list(households), end_date__isnull=True).values_list(
            "helper_id", "household_id"
        )
    )
    errors: dict[str, list[str]] = {}
    visits = []
    for index, row in enumerate(rows):
        row_errors: dict[str, list[str]] = {}
        household = households.get(row.household_id)
        helper = helpers.get(row.helper_id) if row.helper_id else None
        if household is None:
            row_errors["household"] = ["请选择您管辖范围内的农户。"]
        elif row.helper_id and helper is None:
            row_errors["helper"] = ["请选择您管辖范围内的帮扶责任人。"]
        else:
            visit = _checked(
                Visit(recorded_by=user),
                household=household,
                helper=helper,
                paired=(row.helper_id, household.pk) in paired,
                first_day=first_days[household.pk],
                row=row,
                today=today,
                errors=row_errors,
            )
            visits.append(visit)
        errors |= {f"rows.{index}.{field}": problems for field, problems in row_errors.items()}
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="批量记录帮扶走访"):
        Visit.objects.bulk_create(visits, batch_size=2000)
    return len(visits)


@transaction.atomic
def correct_visit(
    *,
    user,
    visit_id: int,
    visited_on: date | str,
    findings: str,
    actions: str = "",
    follow_up: str = "",
    helper_id: int | str | None = None,
    upload=None,
    reason: str,
    today: date | None = None,
) -> Visit:
    """更正走访记录: only the user who recorded the visit, within their scope, with a reason kept in its history.

    The same rules as record_visit; a new scan replaces the old one, which is deleted when the
    correction commits. A visit is a record of what someone saw: nobody else rewrites it.
    """
    today = today or timezone.localdate()
    visit = get_visible_or_404(Visit.objects.select_for_update().select_related("household"), user, pk=visit_id)
    require(user, Action.RECORD_VISIT)
    if visit.recorded_by_id != user.pk:
        raise PermissionDenied("走访记录只能由录入人更正。")
    errors: dict[str, list[str]] = {}
    reason = _reason(reason, errors)
    row = VisitRow(visit.household_id, visited_on, findings, actions, follow_up, helper_id)
    _one(user, visit, visit.household, row, today, errors)
    _check_upload(upload, errors)
    if errors:
        raise ValidationError(errors)
    replaced = visit.attachment if upload is not None else ""
    # The corrector named by the service itself, not only by a request's middleware (the API's token, a script).
    with pghistory.context(reason=f"更正走访记录：{reason}", user=user.pk):
        _save_with_attachment(visit, upload)
    attachments.discard(replaced)
    return visit


# What a correction shows, in the page's words. The stored file name and type are bookkeeping: a new
# scan shows as its original name.
CORRECTED_FIELDS = {
    "visited_on": "走访日期",
    "helper_id": "帮扶责任人",
    "findings": "了解情况",
    "actions": "帮扶举措",
    "follow_up": "后续跟进",
    "attachment_name": "附件",
}


@dataclass
class Correction:
    at: datetime
    user: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def corrections(visit: Visit) -> list[Correction]:
    """更正记录 of a visit, newest first: when, by whom, why, and each corrected field old → new.

    The rows are pghistory's updates of the visit (correct_visit saves once, in a context that
    holds its reason); a helper is named, a scan shown by its original name.
    """
    events = list(pghistory.models.Events.objects.tracks(visit).filter(pgh_label="update").order_by("-pgh_id"))
    contexts = [event.pgh_context or {} for event in events]
    usernames = dict(
        User.objects.filter(pk__in={context.get("user") for context in contexts} - {None}).values_list("pk", "username")
    )
    helper_ids = {value for event in events for value in (event.pgh_diff or {}).get("helper_id", []) if value}
    helpers = dict(Helper.objects.filter(pk__in=helper_ids).values_list("pk", "name"))
    found = []
    for event, context in zip(events, contexts, strict=True):
        diff = event.pgh_diff or {}
        changes = [
            Change(label, *(_corrected_value(name, value, helpers) for value in diff[name]))
            for name, label in CORRECTED_FIELDS.items()
            if name in diff
        ]
        if "attachment" in diff and "attachment_name" not in diff:
            # A new scan under the same file name: still a correction of the 附件.
            shown = event.pgh_data.get("attachment_name") or EMPTY
            changes.append(Change(CORRECTED_FIELDS["attachment_name"], shown, f"{shown}（已换为新扫描件）"))
        if changes:
            reason = context.get("reason", "").removeprefix("更正走访记录：")
            found.append(Correction(event.pgh_created_at, usernames.get(context.get("user"), "系统"), reason, changes))
    return found


def _corrected_value(name: str, value, helpers: dict[int, str]) -> str:
    if value in (None, ""):
        return EMPTY
    if name == "helper_id":
        return helpers.get(value, "（已删除）")
    return str(value)


def _reason(value, errors: dict) -> str:
    text = (value or "").strip()
    if not text:
        errors["reason"] = ["请填写更正原因。"]
        return ""
    if len(text) > 200:
        errors["reason"] = ["更正原因最多200字。"]
        return text
    try:
        return clean_text(text, field="reason")
    except ValidationError as error:
        errors.update(error.message_dict)
        return text


def _save_with_attachment(visit: Visit, upload) -> None:
    if upload is None:
        visit.save()
        return
    with attachments.storing(upload) as stored:
        visit.attachment = stored.name
        visit.attachment_name = stored.original_name[: Visit._meta.get_field("attachment_name").max_length]
        visit.attachment_type = stored.content_type
        visit.save()


def forget_attachment(sender, instance: Visit, **kwargs) -> None:
    """A deleted visit (or a deleted household's) takes its scan with it, once the deletion commits."""
    attachments.discard(instance.attachment)


# --- reads ---------------------------------------------------------------------------------------


def last_visit(household_id: int) -> Visit | None:
    """The household's latest visit (by date, then by entry), with its helper."""
    return Visit.objects.filter(household_id=household_id).select_related("helper", "recorded_by").first()


def parse_list_filters(filters: dict | None) -> dict:
    """The log's filters parsed (helper id, dates; the region as given), refused keyed by name; blanks dropped."""
    filters = {name: value for name, value in (filters or {}).items() if value not in (None, "")}
    parsed: dict = {"region": str(filters["region"])} if "region" in filters else {}
    errors: dict[str, list[str]] = {}
    if "helper" in filters:
        try:
            parsed["helper"] = parse_int(filters["helper"], field="helper", minimum=1, maximum=MAX_ID)
        except ValidationError as error:
            errors.update(error.message_dict)
    for name in ("date_from", "date_to"):
        if name in filters:
            try:
                parsed[name] = parse_date(filters[name], field=name)
            except ValidationError as error:
                errors.update(error.message_dict)
    if "date_from" in parsed and "date_to" in parsed and parsed["date_from"] > parsed["date_to"]:
        errors["date_to"] = ["结束日期不能早于开始日期。"]
    if errors:
        raise ValidationError(errors)
    return parsed


def visit_list(user, filters: dict | None = None):
    """The visits in the user's scope, newest first, by region (a village or township code), helper, date range.

    Filters are checked and refused keyed by name: an unknown or out-of-scope region is refused,
    not silently widened to the whole scope.
    """
    visits = Visit.objects.visible_to(user).select_related("household__village__parent", "helper", "recorded_by")
    try:
        parsed = parse_list_filters(filters)
        errors = {}
    except ValidationError as error:
        parsed, errors = {}, error.message_dict
    region_code = (filters or {}).get("region")
    if region_code not in (None, ""):
        region = Region.objects.visible_to(user).filter(code=str(region_code)).first()
        if region is None:
            errors["region"] = ["请选择您管辖范围内的区划。"]
        else:
            visits = visits.within_prefix(code_prefix(region.code))
    if errors:
        raise ValidationError(errors)
    if "helper" in parsed:
        visits = visits.filter(helper_id=parsed["helper"])
    if "date_from" in parsed:
        visits = visits.filter(visited_on__gte=parsed["date_from"])
    if "date_to" in parsed:
        visits = visits.filter(visited_on__lte=parsed["date_to"])
    return visits.order_by("-visited_on", "-id")


def visit_interval_days(region_code: str | None, today: date) -> int:
    """VISIT_INTERVAL_DAYS for a region (its own row, else an ancestor's, else the national one)."""
    return int(policy_value(ParameterKey.VISIT_INTERVAL_DAYS, year=today.year, region_code=region_code))


def _interval_by_region(prefix: str, today: date):
    """The interval as an expression on the household's village: regions below `prefix` may set their own."""
    base = visit_interval_days(region_code_of(prefix), today)
    if len(prefix) >= CODE_DIGITS:  # a village: no region below it
        return Value(timedelta(days=base), output_field=DurationField())
    overrides = (
        PolicyParameter.objects.for_key(ParameterKey.VISIT_INTERVAL_DAYS)
        .filter(region__isnull=False, region__code__startswith=prefix)
        .values_list("region_id", flat=True)
        .distinct()
    )
    below = {code_prefix(code) for code in overrides if len(code_prefix(code)) > len(prefix)}
    whens = []
    for sub_prefix in sorted(below, key=len, reverse=True):  # the deepest region's row wins
        low, high = prefix_range(sub_prefix)
        bound = Q(village_id__gte=low) & (Q(village_id__lt=high) if high else Q())
        days = visit_interval_days(region_code_of(sub_prefix), today)
        whens.append(When(bound, then=Value(timedelta(days=days))))
    return Case(*whens, default=Value(timedelta(days=base)), output_field=DurationField())


def region_code_of(prefix: str) -> str | None:
    return code_of_prefix(prefix) if prefix else None  # "" is every region: the national row


def _with_visit_due(households, prefix: str, today: date):
    """`households` annotated with `last_visited_on`, `interval` (of each one's region, regions below
    `prefix` by their own rows) and `days_since` (a timedelta; None: never visited)."""
    latest = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    return households.annotate(
        last_visited_on=Subquery(latest),
        interval=_interval_by_region(prefix, today),
    ).annotate(
        days_since=ExpressionWrapper(Value(today) - F("last_visited_on"), output_field=DurationField()),
    )


def _is_due() -> Q:
    return Q(last_visited_on__isnull=True) | Q(days_since__gt=F("interval"))


def not_visited(user, *, region_code: str | None = None, today: date | None = None):
    """未按期走访: households in scope (under `region_code` when given) that need a helper and whose last
    visit is older than their region's VISIT_INTERVAL_DAYS, or that were never visited.

    Annotated with `last_visited_on`, `days_since` (a timedelta; None: never) and `interval`; the
    longest-unvisited first, never-visited before all.
    """
    today = today or timezone.localdate()
    prefix = scope_prefix(user)
    households = Household.objects.visible_to(user).filter(needs_helper_q())
    if region_code:
        region = Region.objects.visible_to(user).filter(code=str(region_code)).first()
        if region is None:
            raise ValidationError({"region": ["请选择您管辖范围内的区划。"]})
        prefix = code_prefix(region.code)
        households = households.within_prefix(prefix)
    due = _with_visit_due(households, prefix or "", today).filter(_is_due())
    return due.order_by(F("days_since").desc(nulls_first=True), "village_id", "id")


@dataclass(frozen=True)
class VisitStanding:
    """What the household page's 帮扶日志 card says of the rule: the interval, and whether it is overdue."""

    interval_days: int
    overdue: bool


def visit_standing(household: Household, today: date | None = None) -> VisitStanding:
    """`not_visited`'s rule asked of one household the caller has already found in scope."""
    today = today or timezone.localdate()
    row = (
        _with_visit_due(Household.objects.filter(pk=household.pk), household.village_id, today)
        .annotate(overdue=ExpressionWrapper(needs_helper_q() & _is_due(), output_field=BooleanField()))
        .values("interval", "overdue")
        .get()
    )
    return VisitStanding(interval_days=row["interval"].days, overdue=bool(row["overdue"]))
