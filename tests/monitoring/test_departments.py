"""部门筛查预警: a county's department list matched to its registered members by the keyed ID hash,
one lead per household in the township's queue, unmatched rows by number and reason, and nothing of
the list kept (docs/domain.md §12.11)."""

import io
import threading
import time
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.db.models import Count
from openpyxl import Workbook, load_workbook

from core.codes import Role
from fupin.demo import id_check_char
from households.codes import HouseholdStatus, Relation
from households.models import Household, Member
from monitoring import departments
from monitoring.codes import Department, DiscoveryWay, LeadStatus
from monitoring.models import DepartmentList, MonitoringLead
from tests.conftest import login
from tests.factories import HouseholdFactory, UserFactory, household_with_members, region


def id_number(index: int, county: str = "622926") -> str:
    """A valid number, unique per index (births from 1950 on, 500 a day)."""
    first17 = f"{county}{date(1950, 1, 1) + timedelta(days=index // 500):%Y%m%d}{index % 500 * 2 + 1:03d}"
    return first17 + id_check_char(first17)


def registered(villages, households: int, size: int = 3, start: int = 0) -> list[str]:
    """`households` households of `size` members spread over `villages`, bulk-created; their ID numbers."""
    built = [
        HouseholdFactory.build(
            village=villages[index % len(villages)], status=HouseholdStatus.EXITED, member_count=size
        )
        for index in range(households)
    ]
    Household.objects.bulk_create(built)
    members, numbers = [], []
    for offset, household in enumerate(built):
        for position in range(size):
            number = id_number(start + offset * size + position)
            member = Member(
                household=household, name=f"成员{position}", relation=Relation.HEAD if position == 0 else Relation.SON
            )
            member.set_id_number(number)
            members.append(member)
            numbers.append(number)
    Member.objects.bulk_create(members, batch_size=2000)
    return numbers


def write_list(path, numbers) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名单")
    sheet.append(["序号", "姓名", "身份证号", "说明"])
    for index, number in enumerate(numbers, start=1):
        sheet.append([index, f"名单人员{index}", number, "大额医疗自付"])
    workbook.save(path)
    return path.read_bytes()


def upload(user, content: bytes, department=Department.MEDICAL_INSURANCE, risk_type="01") -> DepartmentList:
    job = departments.start_department_list(
        user=user,
        uploaded=SimpleUploadedFile("医保大额自付名单.xlsx", content),
        department=department,
        risk_type=risk_type,
    )
    return departments.run_department_list(job.pk)  # what the Celery worker does


@pytest.fixture
def county(village):
    return village.parent.parent


@pytest.fixture
def second_village(county):
    return region("622926102201", "乙村")


