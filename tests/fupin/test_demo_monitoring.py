"""The demo's story, part two (fupin/demo/monitoring.py, docs/domain.md §12.15): monitoring objects from
2021 to today, each through the real procedures, and what waits today."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from assessment.codes import ApplicationKind, ApplicationStatus
from assessment.models import Application
from assessment.selectors import review_queue
from core.codes import ParameterKey, Role
from core.models import User
from core.policy import policy_value
from fupin.demo import load_demo
from fupin.demo.monitoring import DEPARTMENT_LIST_ROWS, DEPARTMENT_LIST_UNKNOWN, department_list_path
from households.codes import HouseholdStatus, MonitoringCategory
from households.models import Household
from monitoring import departments
from monitoring.codes import OPEN_STATUSES, Department, DiscoveryWay, EliminationMode, LeadStatus, MonitoringStatus
from monitoring.deadlines import monitoring_deadline
from monitoring.models import MonitoringLead, MonitoringObject
from monitoring.statistics import region_figures
from villages.models import Region

pytestmark = pytest.mark.django_db

DEMO_COUNTY = "622926000000"


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the department list file is written under VAR_DIR/demo/
    return load_demo(households=1200, seed=5)


def users() -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(username__startswith="demo_")}


def local_day(moment) -> date:
    return timezone.localtime(moment).date()


def approved(record: MonitoringObject, kind: str) -> Application:
    return Application.objects.get(monitoring_object=record, kind=kind, status=ApplicationStatus.APPROVED)


def assert_steps_in_order(application: Application, decided_on: date) -> None:
    """The 公示 ran MONITORING_NOTICE_DAYS at least, the township reviewed after it, the county decided on the day."""
    steps = {step.code: step for step in application.steps.filter(round=application.round)}
    notice = steps["VILLAGE_NOTICE"]
    days = int(
        policy_value(ParameterKey.MONITORING_NOTICE_DAYS, year=application.year, region_code=application.region_id)
    )
    assert (notice.ends_on - notice.starts_on).days + 1 >= days
    assert local_day(steps["EVALUATION"].acted_at) <= notice.starts_on
    assert local_day(steps["TOWNSHIP_REVIEW"].acted_at) > notice.ends_on
    county = steps["COUNTY_DECISION"]
    assert county.acted_by.role == Role.COUNTY_REVIEWER and local_day(county.acted_at) == decided_on
    assert steps["COMPARISON"].comment and steps["EVALUATION"].comment
    # The submitter (the clerk who visited) never reviewed their own application.
    reviewers = {step.acted_by_id for code, step in steps.items() if code in ("COMPARISON", "EVALUATION")}
    assert application.submitted_by_id not in reviewers


def test_records_of_every_status_and_category_each_through_its_procedure(demo):
    records = MonitoringObject.objects.select_related("household")
    assert demo["monitoring_records"] == records.count() <= 150
    assert set(records.values_list("status", flat=True)) == set(MonitoringStatus.values)
    assert set(records.values_list("category", flat=True)) == set(MonitoringCategory.values)
    years = set(records.values_list("discovered_on__year", flat=True))
    assert set(range(2021, timezone.localdate().year + 1)) <= years
    # Exited households are 脱贫不稳定户, 一般农户 边缘易致贫户, either may be 突发严重困难户.
    for record in records:
        expected = {"1": {HouseholdStatus.EXITED}, "2": {HouseholdStatus.ORDINARY}}.get(
            record.category, {HouseholdStatus.EXITED, HouseholdStatus.ORDINARY}
        )
        assert record.household.status in expected
        assert 1 <= len(record.risk_types) <= 3 and record.consent_signed
    for record in records.filter(status__in=[MonitoringStatus.MONITORED, MonitoringStatus.ELIMINATED]):
        assert_steps_in_order(approved(record, ApplicationKind.MONITORING_IDENTIFICATION), record.identified_on)
        # Every risk of a record answered by at least one measure, none starting before its discovery.
        for risk in record.risk_types:
            assert record.measures.filter(risk_type=risk).exists(), (record.pk, risk)
        assert not record.measures.filter(started_on__lt=record.discovered_on).exists()
    eliminated = records.filter(status=MonitoringStatus.ELIMINATED)
    assert demo["risk_eliminations"] == eliminated.count() >= 10
    assert set(eliminated.values_list("elimination_mode", flat=True)) == set(EliminationMode.values)
    for record in eliminated:
        application = approved(record, ApplicationKind.RISK_ELIMINATION)
        assert_steps_in_order(application, record.eliminated_on)
        assert application.figures["mode"] == record.elimination_mode
        assert (record.eliminated_on - record.identified_on).days >= 183  # stable at least half a year
        assert not record.no_labour_capacity
    # 兜底: households without labour capacity stay monitored; the one 风险消除 asked for is refused.
    kept = records.filter(no_labour_capacity=True)
    assert kept.exists() and not kept.exclude(status=MonitoringStatus.MONITORED).exists()
    refused = Application.objects.get(kind=ApplicationKind.RISK_ELIMINATION, status=ApplicationStatus.REJECTED)
    assert refused.monitoring_object.no_labour_capacity and not refused.check_passed
    # 未纳入: refused at a step, with the reason; its record is closed.
    for record in records.filter(status=MonitoringStatus.NOT_INCLUDED):
        application = Application.objects.get(monitoring_object=record)
        assert application.status == ApplicationStatus.REJECTED
        assert application.steps.filter(status="REJECTED").exclude(comment="").exists()
        assert not monitoring_deadline(record).is_overdue


def test_household_category_is_its_open_records(demo):
    open_records = dict(
        MonitoringObject.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", "category")
    )
    categorised = dict(Household.objects.exclude(monitoring_category="").values_list("id", "monitoring_category"))
    assert categorised == open_records and len(open_records) >= 20


def test_what_waits_today_in_the_queues_and_on_the_dashboard(demo):
    today = timezone.localdate()
    people = users()
    clerk, clerk2, county = people["demo_clerk"], people["demo_clerk2"], people["demo_county"]
    # Self-reports and department alerts in demo_clerk's township queue.
    queue = MonitoringLead.objects.visible_to(clerk).filter(status=LeadStatus.NEW)
    assert queue.filter(way=DiscoveryWay.SELF_REPORT).count() >= 3
    assert queue.filter(way=DiscoveryWay.DEPARTMENT_ALERT, department=Department.MEDICAL_INSURANCE).count() >= 1
    taken = MonitoringLead.objects.get(status=LeadStatus.IDENTIFYING)
    assert taken.monitoring_object.discovery_way == DiscoveryWay.SELF_REPORT
    assert taken.monitoring_object.status == MonitoringStatus.IDENTIFYING
    # demo_county decides one identification today (its 公示 over); demo_clerk2 has an overdue one.
    county_items = [
        item for item in review_queue(county, today) if item.kind == ApplicationKind.MONITORING_IDENTIFICATION
    ]
    assert len(county_items) == 1 and county_items[0].awaiting_step_name == "县级审定"
    identifying = MonitoringObject.objects.visible_to(clerk).filter(status=MonitoringStatus.IDENTIFYING)
    assert any(monitoring_deadline(record, today).is_overdue for record in identifying)
    clerk2_items = {item.monitoring_object_id for item in review_queue(clerk2, today)}
    assert set(identifying.values_list("id", flat=True)) - clerk2_items == {county_items[0].monitoring_object_id}
    # The dashboard of the county and of the province: every family of figures non-trivial.
    for user, code in ((county, DEMO_COUNTY), (people["demo_province"], "620000000000")):
        figures = region_figures(user, Region.objects.get(code=code), today)
        assert all(figures["by_status"].values()), figures["by_status"]
        assert all(sum(by_status.values()) for by_status in figures["by_category"].values())
        assert sum(1 for by_status in figures["by_risk_type"].values() if sum(by_status.values())) >= 6
        assert figures["new_this_month"] >= 1 and figures["overdue"] >= 1
        if today >= date(today.year, 2, 15):  # a 风险消除 of this year needs its half year and its steps
            assert all(figures["eliminated_this_year"].values()), figures["eliminated_this_year"]
            assert figures["identified_this_year"] >= 1 and figures["median_days_to_identify"] is not None


def test_the_department_list_file_matches_when_demo_county_uploads_it(demo):
    path = department_list_path()
    assert demo["department_list_file"] == str(path) and path.exists()
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "身份证号", "说明")
    assert len(rows) - 1 == DEPARTMENT_LIST_ROWS + DEPARTMENT_LIST_UNKNOWN
    before = MonitoringLead.objects.count()
    job = departments.start_department_list(
        user=users()["demo_county"],
        uploaded=SimpleUploadedFile(path.name, path.read_bytes()),
        department=Department.MEDICAL_INSURANCE,
        risk_type="01",
    )
    job = departments.run_department_list(job.pk)
    assert job.status == "DONE"
    assert job.matched_count == job.alert_count == DEPARTMENT_LIST_ROWS
    assert job.unmatched_total == DEPARTMENT_LIST_UNKNOWN
    assert {entry["reason"] for entry in job.unmatched} == {departments.NOT_REGISTERED}
    assert MonitoringLead.objects.count() == before + DEPARTMENT_LIST_ROWS
    # Registered people of demo_county's county, in several townships; none already monitored.
    alerts = MonitoringLead.objects.filter(department_list=job).select_related("household")
    assert all(lead.village_id.startswith("622926") for lead in alerts)
    assert len({lead.village.parent_id for lead in alerts}) >= 2
    assert not MonitoringObject.objects.filter(
        household__in=[lead.household for lead in alerts], status__in=OPEN_STATUSES
    ).exists()
