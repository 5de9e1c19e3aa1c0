"""Corrections of a registered household's fields and its members' details (never adds or drops one)."""

from __future__ import annotations

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import StaleEdit
from core.permissions import Action, require

from ..codes import HouseholdStatus, Relation
from ..fields import HOUSEHOLD_FIELDS, MEMBER_FIELDS
from ..models import Household, Member
from ..names import pinyin_initials
from ..poverty import current_year
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
    (`add_member` / `remove_member`), never an edit. The version rises by one.
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
    for field, value in merged.items():
        setattr(household, field, value)
    household.other_causes = list(household.other_causes or [])
    updated_members = []
    if members is not None:
        for index, (member_data, number) in enumerate(zip(members, numbers, strict=True)):
            member = current[member_data["id"]]
            for field in MEMBER_FIELDS:
                if field in member_data:
                    setattr(member, field, member_data[field])
            member.set_id_number(number)
            full_clean_or_raise(member, exclude=["household", "id_number_hash"], prefix=f"members.{index}.")
            updated_members.append(member)
        head = next(member for member in updated_members if member.relation == Relation.HEAD)
        household.head_name = head.name
    household.head_name_initials = pinyin_initials(household.head_name)
    household.version = F("version") + 1
    full_clean_or_raise(household, exclude=["village", "version"])
    with pghistory.context(reason=reason or "修改户信息"):
        household.save()
        if updated_members:
            try:
                with transaction.atomic():
                    # Heads and spouses may swap: clear them first so the partial unique indexes hold.
                    Member.objects.filter(pk__in=[m.pk for m in updated_members]).update(relation=Relation.OTHER)
                    for member in updated_members:
                        member.save()
            except IntegrityError as error:
                if "member_one_active_registration" not in str(error):
                    raise
                check_not_registered(user, numbers, exclude_member_ids=current.keys())
                raise
    refresh_warning_count(household.pk)
    household.refresh_from_db()
    return household
