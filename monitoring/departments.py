"""部门筛查预警 (docs/domain.md §12.11): a county uploads a department's list; each row is matched to a
registered member of the county by the keyed ID hash, and each matched household becomes a lead
in its township's queue.

The list is a job of the transfer pipeline (core/transfer.py), guarded at upload like a 采集表
(households.imports.guard) and read in the same bounded child process. The list's personal data
is not kept: names are never read, ID numbers live only in the worker's memory while their
hashes are computed, the file is deleted once matched (or on failure), and an unmatched row is
kept as its row number and reason only. One set-based query matches the whole list.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core import transfer
from core.excel import Sheet, write_workbook
from core.permissions import Action, require
from core.regions import RegionLevel, code_prefix, county_of, level_of
from core.scoping import prefix_range
from core.tasks import queue_transfer_job
from households.codes import HouseholdStatus
from households.idnumbers import id_number_hash, normalize_id_number
from households.imports.guard import UploadRefused, check_upload, store_checked_upload, upload_problems
from households.imports.sheets import first_sheet_rows  # the one bounded reader of one-table uploads

from .codes import Department, DiscoveryWay, LeadStatus, RiskType
from .models import DepartmentList, MonitoringLead

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
# The job keeps this many unmatched rows (row number and reason); the total is kept beside.
MAX_STORED_UNMATCHED = 20_000
ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "证件号码")
NAME_HEADERS = ("姓名",)
NOTE_HEADERS = ("说明", "情况")

INVALID_ID = "身份证号无效"
NUMERIC_ID = "身份证号存为数字，请将该列设为文本后重新上传"
NOT_REGISTERED = "本县未登记"
DUPLICATE = "重复行"
BATCH = 2_000


# --- upload (the request) ----------------------------------------------------------------------


def start_department_list(*, user, uploaded, department: str, risk_type: str) -> DepartmentList:
    """Store the upload, refuse a bad file at once (before any parsing), queue the match.

    The county reviewer only (UPLOAD_DEPARTMENT_LIST), for their own county; the department and
    the risk type the list's rows become alerts of are chosen in the form.
    """
    require(user, Action.UPLOAD_DEPARTMENT_LIST)
    errors: dict[str, list[str]] = {}
    if department not in Department.values:
        errors["department"] = ["请选择预警部门。"]
    if risk_type not in RiskType.values:
        errors["risk_type"] = ["请选择风险类型。"]
    if problems := upload_problems(uploaded):
        errors["file"] = problems
    if user.region_id is None or level_of(user.region_id) != RegionLevel.COUNTY:
        errors["file"] = ["只有县级账号可以上传本县的部门筛查名单。"]
    if errors:
        raise ValidationError(errors)
    stored = store_checked_upload(uploaded, DepartmentList.file_dir())
    job = DepartmentList.objects.create(
        user=user,
        county_id=county_of(user.region_id),
        department=department,
        risk_type=risk_type,
        original_name=_file_label(uploaded.name),
        stored_name=stored,
    )
    queue_transfer_job(job)
    return job


def _file_label(name: str) -> str:
    """The uploaded name without control characters, for the list of uploads."""
    cleaned = "".join(char for char in str(name or "") if char.isprintable())[:200]
    return cleaned or "名单.xlsx"


def run_department_list(job_id: int) -> DepartmentList | None:
    """Match a stored list (what the worker runs); idempotent once finished."""
    return transfer.run_job(DepartmentList, job_id)


# --- the match (the worker) --------------------------------------------------------------------


def read_list(path: Path) -> tuple[list[tuple[int, str | None]], int]:
    """(row number, cell of the ID column) of the first sheet's data rows, and the row count.

    A cell stored as a number of 16 digits or more comes back as NUMERIC_ID (its digits are lost).
    The header is the first non-empty row; it must hold an ID column (身份证号). No other cell
    leaves this function: a name is never read into anything kept.
    """
    rows: list[tuple[int, str | None]] = []
    position = None
    for number, cells in first_sheet_rows(path):
        if position is None:
            headers = [str(cell).strip() if cell is not None else "" for cell in cells]
            position = next((headers.index(header) for header in ID_HEADERS if header in headers), None)
            if position is None:
                raise UploadRefused("第一行应为表头，且须有“身份证号”列（另有“姓名”“说明”列亦可）。")
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadRefused(f"名单超过 {MAX_ROWS} 行，请分批上传。")
        raw = cells[position] if position < len(cells) else None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            # Excel keeps 15 significant digits of a number: an 18-digit ID stored as one has
            # lost its last digits (and any X) in the file already, and is reported as such.
            if abs(raw) >= 10**15 or not float(raw).is_integer():
                rows.append((number, NUMERIC_ID))
                continue
            raw = str(int(raw))  # a shorter number is exact; validation judges it
        rows.append((number, None if raw is None else str(raw)))
    return rows, len(rows)


def hash_rows(rows: list[tuple[int, str | None]]) -> tuple[OrderedDict[str, int], list[dict]]:
    """{keyed hash: first row number} of the valid IDs, and the invalid and repeated rows."""
    hashes: OrderedDict[str, int] = OrderedDict()
    unmatched: list[dict] = []
    for number, raw in rows:
        if raw == NUMERIC_ID:
            unmatched.append({"row": number, "reason": NUMERIC_ID})
            continue
        try:
            digest = id_number_hash(normalize_id_number(raw or ""))
        except ValidationError:
            unmatched.append({"row": number, "reason": INVALID_ID})
            continue
        if digest in hashes:
            unmatched.append({"row": number, "reason": DUPLICATE})
        else:
            hashes[digest] = number
    return hashes, unmatched


MATCH_SQL = """
SELECT t.ord, m.id, m.household_id, h.village_id
FROM unnest(%(hashes)s::text[]) WITH ORDINALITY AS t(hash, ord)
JOIN households_member m ON m.id_number_hash = t.hash AND m.is_active
JOIN households_household h ON h.id = m.household_id
WHERE h.village_id >= %(low)s AND h.village_id < %(high)s AND h.status <> %(cancelled)s
"""


def match_hashes(county: str, hashes: list[str]) -> dict[int, tuple[int, int, str]]:
    """{position in `hashes` (from 0): (member, household, village)} for the active members of the
    county's households: one query, joined on member_id_hash_idx."""
    low, high = prefix_range(code_prefix(county, RegionLevel.COUNTY))
    with connection.cursor() as cursor:
        cursor.execute(
            MATCH_SQL, {"hashes": hashes, "low": low, "high": high or "a", "cancelled": HouseholdStatus.CANCELLED}
        )
        return {ordinal - 1: (member, household, village) for ordinal, member, household, village in cursor.fetchall()}


