"""帮扶日志 (assistance/visits.py, docs/domain.md §9.6): recording a visit, its scan, the scope, the
household page's card, the 未按期走访 list, the log's pages, API and Excel."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Events

from assistance import visit_exports, visits
from assistance.models import Visit
from core import attachments
from core.codes import ParameterKey, Role
from core.models import ExportJob, PolicyParameter
from fupin.demo import load_demo
from fupin.demo.assistance_visits import AWAY, CHECK_VISIT
from fupin.exports import request_export, run_export
from households.codes import HouseholdStatus
from households.models import Helper, HelperAssignment
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"%" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def files_in(root) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


@pytest.fixture
def world(two_townships, clerk_a):
    village_a = two_townships["village_a"]
    household = household_with_members(village_a)
    helper = Helper.objects.create(name="李干部", unit="甲镇政府", level="4", region=two_townships["township_a"])
    HelperAssignment.objects.create(helper=helper, household=household, start_date=TODAY - timedelta(days=400))
    return {
        **two_townships,
        "clerk": clerk_a,
        "household": household,
        "helper": helper,
        "clerk_b": UserFactory(role=Role.TOWNSHIP_CLERK, region=two_townships["township_b"]),
        "reviewer": UserFactory(role=Role.COUNTY_REVIEWER, region=two_townships["county"]),
        "province": UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000", "甘肃省")),
    }


def record(world, **overrides) -> Visit:
    arguments = {
        "user": world["clerk"],
        "household_id": world["household"].pk,
        "visited_on": TODAY - timedelta(days=3),
        "findings": "家中老人住院，医疗费用报销已办理。",
        "actions": "协调医保报销",
        "follow_up": "下月回访",
        "helper_id": world["helper"].pk,
        **overrides,
    }
    return visits.record_visit(**arguments)


# --- recording ------------------------------------------------------------------------------------


def test_a_clerk_records_a_visit_by_the_paired_helper(world):
    visit = record(world)
    assert visit.helper == world["helper"] and visit.recorded_by == world["clerk"]
    assert visits.last_visit(world["household"].pk) == visit


def test_the_county_records_a_visit_and_city_or_province_only_read(world):
    assert record(world, user=world["reviewer"]).recorded_by == world["reviewer"]
    with pytest.raises(PermissionDenied):
        record(world, user=world["province"])


def test_a_helper_who_is_not_paired_with_the_household_is_refused(world):
    stranger = Helper.objects.create(name="王干部", unit="甲镇政府", level="4", region=world["township_a"])
    with pytest.raises(ValidationError) as refused:
        record(world, helper_id=stranger.pk)
    assert "王干部目前没有与该户结对" in refused.value.message_dict["helper"][0]
    ended = HelperAssignment.objects.get(helper=world["helper"])
    ended.end_date = TODAY - timedelta(days=10)
    ended.save()
    with pytest.raises(ValidationError) as refused:
        record(world)
    assert "helper" in refused.value.message_dict
    assert not Visit.objects.exists()


def test_a_helper_of_another_township_is_out_of_scope(world):
    outside = Helper.objects.create(name="赵干部", unit="乙镇政府", level="4", region=world["township_b"])
    with pytest.raises(ValidationError) as refused:
        record(world, helper_id=outside.pk)
    assert refused.value.message_dict["helper"] == ["请选择您管辖范围内的帮扶责任人。"]


def test_a_visit_without_a_helper_is_the_recorder_s(world):
    assert record(world, helper_id=None).helper is None


@pytest.mark.parametrize(
    ("visited_on", "message"),
    [
        (TODAY + timedelta(days=1), "走访日期不能晚于今天。"),
        ("2014-12-31", "走访日期不能早于该户建档日期（2015-01-01）。"),  # identified in 2015
        ("2024-02-30", None),
        ("", "请填写走访日期。"),
    ],
)
def test_the_visit_date_is_neither_in_the_future_nor_before_registration(world, visited_on, message):
    with pytest.raises(ValidationError) as refused:
        record(world, visited_on=visited_on)
    assert "visited_on" in refused.value.message_dict
    if message:
        assert refused.value.message_dict["visited_on"] == [message]


def test_the_texts_are_checked_like_every_other_text(world):
    with pytest.raises(ValidationError) as refused:
        record(world, findings="  ", actions="转账\u202e", follow_up="x" * 2001)
    errors = refused.value.message_dict
    assert errors["findings"] == ["请填写了解情况。"]
    assert "改变文字方向" in errors["actions"][0]
    assert errors["follow_up"] == ["最多2000字。"]


def test_a_household_that_left_the_register_is_not_visited(world):
    closed = household_with_members(world["village_a"], status=HouseholdStatus.CANCELLED)
    with pytest.raises(ValidationError) as refused:
        record(world, household_id=closed.pk, helper_id=None)
    assert "household" in refused.value.message_dict


# --- scope ------------------------------------------------------------------------------------------


def test_another_township_s_clerk_can_neither_record_nor_see_a_visit(world, client):
    with pytest.raises(Http404):
        record(world, user=world["clerk_b"], helper_id=None)
    visit = record(world)
    assert not visits.visit_list(world["clerk_b"]).exists()
    login(client, world["clerk_b"])
    assert client.get(reverse("assistance:visit_detail", args=[visit.pk])).status_code == 404
    assert client.get(reverse("assistance:visit_attachment", args=[visit.pk])).status_code == 404
    assert client.get(reverse("assistance:visit_new", args=[world["household"].pk])).status_code == 404


# --- the scan ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("照片.jpg", EXE), ("签字.pdf", "不是PDF，是一段文字。".encode())],
)
def test_an_upload_that_is_not_an_image_or_pdf_is_refused_and_nothing_is_written(world, settings, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        record(world, upload=upload)
    assert refused.value.message_dict == {"attachment": [attachments.REFUSED_KIND]}
    assert not Visit.objects.exists()
    assert files_in(settings.PRIVATE_ATTACHMENT_DIR) == []


def test_an_oversized_upload_is_refused_and_nothing_is_written(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    with pytest.raises(ValidationError) as refused:
        record(world, upload=SimpleUploadedFile("大图.png", PNG + b"\x00" * 4096))
    assert "文件过大" in refused.value.message_dict["attachment"][0]
    assert not Visit.objects.exists()
    assert files_in(settings.PRIVATE_ATTACHMENT_DIR) == []


def test_a_visit_refused_for_another_reason_keeps_no_file(world, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        record(world, visited_on=TODAY + timedelta(days=5), upload=SimpleUploadedFile("a.png", PNG))
    assert files_in(settings.PRIVATE_ATTACHMENT_DIR) == []


def test_the_scan_is_served_in_scope_only_and_leaves_with_its_visit(
    world, settings, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = record(world, upload=SimpleUploadedFile("签字表.pdf", PDF, content_type="text/plain"))
    assert visit.attachment_type == "application/pdf" and visit.attachment_name == "签字表.pdf"
    kept = Path(settings.PRIVATE_ATTACHMENT_DIR) / visit.attachment
    assert kept.read_bytes() == PDF
    url = reverse("assistance:visit_attachment", args=[visit.pk])
    login(client, world["reviewer"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    login(client, world["clerk_b"])
    assert client.get(url).status_code == 404
    api = f"/api/v1/visits/{visit.pk}/attachment/"
    assert client.get(api).status_code == 404
    login(client, world["clerk"])
    assert client.get(api).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        visit.delete()
    assert not kept.exists()


# --- correction -------------------------------------------------------------------------------------


def test_only_the_recorder_corrects_a_visit_and_a_new_scan_replaces_the_old(
    world, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = record(world, upload=SimpleUploadedFile("a.png", PNG))
    old = Path(settings.PRIVATE_ATTACHMENT_DIR) / visit.attachment
    colleague = UserFactory(role=Role.TOWNSHIP_CLERK, region=world["township_a"])
    correction = {
        "visited_on": visit.visited_on,
        "findings": "更正：老人已出院。",
        "helper_id": world["helper"].pk,
        "reason": "录入有误",
    }
    with pytest.raises(PermissionDenied):
        visits.correct_visit(user=colleague, visit_id=visit.pk, **correction)
    with pytest.raises(ValidationError) as refused:
        visits.correct_visit(user=world["clerk"], visit_id=visit.pk, **{**correction, "reason": ""})
    assert "reason" in refused.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        corrected = visits.correct_visit(
            user=world["clerk"], visit_id=visit.pk, upload=SimpleUploadedFile("b.pdf", PDF), **correction
        )
    assert corrected.findings == "更正：老人已出院。" and corrected.attachment_type == "application/pdf"
    assert not old.exists()
    assert (Path(settings.PRIVATE_ATTACHMENT_DIR) / corrected.attachment).exists()


def test_the_visit_page_lists_its_corrections_with_who_why_and_what_changed(world, client):
    visit = record(world)
    login(client, world["clerk"])
    page = reverse("assistance:visit_detail", args=[visit.pk])
    assert 'id="visit-corrections"' not in client.get(page).content.decode()
    HelperAssignment.objects.filter(helper=world["helper"]).update(end_date=TODAY)
    successor = Helper.objects.create(name="王干部", unit="甲镇政府", level="4", region=world["township_a"])
    HelperAssignment.objects.create(helper=successor, household=world["household"], start_date=TODAY)
    visits.correct_visit(
        user=world["clerk"],
        visit_id=visit.pk,
        visited_on=visit.visited_on,
        findings="更正：老人已出院。",
        actions=visit.actions,
        follow_up=visit.follow_up,
        helper_id=successor.pk,
        reason="走访人记错",
    )
    section = client.get(page).content.decode().split('id="visit-corrections"')[1]
    assert ">走访人记错</td>" in section and f"<td>{world['clerk'].username}</td>" in section
    assert "帮扶责任人：李干部 → 王干部" in section
    assert "了解情况：家中老人住院，医疗费用报销已办理。 → 更正：老人已出院。" in section
    assert "后续跟进" not in section and "走访日期" not in section  # what did not change is not listed


def test_a_new_scan_under_the_same_name_is_listed_as_a_correction(world):
    visit = record(world, upload=SimpleUploadedFile("走访.png", PNG))
    correction = {"visited_on": visit.visited_on, "findings": visit.findings, "helper_id": world["helper"].pk}
    visits.correct_visit(
        user=world["clerk"],
        visit_id=visit.pk,
        upload=SimpleUploadedFile("走访.png", PNG + b"1"),
        reason="照片模糊，重新拍摄",
        actions=visit.actions,
        follow_up=visit.follow_up,
        **correction,
    )
    [listed] = visits.corrections(visit)
    assert listed.reason == "照片模糊，重新拍摄" and listed.user == world["clerk"].username
    assert [(change.label, change.old, change.new) for change in listed.changes] == [
        ("附件", "走访.png", "走访.png（已换为新扫描件）")
    ]


# --- the household page ---------------------------------------------------------------------------


def test_the_household_page_shows_the_last_visit(world, client):
    page = reverse("households:detail", args=[world["household"].pk])
    login(client, world["clerk"])
    assert "尚无走访记录" in client.get(page).content.decode()
    record(world, visited_on=TODAY - timedelta(days=40), findings="第一次走访。")
    record(world, visited_on=TODAY - timedelta(days=2), findings="第二次走访：已落实务工。")
    html = client.get(page).content.decode()
    assert 'id="visit-card"' in html and "帮扶日志（2次走访）" in html
    assert (TODAY - timedelta(days=2)).isoformat() in html and "李干部" in html
    assert "第二次走访：已落实务工。" in html and "第一次走访。" not in html
    assert reverse("assistance:visit_new", args=[world["household"].pk]) in html
    login(client, world["province"])
    assert 'id="record-visit"' not in client.get(page).content.decode()  # reads only


def test_a_visit_recorded_from_its_page_returns_to_the_household(world, client, settings):
    login(client, world["clerk"])
    url = reverse("assistance:visit_new", args=[world["household"].pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {"visited_on": TODAY.isoformat(), "findings": "走访", "attachment": SimpleUploadedFile("x.jpg", EXE)},
    )
    assert refused.status_code == 400
    assert attachments.REFUSED_KIND in refused.content.decode()
    response = client.post(
        url,
        {
            "visited_on": TODAY.isoformat(),
            "helper": str(world["helper"].pk),
            "findings": "走访了解生产情况",
            "attachment": SimpleUploadedFile("照片.png", PNG),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "households:detail", args=[world["household"].pk]
    )
    visit = Visit.objects.get()
    assert visit.helper == world["helper"] and visit.attachment_type == "image/png"


# --- 未按期走访 ---------------------------------------------------------------------------------------


def test_the_not_visited_list_holds_who_needs_a_helper_and_was_not_visited_in_time(world):
    village_a = world["village_a"]
    never = household_with_members(village_a)
    recent = household_with_members(village_a)
    stale = household_with_members(village_a)
    candidate = household_with_members(village_a, status=HouseholdStatus.CANDIDATE)  # needs no helper yet
    monitored = household_with_members(village_a, status=HouseholdStatus.ORDINARY)
    monitored.monitoring_category = "1"
    monitored.save()
    other_township = household_with_members(world["village_b"])
    for household, days in ((recent, 10), (stale, 45), (world["household"], 30)):
        record(world, household_id=household.pk, helper_id=None, visited_on=TODAY - timedelta(days=days))
    listed = list(visits.not_visited(world["clerk"]))
    assert [household.pk for household in listed[:2]] == sorted([never.pk, monitored.pk])  # never visited first
    assert [household.pk for household in listed[2:]] == [stale.pk]  # 30 days is not more than 30
    assert listed[2].days_since.days == 45 and listed[2].last_visited_on == TODAY - timedelta(days=45)
    assert candidate.pk not in {household.pk for household in listed}
    assert other_township.pk not in {household.pk for household in listed}
    assert other_township.pk in {household.pk for household in visits.not_visited(world["reviewer"])}


def test_a_county_may_set_a_longer_interval_for_its_households(world):
    stale = household_with_members(world["village_a"])
    record(world, household_id=stale.pk, helper_id=None, visited_on=TODAY - timedelta(days=45))
    assert stale.pk in {household.pk for household in visits.not_visited(world["reviewer"])}
    PolicyParameter.objects.create(
        key=ParameterKey.VISIT_INTERVAL_DAYS, region=world["county"], value=60, source="县定：两月一访"
    )
    assert stale.pk not in {household.pk for household in visits.not_visited(world["reviewer"])}
    province = world["province"]
    assert stale.pk not in {household.pk for household in visits.not_visited(province)}


def test_the_household_page_card_answers_by_the_not_visited_rule(world):
    """visit_standing is not_visited's rule asked of one household: the same answer for each kind."""
    village_a = world["village_a"]
    never = household_with_members(village_a)
    recent = household_with_members(village_a)
    stale = household_with_members(village_a)
    candidate = household_with_members(village_a, status=HouseholdStatus.CANDIDATE)
    for household, days in ((recent, 10), (stale, 45)):
        record(world, household_id=household.pk, helper_id=None, visited_on=TODAY - timedelta(days=days))

    def answers():
        listed = {household.pk for household in visits.not_visited(world["reviewer"])}
        return {
            household.pk: (visits.visit_standing(household), household.pk in listed)
            for household in (never, recent, stale, candidate)
        }

    for standing, listed in answers().values():
        assert standing.overdue == listed and standing.interval_days == 30
    assert [visits.visit_standing(household).overdue for household in (never, recent, stale, candidate)] == [
        True,
        False,
        True,
        False,
    ]
    PolicyParameter.objects.create(
        key=ParameterKey.VISIT_INTERVAL_DAYS, region=world["county"], value=60, source="县定：两月一访"
    )
    for standing, listed in answers().values():
        assert standing.overdue == listed and standing.interval_days == 60
    assert not visits.visit_standing(stale).overdue


