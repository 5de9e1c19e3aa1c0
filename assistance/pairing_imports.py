"""结对名单 import (docs/domain.md §9.1): pairings from Excel through the same services as the pages.

Columns (first non-empty row is the header): 帮扶责任人姓名, 工作单位, 隶属关系 (省直/市直/县直/乡镇/村级
or 1–5), 联系电话 (optional), 户编号 or 户主身份证号, 结对日期. The upload is checked by
households/imports/guard.py and read by the one bounded reader (households/imports/sheets.py),
as the department lists are (monitoring/departments.py). All or nothing: every row is checked
first and each problem reported with its row number; only a clean file is written, in one
transaction, one pair_households per helper and date (limits and year locks there).
A helper is found by name and unit among the helpers in the user's scope, or registered.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from core.parsing import is_ascii_digits, parse_date
from core.permissions import Action, require
from core.regions import county_of
from core.text import text_problem
from households.codes import HelperLevel
from households.idnumbers import id_number_hash, normalize_id_number
from households.imports.guard import UploadRefused, store_checked_upload, upload_problems
from households.imports.sheets import first_sheet_rows  # the one bounded reader of one-table uploads
from households.models import Helper, Household, Member
from households.services.support import create_helper

from . import pairing

MAX_ROWS = 20_000
HEADERS = {
    "name": ("帮扶责任人姓名", "帮扶责任人", "姓名"),
    "unit": ("工作单位", "单位"),
    "level": ("隶属关系",),
    "phone": ("联系电话", "电话"),
    "household_no": ("户编号",),
    "head_id": ("户主身份证号", "户主身份证号码", "户主证件号码"),
    "start_date": ("结对日期", "结对时间"),
}
REQUIRED = ("name", "unit", "level", "start_date")
LEVELS = {**{label: value for value, label in HelperLevel.choices}, **{value: value for value in HelperLevel.values}}
HEAD = "01"


@dataclass
class PairingImport:
    rows: int = 0
    created: int = 0
    already: int = 0
    new_helpers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"已导入{self.rows}行：新结对{self.created}户，新增帮扶责任人{self.new_helpers}人。"
        if self.already:
            text += f"{self.already}户原已与所填帮扶责任人结对，未重复结对。"
        return text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(row number, {column: text or date}) of the first sheet; the header maps the columns."""
    rows: list[tuple[int, dict]] = []
    positions = None
    for number, cells in first_sheet_rows(path):
        if positions is None:
            headers = [_text(cell) for cell in cells]
            positions = {
                key: next((headers.index(h) for h in names_ if h in headers), None) for key, names_ in HEADERS.items()
            }
            missing = [HEADERS[key][0] for key in REQUIRED if positions[key] is None]
            if positions["household_no"] is None and positions["head_id"] is None:
                missing.append("户编号或户主身份证号")
            if missing:
                raise UploadRefused(f"第一行应为表头，缺少列：{'、'.join(missing)}。")
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadRefused(f"超过 {MAX_ROWS} 行，请分批上传。")
        values = {key: None if at is None or at >= len(cells) else cells[at] for key, at in positions.items()}
        if all(value in (None, "") for value in values.values()):
            continue
        rows.append((number, values))
    return rows


def _row_date(value, number: int, problems: list[str]) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_date(_text(value), field="start_date")
    except ValidationError:
        problems.append(f"第{number}行：结对日期应为日期（YYYY-MM-DD）。")
        return None


def _households(user, rows) -> tuple[dict[str, int], dict[str, int]]:
    """{户编号: id} and {户主身份证号 hash: id} of the rows' households in the user's scope (two queries)."""
    numbers = {_text(values["household_no"]) for _, values in rows if _text(values.get("household_no"))}
    by_number = dict(
        Household.objects.visible_to(user).filter(household_no__in=numbers).values_list("household_no", "pk")
    )
    hashes = set()
    for _, values in rows:
        try:
            hashes.add(id_number_hash(normalize_id_number(_text(values.get("head_id")))))
        except ValidationError:
            continue
    visible = Household.objects.visible_to(user).values("pk")
    by_hash = dict(
        Member.objects.filter(
            id_number_hash__in=hashes, relation=HEAD, is_active=True, household__in=visible
        ).values_list("id_number_hash", "household_id")
    )
    return by_number, by_hash


