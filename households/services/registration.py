"""Registering new households: one, or a whole 采集表 at once. Every new household is 拟识别 (or a 一般农户).

Forms, the API and the Excel import all call `register_household` / `register_households`,
which own the transaction, validate across rows, and refuse with `ValidationError` keyed by
field (`"main_cause"`, `"members"`, `"members.2.id_number"`). A new household enters as 拟识别
and becomes 未脱贫 only when its 识别 application is approved (docs/domain.md §5.1); the typed
identification year is what the application asks for, never a year it already counts in.
Only the 历史数据导入 (`historical=True`, services/historical.py) keeps a record's status and
years. A 一般农户 (`ordinary=True`: a never-poor household registered to be monitored as
边缘易致贫户, docs/domain.md §12.2) follows the same member and ID rules but carries no poverty
attributes, causes or identification year, and counts as poor nowhere. Large batches are
written with COPY (core/bulk.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.bulk import build, copy_insert
from core.cleaning import BatchCleaner
from core.errors import DuplicatePerson
from core.parsing import is_ascii_digits, parse_year
from core.permissions import Action, require
from core.regions import RegionLevel
from villages.models import Region

from ..codes import HouseholdStatus, Relation
from ..fields import HOUSEHOLD_FIELDS
from ..idnumbers import id_number_hash
from ..models import Household, Member
from ..names import pinyin_full, pinyin_initials
from ..poverty import current_year
from ..quality import household_warnings
from ..signals import announce_figures_changed
from .validation import (
    build_member,
    check_not_registered,
    clean_id_numbers,
    full_clean_or_raise,
    max_other_causes,
    registered_elsewhere_message,
    validate_causes,
    validate_family,
    validate_poverty_fields,
)


def next_household_serial(village: Region) -> int:
    """The running number of the village's next 户编号 (the village code, then four digits).

    Read under the village's row lock, so two registrations never take the same number.
    """
    last = (
        Household.objects.filter(village=village, household_no__startswith=village.code)
        .order_by("-household_no")
        .values_list("household_no", flat=True)
        .first()
    )
    serial = last.removeprefix(village.code) if last else ""
    return int(serial) + 1 if is_ascii_digits(serial) else 1


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


@dataclass
class NewHousehold:
    """One household to register: its village, its fields (HOUSEHOLD_FIELDS) and its members."""

    village_code: str
    data: dict
    members: list[dict]
    ordinary: bool = False  # a 一般农户: no poverty attributes, never poor


@transaction.atomic
def register_household(
    *, user, village_code: str, data: dict, members: list[dict], reason: str = "", ordinary: bool = False
) -> Household:
    """Register a new household (拟识别, or with `ordinary` a 一般农户) with its members, all or nothing.

    Guarantees: the village is in the user's scope; exactly one 户主, at most one 配偶;
    valid causes; every ID number valid and not actively registered anywhere
    (concurrent attempts: exactly one wins). The household is 拟识别 and becomes 未脱贫
    only when its identification application is approved (docs/domain.md §5.1).
    """
    entry = NewHousehold(village_code, data, members, ordinary=ordinary)
    (outcome,) = register_households(user=user, entries=[entry], reason=reason)
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
    write: bool = True,
    progress=None,
    historical: bool = False,
) -> list[Household | ValidationError]:
    """register_household for many households at once: the same rules, a few queries per chunk.

    Returns, in order, each household or the ValidationError (DuplicatePerson for a person
    registered elsewhere, or earlier in `entries`) that refused it. The valid ones are written
    even when others are refused; the caller owns the transaction and decides (the 采集表
    import rolls everything back on any error). With `write=False` every check runs and
    nothing is written: the households come back unsaved (the import's preview).
    `progress(done)` is called after each chunk of REGISTER_CHUNK households.
    With `historical` (the 历史数据导入 only) each entry's data also carries its `status` and
    `exit_year`, which the households keep; the caller then records the load
    (services/historical.py), which writes their back-dated log.
    """
    # A historical load is its own action (county and province); registering is the clerk's.
    require(user, Action.LOAD_HISTORICAL_RECORDS if historical else Action.REGISTER_HOUSEHOLD)
    outcomes: list[Household | ValidationError | None] = [None] * len(entries)
    villages = {
        region.code: region
        for region in Region.objects.visible_to(user)
        .filter(code__in={entry.village_code for entry in entries}, level=RegionLevel.VILLAGE)
        .select_related("parent")
    }
    limits = {year: max_other_causes(year) for year in {entry.data.get("identified_year") for entry in entries}}
    numbers_of: dict[int, list[str | None]] = {}
    hashes_of: dict[int, list[str]] = {}  # each number's keyed hash, computed once
    for index, entry in enumerate(entries):
        errors: dict[str, list[str]] = {}
        if entry.village_code not in villages:
            errors["village"] = ["请选择您管辖范围内的行政村。"]
        year = entry.data.get("identified_year")
        main_cause, other_causes = entry.data.get("main_cause", ""), entry.data.get("other_causes") or []
        if entry.ordinary and historical:
            errors["status"] = ["历史数据导入不登记一般农户。"]
        errors.update(validate_poverty_fields(entry.data, ordinary=entry.ordinary))
        if not entry.ordinary:
            errors.update(validate_causes(main_cause, other_causes, year=year, limit=limits[year]))
        errors.update(validate_family(entry.members))
        numbers, id_errors = clean_id_numbers(entry.members)
        errors.update(id_errors)
        if errors:
            outcomes[index] = ValidationError(errors)
        else:
            numbers_of[index] = numbers
            hashes_of[index] = [id_number_hash(number) for number in numbers]

    if write:  # serialises 户编号 per village; in code order, so two imports never wait in a cycle
        codes = {entries[index].village_code for index in numbers_of}
        list(Region.objects.select_for_update().filter(code__in=codes).order_by("code").values_list("code"))
    # Who is registered already, and 户编号 taken: from the database chunk by chunk, then as claimed here.
    registered: dict[str, tuple[Region, str]] = {}
    taken: set[str] = set()
    next_serial: dict[str, int] = {}
    valid = list(numbers_of)
    reason = reason or ("登记一般农户（纳入监测）" if all(entry.ordinary for entry in entries) else "登记拟识别户")
    cleaner = BatchCleaner()  # each distinct plain value cleaned once for the whole batch
    today = timezone.localdate()
    for start in range(0, len(valid), REGISTER_CHUNK):
        chunk = valid[start : start + REGISTER_CHUNK]
        hashes = [number_hash for index in chunk for number_hash in hashes_of[index]]
        for number_hash, where in _registered_elsewhere(hashes).items():
            registered.setdefault(number_hash, where)
        given = [number for index in chunk if (number := entries[index].data.get("household_no"))]
        taken |= set(Household.objects.filter(household_no__any=given).values_list("household_no", flat=True))
        built: dict[int, tuple[Household, list[Member]]] = {}
        for index in chunk:
            outcome = _build_household(
                user,
                entries[index],
                list(zip(numbers_of[index], hashes_of[index], strict=True)),
                villages,
                registered,
                taken,
                next_serial,
                historical,
                cleaner,
                today,
            )
            if isinstance(outcome, ValidationError):
                outcomes[index] = outcome
            else:
                built[index] = outcome
                outcomes[index] = outcome[0]
        if write and built:
            _insert_chunk(built, outcomes, user=user, reason=reason)
        if progress:
            progress(min(start + REGISTER_CHUNK, len(valid)))
    if write and not historical:  # a historical load announces its own years (services/historical.py)
        for code in {entries[index].village_code for index in valid if isinstance(outcomes[index], Household)}:
            # 拟识别 households count in no incidence yet, but in the registered totals of the year.
            announce_figures_changed(code, [current_year()])
    return outcomes


def _registered_elsewhere(hashes: list[str]) -> dict[str, tuple[Region, str]]:
    """Each of these ID-number hashes actively registered: its village and 户编号.

    The hashes first, alone: a probe of a chunk's 1,750 keys in the registration index takes
    14–20 ms, while the same probe joined to households and regions was planned with a parallel
    worker whose start cost more than the probe, for a result that is almost always empty.
    """
    found = dict(
        Member.objects.filter(id_number_hash__any=hashes, is_active=True).values_list("id_number_hash", "household_id")
    )
    if not found:
        return {}
    households = Household.objects.select_related("village__parent").in_bulk(set(found.values()))
    return {
        number_hash: (households[household_id].village, households[household_id].household_no)
        for number_hash, household_id in found.items()
    }


# What a historical record may say about its status, and what it must then carry.
HISTORICAL_STATUS_LABELS = {
    HouseholdStatus.CANDIDATE: "拟识别",
    HouseholdStatus.POOR: "未脱贫",
    HouseholdStatus.EXITED: "已脱贫",
}


def _historical_status(entry) -> tuple[str, int | None]:
    """The status and exit year a historical record keeps, or ValidationError."""
    status = entry.data.get("status") or ""
    exit_year = entry.data.get("exit_year")
    if status not in HISTORICAL_STATUS_LABELS:
        raise ValidationError({"status": ["历史数据导入只导入拟识别、未脱贫或已脱贫的户，请填写户状态。"]})
    if status == HouseholdStatus.EXITED and not exit_year:
        raise ValidationError({"exit_year": ["已脱贫的户须填写脱贫年度。"]})
    if status != HouseholdStatus.EXITED and exit_year:
        raise ValidationError({"exit_year": ["只有已脱贫的户填写脱贫年度。"]})
    return status, (parse_year(exit_year, field="exit_year") if exit_year else None)


def _build_household(user, entry, numbers, villages, registered, taken, next_serial, historical, cleaner, today):
    """The unsaved household and members of a checked entry, or why it is refused; claims its IDs and 户编号.

    `numbers`: each member's normalised ID number with its keyed hash."""
    village = villages[entry.village_code]
    household = build(
        Household, {field: entry.data[field] for field in HOUSEHOLD_FIELDS if field in entry.data}, {"village": village}
    )
    duplicates = {}
    for position, (_, number_hash) in enumerate(numbers):
        if found := registered.get(number_hash):
            duplicates[f"members.{position}.id_number"] = [registered_elsewhere_message(user, *found)]
    if duplicates:
        return DuplicatePerson(duplicates, code="duplicate_person")
    if household.household_no in taken:
        return ValidationError({"household_no": ["户编号已存在。"]})
    try:
        household.other_causes = list(household.other_causes or [])
        members = [
            build_member(household, member_data, number, position, cleaner, number_hash)
            for position, (member_data, (number, number_hash)) in enumerate(zip(entry.members, numbers, strict=True))
        ]
        household.head_name = next(member.name for member in members if member.relation == Relation.HEAD)
        household.head_name_initials = pinyin_initials(household.head_name)
        household.head_name_pinyin = pinyin_full(household.head_name)
        household.member_count = len(members)
        if historical:
            household.status, household.exit_year = _historical_status(entry)
        else:
            household.status = HouseholdStatus.ORDINARY if entry.ordinary else HouseholdStatus.CANDIDATE
        if not household.household_no:
            if village.code not in next_serial:
                next_serial[village.code] = next_household_serial(village)
            household.household_no = f"{village.code}{next_serial[village.code]:04d}"
            next_serial[village.code] += 1
        full_clean_or_raise(household, exclude=["village"], cleaner=cleaner)
    except ValidationError as error:
        return error
    warnings = household_warnings(household, members=members, incomes=[], open_assignments=0, today=today)
    household.warning_count = len(warnings)
    taken.add(household.household_no)
    for member in members:
        registered[member.id_number_hash] = (village, household.household_no)
    return household, members


def _insert_chunk(built: dict, outcomes: list, *, user, reason: str) -> None:
    with pghistory.context(reason=reason):
        try:
            with transaction.atomic():
                _insert_households(list(built.values()))
        except IntegrityError:
            # A concurrent registration took a 户编号 or a person: insert one by one to say which.
            for index, (household, members) in built.items():
                household.pk, household._state.adding = None, True
                outcomes[index] = _insert_one(household, members, user=user)


COPY_FROM = 50  # households in a chunk from which COPY beats INSERT (core/bulk.py)


def _insert_households(built: list[tuple[Household, list[Member]]]) -> None:
    insert = copy_insert if len(built) >= COPY_FROM else lambda objects: type(objects[0]).objects.bulk_create(objects)
    insert([household for household, _ in built])
    members = []
    for household, household_members in built:
        for member in household_members:
            member.household_id = household.pk  # built with this household: only its new key is missing
            members.append(member)
    insert(members)


def _insert_one(household: Household, members: list[Member], *, user):
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
    except ValidationError as error:
        household.pk = None
        return error
    return household
