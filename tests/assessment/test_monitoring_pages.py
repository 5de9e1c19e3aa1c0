"""监测识别 and 风险消除 over the API and the pages, and the identification's time limit (docs/domain.md §12.12)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Application, Objection
from assessment.monitoring_workflows import start_monitoring_identification
from assessment.selectors import with_deadlines
from core.codes import ParameterKey
from core.models import PolicyParameter
from households.codes import HouseholdStatus
from monitoring.codes import DiscoveryWay, LeadStatus, MonitoringStatus
from monitoring.deadlines import monitoring_deadline
from monitoring.defaults import ensure_default_lines
from monitoring.models import MonitoringLead, MonitoringObject
from monitoring.services import apply_decision
from monitoring.statistics import region_figures

from ..conftest import login
from ..factories import household_with_members
from .test_monitoring_workflows import D0, decide, elimination_figures, identify, visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _lines(db):
    ensure_default_lines()


@pytest.fixture
def exited(tree):
    return household_with_members(tree["village_a"], size=4, status=HouseholdStatus.EXITED)


def api_visit(household, **overrides):
    return {
        "household": household.pk,
        "discovered_on": TODAY.isoformat(),
        "category": "1",
        "risk_types": ["01", "06"],
        "income_12_months": "20000.00",
        "compliant_costs": "2000.00",
        "consent_signed_on": TODAY.isoformat(),
        **overrides,
    }


def as_user(api_client, user):
    api_client.logout()
    return login(api_client, user)


# --- the time limit -------------------------------------------------------------------------------


def test_an_open_identification_is_overdue_after_the_parameters_days(people, exited, tree):
    record = identify(people, exited).monitoring_object
    assert not monitoring_deadline(record, D0 + timedelta(days=15)).is_overdue
    late = monitoring_deadline(record, D0 + timedelta(days=16))
    assert (late.is_overdue, late.days_to_decision, late.limit_days, late.due_on) == (
        True,
        16,
        15,
        D0 + timedelta(days=15),
    )
    # The dashboard counts it by the same rule.
    assert region_figures(people["clerk"], None, D0 + timedelta(days=16))["overdue"] == 1
    assert region_figures(people["clerk"], None, D0 + timedelta(days=15))["overdue"] == 0
    # The province gives this county 20 days.
    PolicyParameter.objects.create(
        key="MONITORING_DECISION_MAX_DAYS", region=tree["county"], value=20, source="测试：本县20天"
    )
    assert not monitoring_deadline(record, D0 + timedelta(days=16)).is_overdue
    assert region_figures(people["clerk"], None, D0 + timedelta(days=16))["overdue"] == 0


def test_a_late_decision_stays_overdue_and_a_timely_one_is_not(people, exited, tree):
    record = identify(people, exited).monitoring_object
    apply_decision(monitoring_object_id=record.pk, to_status="MONITORED", on=D0 + timedelta(days=20), reason="测试")
    record.refresh_from_db()
    deadline = monitoring_deadline(record, D0 + timedelta(days=400))
    assert (deadline.decided_on, deadline.days_to_decision, deadline.is_overdue) == (D0 + timedelta(20), 20, True)
    MonitoringObject.objects.filter(pk=record.pk).update(identified_on=D0 + timedelta(days=10))
    record.refresh_from_db()
    assert not monitoring_deadline(record, D0 + timedelta(days=400)).is_overdue


def test_a_not_included_decision_is_dated_by_closed_on_not_by_a_later_edit(people, exited):
    record = identify(people, exited).monitoring_object
    apply_decision(monitoring_object_id=record.pk, to_status="NOT_INCLUDED", on=D0 + timedelta(days=20), reason="测试")
    record.refresh_from_db()
    assert record.closed_on == D0 + timedelta(days=20)
    deadline = monitoring_deadline(record, D0 + timedelta(days=400))
    assert (deadline.decided_on, deadline.days_to_decision, deadline.is_overdue) == (D0 + timedelta(20), 20, True)
    MonitoringObject.objects.filter(pk=record.pk).update(closed_on=D0 + timedelta(days=10))
    record.refresh_from_db()  # updated_at is now, years after D0: it does not date the decision
    assert not monitoring_deadline(record, D0 + timedelta(days=400)).is_overdue


def test_the_queue_the_application_and_the_record_page_flag_an_overdue_identification(people, exited):
    application = identify(people, exited)  # found in 2024: long past its 15 days today
    client = login(Client(), people["clerk2"])
    queue = client.get("/assessment/queue/").content.decode()
    assert f'data-application="{application.pk}"' in queue and "data-overdue" in queue
    page = client.get(f"/assessment/applications/{application.pk}/").content.decode()
    assert "data-overdue" in page and "时限15天" in page
    assert 'id="monitoring-line"' in page and "未核实" in page and "7100.00 元/人" in page
    assert "人均纯收入（监测范围）" in page and "同意时须填写信息比对结果" in page
    record_page = client.get(f"/monitoring/{application.monitoring_object_id}/").content.decode()
    assert "data-overdue" in record_page and f"/assessment/applications/{application.pk}/" in record_page


def test_the_queue_reads_the_time_limit_of_every_village_in_one_query(people, tree, exited):
    """A township's own limit applies to its villages only; the list asks for the limits once."""
    PolicyParameter.objects.create(
        key=ParameterKey.MONITORING_DECISION_MAX_DAYS, region=tree["township_b"], value=Decimal("400")
    )
    elsewhere = household_with_members(tree["village_b"], size=3, status=HouseholdStatus.EXITED)
    first = identify(people, exited)
    second = start_monitoring_identification(user=people["clerk_b"], household_id=elsewhere.pk, today=D0, **visit())
    applications = Application.objects.filter(pk__in=[first.pk, second.pk]).select_related("monitoring_object")
    with CaptureQueriesContext(connection) as queries:
        listed = {application.pk: application for application in with_deadlines(applications, D0 + timedelta(100))}
    assert len(queries) == 2  # the applications, then the parameters of both villages
    assert (listed[first.pk].deadline.limit_days, listed[first.pk].deadline.is_overdue) == (15, True)
    assert (listed[second.pk].deadline.limit_days, listed[second.pk].deadline.is_overdue) == (400, False)


