"""Write paths of the registry. Every rule about a household lives here, once.

Forms, the API, the Excel import and the demo all call these functions; they own
the transaction, validate across rows, and raise `ValidationError` whose keys name
the field (`"main_cause"`, `"members"`, `"members.2.id_number"`) with Chinese messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.codes import ParameterKey
from core.errors import DuplicatePerson, StaleEdit
from core.policy import policy_value
from core.regions import RegionLevel
from core.scoping import scope_prefix
from villages.models import Region

from .codes import (
    INCREASE_REASONS,
    AdjustmentKind,
    HouseholdStatus,
    MemberChangeReason,
    PovertyCause,
    Relation,
)
from .idnumbers import id_number_hash, normalize_id_number
from .models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, Household, IncomeRecord, Member
from .names import pinyin_initials

LIVING_CONDITION_FIELDS = [
    "arable_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grain_for_green_mu",
    "orchard_mu",
    "pasture_mu",
    "water_surface_mu",
    "has_production_power",
    "has_household_power",
    "has_radio_tv",
    "water_difficulty",
    "water_safe",
    "distance_to_main_road_km",
    "entry_road_type",
    "housing_area_m2",
    "house_safety_grade",
    "fuel_type",
    "has_sanitary_toilet",
    "in_cooperative",
    "relocation",
]
HOUSEHOLD_FIELDS = [
    "household_no",
    "group_name",
    "phone",
    "identification_standard",
    "attribute",
    "main_cause",
    "other_causes",
    "identified_year",
    "monitoring_category",
    *LIVING_CONDITION_FIELDS,
]
MEMBER_FIELDS = [
    "name",
    "relation",
    "ethnicity",
    "education",
    "school_status",
    "health",
    "labor_skill",
    "work_location",
    "work_months",
]
INCOME_ITEMS = [
    "wage_income",
    "business_income",
    "asset_dividend_income",
    "other_property_income",
    "family_planning_subsidy",
    "dibao_benefit",
    "tekun_benefit",
    "pension",
    "eco_compensation",
    "other_transfer_income",
    "business_expense",
]

# Status moves an adjustment may make (DESIGN.md §Households; domain-reference §2.5).
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
ACTIVE_STATUSES = {HouseholdStatus.CANDIDATE, HouseholdStatus.POOR, HouseholdStatus.EXITED}


@dataclass(frozen=True)
class IncomeFigures:
    property_income: Decimal
    transfer_income: Decimal
    gross_income: Decimal
    net_income: Decimal
    net_income_per_capita: Decimal


def net_income_per_capita(income: IncomeRecord) -> IncomeFigures:
    """人均纯收入 = (工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出) / 家庭人口数.

    domain-reference §1.2. Exact Decimal; rounded only for display.
    """
    property_income = income.asset_dividend_income + income.other_property_income
    transfer_income = (
        income.family_planning_subsidy
        + income.dibao_benefit
        + income.tekun_benefit
        + income.pension
        + income.eco_compensation
        + income.other_transfer_income
    )
    gross = Decimal(income.wage_income) + income.business_income + property_income + transfer_income
    net = gross - income.business_expense
    return IncomeFigures(property_income, transfer_income, gross, net, net / Decimal(income.household_size))


# --- validation ----------------------------------------------------------------------


def max_other_causes(year: int | None) -> int:
    return int(policy_value(ParameterKey.MAX_OTHER_CAUSES, year=year))


def validate_causes(
    main_cause: str, other_causes: list[str], *, year: int | None, limit: int | None = None
) -> dict[str, list[str]]:
    """主要致贫原因 required; 0–2 other causes (max_other_causes), distinct, not repeating the main one."""
    errors: dict[str, list[str]] = {}
    if not main_cause:
        errors["main_cause"] = ["请选择主要致贫原因。"]
    elif main_cause not in PovertyCause.values:
        errors["main_cause"] = ["主要致贫原因不是有效的选项。"]
    limit = max_other_causes(year) if limit is None else limit
    problems = []
    if any(cause not in PovertyCause.values for cause in other_causes):
        problems.append("其他致贫原因含有无效的选项。")
    if len(other_causes) > limit:
        problems.append(f"其他致贫原因最多选{limit}项。")
    if len(set(other_causes)) != len(other_causes):
        problems.append("其他致贫原因不能重复。")
    if main_cause and main_cause in other_causes:
        problems.append("其他致贫原因不能与主要致贫原因相同。")
    if problems:
        errors["other_causes"] = problems
    return errors


def validate_family(members: list[dict]) -> dict[str, list[str]]:
    """Exactly one 户主 and at most one 配偶 among the members."""
    relations = [member.get("relation") for member in members]
    errors = []
    if not members:
        errors.append("至少需要一名家庭成员（户主）。")
    elif relations.count(Relation.HEAD) != 1:
        errors.append(f"户主须有且只有一人，当前为{relations.count(Relation.HEAD)}人。")
    if relations.count(Relation.SPOUSE) > 1:
        errors.append("配偶最多一人。")
    return {"members": errors} if errors else {}


def clean_id_numbers(members: list[dict], *, prefix: str = "members") -> tuple[list[str | None], dict]:
    """Normalise every member's ID number; errors keyed by row; duplicates within the form refused."""
    errors: dict[str, list[str]] = {}
    numbers: list[str | None] = []
    for index, member in enumerate(members):
        try:
            numbers.append(normalize_id_number(member.get("id_number", "")))
        except ValidationError as error:
            numbers.append(None)
            errors[f"{prefix}.{index}.id_number"] = list(error.messages)
    seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if number is None:
            continue
        if number in seen:
            errors[f"{prefix}.{index}.id_number"] = [f"与第{seen[number] + 1}行成员的身份证号码重复。"]
        seen.setdefault(number, index)
    return numbers, errors


