"""Status changes and membership changes (动态调整), each recorded as an AdjustmentRecord.

新识别, 脱贫 and 返贫 apply only through an approved application (the workflow calls
`change_status`, docs/architecture.md); 成员自然增减 are recorded directly with a reason.
Every adjustment carries the year it takes effect (`effective_year`: an application's year,
else the work year), and the household's poor years are refolded from the log in the same
transaction (households/poverty.py), so a later change never rewrites an earlier year. A
write into a locked year of the household is refused (docs/domain.md §7.5).
"""

from __future__ import annotations

from datetime import date

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from core.errors import DuplicatePerson
from core.parsing import parse_year
from core.permissions import Action, require

from ..codes import INCREASE_REASONS, AdjustmentKind, HouseholdStatus, MemberChangeReason, Relation
from ..models import AdjustmentRecord, Household, Member
from ..poverty import current_year, refresh_poverty_years
from ..signals import announce_figures_changed
from .historical import write_backdated_log
from .validation import build_member, check_not_registered, clean_id_numbers, require_reason, validate_family
from .warning_counts import refresh_warning_count
from .year_locks import check_year_open

# Status moves an adjustment may make (docs/domain.md §5.1).
STATUS_TRANSITIONS = {
    AdjustmentKind.NEW: ({HouseholdStatus.CANDIDATE}, HouseholdStatus.POOR),
    AdjustmentKind.EXITED: ({HouseholdStatus.POOR}, HouseholdStatus.EXITED),
    AdjustmentKind.RETURNED: ({HouseholdStatus.EXITED}, HouseholdStatus.POOR),
    AdjustmentKind.REMOVED: (
        {HouseholdStatus.CANDIDATE, HouseholdStatus.POOR, HouseholdStatus.EXITED},
        HouseholdStatus.REMOVED,
    ),
    AdjustmentKind.CANCELLED: ({HouseholdStatus.POOR, HouseholdStatus.EXITED}, HouseholdStatus.CANCELLED),
}
ACTIVE_STATUSES = {HouseholdStatus.CANDIDATE, HouseholdStatus.POOR, HouseholdStatus.EXITED, HouseholdStatus.ORDINARY}

# 新识别, 脱贫 and 返贫 follow the 公示 and review steps: only an approved application applies them.
APPLICATION_ADJUSTMENTS = {
    AdjustmentKind.NEW: "识别",
    AdjustmentKind.EXITED: "户退出",
    AdjustmentKind.RETURNED: "返贫",
    # 清退 and 自然销户 have their procedures too (docs/domain.md §5.7, §5.8).
    AdjustmentKind.REMOVED: "清退",
    AdjustmentKind.CANCELLED: "自然销户",
}


def record(household, kind, **fields):
    entry = adjustment(household, kind, **fields)
    entry.save()
    return entry


def adjustment(
    household,
    kind,
    *,
    user,
    reason,
    member=None,
    member_reason="",
    from_status="",
    to_status="",
    when=None,
    effective_year=None,
):
    """An unsaved AdjustmentRecord, dated today unless `when`, effective in its date's year unless `effective_year`."""
    when = when or timezone.localdate()
    return AdjustmentRecord(
        household=household,
        member=member,
        kind=kind,
        member_reason=member_reason,
        from_status=from_status,
        to_status=to_status,
        year=when.year,
        effective_date=when,
        effective_year=effective_year or when.year,
        reason=reason,
        created_by=user,
    )