def test_the_queue_counts_each_applications_open_objections(people, exited):
    application = identify(people, exited)
    step = application.steps.first()
    Objection.objects.create(application=application, step=step, content="收入不实")
    Objection.objects.create(
        application=application, step=step, content="已核实", resolved_at=timezone.now(), outcome="经核实不成立"
    )
    client = login(Client(), people["clerk2"])
    queue = client.get("/assessment/queue/").content.decode()
    assert "1条未处理" in queue


# --- the API --------------------------------------------------------------------------------------


def test_the_api_starts_an_identification_for_the_clerk_only_in_scope(api_client, people, exited):
    response = as_user(api_client, people["county"]).post(
        f"{URL}monitoring-identification/", api_visit(exited), format="json"
    )
    assert response.status_code == 403 and "乡镇录入员" in response.json()["detail"]
    response = as_user(api_client, people["clerk_b"]).post(
        f"{URL}monitoring-identification/", api_visit(exited), format="json"
    )
    assert response.status_code == 404
    assert not MonitoringObject.objects.exists()

    response = as_user(api_client, people["clerk"]).post(
        f"{URL}monitoring-identification/", api_visit(exited, consent_signed_on=None), format="json"
    )
    assert response.status_code == 400 and "承诺授权书" in str(response.json())
    response = api_client.post(f"{URL}monitoring-identification/", api_visit(exited), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "MONITORING_IDENTIFICATION" and body["status"] == "IN_REVIEW" and body["check_passed"]
    assert body["monitoring_object"] == MonitoringObject.objects.get(household=exited).pk
    assert body["available_actions"] == []  # the submitter does not record the next step


def test_the_api_requests_an_elimination_of_a_monitored_record(api_client, people, exited):
    record = decide(people, identify(people, exited)).monitoring_object
    figures = {**elimination_figures(visited_on=TODAY.isoformat()), "monitoring_object": record.pk}
    assert (
        as_user(api_client, people["county"]).post(f"{URL}risk-elimination/", figures, format="json").status_code == 403
    )
    assert (
        as_user(api_client, people["clerk_b"]).post(f"{URL}risk-elimination/", figures, format="json").status_code
        == 404
    )
    response = as_user(api_client, people["clerk"]).post(
        f"{URL}risk-elimination/", {**figures, "mode": "9"}, format="json"
    )
    assert response.status_code == 400 and "mode" in response.json()
    response = api_client.post(f"{URL}risk-elimination/", figures, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "RISK_ELIMINATION" and body["year"] == TODAY.year and body["check_passed"]
    assert body["figures"]["mode"] == "1" and body["monitoring_object"] == record.pk


# --- the pages ------------------------------------------------------------------------------------


def page_visit(**overrides):
    return {
        "category": "1",
        "risk_types": ["01"],
        "discovered_on": TODAY.isoformat(),
        "consent_signed_on": TODAY.isoformat(),
        "income_12_months": "20000",
        "compliant_costs": "0",
        "note": "",
        **overrides,
    }


def test_the_clerk_starts_an_identification_from_a_lead_on_the_page(people, exited, tree):
    lead = MonitoringLead.objects.create(
        way=DiscoveryWay.SELF_REPORT, village=tree["village_a"], reporter_name="张三", description="家人住院，开销大"
    )
    client = login(Client(), people["clerk"])
    url = f"/assessment/monitoring/identify/?household={exited.pk}&lead={lead.pk}"
    page = client.get(url)
    assert page.status_code == 200 and "由线索" in page.content.decode()
    refused = client.post(url, page_visit(risk_types=[]))
    assert refused.status_code == 400 and 'data-error-for="risk_types"' in refused.content.decode()
    response = client.post(url, page_visit())
    assert response.status_code == 302
    application = Application.objects.get(kind="MONITORING_IDENTIFICATION")
    assert response["Location"] == f"/assessment/applications/{application.pk}/"
    lead.refresh_from_db()
    record = application.monitoring_object
    assert lead.status == LeadStatus.IDENTIFYING and lead.monitoring_object == record
    assert record.discovery_way == DiscoveryWay.SELF_REPORT


def test_the_pages_refuse_other_roles_and_scopes(people, exited):
    assert (
        login(Client(), people["county"]).get(f"/assessment/monitoring/identify/?household={exited.pk}").status_code
        == 403
    )
    assert (
        login(Client(), people["clerk_b"]).get(f"/assessment/monitoring/identify/?household={exited.pk}").status_code
        == 404
    )
    assert (
        login(Client(), people["clerk"]).get("/assessment/applications/new/MONITORING_IDENTIFICATION/").status_code
        == 404
    )


def test_the_clerk_requests_an_elimination_on_the_page(people, exited):
    record = decide(people, identify(people, exited)).monitoring_object
    client = login(Client(), people["clerk"])
    record_page = client.get(f"/monitoring/{record.pk}/").content.decode()
    assert f"/assessment/monitoring/{record.pk}/eliminate/" in record_page
    url = f"/assessment/monitoring/{record.pk}/eliminate/"
    assert client.get(url).status_code == 200
    form = {
        "visited_on": TODAY.isoformat(),
        "income_12_months": "40000",
        "compliant_costs": "0",
        "months_above_range": "8",
        **dict.fromkeys(
            ["rigid_costs_solved", "housing_safe", "education_secured", "medical_insured", "water_safe"], "1"
        ),
        "new_risk": "0",
        "no_labour_capacity": "0",
        "mode": "2",
    }
    refused = client.post(url, {**form, "mode": ""})
    assert refused.status_code == 400 and 'data-error-for="mode"' in refused.content.decode()
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    application = Application.objects.get(kind="RISK_ELIMINATION")
    assert application.check_passed and application.figures["mode"] == "2"
    assert login(Client(), people["county"]).get(url).status_code == 403
    record.refresh_from_db()
    assert record.status == MonitoringStatus.MONITORED  # until the county's decision
    assert application.figures["income_12_months"] == "40000.00"  # typed "40000"
    assert date.fromisoformat(application.figures["visited_on"]) == TODAY


def test_the_lists_of_applications_read_each_row_once_and_not_what_they_do_not_show(people, tree):
    """审核待办 and the API's lists: no query per row (a 监测识别's deadline included), and of the joined
    rows only what a list shows: not a household's phone, not the submitter's password hash."""
    households = [household_with_members(tree["village_a"], size=2, status=HouseholdStatus.EXITED) for _ in range(3)]
    identify(people, households[0])
    identify(people, households[1], today=TODAY)
    client = login(Client(), people["clerk2"])
    urls = ("/assessment/queue/", f"{URL}?queue=1", URL, f"{URL}?kind=MONITORING_IDENTIFICATION")

    def read_each(expected_rows):
        counts, statements = {}, []
        for url in urls:
            client.get(url)  # the session and caches warmed
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts[url] = len(queries)
            statements += [query["sql"] for query in queries if 'FROM "assessment_application"' in query["sql"]]
        assert f"待我办理（{expected_rows}）" in client.get(urls[0]).content.decode()
        assert len(client.get(urls[1]).json()["results"]) == expected_rows
        return counts, statements

    two, _ = read_each(2)
    application = identify(people, households[2])
    three, statements = read_each(3)
    assert three == two
    assert statements and not any('"phone"' in sql or '"password"' in sql for sql in statements)
    # One application's page and its API answer name each step's actor, without reading their password hash.
    people["clerk2"].first_name = "二"
    people["clerk2"].last_name = "王"
    people["clerk2"].save()
    application.steps.filter(index=0).update(acted_by=people["clerk2"], acted_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/assessment/applications/{application.pk}/").content.decode()
        answer = client.get(f"{URL}{application.pk}/").json()
    assert "· 王二" in page or "· 二 王" in page
    assert people["clerk2"].username in [step["acted_by"] for step in answer["steps"]]
    steps = [query["sql"] for query in queries if 'FROM "assessment_applicationstep"' in query["sql"]]
    assert steps and not any('"password"' in sql for sql in steps)
