"""Excel of 防返贫监测 (docs/domain.md §12.13): the roster (masked unless permitted), the figures, scope, the API."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from core.codes import Role
from core.models import AccessAudit, ExportJob
from fupin.exports import request_export, run_export
from households.models import Household, Member
from monitoring import statistics
from monitoring.exports import ROSTER_HEADERS, check_roster_filters
from tests.conftest import login
from tests.factories import UserFactory
from tests.monitoring.test_dashboard import (  # noqa: F401 (fixtures)
    COUNTY,
    OTHER_TOWNSHIP,
    TOWNSHIP,
    V1,
    world,
)
from villages.models import Region

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def county_user(world):  # noqa: F811
    Household.objects.filter(village_id=V1).update(phone=PHONE)
    return UserFactory(role=Role.COUNTY_REVIEWER, region=Region.objects.get(code=COUNTY))


@pytest.fixture
def township_clerk(world):  # noqa: F811
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=Region.objects.get(code=TOWNSHIP))


def rows_of(job, sheet="监测对象花名册"):
    workbook = load_workbook(job.file_path())
    return [[cell.value for cell in row] for row in workbook[sheet].iter_rows()]


def heads():
    return {member.id_number: member for member in Member.objects.filter(relation="01")}


def test_roster_holds_the_scope_s_records_with_masked_ids_and_phones(county_user):
    job = run_export(request_export(user=county_user, report="monitoring_roster", region_code=COUNTY).pk)
    assert (job.status, job.rows_written) == ("DONE", 7)
    header, *rows = rows_of(job)
    assert header == ROSTER_HEADERS
    column = {name: index for index, name in enumerate(header)}
    assert {row[column["县"]] for row in rows} == {"东乡族自治县"}
    assert {row[column["乡镇"]] for row in rows} == {"锁南镇", "达板镇"}
    masked = {member.id_number_masked for member in heads().values()}
    ids = [row[column["户主证件号码"]] for row in rows]
    assert all(value in masked and "*" in value for value in ids)
    assert not set(ids) & set(heads())  # never a full number
    phones = {row[column["联系电话"]] for row in rows if row[column["村"]] == "红柳村"}
    assert phones and PHONE not in phones and all("*" in phone for phone in phones)
    first = next(row for row in rows if row[column["风险类型"]] == "因病、因务工就业不稳")
    assert (first[column["状态"]], first[column["监测对象类别"]]) == ("识别中", "脱贫不稳定户")
    assert first[column["发现日期"]].date().isoformat() == "2026-06-01"
    assert first[column["监测范围未核实"]] == "是"
    eliminated = next(row for row in rows if row[column["风险消除方式"]] == "风险自然消除")
    assert eliminated[column["风险消除日期"]].date().isoformat() == "2026-06-15"
    assert not AccessAudit.objects.exists()


def test_full_roster_needs_the_permission_and_is_audited(county_user):
    with pytest.raises(PermissionDenied):
        request_export(user=county_user, report="monitoring_roster", region_code=COUNTY, full=True)
    county_user.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    county_user = type(county_user).objects.get(pk=county_user.pk)
    job = run_export(request_export(user=county_user, report="monitoring_roster", region_code=COUNTY, full=True).pk)
    header, *rows = rows_of(job)
    ids = {row[header.index("户主证件号码")] for row in rows}
    assert ids <= set(heads()) and len(ids) == 7
    assert PHONE in {row[header.index("联系电话")] for row in rows}
    assert AccessAudit.objects.get().row_count == 7


def test_roster_filters_and_scope(county_user, township_clerk):
    job = run_export(
        request_export(
            user=county_user,
            report="monitoring_roster",
            region_code=COUNTY,
            filters={"status": "IDENTIFYING", "risk_type": "01"},
        ).pk
    )
    assert job.rows_written == 2
    with pytest.raises(ValidationError) as error:
        check_roster_filters({"status": "GONE"})
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        request_export(user=county_user, report="monitoring_roster", region_code=COUNTY, filters={"name": "x"})
    assert "filters" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        request_export(user=county_user, report="households", region_code=COUNTY, filters={"status": "IDENTIFYING"})
    assert "filters" in error.value.message_dict
    # A township clerk: only their township, another one is refused.
    with pytest.raises(ValidationError):
        request_export(user=township_clerk, report="monitoring_roster", region_code=OTHER_TOWNSHIP)
    job = run_export(request_export(user=township_clerk, report="monitoring_roster", region_code=TOWNSHIP).pk)
    assert job.rows_written == 5


def test_roster_through_the_api(api_client, county_user):
    login(api_client, county_user)
    response = api_client.post(
        "/api/v1/exports/",
        {"report": "monitoring_roster", "region": COUNTY, "filters": {"category": "2"}},
        format="json",
    )
    assert response.status_code == 202, response.json()
    assert run_export(response.json()["id"]).rows_written == 3
    bad = api_client.post(
        "/api/v1/exports/",
        {"report": "monitoring_roster", "region": COUNTY, "filters": {"category": "9"}},
        format="json",
    )
    assert bad.status_code == 400 and "category" in bad.json()


def test_figures_workbook_matches_the_dashboard(client, county_user):
    login(client, county_user)
    response = client.get(f"/monitoring/dashboard/export/?region={COUNTY}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["监测统计", "按类别", "按风险类型", "下级区划"]
    figures = statistics.region_figures(county_user, Region.objects.get(code=COUNTY), timezone.localdate())
    summary = {row[0]: row[1] for row in workbook["监测统计"].iter_rows(min_row=2, values_only=True)}
    assert summary["监测记录总数（户次）"] == figures["total"] == 7
    assert summary["识别中、监测中的监测对象"] == figures["open"]
    children = list(workbook["下级区划"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[6]) for row in children] == [(TOWNSHIP, 5), (OTHER_TOWNSHIP, 2), ("622926103000", 0)]
    risks = {row[0]: row[-1] for row in workbook["按风险类型"].iter_rows(min_row=2, values_only=True)}
    assert risks["因病"] == 4


def test_figures_workbook_through_the_export_pipeline_and_scope(client, county_user, township_clerk):
    job = run_export(request_export(user=county_user, report="monitoring_statistics", region_code=TOWNSHIP).pk)
    summary = {row[0]: row[1] for row in rows_of(job, "监测统计")[1:]}
    assert summary["监测记录总数（户次）"] == 5
    login(client, township_clerk)
    assert client.get(f"/monitoring/dashboard/export/?region={OTHER_TOWNSHIP}").status_code == 404
    assert client.get(f"/monitoring/dashboard/export/?region={TOWNSHIP}").status_code == 200


def test_the_admin_may_not_export(client, world):  # noqa: F811
    admin = UserFactory(role=Role.ADMIN, region=None)
    login(client, admin)
    assert client.get("/monitoring/dashboard/").status_code == 200
    assert client.get("/monitoring/dashboard/export/").status_code == 403


def test_the_dashboard_s_roster_button_queues_the_roster(client, county_user):
    login(client, county_user)
    page = client.get(f"/monitoring/dashboard/?region={TOWNSHIP}").content.decode()
    assert 'name="report" value="monitoring_roster"' in page and f'value="{TOWNSHIP}"' in page
    response = client.post("/exports/", {"report": "monitoring_roster", "region_code": TOWNSHIP})
    assert response.status_code == 302
    job = ExportJob.objects.get(user=county_user)
    assert (job.report, job.params["region"], job.params["filters"]) == ("monitoring_roster", TOWNSHIP, {})
    assert run_export(job.pk).rows_written == 5
