"""帮扶措施 of a monitoring record (docs/domain.md §12.10): service, page and API; scope, roles, rules, history."""

from datetime import date, timedelta
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from core.codes import Role
from households.models import Helper, HelperAssignment
from monitoring.codes import AssistanceCategory, EliminationMode, MonitoringStatus, RiskType
from monitoring.measures import add_measure, end_measure, measures_by_risk
from monitoring.models import AssistanceMeasure
from monitoring.services import apply_decision, start_identification
from tests.conftest import login
from tests.factories import UserFactory

from .conftest import visit

pytestmark = pytest.mark.django_db
TODAY = date(2024, 3, 10)


@pytest.fixture
def record(clerk, exited):
    """A 识别中 record of an exited household: 因病 and 因务工就业不稳, found 2024-03-01."""
    return start_identification(user=clerk, household_id=exited.pk, today=TODAY, **visit())


def measure(user, record, **overrides):
    arguments = {
        "category": AssistanceCategory.HEALTH,
        "risk_type": RiskType.ILLNESS,
        "description": "落实大病保险和医疗救助",
        "amount": "1200.50",
        "started_on": date(2024, 3, 5),
        "today": TODAY,
        **overrides,
    }
    return add_measure(user=user, monitoring_object_id=record.pk, **arguments)


def test_a_clerk_and_the_county_add_measures_answering_the_records_risks(clerk, county_user, record):
    health = measure(clerk, record)
    work = measure(
        county_user, record, category=AssistanceCategory.EMPLOYMENT, risk_type=RiskType.UNSTABLE_WORK, amount=0
    )
    health.refresh_from_db()
    assert (health.category, health.risk_type, health.amount) == ("07", "01", Decimal("1200.50"))
    assert health.created_by == clerk and work.created_by == county_user and health.ended_on is None


def test_a_measure_is_planned_while_identifying_and_carried_out_while_monitored(clerk, record):
    measure(clerk, record, started_on=TODAY + timedelta(days=30))  # 识别中: a plan
    apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.MONITORED, on=TODAY, reason="审定")
    measure(clerk, record, category=AssistanceCategory.SOCIAL_SECURITY)
    assert record.measures.count() == 2


def test_a_closed_record_takes_no_measure(clerk, record):
    apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.MONITORED, on=TODAY, reason="审定")
    apply_decision(
        monitoring_object_id=record.pk,
        to_status=MonitoringStatus.ELIMINATED,
        on=TODAY,
        elimination_mode=EliminationMode.AFTER_ASSISTANCE,
        reason="风险消除",
    )
    with pytest.raises(ValidationError) as refused:
        measure(clerk, record)
    assert "已消除风险" in refused.value.message_dict["monitoring_object"][0]


def test_the_risk_must_be_one_of_the_records(clerk, record):
    with pytest.raises(ValidationError) as refused:
        measure(clerk, record, risk_type=RiskType.DISASTER)
    assert refused.value.message_dict["risk_type"] == ["措施须针对该户登记的风险之一（因病、因务工就业不稳）。"]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"category": "15"}, "category", "类别"),
        ({"description": "  "}, "description", "措施内容"),
        ({"description": "医疗\u202e救助"}, "description", "控制字符"),
        ({"amount": "-5"}, "amount", "负数"),
        ({"amount": "1e9"}, "amount", "金额"),
        ({"amount": "12.345"}, "amount", "两位小数"),
        ({"started_on": date(2024, 2, 1)}, "started_on", "发现日期"),
        ({"started_on": date(2025, 6, 1)}, "started_on", "一年"),
        ({"started_on": "2024-02-30"}, "started_on", "不存在"),
        ({"ended_on": date(2024, 3, 4)}, "ended_on", "早于开始"),
        ({"ended_on": date(2024, 3, 11)}, "ended_on", "晚于今天"),
    ],
)
def test_refusals_are_keyed_by_field(clerk, record, overrides, field, words):
    with pytest.raises(ValidationError) as refused:
        measure(clerk, record, **overrides)
    assert words in "".join(refused.value.message_dict[field])
    assert not AssistanceMeasure.objects.exists()


def test_scope_first_then_role(clerk, outsider, record, village):
    with pytest.raises(Http404):
        measure(outsider, record)
    city = UserFactory(role=Role.CITY_REVIEWER, region=village.parent.parent)
    with pytest.raises(PermissionDenied) as refused:
        measure(city, record)
    assert "乡镇" in str(refused.value) and "县" in str(refused.value)
    done = measure(clerk, record)
    with pytest.raises(Http404):
        end_measure(user=outsider, measure_id=done.pk, ended_on=TODAY, today=TODAY)
    with pytest.raises(PermissionDenied):
        end_measure(user=city, measure_id=done.pk, ended_on=TODAY, today=TODAY)


def test_a_measure_ends_once_and_its_history_is_kept(clerk, record):
    done = measure(clerk, record)
    with pytest.raises(ValidationError) as refused:
        end_measure(user=clerk, measure_id=done.pk, ended_on=date(2024, 3, 4), today=TODAY)
    assert "早于开始日期" in refused.value.message_dict["ended_on"][0]
    end_measure(user=clerk, measure_id=done.pk, ended_on=date(2024, 3, 9), reason="已报销", today=TODAY)
    done.refresh_from_db()
    assert done.ended_on == date(2024, 3, 9)
    with pytest.raises(ValidationError) as refused:
        end_measure(user=clerk, measure_id=done.pk, ended_on=TODAY, today=TODAY)
    assert "已于2024-03-09结束" in refused.value.message_dict["ended_on"][0]
    events = pghistory.models.Events.objects.filter(
        pgh_model="monitoring.AssistanceMeasureEvent", pgh_obj_id=done.pk
    ).order_by("pgh_id")
    assert [event.pgh_data["ended_on"] for event in events] == [None, "2024-03-09"]
    assert [(event.pgh_context or {}).get("reason") for event in events] == [
        "登记帮扶措施：健康帮扶",
        "帮扶措施结束：已报销",
    ]