def duplicate_message(user, number: str, exclude_member_ids=()) -> str | None:
    """If `number` is actively registered, the Chinese message the user may see, else None.

    The township is named only if the user may see it (the scoping rule).
    """
    existing = (
        Member.objects.filter(id_number_hash=id_number_hash(number), is_active=True)
        .exclude(pk__in=list(exclude_member_ids))
        .select_related("household__village__parent")
        .first()
    )
    if existing is None:
        return None
    return registered_elsewhere_message(user, existing.household.village, existing.household.household_no)


def registered_elsewhere_message(user, village: Region, household_no: str) -> str:
    """The township is named only if the user may see it (the scoping rule)."""
    prefix = scope_prefix(user)
    if prefix is not None and village.code.startswith(prefix):
        return f"该身份证号码已在{village.parent.name}{village.name}（户编号 {household_no}）登记。"
    return "该身份证号码已在其他地区登记，请联系上级部门核实。"


def check_not_registered(user, numbers: list[str | None], *, prefix="members", exclude_member_ids=()) -> None:
    errors = {}
    for index, number in enumerate(numbers):
        if number and (message := duplicate_message(user, number, exclude_member_ids)):
            errors[f"{prefix}.{index}.id_number"] = [message]
    if errors:
        raise DuplicatePerson(errors, code="duplicate_person")


def visible_village(user, village_code: str) -> Region:
    region = Region.objects.visible_to(user).filter(code=village_code, level=RegionLevel.VILLAGE).first()
    if region is None:
        raise ValidationError({"village": ["请选择您管辖范围内的行政村。"]})
    return region


def next_household_no(village: Region) -> str:
    """户编号 for a new household: the village code and a running number (under the village lock)."""
    last = (
        Household.objects.filter(village=village, household_no__startswith=village.code)
        .order_by("-household_no")
        .values_list("household_no", flat=True)
        .first()
    )
    serial = int(last[12:]) + 1 if last and last[12:].isdigit() else 1
    return f"{village.code}{serial:04d}"


def full_clean_or_raise(instance, exclude=(), prefix="") -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationError({f"{prefix}{key}": value for key, value in error.message_dict.items()}) from error


def build_member(household: Household, data: dict, number: str, index: int) -> Member:
    member = Member(household=household, **{field: data[field] for field in MEMBER_FIELDS if field in data})
    member.set_id_number(number)
    full_clean_or_raise(member, exclude=["household", "id_number_hash"], prefix=f"members.{index}.")
    return member


def insert_members(user, members: list[Member], numbers: list[str | None]) -> None:
    """Insert members; a concurrent registration of the same person loses here, cleanly."""
    try:
        with transaction.atomic():
            Member.objects.bulk_create(members)
    except IntegrityError as error:
        if "member_one_active_registration" not in str(error):
            raise
        check_not_registered(user, numbers)
        raise DuplicatePerson({"members": ["该户成员已在其他户登记。"]}, code="duplicate_person") from error


