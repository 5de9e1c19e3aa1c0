"""What the monitoring workflows refuse (docs/domain.md §12.6, §12.7, §12.12): a 风险消除 visit of another
year or before the record's 纳入, more stable months than the record is old, a discovery after the lead
came in, a `way` of the client's choosing, household kinds that would leave a record open, a lead
already handled; and the member count a 风险消除 is judged on."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django.utils import timezone

from assessment import checks, services
from assessment.checks import run_check
from assessment.models import Application
from assessment.monitoring_workflows import request_risk_elimination, start_monitoring_identification
from core.policy import PolicyParameterMissing
from households.codes import HouseholdStatus
from households.models import Household
from monitoring import leads
from monitoring.codes import DiscoveryWay, LeadStatus, MonitoringStatus
from monitoring.defaults import ensure_default_lines
from monitoring.models import MonitoringLead, MonitoringObject

from ..conftest import login
from ..factories import household_with_members, region
from .test_monitoring_workflows import D0, decide, elimination_figures, identify, through_publicity, visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
SEPTEMBER = date(2024, 9, 3)  # the day after elimination_figures' visit


@pytest.fixture(autouse=True)
def _lines(db):
    ensure_default_lines()  # Gansu: 7100 in 2024, 2025 and 2026


@pytest.fixture
def exited(tree):
    return household_with_members(tree["village_a"], size=4, status=HouseholdStatus.EXITED)


def monitored(people, household) -> MonitoringObject:
    """Found on D0 (1 March 2024), 纳入 by the county on 6 March 2024."""
    record = decide(people, identify(people, household)).monitoring_object
    record.refresh_from_db()
    assert record.identified_on == D0 + timedelta(days=5)
    return record


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def self_report(village, came_in: date) -> MonitoringLead:
    lead = MonitoringLead.objects.create(
        way=DiscoveryWay.SELF_REPORT, village=village, reporter_name="马小红", description="父亲住院，花费较大。"
    )
    moment = timezone.make_aware(datetime.combine(came_in, time(10)))
    MonitoringLead.objects.filter(pk=lead.pk).update(created_at=moment)
    lead.refresh_from_db()
    return lead


# --- M2: the 风险消除 visit is of this year, after the 纳入, and its months fit the record --------------


def test_a_backdated_visit_of_last_year_is_refused_and_the_application_is_of_this_year(people, exited):
    record = monitored(people, exited)
    january = date(2025, 1, 10)
    errors = refusal(
        lambda: request_risk_elimination(
            user=people["clerk"],
            monitoring_object_id=record.pk,
            figures=elimination_figures(visited_on="2024-12-28"),
            today=january,
        )
    )
    assert errors["figures.visited_on"] == [
        "风险消除按本年度（2025年）监测范围核查，入户核实日期须在2025年内，请重新入户核实。"
    ]
    assert not Application.objects.filter(kind="RISK_ELIMINATION").exists()
    application = request_risk_elimination(
        user=people["clerk"],
        monitoring_object_id=record.pk,
        figures=elimination_figures(visited_on="2025-01-08"),
        today=january,
    )
    assert application.year == 2025 and application.check_passed
    income = next(item for item in application.check_items if item["item"].startswith("人均纯收入"))
    assert "本省2025年监测范围" in income["detail"]


def test_the_engine_refuses_a_risk_elimination_of_another_year(people, exited):
    """The generic draft (POST /api/v1/applications/) names its year: only this year's is accepted."""
    record = monitored(people, exited)
    errors = refusal(
        lambda: services.draft_application(
            user=people["clerk"],
            kind="RISK_ELIMINATION",
            year=2024,
            monitoring_object_id=record.pk,
            figures=elimination_figures(visited_on="2025-01-08"),
            today=date(2025, 1, 10),
        )
    )
    assert "申请年度须为2025年" in errors["year"][0]


def test_a_visit_before_the_record_was_included_is_refused(people, exited):
    record = monitored(people, exited)  # 纳入 on 6 March 2024
    errors = refusal(
        lambda: request_risk_elimination(
            user=people["clerk"],
            monitoring_object_id=record.pk,
            figures=elimination_figures(visited_on="2024-03-04", months_above_range=0),
            today=date(2024, 3, 10),
        )
    )
    assert errors["figures.visited_on"] == ["入户核实日期不能早于纳入监测之日（2024年03月06日）。"]


def test_more_months_above_the_range_than_the_record_is_old_are_refused(people, exited, api_client):
    record = monitored(people, exited)  # found on 1 March 2024; the visit of 2 September: 6 whole months
    errors = refusal(
        lambda: request_risk_elimination(
            user=people["clerk"],
            monitoring_object_id=record.pk,
            figures=elimination_figures(months_above_range=7),
            today=SEPTEMBER,
        )
    )
    assert errors["figures.months_above_range"] == [
        "自发现风险之日（2024年03月01日）至入户核实日只有6个整月，收入高于监测范围的月数最多填6。"
    ]
    # The API's body is flat: its errors are keyed by its own field names.
    today = timezone.localdate()
    most = (today.year - 2024) * 12 + today.month - 3  # whole months since 1 March 2024
    body = {**elimination_figures(visited_on=today.isoformat(), months_above_range=most + 1)}
    response = login(api_client, people["clerk"]).post(
        f"{URL}risk-elimination/", {**body, "monitoring_object": record.pk}, format="json"
    )
    assert response.status_code == 400 and f"最多填{most}" in response.json()["months_above_range"][0]