def check_rows(user, rows) -> tuple[list[str], dict]:
    """Every row's problems, and {(name, unit, level, phone, date): [(row, household id)]} when none."""
    problems: list[str] = []
    groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    by_number, by_hash = _households(user, rows)
    seen: dict[tuple, int] = {}
    for number, values in rows:
        name, unit = _text(values["name"]), _text(values["unit"])
        level = LEVELS.get(_text(values["level"]))
        phone = _text(values.get("phone"))
        row_problems = []
        for label, text, limit in (("帮扶责任人姓名", name, 50), ("工作单位", unit, 100)):
            if not text:
                row_problems.append(f"{label}为空")
            elif len(text) > limit or text_problem(text):
                row_problems.append(f"{label}无效")
        if level is None:
            row_problems.append("隶属关系应为省直、市直、县直、乡镇或村级")
        if phone and not (is_ascii_digits(phone) and 7 <= len(phone) <= 20):
            row_problems.append("联系电话只能是7至20位数字")
        household_no, head_id = _text(values.get("household_no")), _text(values.get("head_id"))
        household_id = None
        if household_no:
            household_id = by_number.get(household_no)
            if household_id is None:
                row_problems.append(f"户编号{household_no}不存在或不在您的管辖范围内")
        elif head_id:
            try:
                household_id = by_hash.get(id_number_hash(normalize_id_number(head_id)))
            except ValidationError:
                row_problems.append("户主身份证号无效")
            else:
                if household_id is None:
                    row_problems.append("该户主身份证号不是您管辖范围内在册户的户主")
        else:
            row_problems.append("户编号和户主身份证号都为空")
        day = _row_date(values["start_date"], number, problems)
        if row_problems:
            problems.append(f"第{number}行：{'；'.join(row_problems)}。")
        if row_problems or day is None:
            continue
        key = (name, unit, level, phone, day)
        pair = (name, unit, household_id)
        if pair in seen:
            problems.append(f"第{number}行：与第{seen[pair]}行重复（同一帮扶责任人和同一户）。")
            continue
        seen[pair] = number
        groups[key].append((number, household_id))
    return problems, groups


@transaction.atomic
def apply_rows(user, groups: dict) -> PairingImport:
    """Pair every group through pairing.pair_households; a refusal names its rows and undoes the file."""
    outcome = PairingImport(rows=sum(len(rows) for rows in groups.values()))
    helpers: dict[tuple[str, str], Helper] = {}
    for (name, unit, level, phone, day), rows in groups.items():
        numbers = "、".join(str(number) for number, _ in rows[:10])
        helper = helpers.get((name, unit))
        if helper is None:
            found = list(Helper.objects.visible_to(user).filter(name=name, unit=unit)[:2])
            if len(found) > 1:
                message = f"第{numbers}行：本辖区有多位“{name}（{unit}）”，请在页面上逐一结对。"
                raise ValidationError({"file": [message]})
            if found:
                helper = found[0]
            else:
                region = user.region_id or county_of(Household.objects.get(pk=rows[0][1]).village_id)
                try:
                    helper = create_helper(
                        user=user, region_code=region, name=name, unit=unit, level=level, phone=phone
                    )
                except ValidationError as error:
                    raise ValidationError({"file": [f"第{numbers}行：{'；'.join(error.messages)}"]}) from error
                outcome.new_helpers += 1
            helpers[(name, unit)] = helper
        try:
            result = pairing.pair_households(
                user=user, helper_id=helper.pk, household_ids=[pk for _, pk in rows], start_date=day
            )
        except ValidationError as error:
            raise ValidationError({"file": [f"第{numbers}行（{name}）：{'；'.join(error.messages)}"]}) from error
        outcome.created += len(result.created)
        outcome.already += len(result.already_paired)
    return outcome


def import_pairings(*, user, uploaded) -> PairingImport:
    """Check the upload, read it, check every row, then write all of it or nothing."""
    require(user, Action.PAIR_HELPER)
    if problems := upload_problems(uploaded):
        raise ValidationError({"file": problems})
    with tempfile.TemporaryDirectory() as directory:
        stored = store_checked_upload(uploaded, Path(directory))
        try:
            rows = read_rows(Path(directory) / stored)
        except UploadRefused as error:
            raise ValidationError({"file": error.messages}) from error
    if not rows:
        raise ValidationError({"file": ["文件中没有数据行。"]})
    problems, groups = check_rows(user, rows)
    if problems:
        more = [f"……共{len(problems)}处问题。"] if len(problems) > 200 else []
        raise ValidationError({"file": problems[:200] + more})
    return apply_rows(user, groups)