def record(household, kind, *, user, reason, member=None, member_reason="", from_status="", to_status="", when=None):
    entry = adjustment(
        household,
        kind,
        user=user,
        reason=reason,
        member=member,
        member_reason=member_reason,
        from_status=from_status,
        to_status=to_status,
        when=when,
    )
    entry.save()
    return entry


def adjustment(
    household, kind, *, user, reason, member=None, member_reason="", from_status="", to_status="", when=None
):
    """An unsaved AdjustmentRecord (dated today unless `when`)."""
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
        reason=reason,
        created_by=user,
    )


def refresh_warning_count(household_id: int) -> int:
    """Recount a household's 疑点 after a write (households/quality.py holds the rules)."""
    from .quality import household_warnings

    household = Household.objects.get(pk=household_id)
    count = len(household_warnings(household))
    Household.objects.filter(pk=household_id).update(warning_count=count)
    return count


def require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写情况说明。"]})
    return reason.strip()


# --- households ----------------------------------------------------------------------


@dataclass
class NewHousehold:
    """One household to register: its village, its fields (HOUSEHOLD_FIELDS) and its members."""

    village_code: str
    data: dict
    members: list[dict]


@transaction.atomic
def register_household(
    *, user, village_code: str, data: dict, members: list[dict], reason: str = "", candidate: bool = False
) -> Household:
    """Register a new poor household (新识别) with its members, all or nothing.

    Guarantees: the village is in the user's scope; exactly one 户主, at most one 配偶;
    valid causes; every ID number valid and not actively registered anywhere
    (concurrent attempts: exactly one wins); a 新识别 adjustment records who and why.
    With `candidate` the household is 拟识别 and becomes 未脱贫 only when its
    identification application is approved (assessment/services.py).
    """
    (outcome,) = register_households(
        user=user, entries=[NewHousehold(village_code, data, members)], reason=reason, candidate=candidate
    )
    if isinstance(outcome, ValidationError):
        raise outcome
    return outcome


REGISTER_CHUNK = 500  # households built and inserted together by register_households


@transaction.atomic
def register_households(
    *,
    user,
    entries: list[NewHousehold],
    reason: str = "",
    candidate: bool = False,
    write: bool = True,
    progress=None,
) -> list[Household | ValidationError]:
    """register_household for many households at once: the same rules, a few queries per chunk.

    Returns, in order, each household or the ValidationError (DuplicatePerson for a person
    registered elsewhere, or earlier in `entries`) that refused it. The valid ones are written
    even when others are refused; the caller owns the transaction and decides (the 采集表
    import rolls everything back on any error). With `write=False` every check runs and
    nothing is written: the households come back unsaved (the import's preview).
    `progress(done)` is called after each chunk of REGISTER_CHUNK households.
    """
    outcomes: list[Household | ValidationError | None] = [None] * len(entries)
    villages = {
        region.code: region
        for region in Region.objects.visible_to(user)
        .filter(code__in={entry.village_code for entry in entries}, level=RegionLevel.VILLAGE)
        .select_related("parent")
    }
    limits = {year: max_other_causes(year) for year in {entry.data.get("identified_year") for entry in entries}}
    numbers_of: dict[int, list[str | None]] = {}
    for index, entry in enumerate(entries):
        errors: dict[str, list[str]] = {}
        if entry.village_code not in villages:
            errors["village"] = ["请选择您管辖范围内的行政村。"]
        year = entry.data.get("identified_year")
        main_cause, other_causes = entry.data.get("main_cause", ""), entry.data.get("other_causes") or []
        errors.update(validate_causes(main_cause, other_causes, year=year, limit=limits[year]))
        errors.update(validate_family(entry.members))
        numbers, id_errors = clean_id_numbers(entry.members)
        errors.update(id_errors)
        if errors:
            outcomes[index] = ValidationError(errors)
        else:
            numbers_of[index] = numbers

    if write:  # serialises 户编号 per village; in code order, so two imports never wait in a cycle
        codes = {entries[index].village_code for index in numbers_of}
        list(Region.objects.select_for_update().filter(code__in=codes).order_by("code").values_list("code"))
    # Who is registered already, and 户编号 taken: from the database chunk by chunk, then as claimed here.
    registered: dict[str, tuple[Region, str]] = {}
    taken: set[str] = set()
    next_serial: dict[str, int] = {}
    valid = list(numbers_of)
    reason = reason or "新识别登记"
    for start in range(0, len(valid), REGISTER_CHUNK):
        chunk = valid[start : start + REGISTER_CHUNK]
        hashes = [id_number_hash(number) for index in chunk for number in numbers_of[index]]
        for member in Member.objects.filter(id_number_hash__in=hashes, is_active=True).select_related(
            "household__village__parent"
        ):
            registered.setdefault(member.id_number_hash, (member.household.village, member.household.household_no))
        given = [entries[index].data.get("household_no") for index in chunk]
        taken |= set(
            Household.objects.filter(household_no__in=[no for no in given if no]).values_list("household_no", flat=True)
        )
        built: dict[int, tuple[Household, list[Member]]] = {}
        for index in chunk:
            outcome = _build_household(
                user, entries[index], numbers_of[index], villages, registered, taken, next_serial, candidate
            )
            if isinstance(outcome, ValidationError):
                outcomes[index] = outcome
            else:
                built[index] = outcome
                outcomes[index] = outcome[0]
        if write and built:
            _insert_chunk(built, outcomes, user=user, reason=reason, candidate=candidate)
        if progress:
            progress(min(start + REGISTER_CHUNK, len(valid)))
    return outcomes