@transaction.atomic
def change_status(
    *,
    user,
    household_id: int,
    kind: str,
    reason: str,
    effective_year: int | None = None,
    effective_date: date | None = None,
    exit_year: int | None = None,
    application=None,
) -> AdjustmentRecord:
    """新识别, 脱贫, 返贫, 清退 or 自然销户: the only way a household's status changes.

    新识别, 脱贫 and 返贫 need the approved `application` of that household (the workflow's
    approval, docs/architecture.md). The change takes effect in `effective_year` — the
    application's year (the workflow passes `application.year`), else the current work year —
    whatever the day it is recorded (docs/domain.md §7.4): 新识别 sets the identification
    year to it and 脱贫 the exit year. 清退, 自然销户 and any change without an application
    into a locked year of the household are refused; an approved 识别, 退出 or 返贫 is what
    settles that year.
    `exit_year` is the old name of `effective_year` for an exit.
    """
    reason = require_reason(reason)
    if kind not in STATUS_TRANSITIONS:
        raise ValidationError({"kind": ["不是有效的调整类别。"]})
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    if application is None:  # with an application, the workflow's step table decided who approves
        require(user, Action.EDIT_HOUSEHOLD)
    allowed_from, to_status = STATUS_TRANSITIONS[kind]
    if household.status not in allowed_from:
        raise ValidationError(
            {"kind": [f"该户当前为“{household.get_status_display()}”，不能{AdjustmentKind(kind).label}。"]}
        )
    if kind in APPLICATION_ADJUSTMENTS and (application is None or application.household_id != household.pk):
        raise ValidationError(
            {
                "kind": [
                    f"{AdjustmentKind(kind).label}须提交“{APPLICATION_ADJUSTMENTS[kind]}”申请，"
                    "经公示和逐级审核批准后自动生效（审核待办）。"
                ]
            }
        )
    when = effective_date or timezone.localdate()
    effective_year = parse_year(
        effective_year or exit_year or (application.year if application is not None else None) or current_year(),
        field="effective_year",
    )
    if kind == AdjustmentKind.EXITED and effective_year < household.identified_year:
        raise ValidationError(
            {"kind": [f"脱贫年度（{effective_year}）不能早于识别年度（{household.identified_year}）。"]}
        )
    if application is None or kind in (AdjustmentKind.REMOVED, AdjustmentKind.CANCELLED):
        # An approved 识别/退出/返贫 is what settles its year; nothing else rewrites a settled year.
        check_year_open(household_id=household.pk, year=effective_year, what=AdjustmentKind(kind).label, key="kind")
    if household.status != HouseholdStatus.CANDIDATE and not household.adjustments.exclude(to_status="").exists():
        # A status that predates the log (loaded outside the services): its steps first, so refolding keeps them.
        write_backdated_log([household.pk], user=user, reason="补记：早于调整记录的识别与退出")
    latest = household.adjustments.exclude(to_status="").aggregate(latest=Max("effective_year"))["latest"]
    if latest and effective_year < latest:
        # The log is read by effective year: a change dated before the last one would not be the current status.
        raise ValidationError({"kind": [f"生效年度（{effective_year}）不能早于该户上一次状态变更的年度（{latest}）。"]})
    from_status = household.status
    household.status = to_status
    if kind == AdjustmentKind.NEW:
        household.identified_year = effective_year
    elif kind == AdjustmentKind.EXITED:
        household.exit_year = effective_year
    elif kind == AdjustmentKind.RETURNED:
        household.exit_year = None  # the current record; earlier exits stay in exit_years (poverty.py)
    household.version = F("version") + 1
    with pghistory.context(reason=reason):
        household.save(update_fields=["status", "identified_year", "exit_year", "version", "updated_at"])
        if to_status not in ACTIVE_STATUSES:
            # Inactive registrations free the person for another household (one *active* registration).
            household.members.filter(is_active=True).update(is_active=False)
            Household.objects.filter(pk=household.pk).update(closed_member_count=F("member_count"), member_count=0)
            # Off the register, no one is paired with it (docs/domain.md §9.1): its open pairings end
            # that day, and stop counting against their helpers' limits.
            household.helper_assignments.filter(end_date__isnull=True).update(
                end_date=Greatest(Value(when), F("start_date"))
            )
        adjustment = record(
            household,
            kind,
            user=user,
            reason=reason,
            from_status=from_status,
            to_status=to_status,
            when=when,
            effective_year=effective_year,
        )
        refresh_poverty_years([household.pk])
    refresh_warning_count(household.pk)
    announce_figures_changed(household.village_id, range(effective_year, current_year() + 1))
    return adjustment


