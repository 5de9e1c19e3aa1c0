"""Validate every household of a 采集表 through the registry services, preview, and commit
in one transaction or not at all.

The preview runs every check and writes no new household (register_households(write=False));
确认导入 runs them again in the transaction that writes. New households enter as 拟识别, or as
一般农户 where the row's 户状态 says so (blank: 拟识别). A
household already in the registry is left alone when the file says the same, else corrected
through update_household. A 历史数据导入 (`historical`) loads only households not yet in the
registry, each with its status and years, and records the load (services/historical.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from core.regions import RegionLevel
from villages.models import Region

from .. import services
from ..codes import Gender, HouseholdStatus
from ..idnumbers import id_number_hash, mask_phone, normalize_id_number
from ..models import Household, Member
from ..resources import HOUSEHOLD_SHEET
from .guard import check_upload
from .rows import HOUSEHOLD_IMPORT_FIELDS, MEMBER_IMPORT_FIELDS, household_data, map_errors, member_data, same_values
from .sheets import ParsedRow, ReadResult, SheetError, is_masked, read_file


@dataclass
class ImportResult:
    """What a file did (or, in a preview, would do) to the registry, and every error in it."""

    households_new: int = 0
    households_changed: int = 0
    households_unchanged: int = 0
    members_new: int = 0
    members_changed: int = 0
    members_unchanged: int = 0
    errors: list[SheetError] = field(default_factory=list)
    committed: bool = False
    # How the file was read (import_file sets it): layouts, normalisations, notes (sheets.ReadResult).
    reading: ReadResult | None = None

    def counts(self) -> dict:
        return {
            "households_new": self.households_new,
            "households_changed": self.households_changed,
            "households_unchanged": self.households_unchanged,
            "members_new": self.members_new,
            "members_changed": self.members_changed,
            "members_unchanged": self.members_unchanged,
        }


class _DryRun(Exception):
    """Raised to roll back a validation run."""


EXISTING_LOOKUP_CHUNK = 2000


def _existing_households(user, numbers: list[str]) -> tuple[dict[str, Household], set[str]]:
    """The user's households with these 户编号 (active members prefetched), and every taken 户编号."""
    mine: dict[str, Household] = {}
    taken: set[str] = set()
    for start in range(0, len(numbers), EXISTING_LOOKUP_CHUNK):
        chunk = numbers[start : start + EXISTING_LOOKUP_CHUNK]
        taken |= set(Household.objects.filter(household_no__any=chunk).values_list("household_no", flat=True))
        if taken:
            active = Prefetch("members", queryset=Member.objects.filter(is_active=True), to_attr="active_members")
            households = Household.objects.visible_to(user).filter(household_no__any=chunk)
            for household in households.prefetch_related(active):
                mine[household.household_no] = household
    return mine, taken


def _apply_existing(user, existing: Household, household_row: ParsedRow, member_rows: list[ParsedRow], result) -> None:
    """A household already registered: unchanged, or corrected through update_household."""
    values = household_row.values
    data = household_data(values)
    members = [member_data(row.values) for row in member_rows]
    refused: dict[str, list[str]] = {}
    if values.get("village_id") and values["village_id"] != existing.village_id:
        refused["village_id"] = ["所在村与系统中该户的不一致；迁移请使用动态调整。"]
    if is_masked(data.get("phone")):
        if data["phone"] == mask_phone(existing.phone or ""):
            del data["phone"]  # the clerk's own masked export: the stored number stays
        else:
            refused["phone"] = [MASKED_MISMATCH.format(what="联系电话", whose="该户的号码")]
    current = {member.id_number_hash: member for member in existing.active_members}
    matched = []
    for position, member in enumerate(members):
        typed = member.get("id_number", "")
        if is_masked(typed):
            found = _masked_member(typed, member.get("name"), existing.active_members, matched)
            if found is None:
                refused[f"members.{position}.id_number"] = [
                    MASKED_MISMATCH.format(what="证件号码", whose="该户成员的号码")
                ]
            else:
                member["id_number"] = found.id_number  # the stored number, which the mask shows
        else:
            try:
                found = current.get(id_number_hash(normalize_id_number(typed)))
            except ValidationError:
                found = None
        if found is not None:
            member["id"] = found.pk
        matched.append(found)
    if refused:
        raise ValidationError(refused)
    members_same = [
        found is not None and same_values(found, member, MEMBER_IMPORT_FIELDS[:1] + MEMBER_IMPORT_FIELDS[2:])
        for found, member in zip(matched, members, strict=True)
    ]
    household_same = same_values(existing, data, HOUSEHOLD_IMPORT_FIELDS)
    if household_same and all(members_same) and len(members) == len(current):
        result.households_unchanged += 1
        result.members_unchanged += len(members)
        return
    services.update_household(
        user=user,
        household_id=existing.pk,
        expected_version=existing.version,
        data=data,
        members=members,
        reason="采集表导入更新",
    )
    result.households_changed += 1
    result.members_changed += members_same.count(False)
    result.members_unchanged += members_same.count(True)