def test_measures_are_grouped_by_risk_and_an_uncovered_risk_is_flagged(clerk, record):
    measure(clerk, record)
    groups = measures_by_risk(record)
    assert [(group["label"], len(group["measures"]), group["uncovered"]) for group in groups] == [
        ("因病", 1, False),
        ("因务工就业不稳", 0, True),
    ]


# --- the record page ------------------------------------------------------------------------


def test_the_page_shows_measures_by_risk_helpers_and_the_form(client, clerk, record, exited):
    measure(clerk, record)
    helper = Helper.objects.create(name="王帮扶", unit="锁南镇政府", level="4", region=clerk.region)
    HelperAssignment.objects.create(helper=helper, household=exited, start_date=date(2024, 1, 1))
    login(client, clerk)
    page = client.get(reverse("monitoring:detail", args=[record.pk])).content.decode()
    assert "落实大病保险和医疗救助" in page and "健康帮扶" in page
    assert page.count("该风险尚无帮扶措施") == 1  # 因务工就业不稳
    assert "王帮扶（锁南镇政府）" in page
    assert 'id="measure-form"' in page and "登记结束" in page


def test_the_form_adds_a_measure_and_a_bad_one_comes_back_with_its_values(client, clerk, record):
    login(client, clerk)
    url = reverse("monitoring:add_measure", args=[record.pk])
    today = date.today()
    posted = {
        "measure-category": "02",
        "measure-risk_type": "06",
        "measure-description": "推荐到县城扶贫车间务工",
        "measure-amount": "",
        "measure-started_on": "2024-01-01",  # before the discovery
    }
    refused = client.post(url, posted)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "开始日期不能早于发现日期" in page and "推荐到县城扶贫车间务工" in page
    posted["measure-started_on"] = today.isoformat()
    done = client.post(url, posted)
    assert done.status_code == 302 and done.url == reverse("monitoring:detail", args=[record.pk])
    assert AssistanceMeasure.objects.get().risk_type == "06"
    ended = client.post(
        reverse("monitoring:end_measure", args=[record.pk]),
        {"end-measure": AssistanceMeasure.objects.get().pk, "end-ended_on": (today + timedelta(days=3)).isoformat()},
    )
    assert ended.status_code == 400 and "结束日期不能晚于今天" in ended.content.decode()
    ended = client.post(
        reverse("monitoring:end_measure", args=[record.pk]),
        {"end-measure": AssistanceMeasure.objects.get().pk, "end-ended_on": today.isoformat()},
    )
    assert ended.status_code == 302 and AssistanceMeasure.objects.get().ended_on == today


def test_the_page_refuses_outsiders_and_readers(client, outsider, record, village):
    login(client, outsider)
    url = reverse("monitoring:add_measure", args=[record.pk])
    assert client.post(url, {}).status_code == 404
    city = UserFactory(role=Role.CITY_REVIEWER, region=village.parent.parent)
    login(client, city)
    assert client.post(url, {}).status_code == 403
    page = client.get(reverse("monitoring:detail", args=[record.pk])).content.decode()
    assert 'id="measure-form"' not in page and "登记结束" not in page


# --- the API ---------------------------------------------------------------------------------


def test_the_api_adds_lists_by_record_and_ends_measures(api_client, clerk, outsider, record, exited):
    api_client.force_authenticate(clerk)
    today = date.today()
    body = {
        "monitoring_object": record.pk,
        "category": "04",
        "risk_type": "06",
        "description": "安排村级公益岗位",
        "amount": "600.00",
        "started_on": today.isoformat(),
    }
    created = api_client.post("/api/v1/monitoring-measures/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.data["risk_type"] == "06" and created.data["amount"] == "600.00"
    wrong = api_client.post("/api/v1/monitoring-measures/", {**body, "risk_type": "07"}, format="json")
    assert wrong.status_code == 400 and "风险之一" in str(wrong.data["risk_type"])
    listed = api_client.get("/api/v1/monitoring-measures/", {"monitoring_object": record.pk})
    assert [row["id"] for row in listed.data["results"]] == [created.data["id"]]
    assert api_client.get("/api/v1/monitoring-measures/", {"monitoring_object": "x"}).status_code == 400
    end_url = f"/api/v1/monitoring-measures/{created.data['id']}/end/"
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/v1/monitoring-measures/{created.data['id']}/").status_code == 404
    assert api_client.post(end_url, {"ended_on": today.isoformat()}, format="json").status_code == 404
    assert api_client.post("/api/v1/monitoring-measures/", body, format="json").status_code == 404
    assert api_client.get("/api/v1/monitoring-measures/").data["results"] == []
    api_client.force_authenticate(clerk)
    ended = api_client.post(end_url, {"ended_on": today.isoformat()}, format="json")
    assert ended.status_code == 200 and ended.data["ended_on"] == today.isoformat()