def match_list(job: DepartmentList) -> None:
    """The worker's part (registered in MonitoringConfig.ready): read, hash, match, write the leads.

    The file is deleted whatever happens; the job keeps counts and unmatched row numbers only.
    """
    path = job.file_path()
    try:
        if path is None:
            raise UploadRefused("上传的文件已不存在，请重新上传。")
        check_upload(path)
        rows, total = read_list(path)
        transfer.begin(job, total=total)
        hashes, unmatched = hash_rows(rows)
        del rows  # the ID numbers go as soon as their hashes exist
        ordered = list(hashes)
        found = match_hashes(job.county_id, ordered)
        numbers = list(hashes.values())
        unmatched += [
            {"row": numbers[index], "reason": NOT_REGISTERED} for index in range(len(ordered)) if index not in found
        ]
        unmatched.sort(key=lambda entry: entry["row"])
        created, skipped = _write_leads(job, [found[index] for index in sorted(found)])
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    message = f"{skipped}户已有本部门待核实的预警线索，未重复生成。" if skipped else ""
    transfer.finish(
        job,
        DepartmentList.Status.DONE,
        stored_name="",
        rows_done=total,
        matched_count=len(found),
        alert_count=created,
        unmatched=unmatched[:MAX_STORED_UNMATCHED],
        unmatched_total=len(unmatched),
        message=message,
    )


