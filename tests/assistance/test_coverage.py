"""Who needs a helper (households/quality.py), the coverage figures (assistance/coverage.py), their export and
page, the 结对名单 import, and the demo's pairings."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from assistance import coverage, pairing_exports, pairing_imports
from core.codes import Role
from core.models import ExportJob
from fupin.exports import request_export, run_export
from households.codes import HouseholdStatus, MonitoringCategory
from households.models import Helper, HelperAssignment, Household
from households.quality import helper_need, household_warnings, needs_helper_q
from monitoring.services import start_identification
from tests.conftest import login
from tests.factories import HouseholdFactory, UserFactory, household_with_members, make_id_number, region

pytestmark = pytest.mark.django_db

START = date(2024, 3, 1)


@pytest.fixture
def world(db):
    county = region("622926000000", "东乡族自治县")
    township = region("622926101000", "锁南镇")
    return {
        "county": county,
        "township": township,
        "village": region("622926101201", "红柳村"),
        "village2": region("622926101202", "白土村"),
        "other_township": region("622926102000", "达板镇"),
        "other_village": region("622926102201", "达板村"),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "county_user": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


def pair(household, helper, end=None):
    return HelperAssignment.objects.create(helper=helper, household=household, start_date=START, end_date=end)


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category", "needs"),
    [
        (HouseholdStatus.POOR, "", "未脱贫户"),
        (HouseholdStatus.EXITED, "", "已脱贫户"),
        (HouseholdStatus.EXITED, MonitoringCategory.UNSTABLE_EXITED, "监测对象（脱贫不稳定户）"),
        (HouseholdStatus.ORDINARY, "", ""),
        (HouseholdStatus.ORDINARY, MonitoringCategory.MARGINAL, "监测对象（边缘易致贫户）"),
        (HouseholdStatus.CANDIDATE, "", ""),
        (HouseholdStatus.CANCELLED, MonitoringCategory.SUDDEN_HARDSHIP, ""),
        (HouseholdStatus.REMOVED, "", ""),
    ],
)
def test_the_filter_and_the_warning_state_one_rule(world, status, category, needs):
    household = household_with_members(world["village"], status=status)
    Household.objects.filter(pk=household.pk).update(monitoring_category=category)
    household.refresh_from_db()
    assert helper_need(household) == needs
    assert Household.objects.filter(needs_helper_q(), pk=household.pk).exists() == bool(needs)
    warnings = {warning.code: warning.message for warning in household_warnings(household)}
    if needs:
        assert warnings["no_helper"] == f"{needs}没有结对帮扶责任人。"
        pair(household, Helper.objects.create(name="李", unit="镇", level="4", region=world["township"]))
        assert "no_helper" not in {warning.code for warning in household_warnings(household)}
    else:
        assert "no_helper" not in warnings


def test_opening_a_monitoring_record_recounts_the_warnings(world):
    household = household_with_members(world["village"], status=HouseholdStatus.EXITED)
    before = Household.objects.get(pk=household.pk).warning_count or 0
    start_identification(
        user=world["clerk"],
        household_id=household.pk,
        discovered_on=timezone.localdate(),
        category=MonitoringCategory.UNSTABLE_EXITED,
        risk_types=["01"],
        income_12_months="12000.00",
        consent_signed_on=timezone.localdate(),
    )
    household.refresh_from_db()
    assert "no_helper" in {warning.code for warning in household_warnings(household)}
    assert household.warning_count == len(household_warnings(household)) > before


# --- the figures --------------------------------------------------------------------------------


def hand_built_village(world):
    """红柳村: 4 poor (2 with a current helper, one of them with two; 1 whose pairing ended), 1 monitored
    exited household with a helper, 1 monitored 一般农户 without, 2 exited (1 paired), and a 清退 and a
    一般农户 that need none → 8 need a helper, 4 have one."""
    village = world["village"]
    helper = Helper.objects.create(name="李", unit="镇", level="4", region=world["township"])
    poor = HouseholdFactory.create_batch(4, village=village)
    pair(poor[0], helper)
    pair(poor[1], helper)
    pair(
        poor[1], Helper.objects.create(name="王", unit="镇", level="4", region=world["township"])
    )  # two helpers: one household
    pair(poor[2], helper, end=START + timedelta(days=30))
    monitored = HouseholdFactory(village=village, status="EXITED", monitoring_category="1")
    pair(monitored, helper)
    HouseholdFactory(village=village, status="ORDINARY", monitoring_category="2", attribute="", main_cause="")
    exited = HouseholdFactory.create_batch(2, village=village, status="EXITED")
    pair(exited[0], helper)  # paired, but not needing one: not counted
    HouseholdFactory(village=village, status="REMOVED")
    HouseholdFactory(village=village, status="ORDINARY", attribute="", main_cause="")
    HouseholdFactory.create_batch(2, village=world["village2"])
    HouseholdFactory.create_batch(3, village=world["other_village"])


def test_the_coverage_of_a_hand_built_village(world):
    hand_built_village(world)
    figure = coverage.total(world["clerk"], world["village"])
    assert (figure.needed, figure.covered, figure.missing, figure.rate) == (8, 4, 4, 50.0)
    rows = {row.code: row for row in coverage.coverage_rows(world["clerk"], world["township"])}
    assert set(rows) == {world["village"].code, world["village2"].code}
    assert (rows[world["village"].code].needed, rows[world["village"].code].covered) == (8, 4)
    assert (rows[world["village2"].code].needed, rows[world["village2"].code].rate) == (2, 0.0)
    by_township = {row.code: row for row in coverage.coverage_rows(world["county_user"], world["county"])}
    assert (by_township[world["township"].code].needed, by_township[world["township"].code].covered) == (10, 4)
    assert by_township[world["other_township"].code].needed == 3
    ordered = coverage.coverage_rows(world["clerk"], world["township"], sort="rate", descending=True)
    assert [row.code for row in ordered] == [world["village"].code, world["village2"].code]


def test_the_coverage_export_lists_every_village_in_scope(world):
    hand_built_village(world)
    sheet = pairing_exports.coverage_sheet(world["clerk"], "622926101")
    rows = {row[3]: row for row in sheet.rows}
    assert set(rows) == {world["village"].code, world["village2"].code}
    assert rows[world["village"].code][4:] == [8, 4, 4, 50.0]
    assert rows[world["village"].code][:3] == ["东乡族自治县", "锁南镇", "红柳村"]


def test_the_coverage_page_drills_from_township_to_village(client, world):
    hand_built_village(world)
    login(client, world["county_user"])
    page = client.get(reverse("assistance:coverage")).content.decode()
    assert "锁南镇" in page and "达板镇" in page
    township = client.get(
        reverse("assistance:coverage"), {"region": world["township"].code, "sort": "rate", "desc": "1"}
    )
    body = township.content.decode()
    assert "红柳村" in body and "50.0%" in body
    assert reverse("assistance:pairing_village", args=[world["village"].code]) in body
    login(client, world["clerk"])
    assert client.get(reverse("assistance:coverage"), {"region": world["other_township"].code}).status_code == 404
    assert client.get(reverse("assistance:coverage"), {"region": "<script>"}).status_code == 404


# --- the import ---------------------------------------------------------------------------------


def workbook(
    rows, headers=("帮扶责任人姓名", "工作单位", "隶属关系", "联系电话", "户编号", "户主身份证号", "结对日期")
):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("结对名单.xlsx", buffer.getvalue())


def test_a_pairing_list_is_imported_through_the_services(world):
    households = [household_with_members(world["village"]) for _ in range(3)]
    head_id = make_id_number()
    by_id = household_with_members(world["village"])
    head = by_id.members.get(relation="01")
    head.set_id_number(head_id)
    head.save()
    outcome = pairing_imports.import_pairings(
        user=world["clerk"],
        uploaded=workbook(
            [
                ("李明", "县农业农村局", "县直", "13912345678", households[0].household_no, None, date(2024, 3, 1)),
                ("李明", "县农业农村局", "县直", None, households[1].household_no, None, "2024-03-01"),
                ("王芳", "锁南镇人民政府", "4", None, households[2].household_no, None, "2024-04-01"),
                ("王芳", "锁南镇人民政府", "乡镇", None, None, head_id, "2024-04-01"),
            ]
        ),
    )
    assert (outcome.created, outcome.new_helpers) == (4, 2)
    assert HelperAssignment.objects.get(household=by_id).helper.name == "王芳"
    assert Helper.objects.get(name="李明").region == world["township"]


def test_a_pairing_list_with_a_bad_row_writes_nothing_and_names_the_rows(world):
    household = household_with_members(world["village"])
    outside = household_with_members(world["other_village"])
    with pytest.raises(ValidationError) as refused:
        pairing_imports.import_pairings(
            user=world["clerk"],
            uploaded=workbook(
                [
                    ("李明", "县农业农村局", "县直", None, household.household_no, None, "2024-03-01"),
                    ("李明", "县农业农村局", "处级", None, outside.household_no, None, "明天"),
                ]
            ),
        )
    problems = refused.value.message_dict["file"]
    assert any(p.startswith("第3行") and "隶属关系" in p and "不在您的管辖范围内" in p for p in problems)
    assert any(p.startswith("第3行") and "结对日期" in p for p in problems)
    assert not HelperAssignment.objects.exists() and not Helper.objects.exists()


def test_a_pairing_list_over_the_limit_is_refused_whole(world):
    households = [HouseholdFactory(village=world["village"]) for _ in range(6)]
    rows = [("李明", "县农业农村局", "县直", None, h.household_no, None, "2024-03-01") for h in households]
    with pytest.raises(ValidationError) as refused:
        pairing_imports.import_pairings(user=world["clerk"], uploaded=workbook(rows))
    assert "最多结对5户" in refused.value.message_dict["file"][0]
    assert not HelperAssignment.objects.exists() and not Helper.objects.exists()


def test_a_file_that_is_not_xlsx_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        pairing_imports.import_pairings(user=world["clerk"], uploaded=SimpleUploadedFile("a.xlsx", b"not a zip"))
    assert "xlsx" in refused.value.message_dict["file"][0]


def test_the_import_page(client, world):
    household = household_with_members(world["village"])
    login(client, world["clerk"])
    url = reverse("assistance:pairing_import")
    assert client.get(url).status_code == 200
    rows = [("李明", "县农业农村局", "县直", None, household.household_no, None, "2024-03-01")]
    assert client.post(url, {"file": workbook(rows)}).status_code == 302
    assert HelperAssignment.objects.filter(household=household).exists()
    assert client.post(url, {}).status_code == 400


def test_the_coverage_export_runs_through_the_export_jobs(world, django_capture_on_commit_callbacks):
    hand_built_village(world)
    with django_capture_on_commit_callbacks(execute=False):
        job = request_export(user=world["county_user"], report="pairing_coverage", region_code=world["county"].code)
    job = run_export(job.pk)
    assert job.status == ExportJob.Status.DONE
    sheet = load_workbook(ExportJob.file_dir() / job.file_name).active
    rows = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[world["village"].code][4:8] == (8, 4, 4, 50)
    assert set(rows) == {world["village"].code, world["village2"].code, world["other_village"].code}