def test_ten_thousand_rows_are_matched_in_seconds_and_nothing_of_the_list_is_kept(
    village, second_village, county_user, tmp_path
):
    numbers = registered([village, second_village], households=3000)  # 9,000 members
    elsewhere = registered([region("622921101201", "外县村")], households=20, start=20_000)  # another county
    unknown = [id_number(30_000 + index) for index in range(650)]
    invalid = [number[:-1] + ("1" if number[-1] == "0" else "0") for number in unknown[:400]]
    rows = numbers[:8500] + unknown + elsewhere[:50] + invalid + numbers[:400]
    assert len(rows) == 10_000
    content = write_list(tmp_path / "名单.xlsx", rows)

    started = time.perf_counter()
    job = upload(county_user, content)
    seconds = time.perf_counter() - started
    print(f"\n[department list] 10,000 rows matched in {seconds:.2f} s")

    assert job.status == DepartmentList.Status.DONE, job.message
    assert (job.rows_total, job.matched_count) == (10_000, 8500)
    expected_leads = len({index // 3 for index in range(8500)})  # members 0..8499, three to a household
    assert job.alert_count == expected_leads == MonitoringLead.objects.count()
    by_village = dict(MonitoringLead.objects.values_list("village_id").order_by().annotate(n=Count("id")))
    assert by_village == {village.code: 1417, second_village.code: 1417}  # households alternate between them
    lead = MonitoringLead.objects.first()
    assert (lead.way, lead.status, lead.department, lead.risk_type) == (
        DiscoveryWay.DEPARTMENT_ALERT,
        LeadStatus.NEW,
        Department.MEDICAL_INSURANCE,
        "01",
    )
    assert lead.member.household_id == lead.household_id and lead.department_list_id == job.pk
    # Unmatched rows: number and reason only (the header is row 1).
    reasons = {entry["row"]: entry["reason"] for entry in job.unmatched}
    assert job.unmatched_total == len(reasons) == 1500
    assert reasons[8500 + 2] == "本县未登记"  # the first unknown
    assert reasons[8500 + 650 + 2] == "本县未登记"  # registered in another county
    assert reasons[8500 + 700 + 2] == "身份证号无效"
    assert reasons[9600 + 2] == "重复行"
    assert sorted(set(reasons.values())) == ["本县未登记", "身份证号无效", "重复行"]
    assert all(entry.keys() == {"row", "reason"} for entry in job.unmatched)

    # Nothing of the list is kept: the file is gone, and no name or number of it is in the tables.
    assert list(DepartmentList.file_dir().iterdir()) == [] and job.stored_name == ""
    with connection.cursor() as cursor:
        stored = ""
        for table in (
            "monitoring_departmentlist",
            "monitoring_monitoringlead",
            "monitoring_monitoringleadevent",
            "pghistory_context",
        ):
            cursor.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")  # noqa: S608
            stored += cursor.fetchone()[0]
    assert "名单人员" not in stored and "大额医疗自付" not in stored
    assert not [number for number in rows[::97] if number in stored]


def test_one_lead_per_household_and_no_second_open_lead_from_the_same_department(village, county_user, tmp_path):
    household = household_with_members(village, size=3, status=HouseholdStatus.EXITED)
    numbers = [member.id_number for member in household.members.all()]
    job = upload(county_user, write_list(tmp_path / "a.xlsx", numbers))
    assert (job.matched_count, job.alert_count) == (3, 1)
    lead = MonitoringLead.objects.get()
    assert lead.member.id_number == numbers[0]  # the first listed member
    assert lead.events.get().pgh_context.metadata["reason"] == "部门筛查预警：医保部门名单比对"
    again = upload(county_user, write_list(tmp_path / "b.xlsx", numbers[1:]))
    assert (again.matched_count, again.alert_count) == (2, 0) and "1户已有本部门待核实" in again.message
    other = upload(county_user, write_list(tmp_path / "c.xlsx", numbers[:1]), department=Department.CIVIL_AFFAIRS)
    assert other.alert_count == 1
    # Once the clerk has closed the medical lead, a new medical list alerts again.
    lead.status, lead.closed_reason = LeadStatus.CLOSED, "已核实"
    lead.save()
    assert upload(county_user, write_list(tmp_path / "d.xlsx", numbers[:1])).alert_count == 1


def test_a_list_without_an_id_column_fails_and_its_file_is_deleted(village, county_user, tmp_path):
    workbook = Workbook()
    workbook.active.append(["姓名", "电话"])
    workbook.active.append(["马某", "13900000000"])
    workbook.save(tmp_path / "x.xlsx")
    job = upload(county_user, (tmp_path / "x.xlsx").read_bytes())
    assert job.status == DepartmentList.Status.FAILED and "身份证号" in job.message
    assert list(DepartmentList.file_dir().iterdir()) == []


def test_upload_is_the_county_reviewer_s_and_refuses_what_is_not_xlsx(village, clerk, county_user, tmp_path):
    with pytest.raises(PermissionDenied):
        departments.start_department_list(
            user=clerk, uploaded=SimpleUploadedFile("a.xlsx", b"x"), department="YB", risk_type="01"
        )
    with pytest.raises(ValidationError) as error:
        departments.start_department_list(
            user=county_user, uploaded=SimpleUploadedFile("a.xlsx", b"a,b\n"), department="ZZ", risk_type="00"
        )
    assert set(error.value.message_dict) == {"department", "risk_type"}
    with pytest.raises(ValidationError) as error:
        departments.start_department_list(
            user=county_user, uploaded=SimpleUploadedFile("a.xlsx", b"a,b\n"), department="YB", risk_type="01"
        )
    assert "按内容判断" in error.value.message_dict["file"][0]
    assert DepartmentList.objects.count() == 0 and list(DepartmentList.file_dir().iterdir()) == []


def test_pages_report_and_scope(client, village, county_user, clerk, tmp_path):
    household = household_with_members(village, size=2, status=HouseholdStatus.EXITED)
    numbers = [member.id_number for member in household.members.all()] + ["622926195001011234"]
    login(client, county_user)
    page = client.get("/monitoring/department-lists/").content.decode()
    assert "上传并比对" in page
    response = client.post(
        "/monitoring/department-lists/",
        {
            "department": "YB",
            "risk_type": "01",
            "file": SimpleUploadedFile("名单.xlsx", write_list(tmp_path / "p.xlsx", numbers)),
        },
    )
    job = DepartmentList.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitoring/department-lists/{job.pk}/"
    assert "比对中" in client.get(f"/monitoring/department-lists/{job.pk}/").content.decode()
    departments.run_department_list(job.pk)
    page = client.get(f"/monitoring/department-lists/{job.pk}/").content.decode()
    assert "下载部门比对报告" in page and "身份证号无效" in page
    report = client.get(f"/monitoring/department-lists/{job.pk}/report.xlsx")
    assert report.status_code == 200 and report["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    assert workbook.sheetnames == ["预警线索", "未匹配行"]
    alerts = list(workbook["预警线索"].iter_rows(values_only=True))
    assert len(alerts) == 2 and alerts[1][2] == household.household_no and "*" in alerts[1][3] and "*" in alerts[1][4]
    assert list(workbook["未匹配行"].iter_rows(values_only=True))[1:] == [(4, "身份证号无效")]
    text = str([list(sheet.iter_rows(values_only=True)) for sheet in workbook])
    assert not [number for number in numbers if number in text]
    bad = client.post("/monitoring/department-lists/", {"department": "", "risk_type": "01"})
    assert bad.status_code == 400 and 'data-error-for="department"' in bad.content.decode()

    login(client, clerk)  # a list is the county's: a township's scope does not hold it
    assert client.get(f"/monitoring/department-lists/{job.pk}/").status_code == 404
    assert client.post("/monitoring/department-lists/", {"department": "YB", "risk_type": "01"}).status_code == 403
    assert "上传并比对" not in client.get("/monitoring/department-lists/").content.decode()
    outsider = UserFactory(role=Role.COUNTY_REVIEWER, region=region("622921000000"))
    login(client, outsider)
    assert client.get(f"/monitoring/department-lists/{job.pk}/").status_code == 404
    assert client.get(f"/monitoring/department-lists/{job.pk}/report.xlsx").status_code == 404
    city = UserFactory(role=Role.CITY_REVIEWER, region=region("622900000000"))
    login(client, city)
    assert client.get(f"/monitoring/department-lists/{job.pk}/").status_code == 200


def test_department_list_api(api_client, village, county_user, clerk, tmp_path):
    household = household_with_members(village, size=1, status=HouseholdStatus.EXITED)
    content = write_list(tmp_path / "api.xlsx", [household.members.get().id_number])
    api_client.force_authenticate(clerk)
    refused = api_client.post(
        "/api/v1/department-lists/",
        {"file": SimpleUploadedFile("a.xlsx", content), "department": "YB", "risk_type": "01"},
    )
    assert refused.status_code == 403
    api_client.force_authenticate(county_user)
    created = api_client.post(
        "/api/v1/department-lists/",
        {"file": SimpleUploadedFile("a.xlsx", content), "department": "YB", "risk_type": "01"},
    )
    assert created.status_code == 202 and created.json()["status"] == "MATCHING"
    departments.run_department_list(created.json()["id"])
    body = api_client.get(f"/api/v1/department-lists/{created.json()['id']}/").json()
    assert (body["status"], body["matched_count"], body["alert_count"], body["unmatched"]) == ("DONE", 1, 1, [])
    api_client.force_authenticate(UserFactory(role=Role.COUNTY_REVIEWER, region=region("622921000000")))
    assert api_client.get(f"/api/v1/department-lists/{created.json()['id']}/").status_code == 404
    api_client.force_authenticate(clerk)
    leads = api_client.get("/api/v1/monitoring-leads/?way=3").json()["results"]
    assert len(leads) == 1 and leads[0]["household"] == household.pk and "*" in leads[0]["member_id_number"]


@pytest.mark.django_db(transaction=True)
def test_two_matches_of_the_same_list_at_once_write_one_lead_per_household(village, county_user):
    """The second match waits for the first one's commit (the county's advisory lock), then sees its leads."""
    households = [household_with_members(village, size=2, status=HouseholdStatus.EXITED) for _ in range(3)]
    matches = [(household.members.first().pk, household.pk, village.code) for household in households]
    jobs = [
        DepartmentList.objects.create(
            user=county_user,
            county_id=village.parent.parent.code,
            department=Department.MEDICAL_INSURANCE,
            risk_type="01",
            original_name="名单.xlsx",
        )
        for _ in range(2)
    ]
    first_written, second_started = threading.Event(), threading.Event()
    results, committed = {}, {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = departments._write_leads(jobs[0], matches)
                first_written.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second is now inside _write_leads, waiting on the lock
                committed["first"] = time.monotonic()
        finally:
            connections.close_all()

    def second():
        try:
            first_written.wait(10)
            second_started.set()
            results["second"] = departments._write_leads(jobs[1], matches)
            committed["second"] = time.monotonic()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {"first": (3, 0), "second": (0, 3)}
    assert committed["second"] > committed["first"]
    per_household = MonitoringLead.objects.values("household").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_household) == [1, 1, 1]


def test_an_id_stored_as_a_number_is_reported_as_such(village, county_user, tmp_path):
    household = household_with_members(village, size=1, status=HouseholdStatus.EXITED)
    number = household.members.get().id_number
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名单")
    sheet.append(["姓名", "身份证号"])
    sheet.append(["甲", int(number[:17] + "0") if number[-1] == "X" else int(number)])  # Excel's 18 digits
    sheet.append(["乙", 12345])  # a short number: simply not an ID
    sheet.append(["丙", number])
    workbook.save(tmp_path / "n.xlsx")
    job = upload(county_user, (tmp_path / "n.xlsx").read_bytes())
    assert job.unmatched == [
        {"row": 2, "reason": "身份证号存为数字，请将该列设为文本后重新上传"},
        {"row": 3, "reason": departments.INVALID_ID},
    ]
    assert (job.matched_count, job.alert_count) == (1, 1)