INSERT_LEADS_SQL = """
INSERT INTO monitoring_monitoringlead (
    way, village_id, status, reporter_name, reporter_phone, description, household_id, member_id,
    department_list_id, department, risk_type, closed_reason, created_at
)
SELECT %(way)s, t.village, %(status)s, '', '', '', t.household, t.member,
       %(job)s, %(department)s, %(risk_type)s, '', now()
FROM unnest(%(members)s::bigint[], %(households)s::bigint[], %(villages)s::text[]) WITH ORDINALITY
     AS t(member, household, village, ord)
WHERE NOT EXISTS (
    SELECT 1 FROM monitoring_monitoringlead existing
    WHERE existing.household_id = t.household AND existing.department = %(department)s
      AND existing.status = %(status)s
)
ORDER BY t.ord
"""


def lead_lock_key(county: str) -> int:
    """The transaction advisory lock key of a county's department-list leads (a signed 64-bit key).

    core.locks.advisory_lock is a session lock released when its block ends, before the commit;
    this one must last until the commit, so it is taken with pg_advisory_xact_lock.
    """
    return int.from_bytes(
        hashlib.blake2b(f"monitoring.department_leads:{county}".encode(), digest_size=8).digest(), "big", signed=True
    )


def _write_leads(job: DepartmentList, matches: list[tuple[int, int, str]]) -> tuple[int, int]:
    """One 待核实 lead per household (its first matched member in list order), skipping households
    with a 待核实 lead of the same department; (leads written, households skipped).

    One INSERT … SELECT from the matched arrays: 25,000 alerts are not 25,000 model instances.
    The history trigger records each, under the list's reason.
    """
    first: OrderedDict[int, tuple[int, str]] = OrderedDict()
    for member, household, village in matches:
        first.setdefault(household, (member, village))
    parameters = {
        "way": DiscoveryWay.DEPARTMENT_ALERT,
        "status": LeadStatus.NEW,
        "job": job.pk,
        "department": job.department,
        "risk_type": job.risk_type,
        "members": [member for member, _ in first.values()],
        "households": list(first),
        "villages": [village for _, village in first.values()],
    }
    reason = f"部门筛查预警：{job.get_department_display()}名单比对"
    with transaction.atomic(), pghistory.context(reason=reason), connection.cursor() as cursor:
        # NOT EXISTS alone does not stop two lists matched at once (READ COMMITTED: neither sees the
        # other's uncommitted leads): the county's lead writing is serialised until commit.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lead_lock_key(job.county_id)])
        cursor.execute(INSERT_LEADS_SQL, parameters)
        created = cursor.rowcount
    return created, len(first) - created


# --- the county's report -----------------------------------------------------------------------


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def report_sheets(job: DepartmentList) -> list[Sheet]:
    """部门比对报告: the alerts written (households masked) and the unmatched rows (number, reason)."""
    leads = (
        MonitoringLead.objects.filter(department_list=job)
        .select_related("village__parent", "household", "member")
        .order_by("village_id", "id")
    )

    def matched():
        for lead in leads.iterator(chunk_size=BATCH):
            yield [
                lead.village.parent.name if lead.village.parent_id else "",
                lead.village.name,
                lead.household.household_no,
                _mask_name(lead.household.head_name),
                lead.member.id_number_masked,
                lead.get_status_display(),
            ]

    unmatched = ([entry["row"], entry["reason"]] for entry in job.unmatched)
    return [
        Sheet("预警线索", ["乡镇", "村", "户编号", "户主", "匹配成员证件号码", "线索状态"], matched()),
        Sheet("未匹配行", ["原行号", "原因"], unmatched, widths={1: 10, 2: 16}),
    ]


def write_report(job: DepartmentList, target) -> int:
    """Write the report into `target` (a path or a binary file); the rows written."""
    return write_workbook(target, report_sheets(job))


def department_lists(user):
    """The lists of the user's scope, newest first."""
    return DepartmentList.objects.visible_to(user).select_related("county", "user")