@transaction.atomic
def add_member(
    *, user, household_id: int, member: dict, member_reason: str, reason: str, effective_date: date | None = None
) -> Member:
    """成员自然增加 (新生儿, 婚入, 户籍迁入) with a reason."""
    reason = require_reason(reason)
    if member_reason not in INCREASE_REASONS:
        raise ValidationError({"member_reason": ["请选择增加原因（新生儿、婚入或户籍迁入）。"]})
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.CHANGE_MEMBERS)
    if household.status not in ACTIVE_STATUSES:
        raise ValidationError({"household": ["该户已清退或销户，不能增加成员。"]})
    year = (effective_date or timezone.localdate()).year
    check_year_open(household_id=household.pk, year=year, what="增减成员", key="member")
    current = list(household.members.filter(is_active=True).values("relation"))
    errors = validate_family([*current, member])
    numbers, id_errors = clean_id_numbers([member], prefix="member")
    errors.update({key.replace("member.0.", "member."): value for key, value in id_errors.items()})
    if errors:
        raise ValidationError(errors)
    check_not_registered(user, numbers, prefix="member")
    new_member = build_member(household, member, numbers[0], 0)
    with pghistory.context(reason=reason):
        try:
            with transaction.atomic():
                new_member.save()
        except IntegrityError as error:
            raise DuplicatePerson({"member.id_number": ["该身份证号码已被登记。"]}, code="duplicate_person") from error
        Household.objects.filter(pk=household.pk).update(member_count=F("member_count") + 1, version=F("version") + 1)
        record(
            household,
            AdjustmentKind.MEMBER_INCREASE,
            user=user,
            reason=reason,
            member=new_member,
            member_reason=member_reason,
            when=effective_date,
        )
    refresh_warning_count(household.pk)
    announce_figures_changed(household.village_id, range(year, current_year() + 1))
    return new_member


@transaction.atomic
def remove_member(
    *, user, member_id: int, member_reason: str, reason: str, effective_date: date | None = None
) -> AdjustmentRecord:
    """成员自然减少 (死亡, 婚出, 迁出, 分户, …); the 户主 leaves only after another member becomes 户主."""
    reason = require_reason(reason)
    if member_reason not in MemberChangeReason.values or member_reason in INCREASE_REASONS:
        raise ValidationError({"member_reason": ["请选择减少原因。"]})
    member = Member.objects.visible_to(user).select_related("household").get(pk=member_id, is_active=True)
    household = Household.objects.select_for_update().get(pk=member.household_id)
    require(user, Action.CHANGE_MEMBERS)
    # Read again under the household's lock: a concurrent removal of the same member has won.
    if not Member.objects.filter(pk=member.pk, is_active=True).exists():
        raise ValidationError({"member": ["该成员已减少，请刷新页面。"]})
    if member.relation == Relation.HEAD:
        raise ValidationError({"member": ["户主不能直接减少：请先将其他成员改为户主。"]})
    year = (effective_date or timezone.localdate()).year
    check_year_open(household_id=household.pk, year=year, what="增减成员", key="member")
    with pghistory.context(reason=reason):
        Member.objects.filter(pk=member.pk).update(is_active=False)
        Household.objects.filter(pk=household.pk).update(member_count=F("member_count") - 1, version=F("version") + 1)
        adjustment = record(
            household,
            AdjustmentKind.MEMBER_DECREASE,
            user=user,
            reason=reason,
            member=member,
            member_reason=member_reason,
            when=effective_date,
        )
    refresh_warning_count(household.pk)
    announce_figures_changed(household.village_id, range(year, current_year() + 1))
    return adjustment