def _build_household(user, entry, numbers, villages, registered, taken, next_serial, candidate):
    """The unsaved household and members of a checked entry, or why it is refused; claims its IDs and 户编号."""
    from .quality import household_warnings

    village = villages[entry.village_code]
    household = Household(
        village=village, **{field: entry.data[field] for field in HOUSEHOLD_FIELDS if field in entry.data}
    )
    duplicates = {}
    for position, number in enumerate(numbers):
        if found := registered.get(id_number_hash(number)):
            duplicates[f"members.{position}.id_number"] = [registered_elsewhere_message(user, *found)]
    if duplicates:
        return DuplicatePerson(duplicates, code="duplicate_person")
    if household.household_no in taken:
        return ValidationError({"household_no": ["户编号已存在。"]})
    try:
        household.other_causes = list(household.other_causes or [])
        members = [
            build_member(household, member_data, number, position)
            for position, (member_data, number) in enumerate(zip(entry.members, numbers, strict=True))
        ]
        household.head_name = next(member.name for member in members if member.relation == Relation.HEAD)
        household.head_name_initials = pinyin_initials(household.head_name)
        household.member_count = len(members)
        household.status = HouseholdStatus.CANDIDATE if candidate else HouseholdStatus.POOR
        if not household.household_no:
            if village.code not in next_serial:
                next_serial[village.code] = int(next_household_no(village)[12:])
            household.household_no = f"{village.code}{next_serial[village.code]:04d}"
            next_serial[village.code] += 1
        full_clean_or_raise(household, exclude=["village"])
    except ValidationError as error:
        return error
    household.warning_count = len(household_warnings(household, members=members, incomes=[], open_assignments=0))
    taken.add(household.household_no)
    for member in members:
        registered[member.id_number_hash] = (village, household.household_no)
    return household, members


def _insert_chunk(built: dict, outcomes: list, *, user, reason: str, candidate: bool) -> None:
    with pghistory.context(reason=reason):
        try:
            with transaction.atomic():
                _insert_households(list(built.values()), user=user, reason=reason, candidate=candidate)
        except IntegrityError:
            # A concurrent registration took a 户编号 or a person: insert one by one to say which.
            for index, (household, members) in built.items():
                household.pk, household._state.adding = None, True
                outcomes[index] = _insert_one(household, members, user=user, reason=reason, candidate=candidate)


COPY_FROM = 50  # households in a chunk from which COPY beats INSERT (core/bulk.py)


def _insert_households(built: list[tuple[Household, list[Member]]], *, user, reason: str, candidate: bool) -> None:
    from core.bulk import copy_insert

    insert = copy_insert if len(built) >= COPY_FROM else lambda objects: type(objects[0]).objects.bulk_create(objects)
    insert([household for household, _ in built])
    members = []
    for household, household_members in built:
        for member in household_members:
            member.household = household
            members.append(member)
    insert(members)
    if not candidate:
        insert(
            [
                adjustment(household, AdjustmentKind.NEW, user=user, reason=reason, to_status=household.status)
                for household, _ in built
            ]
        )


