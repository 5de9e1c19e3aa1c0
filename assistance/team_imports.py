"""导入驻村工作队花名册 (docs/domain.md §9.4): one sheet of members, through the same services as the pages.

The upload is checked like a 采集表 (households.imports.guard) and read in the same bounded child
process, then deleted. The import is synchronous: a roster is a few hundred rows at most
(MAX_ROWS), a few seconds of work. All or nothing: every row is tried, in a savepoint of one
transaction; if any row fails, the transaction is rolled back and each failing row is reported
with its number and the reason in Chinese. A village without an open team gets one, from the
earliest 到岗日期 of its rows, sent by the first 派出单位 named.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from core.parsing import parse_date, parse_region_code
from core.permissions import Action, require
from core.regions import RegionLevel
from households.imports.guard import UploadRefused, store_checked_upload, upload_problems
from households.imports.sheets import first_sheet_rows  # the one bounded reader of one-table uploads
from villages.models import Region

from . import teams
from .codes import TeamRole
from .models import VillageTeam
from .units import units_for

MAX_ROWS = 2_000
HEADERS = ["村代码", "村名", "姓名", "工作单位", "职务", "联系电话", "到岗日期", "派出单位"]
REQUIRED = ["姓名", "工作单位", "职务", "到岗日期"]
# A service's field → the column a clerk reads in the report.
COLUMN_OF = {
    "village": "村代码",
    "village_code": "村代码",
    "name": "姓名",
    "unit": "工作单位",
    "role": "职务",
    "phone": "联系电话",
    "start_date": "到岗日期",
    "unit_id": "派出单位",
    "team": "工作队",
}
ROLE_OF = {str(label): code for code, label in TeamRole.choices}


class RosterRefused(Exception):
    """Some rows failed: nothing was written; `rows` are {"row": number, "reason": 中文} in sheet order."""

    def __init__(self, rows: list[dict]):
        super().__init__(f"{len(rows)} roster rows refused")
        self.rows = rows


def import_roster(*, user, uploaded) -> dict:
    """Check, read and import a roster; {"members": n, "teams": n} written, or RosterRefused / ValidationError."""
    require(user, Action.MANAGE_VILLAGE_TEAM)
    if uploaded is None:
        raise ValidationError({"file": ["请选择要上传的花名册（.xlsx）。"]})
    if problems := upload_problems(uploaded):
        raise ValidationError({"file": problems})
    with tempfile.TemporaryDirectory(prefix="roster-") as directory:
        path = Path(directory) / store_checked_upload(uploaded, Path(directory))
        try:
            rows = read_roster(path)
        except UploadRefused as refused:
            raise ValidationError({"file": refused.messages}) from refused
    return write_roster(user, rows)


def read_roster(path: Path) -> list[tuple[int, dict]]:
    """(row number, {header: cell}) of the first sheet's data rows; the header is the first non-empty row."""
    rows: list[tuple[int, dict]] = []
    headers: list[str] | None = None
    for number, cells in first_sheet_rows(path):
        if headers is None:
            headers = [str(cell).strip() if cell is not None else "" for cell in cells]
            missing = [name for name in REQUIRED if name not in headers]
            if missing or not {"村代码", "村名"} & set(headers):
                raise UploadRefused(
                    "第一行应为表头：村代码（或村名）、姓名、工作单位、职务、联系电话、到岗日期、派出单位；"
                    f"缺少：{'、'.join(missing or ['村代码或村名'])}。"
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadRefused(f"花名册超过 {MAX_ROWS} 行，请分批导入。")
        values = {header: cells[index] if index < len(cells) else None for index, header in enumerate(headers)}
        if any(value not in (None, "") for value in values.values()):
            rows.append((number, values))
    if headers is None or not rows:
        raise UploadRefused("花名册中没有数据行。")
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Row:
    """One row read into the services' arguments; what cannot be read is in `errors` (by field)."""

    def __init__(self, values: dict, villages: dict, unit_ids: dict):
        self.errors: dict[str, list[str]] = {}
        self.village = self._village(values, villages)
        self.name, self.unit = _text(values.get("姓名")), _text(values.get("工作单位"))
        role = _text(values.get("职务"))
        self.role = ROLE_OF.get(role, "")
        if role and not self.role:
            self.errors["role"] = [f"职务应为{'、'.join(ROLE_OF)}之一。"]
        self.phone = self.start = None
        try:
            self.phone = teams.clean_phone(values.get("联系电话"))
        except ValidationError as error:
            self.errors.update(error.message_dict)
        try:
            self.start = parse_date(values.get("到岗日期") or "", field="start_date")
        except ValidationError as error:
            self.errors.update(error.message_dict)
        sender = _text(values.get("派出单位"))
        self.unit_id = unit_ids.get(sender) if sender else None
        if sender and self.unit_id is None:
            self.errors["unit_id"] = [f"未找到帮扶单位“{sender[:30]}”，请先在“帮扶单位”中登记（名称须一致）。"]

    def _village(self, values: dict, villages: dict) -> Region | None:
        code, name = _text(values.get("村代码")), _text(values.get("村名"))
        if code:
            try:
                code = parse_region_code(code, field="village")
            except ValidationError as error:
                self.errors.update(error.message_dict)
                return None
            found = villages["by_code"].get(code)
        else:
            matches = villages["by_name"].get(name, [])
            if len(matches) > 1:
                self.errors["village"] = [f"管辖范围内有{len(matches)}个“{name}”，请填写村代码。"]
                return None
            found = matches[0] if matches else None
        if found is None:
            given = "未找到该村，或不在您的管辖范围内。"
            self.errors["village"] = [given if (code or name) else "请填写村代码或村名。"]
        return found


def _reasons(number: int, errors: dict) -> dict:
    parts = []
    for field, problems in errors.items():
        column = COLUMN_OF.get(field.split(".")[-1], "")
        parts += [f"{column}：{problem}" if column else problem for problem in problems]
    return {"row": number, "reason": "；".join(parts)}


def write_roster(user, rows: list[tuple[int, dict]]) -> dict:
    """Every row through teams.create_team / teams.add_member in one transaction; rolled back unless all pass."""
    scope = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE)
    villages = {"by_code": {}, "by_name": {}}
    for village in scope.only("code", "name"):
        villages["by_code"][village.code] = village
        villages["by_name"].setdefault(village.name, []).append(village)
    unit_ids = {name: pk for pk, name in units_for(user).values_list("pk", "name")}
    parsed = [(number, _Row(values, villages, unit_ids)) for number, values in rows]
    # A village without an open team gets one from its earliest date, sent by its first named unit.
    new_teams: dict[str, dict] = {}
    for _, row in parsed:
        if row.village is None or row.start is None:
            continue
        plan = new_teams.setdefault(row.village.code, {"start": row.start, "unit_id": row.unit_id})
        plan["start"] = min(plan["start"], row.start)
        plan["unit_id"] = plan["unit_id"] or row.unit_id
    failures: list[dict] = []
    created = {"members": 0, "teams": 0}
    with transaction.atomic():
        team_of: dict[str, int] = {}
        for number, row in parsed:
            errors = dict(row.errors)
            if not errors and row.village.code not in team_of:
                try:
                    with transaction.atomic():
                        team_of[row.village.code] = _team_for(user, row.village, new_teams, created)
                except ValidationError as error:
                    errors.update(error.message_dict)
            if not errors and row.village.code in team_of:
                try:
                    with transaction.atomic():
                        teams.add_member(
                            user=user,
                            team_id=team_of[row.village.code],
                            name=row.name,
                            unit=row.unit,
                            role=row.role,
                            phone=row.phone,
                            start_date=row.start,
                        )
                        created["members"] += 1
                except ValidationError as error:
                    errors.update(error.message_dict)
            elif not errors:
                errors["village"] = ["该村的工作队未能派驻。"]
            if errors:
                failures.append(_reasons(number, errors))
        if failures:
            transaction.set_rollback(True)
    if failures:
        raise RosterRefused(failures)
    return created


def _team_for(user, village: Region, plans: dict, created: dict) -> int:
    team = VillageTeam.objects.visible_to(user).filter(village=village, end_date__isnull=True).first()
    if team is not None:
        return team.pk
    plan = plans[village.code]
    team = teams.create_team(user=user, village_code=village.code, start_date=plan["start"], unit_id=plan["unit_id"])
    created["teams"] += 1
    return team.pk
