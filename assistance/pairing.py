"""结对帮扶 at scale (docs/domain.md §9.1–§9.2): one helper with many households, moving a helper's households.

The rules of a new pairing (already paired, year locks, the helper's household limit) live once, in
households.services.support.open_pairings, which the single pairing (assign_helper) also uses; this
module adds what a batch needs: scope over the whole batch, a stable lock order, all or nothing,
and a report of what was done. Scope first (a helper outside the user's region is a 404; a household
outside it refuses the whole batch), then the role (core.permissions), then the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from core.parsing import parse_date, parse_int
from core.permissions import Action, require
from core.scoping import get_visible_or_404
from core.text import clean_text
from households.codes import HouseholdStatus
from households.models import Helper, HelperAssignment, Household, HouseholdYearLock
from households.services.support import create_helper, open_pairing_count, open_pairings
from households.services.warning_counts import refresh_warning_counts_of
from households.services.year_locks import locked_message

MAX_BATCH = 2000  # households in one action: a village's list, well above the largest village
# Households that left the register are not paired (docs/domain.md §9.1: pairings end when they leave).
UNPAIRABLE = {HouseholdStatus.REMOVED: "已清退", HouseholdStatus.CANCELLED: "已自然销户"}
MAX_REASON = 200
MAX_ID = 2**63 - 1  # a bigint key


def _id(value, field: str) -> int:
    return parse_int(value, field=field, minimum=1, maximum=MAX_ID)


@dataclass
class PairingResult:
    """What a batch did: the pairings opened, and the households skipped because already paired with the helper."""

    helper: Helper
    created: list[HelperAssignment] = field(default_factory=list)
    already_paired: list[str] = field(default_factory=list)  # 户编号
    with_other_helper: int = 0  # of the created: households that also keep another helper

    @property
    def message(self) -> str:
        text = f"已将{len(self.created)}户与{self.helper.name}结对。"
        if self.already_paired:
            text += f"另有{len(self.already_paired)}户已与{self.helper.name}结对，未重复结对。"
        if self.with_other_helper:
            text += f"其中{self.with_other_helper}户另有其他帮扶责任人。"
        return text


@dataclass
class MoveResult:
    from_helper: Helper
    to_helper: Helper
    ended: int
    opened: int

    @property
    def message(self) -> str:
        text = f"已将{self.ended}户由{self.from_helper.name}调整给{self.to_helper.name}。"
        if self.opened < self.ended:
            text += f"其中{self.ended - self.opened}户原已与{self.to_helper.name}结对，只结束了原结对。"
        return text


def household_id_list(values, *, field_name: str = "households") -> list[int]:
    """Distinct household ids from user input, refused (keyed `field_name`) when not ids or too many."""
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValidationError({field_name: ["请选择农户。"]})
    ids = []
    for value in values:
        ids.append(_id(value, field_name))
    ids = sorted(set(ids))
    if not ids:
        raise ValidationError({field_name: ["请至少选择一户。"]})
    if len(ids) > MAX_BATCH:
        raise ValidationError({field_name: [f"一次最多结对{MAX_BATCH}户，本次选择了{len(ids)}户。"]})
    return ids


def _locked_households(user, ids: list[int], *, field_name: str = "households") -> list[Household]:
    """The households of `ids`, all in the user's scope, locked in id order (two batches never deadlock)."""
    households = list(Household.objects.visible_to(user).filter(pk__in=ids).order_by("pk").select_for_update())
    missing = len(ids) - len(households)
    if missing:
        raise ValidationError(
            {field_name: [f"所选农户中有{missing}户不存在或不在您的管辖范围内，本次未做任何结对。"]},
            code="out_of_scope",
        )
    return households


def _check_pairable(households: list[Household]) -> None:
    gone = [household for household in households if household.status in UNPAIRABLE]
    if gone:
        listed = "、".join(f"{h.household_no}（{UNPAIRABLE[h.status]}）" for h in gone[:10])
        raise ValidationError({"households": [f"以下农户已不在册，不能结对：{listed}。"]})


@transaction.atomic
def pair_households(*, user, helper_id, household_ids, start_date) -> PairingResult:
    """批量结对: pair one helper with many households in one transaction, all or nothing.

    Every household and the helper must be in the user's scope (else nothing is written); households
    already paired with this helper are skipped and counted in the result; the rest are paired
    through open_pairings (year locks, the helper's limit for the whole batch).
    """
    helper = get_visible_or_404(Helper.objects, user, pk=_id(helper_id, "helper"))
    ids = household_id_list(household_ids)
    start_date = parse_date(start_date, field="start_date")
    households = _locked_households(user, ids)
    require(user, Action.PAIR_HELPER)
    _check_pairable(households)
    open_ = HelperAssignment.objects.filter(household_id__in=ids, end_date__isnull=True)
    mine = set(open_.filter(helper=helper).values_list("household_id", flat=True))
    others = set(open_.exclude(helper=helper).values_list("household_id", flat=True))
    to_pair = [household for household in households if household.pk not in mine]
    created = open_pairings([(helper, household, start_date) for household in to_pair], reason="批量结对帮扶")
    return PairingResult(
        helper=helper,
        created=created,
        already_paired=[household.household_no for household in households if household.pk in mine],
        with_other_helper=len(others - mine),
    )