def test_the_household_page_card_says_when_a_visit_is_due(world, client):
    login(client, world["clerk"])
    url = reverse("households:detail", args=[world["household"].pk])
    html = client.get(url).content.decode()
    assert "尚无走访记录。" in html and "需要走访" in html
    record(world, visited_on=TODAY - timedelta(days=45))
    with CaptureQueriesContext(connection) as shown:
        html = client.get(url).content.decode()
    assert "已超过30天未走访" in html
    assert sum("fupin_policyparameter" in query["sql"] for query in shown) == 1  # the village's interval, once
    record(world, visited_on=TODAY - timedelta(days=3))
    html = client.get(url).content.decode()
    assert "最近走访" in html and "未走访" not in html and "需要走访" not in html


def test_the_not_visited_page_sorts_by_days_since_the_last_visit(world, client):
    for days in (40, 90):
        household = household_with_members(world["village_a"])
        record(world, household_id=household.pk, helper_id=None, visited_on=TODAY - timedelta(days=days))
    login(client, world["clerk"])
    url = reverse("assistance:not_visited")
    html = client.get(url).content.decode()
    assert html.index(">90<") < html.index(">40<")
    html = client.get(url, {"order": "days"}).content.decode()
    assert html.index(">40<") < html.index(">90<")
    assert client.get(url, {"region": world["village_b"].code}).status_code == 400  # not the clerk's


