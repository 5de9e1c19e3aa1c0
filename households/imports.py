"""采集表 import: guard the upload, read the two official sheets, validate every household
through the registry services, preview, and commit in one transaction or not at all.

No rule is repeated here: registering and correcting households are
services.register_households / services.update_household; this module only maps sheet
rows to their arguments and maps their errors back to (sheet, row, column, 原因). The
preview runs every check and writes no new household (register_households(write=False));
确认导入 runs them again in the transaction that writes.
"""

import itertools
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from . import services
from .codes import Relation
from .idnumbers import id_number_hash, mask_id_number, mask_phone, normalize_id_number
from .models import Household
from .resources import (
    BOOL,
    CHOICE,
    DECIMAL,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    INT,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    MULTI,
    Column,
)

MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_COMPRESSION_RATIO = 100
MAX_ROWS = 100_000
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}


class UploadRefused(ValidationError):
    """The file is refused before any parsing (not xlsx, too large, a zip bomb)."""


def check_upload(path: Path) -> None:
    """Refuse anything that is not a plain xlsx of sane size, by content, before openpyxl sees it."""
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"文件过大（{size / 2**20:.1f} MB），上限为 {MAX_UPLOAD_BYTES // 2**20} MB。")
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise UploadRefused("文件不是 Excel 2007 及以上版本的 .xlsx 文件（按内容判断，与扩展名无关）。")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as error:
        raise UploadRefused("文件已损坏，不是有效的 .xlsx 文件。") from error
    names = {entry.filename for entry in entries}
    if not names >= XLSX_PARTS:
        raise UploadRefused("文件不是 .xlsx 工作簿（缺少工作簿结构）。")
    if "xl/vbaProject.bin" in names:
        raise UploadRefused("不接受含宏的工作簿，请另存为 .xlsx 后上传。")
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused("文件内部结构异常（条目过多），已拒绝。")
    uncompressed = sum(entry.file_size for entry in entries)
    if uncompressed > MAX_UNCOMPRESSED_BYTES or uncompressed > MAX_COMPRESSION_RATIO * max(size, 1):
        raise UploadRefused("文件解压后体积异常（疑似压缩炸弹），已拒绝。")


@dataclass
class SheetError:
    sheet: str
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ParsedRow:
    row: int
    values: dict


@dataclass
class ImportResult:
    households_new: int = 0
    households_changed: int = 0
    households_unchanged: int = 0
    members_new: int = 0
    members_changed: int = 0
    members_unchanged: int = 0
    errors: list[SheetError] = field(default_factory=list)
    committed: bool = False

    def counts(self) -> dict:
        return {
            "households_new": self.households_new,
            "households_changed": self.households_changed,
            "households_unchanged": self.households_unchanged,
            "members_new": self.members_new,
            "members_changed": self.members_changed,
            "members_unchanged": self.members_unchanged,
        }