MASKED_MISMATCH = "{what}是脱敏值（含*），与系统中{whose}不一致；请填写完整号码。"
MASKED_NEW = "{what}是脱敏值（含*）：新登记的{whom}须填写完整号码。"


def _masked_member(masked: str, name, members: list[Member], taken: list) -> Member | None:
    """The one member of the household whose stored number the mask shows (by name when two do)."""
    shown = masked.replace("＊", "*")
    candidates = [
        member
        for member in members
        if member not in taken
        and len(member.id_number_masked) == len(shown)
        and member.id_number_masked[:6] == shown[:6]
        and member.id_number_masked[-4:] == shown[-4:]
        and set(shown[6:-4]) == {"*"}
    ]
    if len(candidates) > 1:
        candidates = [member for member in candidates if member.name == name]
    return candidates[0] if len(candidates) == 1 else None


def _masked_in_new(row: ParsedRow, members: list[ParsedRow]) -> list[SheetError]:
    """A new household cannot take a masked number: there is no stored one it could mean."""
    errors = []
    if is_masked(row.values.get("phone")):
        errors.append(row.error("phone", MASKED_NEW.format(what="联系电话", whose="", whom="户")))
    for member in members:
        if is_masked(member.values.get("id_number")):
            errors.append(member.error("id_number", MASKED_NEW.format(what="证件号码", whose="", whom="成员")))
    return errors


def resolve_villages(user, household_rows: list[ParsedRow]) -> list[SheetError]:
    """A village given by name (所在村) becomes its code when exactly one village of the user's
    scope has that name; none or several (named with their townships and codes) is an error."""
    wanted = {
        row.values["village__name"]
        for row in household_rows
        if not row.values.get("village_id") and row.values.get("village__name")
    }
    if not wanted:
        return []
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, name, township in (
        Region.objects.visible_to(user)
        .filter(level=RegionLevel.VILLAGE, name__in=wanted)
        .values_list("code", "name", "parent__name")
        .order_by("code")
    ):
        found[name].append((code, township))
    errors = []
    for row in household_rows:
        name = row.values.get("village__name")
        if row.values.get("village_id") or not name:
            continue
        candidates = found.get(name, [])
        if len(candidates) == 1:
            row.values["village_id"] = candidates[0][0]
        elif not candidates:
            errors.append(row.error("village__name", f"您管辖范围内没有名为“{name}”的行政村；请填写12位的所在村代码。"))
        else:
            listed = "、".join(f"{township}{name}（{code}）" for code, township in candidates[:5])
            errors.append(
                row.error("village__name", f"您管辖范围内有{len(candidates)}个“{name}”：{listed}；请填写所在村代码。")
            )
    return errors


def _id_birth_and_gender(number) -> tuple[str, str] | None:
    """YYYYMMDD and the Gender code an ID number says (15 or 18 digits), or None when it is not one."""
    if not isinstance(number, str) or is_masked(number):
        return None
    if len(number) == 18 and number[:17].isascii() and number[:17].isdigit():
        return number[6:14], Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    if len(number) == 15 and number.isascii() and number.isdigit():
        return "19" + number[6:12], Gender.MALE if int(number[14]) % 2 else Gender.FEMALE
    return None