@transaction.atomic
def pair_plan(*, user, plan, reason: str = "批量结对帮扶") -> list[HelperAssignment]:
    """Many helpers at once (an imported list, the demo): (helper id, household id, start date) triples.

    The same guarantees as pair_households, for every triple: all helpers and households in the
    user's scope, the households on the register, then open_pairings (already paired, year locks,
    each helper's limit). All or nothing.
    """
    plan = [
        (_id(helper_id, "helper"), _id(household_id, "households"), parse_date(day, field="start_date"))
        for helper_id, household_id, day in plan
    ]
    helper_ids = {helper_id for helper_id, _, _ in plan}
    helpers = {helper.pk: helper for helper in Helper.objects.visible_to(user).filter(pk__in=helper_ids)}
    if len(helpers) != len(helper_ids):
        raise ValidationError({"helper": ["有帮扶责任人不存在或不在您的管辖范围内，本次未做任何结对。"]})
    ids = sorted({household_id for _, household_id, _ in plan})
    if not ids:
        return []
    households = {household.pk: household for household in _locked_households(user, ids)}
    require(user, Action.PAIR_HELPER)
    _check_pairable(list(households.values()))
    return open_pairings([(helpers[helper_id], households[pk], day) for helper_id, pk, day in plan], reason=reason)


@transaction.atomic
def pair_with_new_helper(*, user, helper: dict, household_ids, start_date) -> PairingResult:
    """批量结对 with a helper registered first (the page's 新增帮扶责任人), in the same transaction."""
    created = create_helper(user=user, **helper)
    return pair_households(user=user, helper_id=created.pk, household_ids=household_ids, start_date=start_date)


@transaction.atomic
def move_households(*, user, from_helper_id, to_helper_id, household_ids=None, reason: str, on) -> MoveResult:
    """调整结对: end a helper's open pairings on `on` with a reason and open them with another helper.

    `household_ids` None moves all the helper's households in the user's scope. The reason is kept
    in the history of both the ended and the new pairings (pghistory context). One transaction:
    the new helper's limit refused leaves the old pairings open.
    """
    source = get_visible_or_404(Helper.objects, user, pk=_id(from_helper_id, "from_helper"))
    target = get_visible_or_404(Helper.objects, user, pk=_id(to_helper_id, "to_helper"))
    on = parse_date(on, field="date")
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["请填写调整原因。"]
    else:
        try:
            clean_text(reason, field="reason")
        except ValidationError as error:
            errors.update(error.message_dict)
    if len(reason) > MAX_REASON:
        errors["reason"] = [f"调整原因最多{MAX_REASON}字。"]
    if source.pk == target.pk:
        errors["to_helper"] = ["请选择另一位帮扶责任人。"]
    if errors:
        raise ValidationError(errors)
    current = HelperAssignment.objects.visible_to(user).filter(helper=source, end_date__isnull=True)
    if household_ids is not None:
        ids = household_id_list(household_ids)
        found = set(current.filter(household_id__in=ids).values_list("household_id", flat=True))
        if len(found) != len(ids):
            stray = len(ids) - len(found)
            message = f"所选农户中有{stray}户不是{source.name}当前结对的农户（或不在您的管辖范围内）。"
            raise ValidationError({"households": [message]})
    else:
        ids = sorted(current.values_list("household_id", flat=True))
        if not ids:
            raise ValidationError({"households": [f"{source.name}当前没有可调整的结对农户。"]})
    households = _locked_households(user, ids)
    require(user, Action.PAIR_HELPER)
    assignments = list(current.filter(household_id__in=ids).select_for_update(of=("self",)).order_by("pk"))
    early = [a for a in assignments if a.start_date > on]
    if early:
        latest = max(a.start_date for a in early)
        raise ValidationError({"date": [f"调整日期不能早于原结对日期（最晚的结对日期为{latest}）。"]})
    lock = (
        HouseholdYearLock.objects.filter(household_id__in=ids, year=on.year)
        .select_related("household", "locked_by")
        .order_by("household_id")
        .first()
    )
    if lock is not None:
        raise ValidationError({"date": [f"户编号{lock.household.household_no}：{locked_message(lock, '调整结对')}"]})
    history = f"调整结对：{source.name}→{target.name}，{reason}"
    with pghistory.context(reason=history):
        HelperAssignment.objects.filter(pk__in=[a.pk for a in assignments]).update(end_date=on)
    already = set(
        HelperAssignment.objects.filter(helper=target, household_id__in=ids, end_date__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    created = open_pairings(
        [(target, household, on) for household in households if household.pk not in already], reason=history
    )
    refresh_warning_counts_of(ids)
    return MoveResult(from_helper=source, to_helper=target, ended=len(assignments), opened=len(created))


def helper_load(helper: Helper) -> int:
    """The helper's open pairings (all of them, in any scope: the limit counts them all)."""
    return open_pairing_count(helper.pk)