def _insert_one(household: Household, members: list[Member], *, user, reason: str, candidate: bool):
    """Insert one built household in a savepoint; the saved household, or why it was refused."""
    numbers = [member.id_number for member in members]
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    household.save()
            except IntegrityError as error:
                raise ValidationError({"household_no": ["户编号已存在。"]}) from error
            for member in members:
                member.household = household
            insert_members(user, members, numbers)
            if not candidate:
                record(household, AdjustmentKind.NEW, user=user, reason=reason, to_status=household.status)
    except ValidationError as error:
        household.pk = None
        return error
    return household


@transaction.atomic
def update_household(
    *, user, household_id: int, expected_version: int, data: dict, members: list[dict] | None = None, reason: str = ""
) -> Household:
    """Correct a household's fields and its members' details, refusing a stale edit.

    Members are matched by `id`; adding or removing a member is an adjustment
    (`add_member` / `remove_member`), never an edit. The version rises by one.
    """
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    if household.version != expected_version:
        raise StaleEdit()
    if household.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": ["该户已清退或销户，不能修改。"]})
    merged = {field: data.get(field, getattr(household, field)) for field in HOUSEHOLD_FIELDS}
    merged["household_no"] = merged["household_no"] or household.household_no  # blank keeps the number
    errors = validate_causes(merged["main_cause"], list(merged["other_causes"] or []), year=merged["identified_year"])
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


# 新识别, 脱贫 and 返贫 follow the 公示 and review steps: only an approved application applies them.
APPLICATION_ADJUSTMENTS = {AdjustmentKind.NEW: "识别", AdjustmentKind.EXITED: "户退出", AdjustmentKind.RETURNED: "返贫"}


@transaction.atomic
def change_status(
    *,
    user,
    household_id: int,
    kind: str,
    reason: str,
    effective_date: date | None = None,
    exit_year: int | None = None,
    application=None,
) -> AdjustmentRecord:
    """新识别, 脱贫, 返贫, 清退 or 自然销户: the only way a household's status changes.

    新识别, 脱贫 and 返贫 need the approved `application` of that household
    (assessment/services.py); 清退 and 自然销户 are recorded directly with a reason.
    """
    reason = require_reason(reason)
    if kind not in STATUS_TRANSITIONS:
        raise ValidationError({"kind": ["不是有效的调整类别。"]})
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
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
    from_status = household.status
    household.status = to_status
    if kind == AdjustmentKind.EXITED:
        household.exit_year = exit_year or when.year
    elif kind == AdjustmentKind.RETURNED:
        household.exit_year = None
    household.version = F("version") + 1
    with pghistory.context(reason=reason):
        household.save(update_fields=["status", "exit_year", "version", "updated_at"])
        if to_status not in ACTIVE_STATUSES:
            # Inactive registrations free the person for another household (one *active* registration).
            household.members.filter(is_active=True).update(is_active=False)
            Household.objects.filter(pk=household.pk).update(member_count=0)
        adjustment = record(
            household, kind, user=user, reason=reason, from_status=from_status, to_status=to_status, when=when
        )
    refresh_warning_count(household.pk)
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
    if household.status not in ACTIVE_STATUSES:
        raise ValidationError({"household": ["该户已清退或销户，不能增加成员。"]})
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
    if member.relation == Relation.HEAD:
        raise ValidationError({"member": ["户主不能直接减少：请先将其他成员改为户主。"]})
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
    return adjustment


@transaction.atomic
def save_income(*, user, household_id: int, year: int, items: dict) -> IncomeRecord:
    """Create or replace a household's income of `year`; the household size is taken as of now."""
    household = Household.objects.visible_to(user).select_for_update().get(pk=household_id)
    if household.member_count < 1:
        raise ValidationError({"household": ["该户没有在册成员，不能登记收入。"]})
    from assessment.selectors import locking_application

    lock = locking_application(household_id=household.pk, year=year)
    if lock is not None:
        raise ValidationError(
            {"year": [f"{year}年度已由{lock}审定锁定，修改收入须县级审核员先重新开放。"]}, code="year_locked"
        )
    income, _ = IncomeRecord.objects.get_or_create(
        household=household, year=year, defaults={"household_size": household.member_count}
    )
    for field in INCOME_ITEMS:
        setattr(income, field, Decimal(str(items.get(field, 0) or 0)))
    income.household_size = household.member_count
    full_clean_or_raise(income, exclude=["household"])
    with pghistory.context(reason=f"登记{year}年度收入"):
        income.save()
    refresh_warning_count(household.pk)
    return income


