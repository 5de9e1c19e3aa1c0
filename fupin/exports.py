"""Report exports: the registry of reports, the request, and the run, on the transfer-job
pipeline (core/transfer.py) shared with the 采集表 import.

A job is scoped at request time (the region must be visible) and at run time (every row
comes through the user's `visible_to`). Full ID numbers and phones need the unmask
permission and are recorded in AccessAudit.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from assessment.reports import incidence_report, ratings_report
from assistance import pairing_exports, team_exports, visit_exports
from core import transfer
from core.db_routers import read_from_replica
from core.excel import Sheet, write_workbook
from core.models import AccessAudit, ExportJob
from core.permissions import Action, require
from core.regions import code_prefix, level_of
from core.tasks import queue_transfer_job
from funds.reports import funds_report
from households import reports as household_reports
from monitoring import exports as monitoring_exports
from villages.models import Region


@dataclass(frozen=True)
class Report:
    label: str
    build: Callable[..., Sheet]
    needs_year: bool = False
    personal: bool = False  # has ID or phone columns
    count: Callable[..., int] | None = None
    village_only: bool = False
    # The report's filters: checks a dict of them (keyed errors) and returns it cleaned; None: no filters.
    filters: Callable[[dict], dict] | None = None


def reports() -> dict[str, Report]:
    return {
        "collection_form": Report(
            "采集表（户和成员，可再导入）",
            household_reports.collection_form,
            personal=True,
            count=household_reports.member_count,
        ),
        "households": Report(
            "贫困户花名册", household_reports.household_roster, personal=True, count=household_reports.household_count
        ),
        "members": Report(
            "家庭成员花名册", household_reports.member_roster, personal=True, count=household_reports.member_count
        ),
        "publicity": Report("村公示名单", household_reports.publicity_roster, village_only=True),
        "incidence": Report("贫困发生率", incidence_report),
        "ratings": Report("县级考核评级", ratings_report, needs_year=True),
        "aid_measures": Report("帮扶措施分类统计", household_reports.aid_measures_by_category, needs_year=True),
        "exits": Report("年度脱贫户名单", household_reports.exit_roster, needs_year=True),
        "funds": Report("扶贫资金台账（来源、分配、报账、报账率）", funds_report, needs_year=True),
        "monitoring_roster": Report(
            "防返贫监测对象花名册",
            monitoring_exports.monitoring_roster,
            personal=True,
            count=monitoring_exports.roster_count,
            filters=monitoring_exports.check_roster_filters,
        ),
        "monitoring_statistics": Report("防返贫监测统计", monitoring_exports.statistics_sheets),
        "village_teams": Report(
            "驻村工作队花名册", team_exports.team_roster, personal=True, count=team_exports.roster_count
        ),
        "pairing_coverage": Report("结对帮扶覆盖率（按村）", pairing_exports.coverage_sheet),
        "visit_log": Report(
            "帮扶日志（走访记录）",
            visit_exports.visit_log,
            count=visit_exports.visit_count,
            filters=visit_exports.check_visit_filters,
        ),
    }


def request_export(
    *,
    user,
    report: str,
    region_code: str,
    year: int | None = None,
    full: bool = False,
    split_by_county: bool = False,
    filters: dict | None = None,
) -> ExportJob:
    """Validate and queue an export; the Celery task runs it after commit."""
    require(user, Action.EXPORT)
    available = reports()
    errors = {}
    if report not in available:
        errors["report"] = ["请选择报表。"]
    region = Region.objects.visible_to(user).filter(pk=region_code or "").first()
    if region is None:
        errors["region"] = ["请选择您管辖范围内的区划。"]
    if errors:
        raise ValidationError(errors)
    spec = available[report]
    if spec.needs_year and not year:
        raise ValidationError({"year": ["请选择年度。"]})
    if spec.village_only and region.level != "village":
        raise ValidationError({"region": ["公示名单按村导出，请选择一个村。"]})
    if full and not spec.personal:
        raise ValidationError({"full": ["该报表没有证件号码和电话，无需完整导出。"]})
    if filters and spec.filters is None:
        raise ValidationError({"filters": ["该报表不支持筛选条件。"]})
    filters = spec.filters(filters or {}) if spec.filters else {}
    if full:
        require(user, Action.EXPORT_PERSONAL_DATA)  # the role and the households.view_full_id permission
    job = ExportJob.objects.create(
        user=user,
        report=report,
        params={
            "region": region.code,
            "year": year,
            "full": bool(full),
            "split_by_county": bool(split_by_county) and region.level in ("province", "city"),
            "filters": filters,
        },
    )
    queue_transfer_job(job)
    return job


def _sheets(job: ExportJob, spec: Report) -> list[Sheet]:
    user, params = job.user, job.params
    code = params["region"]
    kwargs = {"full": params.get("full", False), "year": params.get("year"), "filters": params.get("filters") or {}}
    if params.get("split_by_county"):
        counties = Region.objects.visible_to(user).within_prefix(code_prefix(code, level_of(code)))
        counties = counties.filter(level="county").order_by("code")
        sheets = []
        for county in counties:
            built = spec.build(user, county.prefix, **kwargs)
            for sheet in built if isinstance(built, list) else [built]:
                sheet.title = f"{county.name}{sheet.title}" if isinstance(built, list) else county.name
                sheets.append(sheet)
        return sheets
    built = spec.build(user, code_prefix(code, level_of(code)), **kwargs)
    return built if isinstance(built, list) else [built]


def run_export(job_id: int) -> ExportJob | None:
    """Write the job's workbook, with progress; idempotent for a finished job."""
    return transfer.run_job(ExportJob, job_id)


@read_from_replica()
def write_export(job: ExportJob) -> None:
    """The worker's part of a run (registered in ShellConfig.ready); a full export is audited.

    Its rows are read from the replica when there is one; the job's progress, status and audit
    are writes, on the primary.
    """
    spec = reports()[job.report]
    code = job.params["region"]
    total = spec.count(job.user, code_prefix(code, level_of(code))) if spec.count else 0
    transfer.begin(job, total=total, status=ExportJob.Status.RUNNING)
    name = f"{spec.label}-{code}-{job.pk}.xlsx"
    written = write_workbook(ExportJob.file_dir() / name, _sheets(job, spec), progress=transfer.progress_writer(job))
    transfer.finish(job, ExportJob.Status.DONE, rows_written=written, file_name=name)
    if job.params.get("full"):
        AccessAudit.objects.create(
            user=job.user,
            action=AccessAudit.Action.EXPORT,
            object_type=job.report,
            object_id=code,
            detail=f"{spec.label}（完整证件号码、电话）",
            row_count=written,
        )