def _cell_value(column: Column, raw):
    """A sheet value to the registry's value; raises ValueError with the Chinese reason."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if column.kind == MULTI else None
    text = str(raw).strip()
    if column.kind == CHOICE:
        by_label = {label: code for code, label in column.choices.items()}
        if text in column.choices:
            return text
        if text in by_label:
            return by_label[text]
        raise ValueError(f"“{text}”不是有效的{column.header}。")
    if column.kind == MULTI:
        by_label = {label: code for code, label in column.choices.items()}
        codes = []
        for part in text.replace("，", "、").replace(",", "、").split("、"):
            part = part.strip()
            if part:
                code = part if part in column.choices else by_label.get(part)
                if code is None:
                    raise ValueError(f"“{part}”不是有效的{column.header}。")
                codes.append(code)
        return codes
    if column.kind == INT:
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{column.header}应为整数。") from error
        if number != number.to_integral_value():
            raise ValueError(f"{column.header}应为整数。")
        return int(number)
    if column.kind == DECIMAL:
        try:
            return Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{column.header}应为数字。") from error
    if column.kind == BOOL:
        if text in ("是", "1", "True", "TRUE", "true"):
            return True
        if text in ("否", "0", "False", "FALSE", "false"):
            return False
        raise ValueError(f"{column.header}应填“是”或“否”。")
    if column.field == "id_number" and "*" in text:
        raise ValueError("证件号码为脱敏值，请使用含完整证件号码的采集表或模板。")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a number typed into a text column (户编号, 电话)
    return text


def _numbered_rows(sheet):
    """(row number, cells from column A) of every row; calamine starts at the first non-empty cell."""
    if sheet.start is None:
        return
    first_row, first_column = sheet.start
    padding = [None] * first_column
    for offset, cells in enumerate(sheet.iter_rows()):
        yield first_row + offset + 1, padding + cells


def read_sheets(path: Path) -> tuple[list[ParsedRow], list[ParsedRow], list[SheetError]]:
    """Rows of both sheets as registry values. Formulas are read as their stored values, never run.

    python-calamine reads a 10,000-household file about 14× faster than openpyxl's read-only
    mode; its XML parser expands no entities, and check_upload has bounded the sizes already.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    errors: list[SheetError] = []
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except CalamineError as error:
        raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。") from error
    try:
        parsed = {}
        for title, columns in ((HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS), (MEMBER_SHEET, MEMBER_COLUMNS)):
            if title not in workbook.sheet_names:
                raise UploadRefused(f"缺少工作表“{title}”，请使用系统提供的模板。")
            rows = _numbered_rows(workbook.get_sheet_by_name(title))
            number, first = next(rows, (1, []))
            if number != 1:  # the header row is empty: what came first is data
                rows, first = itertools.chain([(number, first)], rows), []
            headers = [str(value).strip() if value is not None else "" for value in first]
            importable = [column for column in columns if not column.export_only]
            missing = [column.header for column in importable[:2] if column.header not in headers]
            if missing:
                raise UploadRefused(f"工作表“{title}”缺少列：{'、'.join(missing)}。")
            positions = {
                column.field: headers.index(column.header) for column in importable if column.header in headers
            }
            by_field = {column.field: column for column in importable}
            sheet_rows = []
            for number, raw_row in rows:
                if number > MAX_ROWS + 1:
                    raise UploadRefused(f"工作表“{title}”超过 {MAX_ROWS} 行，请分批导入。")
                if all(value in (None, "") for value in raw_row):
                    continue
                values = {}
                for name, position in positions.items():
                    raw = raw_row[position] if position < len(raw_row) else None
                    try:
                        values[name] = _cell_value(by_field[name], raw)
                    except ValueError as error:
                        errors.append(SheetError(title, number, by_field[name].header, str(error)))
                sheet_rows.append(ParsedRow(number, values))
            parsed[title] = sheet_rows
    except CalamineError as error:
        raise UploadRefused("无法读取该文件，请用 Excel 另存为 .xlsx 后重新上传。") from error
    finally:
        workbook.close()
    return parsed[HOUSEHOLD_SHEET], parsed[MEMBER_SHEET], errors


HOUSEHOLD_IMPORT_FIELDS = [c.field for c in HOUSEHOLD_COLUMNS if not c.export_only and c.field not in ("village_id",)]
MEMBER_IMPORT_FIELDS = [c.field for c in MEMBER_COLUMNS if not c.export_only and c.field != "household__household_no"]
HEADER_OF = {c.field: c.header for c in HOUSEHOLD_COLUMNS + MEMBER_COLUMNS}


class _DryRun(Exception):
    """Raised to roll back a validation run."""


def _household_data(values: dict) -> dict:
    data = {name: values[name] for name in HOUSEHOLD_IMPORT_FIELDS if name in values and values[name] is not None}
    if "*" in (data.get("phone") or ""):
        del data["phone"]  # a masked phone from an export keeps the stored number
    data["other_causes"] = values.get("other_causes") or []
    for name in ("group_name", "phone", "monitoring_category", "main_cause"):
        data.setdefault(name, "")
    return data


def _member_data(values: dict) -> dict:
    data = {name: values[name] for name in MEMBER_IMPORT_FIELDS if name in values and values[name] is not None}
    data["health"] = values.get("health") or []
    data.setdefault("work_months", 0)
    return data


def _same(current, data: dict, fields) -> bool:
    for name in fields:
        if name not in data:
            continue
        value = getattr(current, name)
        wanted = data[name]
        if isinstance(value, Decimal) or isinstance(wanted, Decimal):
            if Decimal(str(value or 0)) != Decimal(str(wanted or 0)):
                return False
        elif (value or "") != (wanted or "") and value != wanted:
            return False
    return True