# --- the log: page, API, Excel --------------------------------------------------------------------


def test_the_log_filters_by_village_helper_and_dates(world, client):
    first = record(world, visited_on=TODAY - timedelta(days=20))
    second = record(world, visited_on=TODAY - timedelta(days=2), helper_id=None)
    clerk = world["clerk"]
    assert list(visits.visit_list(clerk, {"helper": world["helper"].pk})) == [first]
    assert list(visits.visit_list(clerk, {"date_from": (TODAY - timedelta(days=5)).isoformat()})) == [second]
    assert list(visits.visit_list(clerk, {"region": world["village_a"].code})) == [second, first]
    with pytest.raises(ValidationError) as refused:
        visits.visit_list(clerk, {"region": world["village_b"].code, "date_from": "2024-13-01"})
    assert set(refused.value.message_dict) == {"region", "date_from"}
    login(client, clerk)
    response = client.get(reverse("assistance:visits"), {"helper": world["helper"].pk})
    assert response.status_code == 200 and list(response.context["page"]) == [first]
    assert client.get(reverse("assistance:visits"), {"date_to": "昨天"}).status_code == 400


def test_the_api_records_lists_and_answers_the_not_visited(world, api_client):
    api_client.force_authenticate(world["clerk"])
    created = api_client.post(
        "/api/v1/visits/",
        {
            "household": world["household"].pk,
            "helper": world["helper"].pk,
            "visited_on": TODAY.isoformat(),
            "findings": "入户核实收入",
            "attachment": SimpleUploadedFile("scan.png", PNG),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    assert created.json()["has_attachment"] is True and created.json()["helper_name"] == "李干部"
    refused = api_client.post(
        "/api/v1/visits/",
        {
            "household": world["household"].pk,
            "visited_on": TODAY.isoformat(),
            "findings": "x",
            "attachment": SimpleUploadedFile("scan.png", EXE),
        },
        format="multipart",
    )
    assert refused.status_code == 400 and refused.json()["attachment"] == [attachments.REFUSED_KIND]
    listed = api_client.get("/api/v1/visits/", {"household": world["household"].pk}).json()["results"]
    assert [row["id"] for row in listed] == [created.json()["id"]]
    overdue = household_with_members(world["village_a"])
    rows = api_client.get("/api/v1/not-visited-households/").json()["results"]
    assert {row["id"] for row in rows} == {overdue.pk}
    assert rows[0]["last_visited_on"] is None and rows[0]["interval_days"] == 30
    api_client.force_authenticate(world["clerk_b"])
    assert api_client.get(f"/api/v1/visits/{created.json()['id']}/").status_code == 404


def test_the_api_corrects_a_visit_by_its_recorder_with_a_reason_keeping_what_is_left_out(world, api_client):
    visit = record(world)
    url = f"/api/v1/visits/{visit.pk}/"
    api_client.force_authenticate(world["clerk"])
    refused = api_client.patch(url, {"findings": "更正：老人已出院。"}, format="json")
    assert refused.status_code == 400 and refused.json() == {"reason": ["请填写更正原因。"]}
    future = api_client.patch(url, {"visited_on": (TODAY + timedelta(days=1)).isoformat(), "reason": "日期有误"})
    assert future.status_code == 400 and set(future.json()) == {"visited_on"}
    visit.refresh_from_db()
    assert (visit.findings, visit.visited_on) == ("家中老人住院，医疗费用报销已办理。", TODAY - timedelta(days=3))

    corrected = api_client.patch(url, {"findings": "更正：老人已出院。", "reason": "录入有误"}, format="json")
    assert corrected.status_code == 200, corrected.content
    body = corrected.json()
    assert body["findings"] == "更正：老人已出院。"
    assert (body["actions"], body["follow_up"], body["helper_name"]) == ("协调医保报销", "下月回访", "李干部")
    assert body["visited_on"] == (TODAY - timedelta(days=3)).isoformat()
    last = Events.objects.filter(pgh_model="assistance.VisitEvent", pgh_obj_id=visit.pk).order_by("pgh_id").last()
    assert last.pgh_context["reason"] == "更正走访记录：录入有误"
    assert last.pgh_data["findings"] == "更正：老人已出院。"
    [listed] = api_client.get(url).json()["corrections"]  # as the page's 更正记录 shows it
    assert (listed["user"], listed["reason"]) == (world["clerk"].username, "录入有误")
    assert listed["changes"] == [
        {"field": "了解情况", "old": "家中老人住院，医疗费用报销已办理。", "new": "更正：老人已出院。"}
    ]

    unpaired = api_client.patch(url, {"helper": None, "reason": "走访人记错"}, format="json")
    assert unpaired.status_code == 200 and unpaired.json()["helper"] is None

    api_client.force_authenticate(UserFactory(role=Role.TOWNSHIP_CLERK, region=world["township_a"]))
    colleague = api_client.patch(url, {"findings": "别人改的", "reason": "试试"}, format="json")
    assert colleague.status_code == 403 and colleague.json() == {"detail": "走访记录只能由录入人更正。"}
    api_client.force_authenticate(world["province"])
    assert api_client.patch(url, {"findings": "省里改的", "reason": "试试"}, format="json").status_code == 403
    api_client.force_authenticate(world["clerk_b"])
    assert api_client.patch(url, {"findings": "外乡改的", "reason": "试试"}, format="json").status_code == 404
    visit.refresh_from_db()
    assert visit.findings == "更正：老人已出院。"


def test_the_visit_log_sheet_holds_the_scope_s_visits(world):
    record(world, findings="走访甲村")
    sheet = visit_exports.visit_log(world["reviewer"], world["county"].prefix)
    rows = list(sheet.rows)
    assert sheet.headers == visit_exports.HEADERS
    assert len(rows) == 1 and rows[0][8] == "走访甲村" and rows[0][6] == "李干部"
    assert list(visit_exports.visit_log(world["clerk_b"], world["township_b"].prefix).rows) == []
    assert visit_exports.visit_count(world["reviewer"], world["county"].prefix) == 1


# --- the demo ---------------------------------------------------------------------------------------


def test_the_demo_visits_every_paired_household_and_explains_who_is_overdue(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the monitoring chapter writes its department list under VAR_DIR/demo/
    told = load_demo(households=1200, seed=5)
    assert told["visits"] == Visit.objects.count() > 100
    # Every visit is by a helper paired with the household now, within the year, or the 入户核实 of a record.
    paired = set(HelperAssignment.objects.filter(end_date__isnull=True).values_list("helper_id", "household_id"))
    for helper_id, household_id, visited_on in Visit.objects.values_list("helper_id", "household_id", "visited_on"):
        assert (helper_id, household_id) in paired or helper_id is None
        assert TODAY - timedelta(days=366) <= visited_on <= TODAY
    assert not Visit.objects.filter(helper__isnull=True).exclude(findings=CHECK_VISIT[0]).exists()
    # Who is overdue is explained by the data: a family away at its last visit, or only its 入户核实 so far.
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000"))
    overdue = list(visits.not_visited(province))
    assert 1 <= len(overdue) == told["visits_not_visited"] <= told["visits_away"] + 5, told
    for household in overdue:
        last = visits.last_visit(household.pk)
        assert last is not None, household  # nobody who needs a helper was never visited
        assert last.findings in (AWAY[0], CHECK_VISIT[0])


def test_the_log_s_export_button_and_the_api_run_the_export_job(world, client):
    record(world, findings="走访甲村", visited_on=TODAY - timedelta(days=3))
    record(world, findings="更早的走访", visited_on=TODAY - timedelta(days=60), helper_id=None)
    clerk = world["clerk"]
    login(client, clerk)
    page = client.get(reverse("assistance:visits")).content.decode()
    assert 'name="report" value="visit_log"' in page
    assert client.post(reverse("exports"), {"report": "visit_log", "region_code": clerk.region_id}).status_code == 302
    job = ExportJob.objects.get(user=clerk)
    assert run_export(job.pk).rows_written == 2
    filtered = request_export(
        user=clerk,
        report="visit_log",
        region_code=clerk.region_id,
        filters={"date_from": (TODAY - timedelta(days=10)).isoformat()},
    )
    assert run_export(filtered.pk).rows_written == 1
    with pytest.raises(ValidationError) as refused:
        request_export(user=clerk, report="visit_log", region_code=clerk.region_id, filters={"name": "x"})
    assert "filters" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        request_export(user=clerk, report="visit_log", region_code=clerk.region_id, filters={"date_to": "2024-02-30"})
    assert "date_to" in refused.value.message_dict
    with pytest.raises(ValidationError):
        request_export(user=world["clerk_b"], report="visit_log", region_code=clerk.region_id)
