"""Corrections of a registered household's fields and its members' details (never adds or drops one)."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import StaleEdit
from core.permissions import Action, require

from ..codes import HouseholdStatus, Relation
from ..fields import HOUSEHOLD_FIELDS, MEMBER_FIELDS
from ..models import Household, Member
from ..names import pinyin_full, pinyin_initials
from ..poverty import current_year
from ..signals import announce_figures_changed
from .status import ACTIVE_STATUSES
from .validation import (
    check_not_registered,
    clean_id_numbers,
    full_clean_or_raise,
    validate_causes,
    validate_family,
    validate_poverty_fields,
)
from .warning_counts import refresh_warning_count
from .year_locks import check_year_open


@transaction.atomic
def update_household(
    *, user, household_id: int, expected_version: int, data: dict, members: list[dict] | None = None, reason: str = ""
) -> Household:
    """Correct a household's fields and its members' details, refusing a stale edit.

    Members are matched by `id`; adding or removing a member is an adjustment
    (`add_member` / `remove_member`), never an edit. Only the fields that really change are written,
    and the version rises by one; an unchanged save writes nothing (no version, no history row).
    The edit is the current work year's data: refused while that year of the household is
    locked (docs/domain.md §7.5). The identification year of an identified household is the
    approved 识别's year and is not edited.
    """
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    require(user, Action.EDIT_HOUSEHOLD)
    if household.version != expected_version:
        raise StaleEdit()
    if household.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": ["该户已清退或销户，不能修改。"]})
    check_year_open(household_id=household.pk, year=current_year(), what="修改户信息", key="household")
    merged = {field: data.get(field, getattr(household, field)) for field in HOUSEHOLD_FIELDS}
    merged["household_no"] = merged["household_no"] or household.household_no  # blank keeps the number
    if household.status == HouseholdStatus.ORDINARY:  # a 一般农户 carries no poverty attributes (§12.2)
        errors = validate_poverty_fields(merged, ordinary=True)
    else:
        causes = list(merged["other_causes"] or [])
        errors = validate_causes(merged["main_cause"], causes, year=merged["identified_year"])
    if household.status not in (HouseholdStatus.CANDIDATE, HouseholdStatus.ORDINARY) and (
        merged["identified_year"] != household.identified_year
    ):
        errors["identified_year"] = ["识别年度由审定的识别申请确定，不能修改。"]
    current = {member.pk: member for member in household.members.filter(is_active=True)}
    numbers: list[str | None] = []
    if members is not None:
        ids = [member.get("id") for member in members]
        if sorted(ids, key=str) != sorted(current, key=str):
            errors["members"] = ["新增或减少成员请使用“新增成员”“成员减少”操作，编辑时只能修改现有成员信息。"]
        else:
            errors.update(validate_family(members))
            # A blank ID number in an edit keeps the stored one (forms never echo full numbers back).
            members = [
                {**member, "id_number": member.get("id_number") or current[member["id"]].id_number}
                for member in members
            ]
            numbers, id_errors = clean_id_numbers(members)
            errors.update(id_errors)
    if errors:
        raise ValidationError(errors)
    if members is not None:
        check_not_registered(user, numbers, exclude_member_ids=current.keys())

    if merged["household_no"] != household.household_no and (
        Household.objects.filter(household_no=merged["household_no"]).exclude(pk=household.pk).exists()
    ):
        raise ValidationError({"household_no": ["户编号已存在。"]})
    merged["other_causes"] = list(merged["other_causes"] or [])
    changed = assign_changes(household, merged)
    member_changes: list[tuple[Member, list[str]]] = []
    if members is not None:
        for index, (member_data, number) in enumerate(zip(members, numbers, strict=True)):
            member = current[member_data["id"]]
            typed = {field: member_data[field] for field in MEMBER_FIELDS if field in member_data}
            fields = assign_changes(member, typed)
            if number != member.id_number:
                member.set_id_number(number)
                fields += ID_DERIVED_FIELDS
            full_clean_or_raise(member, exclude=["household", "id_number_hash"], prefix=f"members.{index}.")
            if fields:
                member_changes.append((member, fields))
        head = next(current[member["id"]] for member in members if member.get("relation") == Relation.HEAD)
        changed += assign_changes(
            household,
            {
                "head_name": head.name,
                "head_name_initials": pinyin_initials(head.name),
                "head_name_pinyin": pinyin_full(head.name),
            },
        )
    if not changed and not member_changes:
        # An unchanged save writes nothing: no new version, no history rows (pghistory records row changes).
        return household
    household.version = F("version") + 1
    full_clean_or_raise(household, exclude=["village", "version"])
    with pghistory.context(reason=reason or "修改户信息"):
        household.save(update_fields=[*changed, "version", "updated_at"])
        save_member_changes(user, member_changes, numbers, exclude_member_ids=current.keys())
    refresh_warning_count(household.pk)
    household.refresh_from_db()
    if set(changed) & BREAKDOWN_FIELDS:
        # The statistics' breakdowns count households by these (assessment/breakdowns.py): their
        # cached village figures of the household's years are recomputed, not left stale.
        announce_figures_changed(
            household.village_id, range(household.identified_year or current_year(), current_year() + 1)
        )
    return household


# The fields the statistics group households by (assessment/breakdowns.py).
BREAKDOWN_FIELDS = {"main_cause", "attribute", "identification_standard"}
# What set_id_number derives from the number: written together, only when the number changed.
ID_DERIVED_FIELDS = ["id_number", "id_number_hash", "id_number_masked", "gender", "birth_date"]


def assign_changes(instance, values: dict) -> list[str]:
    """Set `values` on `instance`; the names of the fields whose value really changed.

    Compared as Python values before the save, so a save writes only real changes: an encrypted
    field (phone) is encrypted anew on every write and would otherwise always differ in the row,
    and pghistory records every row that changed.
    """
    changed = []
    for field, value in values.items():
        old = getattr(instance, field)
        if field == "phone":  # NULL and "" are both "no phone"
            old, value = old or None, value or None
        if old != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def save_member_changes(user, member_changes, numbers, *, exclude_member_ids) -> None:
    """Save each changed member, only its changed fields."""
    if not member_changes:
        return
    moving = [member.pk for member, fields in member_changes if "relation" in fields]
    try:
        with transaction.atomic():
            if moving:
                # Heads and spouses may swap: park the moving relations first so the partial unique
                # indexes hold. The parked value is no one's change: pghistory does not record it
                # (the next event's diff is taken against the last recorded row).
                with pgtrigger.ignore("households.Member:update_update"):
                    Member.objects.filter(pk__in=moving).update(relation="")
            for member, fields in member_changes:
                member.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as error:
        if "member_one_active_registration" not in str(error):
            raise
        check_not_registered(user, numbers, exclude_member_ids=exclude_member_ids)
        raise