def _map_errors(error: ValidationError, household_row: ParsedRow, member_rows: list[ParsedRow]) -> list[SheetError]:
    mapped = []
    messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for key, reasons in messages.items():
        parts = key.split(".")
        if parts[0] == "members" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(member_rows):
            row = member_rows[int(parts[1])].row
            mapped += [SheetError(MEMBER_SHEET, row, HEADER_OF.get(parts[2], parts[2]), reason) for reason in reasons]
        elif parts[0] == "members":
            # A count rule (one 户主): point at the extra 户主, else at the household's first member.
            heads = [row for row in member_rows if row.values.get("relation") == Relation.HEAD]
            target = heads[1] if len(heads) > 1 else (member_rows[0] if member_rows else None)
            sheet = MEMBER_SHEET if target else HOUSEHOLD_SHEET
            row = target.row if target else household_row.row
            mapped += [SheetError(sheet, row, "与户主关系", reason) for reason in reasons]
        else:
            column = HEADER_OF.get(key) or {"village": "所在村代码"}.get(key, "户编号")
            mapped += [SheetError(HOUSEHOLD_SHEET, household_row.row, column, reason) for reason in reasons]
    return mapped


EXISTING_LOOKUP_CHUNK = 2000


def _existing_households(user, numbers: list[str]) -> tuple[dict[str, Household], set[str]]:
    """The user's households with these 户编号 (active members prefetched), and every taken 户编号."""
    from django.db.models import Prefetch

    from .models import Member

    mine: dict[str, Household] = {}
    taken: set[str] = set()
    for start in range(0, len(numbers), EXISTING_LOOKUP_CHUNK):
        chunk = numbers[start : start + EXISTING_LOOKUP_CHUNK]
        taken |= set(Household.objects.filter(household_no__in=chunk).values_list("household_no", flat=True))
        if taken:
            active = Prefetch("members", queryset=Member.objects.filter(is_active=True), to_attr="active_members")
            for household in Household.objects.visible_to(user).filter(household_no__in=chunk).prefetch_related(active):
                mine[household.household_no] = household
    return mine, taken


def _apply_existing(user, existing: Household, household_row: ParsedRow, member_rows: list[ParsedRow], result) -> None:
    """A household already registered: unchanged, or corrected through update_household."""
    values = household_row.values
    data = _household_data(values)
    members = [_member_data(row.values) for row in member_rows]
    if values.get("village_id") and values["village_id"] != existing.village_id:
        raise ValidationError({"village_id": ["所在村与系统中该户的不一致；迁移请使用动态调整。"]})
    current = {member.id_number_hash: member for member in existing.active_members}
    matched = []
    for member in members:
        try:
            hashed = id_number_hash(normalize_id_number(member.get("id_number", "")))
        except ValidationError:
            hashed = None
        found = current.get(hashed)
        if found is not None:
            member["id"] = found.pk
        matched.append(found)
    members_same = [
        found is not None and _same(found, member, MEMBER_IMPORT_FIELDS[:1] + MEMBER_IMPORT_FIELDS[2:])
        for found, member in zip(matched, members, strict=True)
    ]
    household_same = _same(existing, data, HOUSEHOLD_IMPORT_FIELDS)
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


def _register_new(user, pending: list[tuple[ParsedRow, list[ParsedRow]]], result: ImportResult, *, commit, progress):
    """The file's new households through services.register_households (the preview writes nothing)."""
    entries = [
        services.NewHousehold(
            row.values.get("village_id") or "", _household_data(row.values), [_member_data(m.values) for m in members]
        )
        for row, members in pending
    ]
    outcomes = services.register_households(
        user=user, entries=entries, reason="采集表导入", write=commit, progress=progress
    )
    for (row, members), entry, outcome in zip(pending, entries, outcomes, strict=True):
        if isinstance(outcome, ValidationError):
            result.errors += _map_errors(outcome, row, members)
        else:
            result.households_new += 1
            result.members_new += len(entry.members)