def test_the_page_refuses_a_visit_of_last_year_next_to_its_field(people, exited):
    record = monitored(people, exited)
    client = login(Client(), people["clerk"])
    url = f"/assessment/monitoring/{record.pk}/eliminate/"
    page = client.get(url).content.decode()
    assert "须在本年度内，且不早于纳入监测之日（2024-03-06）" in page
    form = {
        "visited_on": f"{timezone.localdate().year - 1}-12-28",
        "income_12_months": "40000",
        "compliant_costs": "0",
        "months_above_range": "8",
        **dict.fromkeys(
            ["rigid_costs_solved", "housing_safe", "education_secured", "medical_insured", "water_safe"], "1"
        ),
        "new_risk": "0",
        "no_labour_capacity": "0",
        "mode": "1",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert 'data-error-for="visited_on"' in refused.content.decode() and "请重新入户核实" in refused.content.decode()


# --- S6: judged on the member count of the visit --------------------------------------------------


def test_a_member_change_during_the_publicity_does_not_change_the_verdict(people, exited):
    record = monitored(people, exited)
    application = request_risk_elimination(
        user=people["clerk"], monitoring_object_id=record.pk, figures=elimination_figures(), today=SEPTEMBER
    )
    assert application.figures["member_count"] == 4 and application.check_passed  # 40000 / 4 = 10000 > 7100
    through_publicity(people, application, start=SEPTEMBER)
    # Four members join during the 公示 (as the registry's add_member counts them): 40000 / 8 = 5000 would
    # be within the range, but the visit found four.
    Household.objects.filter(pk=exited.pk).update(member_count=F("member_count") + 4)
    after = SEPTEMBER + timedelta(days=5)
    services.approve_step(user=people["clerk2"], application_id=application.pk, today=after)
    application = services.approve_step(user=people["county"], application_id=application.pk, today=after)
    assert application.status == "APPROVED" and application.check_passed
    income = next(item for item in application.check_items if item["item"].startswith("人均纯收入"))
    assert "÷ 4人 = 10,000.00元/人" in income["detail"]


def test_figures_without_the_member_count_are_judged_on_the_records(people, exited):
    record = monitored(people, exited)
    application = request_risk_elimination(
        user=people["clerk"], monitoring_object_id=record.pk, figures=elimination_figures(), today=SEPTEMBER
    )
    figures = {key: value for key, value in application.figures.items() if key != "member_count"}
    Application.objects.filter(pk=application.pk).update(figures=figures)
    Household.objects.filter(pk=exited.pk).update(member_count=8)
    application.refresh_from_db()
    result = run_check(application)
    assert result.passed and "÷ 4人" in result.items[1]["detail"]


# --- M3: the lead's day and way -------------------------------------------------------------------


def test_a_discovery_after_the_lead_came_in_is_refused_and_its_day_is_the_default(people, exited, tree):
    lead = self_report(tree["village_a"], came_in=date(2024, 2, 20))
    errors = refusal(
        lambda: start_monitoring_identification(
            user=people["clerk"], household_id=exited.pk, lead_id=lead.pk, today=D0, **visit()
        )
    )
    assert errors["discovered_on"] == [
        "发现日期不能晚于线索登记之日（2024年02月20日）：时限自以任何方式发现风险之日起算。"
    ]
    assert not MonitoringObject.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    without_date = {key: value for key, value in visit().items() if key != "discovered_on"}
    application = start_monitoring_identification(
        user=people["clerk"], household_id=exited.pk, lead_id=lead.pk, today=D0, **without_date
    )
    record = application.monitoring_object
    assert (record.discovered_on, record.discovery_way) == (date(2024, 2, 20), DiscoveryWay.SELF_REPORT)
    # Without a lead the date is required.
    other = household_with_members(tree["village_a"], size=3, status=HouseholdStatus.EXITED)
    errors = refusal(
        lambda: start_monitoring_identification(user=people["clerk"], household_id=other.pk, today=D0, **without_date)
    )
    assert errors["discovered_on"] == ["请填写发现日期。"]


def test_the_way_is_not_an_input(people, exited, api_client):
    with pytest.raises(TypeError, match="takes no `way`"):
        start_monitoring_identification(
            user=people["clerk"], household_id=exited.pk, today=D0, way=DiscoveryWay.SELF_REPORT, **visit()
        )
    today = timezone.localdate().isoformat()
    body = {
        "household": exited.pk,
        "way": DiscoveryWay.DEPARTMENT_ALERT,
        "discovered_on": today,
        "category": "1",
        "risk_types": ["01"],
        "income_12_months": "20000.00",
        "consent_signed_on": today,
    }
    response = login(api_client, people["clerk"]).post(f"{URL}monitoring-identification/", body, format="json")
    assert response.status_code == 201, response.json()
    record = MonitoringObject.objects.get(pk=response.json()["monitoring_object"])
    assert record.discovery_way == DiscoveryWay.CADRE_VISIT  # the body's `way` is not read


def test_the_schema_has_no_way_for_the_identification(client, people):
    login(client, people["clerk"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/applications/monitoring-identification/"]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]
    assert "way" not in properties and "lead" in properties and "discovered_on" in properties


# --- S4: no household change that leaves a record open ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("CLOSURE", {"reason": "户主及家庭成员均已死亡，户籍已注销"}),
        ("REMOVAL", {"reason": "民主评议认定家庭成员有经商办企业"}),
        (
            "RETURN",
            {"figures": dict.fromkeys(("food", "clothing", "education", "medical", "housing", "water"), True)},
        ),
    ],
)
def test_closure_removal_and_return_are_refused_while_a_record_is_open(people, exited, kind, extra):
    record = identify(people, exited).monitoring_object  # 识别中
    errors = refusal(
        lambda: services.draft_application(user=people["clerk"], kind=kind, year=2024, household_id=exited.pk, **extra)
    )
    label = {"CLOSURE": "自然销户", "REMOVAL": "清退", "RETURN": "返贫"}[kind]
    assert errors["household"] == [
        f"该户有识别中的防返贫监测记录（#{record.pk}），须先办结（风险消除或未纳入）后再申请{label}。"
    ]
    assert not Application.objects.filter(kind=kind).exists()


def test_an_identification_is_refused_while_a_closure_is_open(people, exited):
    closure = services.draft_application(
        user=people["clerk"], kind="CLOSURE", year=2024, household_id=exited.pk, reason="户籍已注销"
    )
    errors = refusal(lambda: identify(people, exited))
    assert errors["household"] == [f"该户有未办结的自然销户申请 #{closure.pk}，须先办结后再发起监测识别。"]
    assert not MonitoringObject.objects.exists()
    services.withdraw_application(user=people["clerk"], application_id=closure.pk, reason="录入有误")
    assert identify(people, exited).monitoring_object.status == MonitoringStatus.IDENTIFYING


# --- S5: the identify page refuses a lead that can no longer be used ------------------------------


def test_the_identify_page_sends_a_handled_lead_back_to_the_lead(people, exited, tree):
    lead = self_report(tree["village_a"], came_in=timezone.localdate())
    leads.close_lead(user=people["clerk2"], lead_id=lead.pk, reason="入户核实：已享受低保，收入高于监测范围。")
    client = login(Client(), people["clerk"])
    response = client.get(f"/assessment/monitoring/identify/?household={exited.pk}&lead={lead.pk}")
    assert response.status_code == 302 and response["Location"] == f"/monitoring/leads/{lead.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f"不能由线索 #{lead.pk} 发起识别：该线索已处理（核实后不纳入），不能再处理。" in page


def test_the_identify_page_refuses_a_lead_of_another_village(people, exited, tree):
    lead = self_report(tree["village_a"], came_in=timezone.localdate())
    neighbour = household_with_members(region("622926101202", "丙村"), size=2, status=HouseholdStatus.EXITED)
    client = login(Client(), people["clerk"])
    response = client.get(f"/assessment/monitoring/identify/?household={neighbour.pk}&lead={lead.pk}")
    assert response.status_code == 302 and response["Location"] == f"/monitoring/leads/{lead.pk}/"
    assert "所选农户不在该线索所在的村。" in client.get(response["Location"]).content.decode()
    # The lead's own village's household opens the form, prefilled with the lead's day.
    page = client.get(f"/assessment/monitoring/identify/?household={exited.pk}&lead={lead.pk}")
    assert page.status_code == 200 and "发现日期不能晚于线索登记之日" in page.content.decode()


# --- the identification check without a line ----------------------------------------------------


def test_a_water_problem_qualifies_even_without_the_years_line(people, tree, monkeypatch):
    ordinary = household_with_members(tree["village_a"], size=2, status=HouseholdStatus.ORDINARY)
    ordinary.attribute = ordinary.main_cause = ""
    ordinary.identified_year = None
    ordinary.save()
    water = identify(people, ordinary, category="2", water_unsafe=True, income_12_months=Decimal("60000"))

    def no_line(region_code, year):
        raise PolicyParameterMissing(f"no line for {year}")

    monkeypatch.setattr(checks, "line_for", no_line)  # neither the province's row nor the national estimate
    result = run_check(water)
    items = {item["item"]: item["passed"] for item in result.items}
    assert result.passed and items["监测范围"] is False and items["三保障和饮水安全"] is True
    MonitoringObject.objects.filter(pk=water.monitoring_object_id).update(water_unsafe=False)
    water.monitoring_object.refresh_from_db()
    assert not run_check(water).passed