def cross_checks(household_rows: list[ParsedRow], by_number: dict[str, list[ParsedRow]]) -> list[SheetError]:
    """家庭人口数 against the member rows, 出生日期 and 性别 against the ID number: a file that
    says two things is an error naming both values (the registry keeps the derived ones)."""
    errors = []
    for row in household_rows:
        declared = row.values.get("member_count")
        if declared is not None:
            actual = len(by_number.get(row.values.get("household_no") or "", []))
            if declared != actual:
                errors.append(
                    row.error("member_count", f"家庭人口数填写为{declared}，但文件中该户有{actual}名成员，请核对。")
                )
    labels = dict(Gender.choices)
    for rows in by_number.values():
        for member in rows:
            birth, gender = member.values.get("birth_date"), member.values.get("gender")
            if birth is None and gender is None:
                continue
            derived = _id_birth_and_gender(member.values.get("id_number"))
            if derived is None:
                continue  # no number to compare with: the number's own error is reported
            if birth is not None and f"{birth:%Y%m%d}" != derived[0]:
                from_id = f"{derived[0][:4]}-{derived[0][4:6]}-{derived[0][6:]}"
                errors.append(
                    member.error(
                        "birth_date", f"出生日期{birth:%Y-%m-%d}与证件号码中的出生日期{from_id}不一致，请核对。"
                    )
                )
            if gender is not None and gender != derived[1]:
                errors.append(
                    member.error(
                        "gender", f"性别“{labels[gender]}”与证件号码所示的“{labels[derived[1]]}”不一致，请核对。"
                    )
                )
    return errors


# 户状态 of a new household in a 采集表: blank or 拟识别 registers it 拟识别, 一般农户 a 一般农户
# (docs/domain.md §12.2); any other status is reached only through its procedure.
NEW_HOUSEHOLD_ORDINARY = {None: False, HouseholdStatus.CANDIDATE: False, HouseholdStatus.ORDINARY: True}
NEW_STATUS_REFUSAL = (
    "新登记的户，户状态只能填“一般农户”或留空（即拟识别）；未脱贫、已脱贫等由识别、退出程序产生，"
    "系统启用前的户请用历史数据导入。"
)


def _with_known_status(
    pending: list, result: ImportResult, *, historical: bool
) -> list[tuple[ParsedRow, list[ParsedRow], bool]]:
    """The new households whose 户状态 a registration accepts, each with whether it is a 一般农户."""
    if historical:  # the row's 户状态 is the record's own (services/historical.py)
        return [(row, members, False) for row, members in pending]
    known = []
    for row, members in pending:
        status = row.values.get("status") or None
        if status in NEW_HOUSEHOLD_ORDINARY:
            known.append((row, members, NEW_HOUSEHOLD_ORDINARY[status]))
        else:
            result.errors.append(row.error("status", NEW_STATUS_REFUSAL))
    return known


def _register_new(
    user, pending: list[tuple[ParsedRow, list[ParsedRow]]], result: ImportResult, *, commit, progress, historical
) -> list:
    """The file's new households through services.register_households (the preview writes nothing)."""
    pending = _with_known_status(pending, result, historical=historical)
    for row, members, _ in pending:
        result.errors += _masked_in_new(row, members)
    entries = [
        services.NewHousehold(
            row.values.get("village_id") or "",
            household_data(row.values, historical=historical),
            [member_data(m.values) for m in members],
            ordinary=ordinary,
        )
        for row, members, ordinary in pending
    ]
    outcomes = services.register_households(
        user=user,
        entries=entries,
        reason="历史数据导入" if historical else "采集表导入",
        write=commit,
        progress=progress,
        historical=historical,
    )
    for (row, members, _), entry, outcome in zip(pending, entries, outcomes, strict=True):
        if isinstance(outcome, ValidationError):
            result.errors += map_errors(outcome, row, members)
        else:
            result.households_new += 1
            result.members_new += len(entry.members)
    return outcomes