def import_rows(
    user, household_rows, member_rows, errors: list[SheetError], *, commit: bool, progress=None
) -> ImportResult:
    """Validate (and with `commit`, write) every household; any error anywhere writes nothing."""
    result = ImportResult(errors=list(errors))
    by_number: dict[str, list[ParsedRow]] = {}
    for row in member_rows:
        by_number.setdefault(row.values.get("household__household_no") or "", []).append(row)
    known = {row.values.get("household_no") for row in household_rows}
    for number, rows in by_number.items():
        if number not in known:
            result.errors += [
                SheetError(MEMBER_SHEET, row.row, "户编号", "在“贫困户”表中找不到该户编号。") for row in rows
            ]
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
                    result.errors.append(
                        SheetError(HOUSEHOLD_SHEET, household_row.row, "户编号", "请填写户编号（用于关联家庭成员）。")
                    )
                    continue
                if number in seen:
                    result.errors.append(
                        SheetError(HOUSEHOLD_SHEET, household_row.row, "户编号", f"与第{seen[number]}行户编号重复。")
                    )
                    continue
                seen[number] = household_row.row
                rows = by_number.get(number, [])
                if number not in taken:
                    pending.append((household_row, rows))  # registered together after the loop
                    continue
                try:
                    if number not in mine:
                        raise ValidationError({"household_no": ["户编号已被您管辖范围以外的户使用。"]})
                    with transaction.atomic():
                        _apply_existing(user, mine[number], household_row, rows, result)
                except services.StaleEdit:
                    result.errors.append(
                        SheetError(HOUSEHOLD_SHEET, household_row.row, "户编号", services.StaleEdit.message)
                    )
                except ValidationError as error:
                    result.errors += _map_errors(error, household_row, rows)
            if pending:
                settled = len(household_rows) - len(pending)
                _register_new(user, pending, result, commit=commit, progress=lambda done: report(settled + done))
            if result.errors or not commit:
                raise _DryRun
            result.committed = True
    except _DryRun:
        pass
    # A cell that could not be read is then also "missing" to the services: report it once.
    unique = {}
    for error in result.errors:
        unique.setdefault((error.sheet, error.row, error.column), error)
    result.errors = sorted(unique.values(), key=lambda error: (error.sheet != HOUSEHOLD_SHEET, error.row))
    return result


def import_file(user, path: Path, *, commit: bool, progress=None) -> ImportResult:
    check_upload(path)
    household_rows, member_rows, errors = read_sheets(path)
    return import_rows(user, household_rows, member_rows, errors, commit=commit, progress=progress)


# --- jobs --------------------------------------------------------------------------------


def import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(job) -> Path | None:
    """The stored upload of a job, or None once it has been purged."""
    path = import_dir() / job.stored_name
    return path if job.stored_name and path.exists() else None


def start_import(*, user, uploaded, commit: bool = False):
    """Store the upload, refuse a bad file at once (before parsing), queue the validation.

    With `commit` (the API's dry_run=false) a file without errors is imported directly.
    """
    import uuid

    from .models import ImportJob
    from .tasks import run_import_job

    if uploaded is None:
        raise ValidationError({"file": ["请选择要上传的 .xlsx 文件。"]})
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [f"文件过大，上限为 {MAX_UPLOAD_BYTES // 2**20} MB。"]})
    stored = f"{uuid.uuid4().hex}.xlsx"
    path = import_dir() / stored
    with path.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    try:
        check_upload(path)
    except UploadRefused as error:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": error.messages}) from error
    job = ImportJob.objects.create(
        user=user,
        original_name=uploaded.name[:200],
        stored_name=stored,
        status=ImportJob.Status.COMMITTING if commit else ImportJob.Status.VALIDATING,
    )
    transaction.on_commit(lambda: run_import_job.delay(job.pk, commit))
    return job


@transaction.atomic
def commit_import(*, user, job_id: int):
    """The clerk confirms a clean preview: the same file is imported for real, in one transaction."""
    from .models import ImportJob
    from .tasks import run_import_job

    job = ImportJob.objects.select_for_update().filter(pk=job_id, user=user).first()
    if job is None:
        raise ValidationError({"job": ["未找到该导入任务。"]})
    if job.status != ImportJob.Status.PREVIEW or job.errors:
        raise ValidationError({"job": ["只有校验无误的导入可以确认导入。"]})
    job.status = ImportJob.Status.COMMITTING
    job.households_done = 0
    job.save(update_fields=["status", "households_done"])
    transaction.on_commit(lambda: run_import_job.delay(job.pk, True))
    return job


