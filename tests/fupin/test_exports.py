"""Exports: official headers, text IDs masked unless permitted, escaped formulas, scope, audit."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from core.codes import Role
from core.models import AccessAudit, ExportJob
from core.transfer import expire_transfer_files
from fupin.exports import request_export, run_export
from households.models import Household, Member
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_data(two_townships):
    first = household_with_members(two_townships["village_a"], size=3)
    Household.objects.filter(pk=first.pk).update(group_name="=1+1", head_name="马成")
    Member.objects.filter(household=first, relation="01").update(name="@SUM(A1)")
    household_with_members(two_townships["village_b"], size=2)
    return two_townships


def workbook_of(job):
    return load_workbook(job.file_path(), read_only=False)


def test_member_roster_has_official_headers_masked_text_ids_frozen_filtered_header(county_data):
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county_data["county"])
    job = run_export(request_export(user=reviewer, report="members", region_code="622926000000").pk)
    assert (job.status, job.rows_written) == ("DONE", 5)
    sheet = workbook_of(job)["家庭成员"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:4] == ["户编号", "姓名", "证件号码", "与户主关系"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M6"
    ids = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" and "********" in cell.value for cell in ids)
    assert not AccessAudit.objects.exists()  # masked exports are not personal-data access


def test_formula_like_cells_are_stored_as_text_and_round_trip(county_data):
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county_data["county"])
    members = workbook_of(run_export(request_export(user=reviewer, report="members", region_code="622926000000").pk))
    name = next(row[1] for row in members["家庭成员"].iter_rows(min_row=2) if row[1].value.startswith("@"))
    assert (name.value, name.data_type, name.quotePrefix) == ("@SUM(A1)", "s", True)
    households = workbook_of(
        run_export(request_export(user=reviewer, report="households", region_code="622926000000").pk)
    )
    group = next(row[3] for row in households["贫困户"].iter_rows(min_row=2) if row[3].value == "=1+1")
    assert (group.data_type, group.quotePrefix) == ("s", True)


def test_full_ids_need_the_permission_and_are_audited(county_data):
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county_data["county"])
    with pytest.raises(PermissionDenied, match="查看完整个人信息权限"):
        request_export(user=reviewer, report="members", region_code="622926000000", full=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    job = run_export(request_export(user=reviewer, report="members", region_code="622926000000", full=True).pk)
    numbers = {row[2].value for row in workbook_of(job)["家庭成员"].iter_rows(min_row=2)}
    assert numbers == {member.id_number for member in Member.objects.all()}
    audit = AccessAudit.objects.get()
    assert (audit.user, audit.action, audit.row_count) == (reviewer, "export", 5)


def test_publicity_roster_is_per_village_and_has_no_personal_columns(county_data, clerk_a):
    with pytest.raises(ValidationError):
        request_export(user=clerk_a, report="publicity", region_code="622926101000")
    job = run_export(request_export(user=clerk_a, report="publicity", region_code="622926101201").pk)
    sheet = workbook_of(job)["公示名单"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == ["所在村", "村民小组", "户主姓名", "户状态", "家庭人口数"]
    assert not {"证件号码", "联系电话", "健康状况", "主要致贫原因", "贫困户属性"} & set(headers)
    assert sheet.max_row == 2


def test_exports_are_scoped(county_data, clerk_a):
    with pytest.raises(ValidationError):
        request_export(user=clerk_a, report="households", region_code="622926102000")
    job = run_export(request_export(user=clerk_a, report="households", region_code="622926101000").pk)
    rows = list(workbook_of(job)["贫困户"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][1] == "622926101201"


def test_split_by_county_writes_one_sheet_per_county(county_data):
    region("622921101201", "临夏县村")
    household_with_members(region("622921101201"), size=2)
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000", "甘肃省"))
    job = run_export(
        request_export(user=province, report="households", region_code="620000000000", split_by_county=True).pk
    )
    workbook = workbook_of(job)
    assert [sheet.title for sheet in workbook.worksheets] == ["622921000000名", "东乡族自治县"]
    assert job.rows_written == 3


def test_api_creates_polls_and_downloads_only_my_jobs(api_client, county_data, clerk_a):
    login(api_client, clerk_a)
    response = api_client.post("/api/v1/exports/", {"report": "households", "region": "622926101000"}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert api_client.get(f"/api/v1/exports/{job_id}/download/").status_code == 404  # not written yet
    run_export(job_id)
    body = api_client.get(f"/api/v1/exports/{job_id}/").json()
    assert (body["status"], body["percent"], body["rows_written"]) == ("DONE", 100, 1)
    download = api_client.get(f"/api/v1/exports/{job_id}/download/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    content = b"".join(download.streaming_content)
    assert load_workbook(io.BytesIO(content))["贫困户"]["A1"].value == "户编号"
    other = UserFactory(role=Role.TOWNSHIP_CLERK, region=county_data["township_a"])
    api_client.logout()
    login(api_client, other)
    assert api_client.get(f"/api/v1/exports/{job_id}/").status_code == 404
    assert api_client.get(f"/api/v1/exports/{job_id}/download/").status_code == 404
    assert api_client.get("/api/v1/exports/").json()["results"] == []
    assert ExportJob.objects.count() == 1


def test_exports_page_lists_my_jobs_with_a_download_link(client, county_data, clerk_a):
    login(client, clerk_a)
    response = client.post("/exports/", {"report": "households", "region_code": "622926101000"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    page = client.get("/exports/").content.decode()
    assert 'hx-trigger="every 2s"' in page  # polls while the job runs
    run_export(job.pk)
    page = client.get("/exports/").content.decode()
    assert f"/exports/{job.pk}/download/" in page and "贫困户花名册" in page
    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"


def test_files_are_deleted_after_their_hours_and_the_job_says_expired(client, county_data, clerk_a, settings):
    from datetime import timedelta

    from django.utils import timezone

    job = run_export(request_export(user=clerk_a, report="households", region_code="622926101000").pk)
    path = job.file_path()
    assert expire_transfer_files()["exports"] == 0 and path.exists()  # young files stay
    later = timezone.now() + timedelta(hours=settings.TRANSFER_FILE_HOURS, minutes=1)
    assert expire_transfer_files(now=later)["exports"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not path.exists() and run_export(job.pk).status == "EXPIRED"
    login(client, clerk_a)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404
    assert "已过期" in client.get("/exports/").content.decode()


def test_statistics_and_yearly_reports(county_data):
    from decimal import Decimal

    from assessment.statistics import recompute_incidence_rates
    from households.models import AidMeasure, IncomeRecord
    from villages.models import Village, VillagePopulation

    exited = household_with_members(county_data["village_a"], size=2, status="EXITED")
    Household.objects.filter(pk=exited.pk).update(exit_year=2019)
    IncomeRecord.objects.create(household=exited, year=2019, household_size=2, wage_income=Decimal("9000.10"))
    AidMeasure.objects.create(household=exited, category="01", year=2019, amount=Decimal("1500"), description="养羊")
    village = Village.objects.create(region=county_data["village_a"])
    VillagePopulation.objects.create(village=village, year=2019, rural_population=300)
    recompute_incidence_rates(2019)
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county_data["county"])

    def rows(report, **params):
        job = run_export(request_export(user=reviewer, report=report, region_code="622926000000", **params).pk)
        return list(workbook_of(job).worksheets[0].iter_rows(values_only=True))

    exits = rows("exits", year=2019)
    assert exits[0] == ("户编号", "所在村", "户主姓名", "家庭人口数", "脱贫年度", "人均纯收入（元）")
    assert exits[1][3:] == (2, 2019, 4500.05)
    aid = rows("aid_measures", year=2019)
    assert aid[1] == ("东乡族自治县", "产业帮扶", 1, 1, 1500)
    incidence = rows("incidence")
    county_row = next(row for row in incidence if row[0] == "622926000000")
    assert county_row[2:] == (2019, 2, 5, 300, pytest.approx(1.6667, abs=1e-4))
    with pytest.raises(ValidationError):
        request_export(user=reviewer, report="ratings", region_code="622926000000")  # needs a year