@transaction.atomic
def add_aid_measure(
    *,
    user,
    household_id: int,
    category: str,
    year: int,
    description: str,
    amount: Decimal | str = "0",
    project=None,
) -> AidMeasure:
    """帮扶措施 for a household in the user's scope (from a project when `project` is given)."""
    household = Household.objects.visible_to(user).get(pk=household_id)
    measure = AidMeasure(
        household=household,
        category=category,
        year=year,
        description=description,
        amount=Decimal(str(amount or 0)),
        project=project,
        created_by=user,
    )
    full_clean_or_raise(measure, exclude=["household", "created_by", "project"])
    with pghistory.context(reason="登记帮扶措施"):
        measure.save()
    return measure


@transaction.atomic
def create_helper(*, user, region_code: str, name: str, unit: str, level: str, phone: str = "") -> Helper:
    """帮扶责任人, registered in a region the user may see."""
    region = Region.objects.visible_to(user).filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": ["请选择您管辖范围内的区划。"]})
    helper = Helper(region=region, name=name, unit=unit, level=level, phone=phone or None)
    full_clean_or_raise(helper, exclude=["region"])
    helper.save()
    return helper


@transaction.atomic
def assign_helper(*, user, helper_id: int, household_id: int, start_date: date) -> HelperAssignment:
    """Pair a helper with a household (both in the user's scope); one open pairing per pair."""
    helper = Helper.objects.visible_to(user).get(pk=helper_id)
    household = Household.objects.visible_to(user).get(pk=household_id)
    if HelperAssignment.objects.filter(helper=helper, household=household, end_date__isnull=True).exists():
        raise ValidationError({"helper": ["该帮扶责任人已与此户结对。"]})
    with pghistory.context(reason="结对帮扶"):
        assignment = HelperAssignment.objects.create(helper=helper, household=household, start_date=start_date)
    refresh_warning_count(household.pk)
    return assignment


@transaction.atomic
def end_helper_assignment(*, user, assignment_id: int, end_date: date) -> HelperAssignment:
    assignment = HelperAssignment.objects.visible_to(user).select_for_update().get(pk=assignment_id)
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": ["结束日期不能早于结对日期。"]})
    assignment.end_date = end_date
    with pghistory.context(reason="结束结对帮扶"):
        assignment.save(update_fields=["end_date"])
    refresh_warning_count(assignment.household_id)
    return assignment


def unmask_household(*, user, household_id: int) -> dict:
    """The full ID numbers and phone of a household, for a user holding the permission; audited.

    Returns {"phone": ..., "members": {member_id: id_number}}. Each call writes an AccessAudit row.
    """
    from core.models import AccessAudit

    if not user.has_perm("households.view_full_id"):
        raise PermissionError("no permission to view full personal data")
    household = Household.objects.visible_to(user).get(pk=household_id)
    members = {member.pk: member.id_number for member in household.members.filter(is_active=True)}
    AccessAudit.objects.create(
        user=user,
        action=AccessAudit.Action.UNMASK,
        object_type="household",
        object_id=str(household.pk),
        detail=f"户编号 {household.household_no}",
        row_count=len(members),
    )
    return {"phone": household.phone or "", "members": members}


def refresh_warning_counts(prefix: str = "", chunk_size: int = 500) -> int:
    """Recount the 疑点 of every household under a code prefix, a chunk at a time; returns how many.

    Used after bulk loads and nightly; each chunk is a handful of queries, not one per household.
    """
    from django.db.models import Count, Q

    from .quality import household_warnings
    from .selectors import active_members

    households = Household.objects.within_prefix(prefix) if prefix else Household.objects.all()
    ids = list(households.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        batch = list(
            Household.objects.filter(pk__in=ids[start : start + chunk_size])
            .prefetch_related(active_members(), "incomes")
            .annotate(open_assignments=Count("helper_assignments", filter=Q(helper_assignments__end_date=None)))
        )
        for household in batch:
            household.warning_count = len(
                household_warnings(
                    household,
                    members=household.active_members,
                    incomes=list(household.incomes.all()),
                    open_assignments=household.open_assignments,
                )
            )
        Household.objects.bulk_update(batch, ["warning_count"])
    return len(ids)