def import_rows(
    user,
    household_rows,
    member_rows,
    errors: list[SheetError],
    *,
    commit: bool,
    progress=None,
    historical: bool = False,
    source_name: str = "",
    import_job=None,
) -> ImportResult:
    """Validate (and with `commit`, write) every household; any error anywhere writes nothing.

    With `historical` (a 历史数据导入 of `source_name`, by `import_job`) the households keep their
    status and years and the load is recorded with them.
    """
    result = ImportResult(errors=list(errors))
    by_number: dict[str, list[ParsedRow]] = {}
    for row in member_rows:
        by_number.setdefault(row.values.get("household__household_no") or "", []).append(row)
    known = {row.values.get("household_no") for row in household_rows}
    for number, rows in by_number.items():
        if number not in known:
            reason = f"在“{HOUSEHOLD_SHEET}”表中找不到该户编号。" if number else "请填写户编号（用于关联到户）。"
            result.errors += [row.error("household__household_no", reason) for row in rows]
    result.errors += resolve_villages(user, household_rows)
    result.errors += cross_checks(household_rows, by_number)
    seen: dict[str, int] = {}
    pending: list[tuple[ParsedRow, list[ParsedRow]]] = []
    reported = 0

    def report(done: int) -> None:
        nonlocal reported
        if progress and done // 200 > reported // 200:
            progress(done)
            reported = done

    try:
        with transaction.atomic():
            mine, taken = _existing_households(user, sorted(number for number in known if number))
            for index, household_row in enumerate(household_rows, start=1):
                report(index - len(pending))
                number = household_row.values.get("household_no")
                if not number:
                    result.errors.append(household_row.error("household_no", "请填写户编号（用于关联家庭成员）。"))
                    continue
                if number in seen:
                    result.errors.append(household_row.error("household_no", f"与第{seen[number]}行户编号重复。"))
                    continue
                seen[number] = household_row.row
                rows = by_number.get(number, [])
                if historical and number in taken:
                    result.errors.append(
                        household_row.error("household_no", "该户已在系统中：历史数据导入只导入尚未登记的户。")
                    )
                    continue
                if number not in taken:
                    pending.append((household_row, rows))  # registered together after the loop
                    continue
                try:
                    if number not in mine:
                        raise ValidationError({"household_no": ["户编号已被您管辖范围以外的户使用。"]})
                    with transaction.atomic():
                        _apply_existing(user, mine[number], household_row, rows, result)
                except services.StaleEdit:
                    result.errors.append(household_row.error("household_no", services.StaleEdit.message))
                except ValidationError as error:
                    result.errors += map_errors(error, household_row, rows)
            outcomes = []
            if pending:
                settled = len(household_rows) - len(pending)
                outcomes = _register_new(
                    user,
                    pending,
                    result,
                    commit=commit,
                    progress=lambda done: report(settled + done),
                    historical=historical,
                )
            if result.errors or not commit:
                raise _DryRun
            if historical:
                services.record_historical_load(
                    user=user,
                    region_code=user.region_id,
                    original_name=source_name,
                    household_ids=[household.pk for household in outcomes],
                    member_count=result.members_new,
                    import_job=import_job,
                )
            result.committed = True
    except _DryRun:
        pass
    # A cell that could not be read is then also "missing" to the services: report it once.
    unique = {}
    for error in result.errors:
        unique.setdefault((error.sheet, error.row, error.column), error)
    result.errors = sorted(unique.values(), key=lambda error: (error.sheet != HOUSEHOLD_SHEET, error.row))
    return result


def import_file(user, path: Path, *, commit: bool, progress=None, historical: bool = False) -> ImportResult:
    """Guard, read and import one file (validate only, or with `commit` write)."""
    check_upload(path)
    read = read_file(path, historical=historical)
    result = import_rows(
        user,
        read.households,
        read.members,
        read.errors,
        commit=commit,
        progress=progress,
        historical=historical,
        source_name=path.name,
    )
    result.reading = read
    return result