def progress_writer(job_id: int):
    """A connection of its own and a function recording households_done on it.

    import_rows holds one transaction for the whole file (all or nothing), which would hide
    progress written on the task's connection until the end. This one commits each write,
    and skips the row rather than wait if another transaction holds it.
    """
    from django.db import DEFAULT_DB_ALIAS, connections

    from .models import ImportJob

    side = connections.create_connection(DEFAULT_DB_ALIAS)
    table = side.ops.quote_name(ImportJob._meta.db_table)

    def write(done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET households_done = %s"  # noqa: S608 - the model's own table name
                f" WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                [done, job_id],
            )

    return side, write


def run_import(job_id: int, commit: bool):
    """Validate (or commit) the stored file of a job and record the preview; idempotent when done."""
    from django.utils import timezone

    from .models import ImportJob

    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.EXPIRED):
        return job
    path = import_dir() / job.stored_name
    try:
        check_upload(path)
        household_rows, member_rows, errors = read_sheets(path)
    except UploadRefused as error:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, message="；".join(error.messages))
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job.pk).update(households_total=len(household_rows))
    side, write_progress = progress_writer(job.pk)
    try:
        result = import_rows(job.user, household_rows, member_rows, errors, commit=commit, progress=write_progress)
    finally:
        side.close()
    status = ImportJob.Status.DONE if result.committed else ImportJob.Status.PREVIEW
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        counts=result.counts(),
        errors=[error.as_dict() for error in result.errors[:5000]],
        households_done=len(household_rows),
        finished_at=timezone.now() if result.committed else None,
    )
    job.refresh_from_db()
    return job


def expire_old_uploads(now=None) -> int:
    """Delete uploads older than TRANSFER_FILE_HOURS; an unconfirmed preview can then no longer be committed."""
    from django.utils import timezone

    from .models import ImportJob

    cutoff = (now or timezone.now()) - timedelta(hours=settings.TRANSFER_FILE_HOURS)
    old = ImportJob.objects.filter(created_at__lt=cutoff).exclude(stored_name="")
    old = old.exclude(status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.COMMITTING])
    purged = 0
    for job in old:
        (import_dir() / job.stored_name).unlink(missing_ok=True)
        status = ImportJob.Status.EXPIRED if job.status == ImportJob.Status.PREVIEW else job.status
        purged += ImportJob.objects.filter(pk=job.pk, status=job.status).update(stored_name="", status=status)
    return purged


def error_workbook(job, path: Path) -> int:
    """The bad rows of each sheet, as uploaded, with a 原因 column; returns the rows written.

    ID and phone numbers are masked: the report is a second copy of the file, and 原因 with
    the row number says what to fix in the clerk's own workbook.
    """
    from openpyxl import load_workbook

    from core.excel import Sheet, write_workbook

    masks = {"证件号码": mask_id_number, "联系电话": mask_phone}

    reasons: dict[tuple[str, int], list[str]] = {}
    for error in job.errors:
        reasons.setdefault((error["sheet"], error["row"]), []).append(f"{error['column']}：{error['reason']}")
    source = load_workbook(upload_path(job), read_only=True, data_only=True)
    try:
        sheets = []
        for title in (HOUSEHOLD_SHEET, MEMBER_SHEET):
            if title not in source.sheetnames:
                continue
            rows = list(source[title].iter_rows(values_only=True))
            headers = [str(value or "") for value in rows[0]] if rows else []
            masked = {position: masks[header] for position, header in enumerate(headers) if header in masks}

            def shown(position, value, masked=masked):
                if value is None:
                    return ""
                return masked[position](str(value)) if position in masked else value

            bad = [
                [shown(position, value) for position, value in enumerate(row)]
                + ["；".join(reasons[(title, number)]), number]
                for number, row in enumerate(rows[1:], start=2)
                if (title, number) in reasons
            ]
            sheets.append(Sheet(title, [*headers, "原因", "原行号"], iter(bad)))
    finally:
        source.close()
    return write_workbook(path, sheets)
