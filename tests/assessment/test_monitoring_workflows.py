"""监测识别 and 风险消除 in the one engine (docs/domain.md §12.12): journeys, 公示, refusals, the line, roles, scope."""

from datetime import date, timedelta
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from assessment import services
from assessment.models import Application
from assessment.monitoring_workflows import request_risk_elimination, start_monitoring_identification
from households.codes import HouseholdStatus
from households.models import HouseholdYearLock
from monitoring.codes import DiscoveryWay, EliminationMode, MonitoringStatus, RiskType
from monitoring.defaults import ensure_default_lines
from monitoring.models import MonitoringLine, MonitoringObject
from monitoring.services import apply_decision

from ..factories import household_with_members

pytestmark = pytest.mark.django_db

D0 = date(2024, 3, 1)  # the visit; the 公示 runs 5 days (MONITORING_NOTICE_DAYS)


@pytest.fixture(autouse=True)
def _lines(db):
    ensure_default_lines()  # Gansu's seeded lines: 7100 (2024), unverified


@pytest.fixture
def exited(tree):
    return household_with_members(tree["village_a"], size=4, status=HouseholdStatus.EXITED)


@pytest.fixture
def ordinary(tree):
    household = household_with_members(tree["village_a"], size=2, status=HouseholdStatus.ORDINARY)
    household.attribute = household.main_cause = ""
    household.identified_year = None
    household.save()
    return household


def visit(**overrides):
    """An exited household of 4: (30000 − 8000) / 4 = 5500 per person, within Gansu's 2024 range of 7100."""
    return {
        "discovered_on": D0,
        "category": "1",
        "risk_types": [RiskType.ILLNESS],
        "income_12_months": Decimal("30000.00"),
        "compliant_costs": Decimal("8000.00"),
        "consent_signed_on": D0,
        **overrides,
    }


def identify(people, household, today=D0, **overrides) -> Application:
    return start_monitoring_identification(
        user=people["clerk"], household_id=household.pk, today=today, **visit(**overrides)
    )


def through_publicity(people, application, start=D0) -> Application:
    """信息比对 and 民主评议 by the township's other clerk, the 公示 opening on `start`."""
    services.approve_step(user=people["clerk2"], application_id=application.pk, comment="比对无异常", today=start)
    return services.approve_step(user=people["clerk2"], application_id=application.pk, comment="评议通过", today=start)


def decide(people, application, start=D0) -> Application:
    """Every step to the county's decision, the day after the 5-day 公示."""
    through_publicity(people, application, start)
    after = start + timedelta(days=5)
    services.approve_step(user=people["clerk2"], application_id=application.pk, today=after)
    return services.approve_step(user=people["county"], application_id=application.pk, comment="审定", today=after)


def elimination_figures(**overrides):
    """A visit in September 2024: 40000 / 4 = 10000 per person, above 7100, for 6 months (the whole
    months since the risk was found on 1 March, the most the visit may state)."""
    return {
        "visited_on": "2024-09-02",
        "income_12_months": "40000.00",
        "compliant_costs": "0",
        "months_above_range": 6,
        "rigid_costs_solved": True,
        "housing_safe": True,
        "education_secured": True,
        "medical_insured": True,
        "water_safe": True,
        "new_risk": False,
        "no_labour_capacity": False,
        "mode": EliminationMode.AFTER_ASSISTANCE,
        **overrides,
    }


def monitored(people, household, **overrides) -> MonitoringObject:
    application = decide(people, identify(people, household, **overrides))
    return application.monitoring_object


def failed_items(application) -> set[str]:
    return {item["item"] for item in application.check_items if not item["passed"]}


# --- 监测识别 -------------------------------------------------------------------------------------


def test_identification_journey_from_the_visit_to_the_county_decision(people, exited):
    application = identify(people, exited)
    record = application.monitoring_object
    assert (application.kind, application.status, application.year) == ("MONITORING_IDENTIFICATION", "IN_REVIEW", 2024)
    assert application.household == exited and application.region == exited.village
    assert record.status == MonitoringStatus.IDENTIFYING and record.discovery_way == DiscoveryWay.CADRE_VISIT
    assert application.check_passed, application.check_items
    income = next(item for item in application.check_items if item["item"] == "人均纯收入（监测范围）")
    assert "5,500.00元/人" in income["detail"] and "7,100.00元" in income["detail"] and "未核实" in income["detail"]
    assert application.awaiting_step_name == "信息比对"

    # The visiting clerk does not review their own application; 信息比对 records its result.
    with pytest.raises(ValidationError, match="申请人不能审核"):
        services.approve_step(user=people["clerk"], application_id=application.pk, comment="x", today=D0)
    with pytest.raises(ValidationError) as refused:
        services.approve_step(user=people["clerk2"], application_id=application.pk, today=D0)
    assert refused.value.message_dict["comment"] == ["请在审核意见中填写信息比对结果。"]

    application = through_publicity(people, application)
    notice = application.steps.get(round=1, index=application.current_step)
    assert (notice.name, notice.starts_on, notice.ends_on) == ("村内公示", D0, D0 + timedelta(days=4))
    # 乡镇审核 waits for the end of the 5-day 公示.
    with pytest.raises(ValidationError, match="公示期满后方可办理“乡镇审核”"):
        services.approve_step(user=people["clerk2"], application_id=application.pk, today=D0 + timedelta(days=4))
    services.approve_step(user=people["clerk2"], application_id=application.pk, today=D0 + timedelta(days=5))
    # The county decides; the township cannot.
    with pytest.raises(ValidationError, match="县级审定”应由县级审核员办理"):
        services.approve_step(user=people["clerk2"], application_id=application.pk, today=D0 + timedelta(days=5))
    assert services.needs_confirmation(Application.objects.get(pk=application.pk), "approve")
    application = services.approve_step(user=people["county"], application_id=application.pk, today=D0 + timedelta(6))

    assert application.status == "APPROVED" and not application.is_locked
    record.refresh_from_db()
    exited.refresh_from_db()
    assert (record.status, record.identified_on) == (MonitoringStatus.MONITORED, D0 + timedelta(days=6))
    assert exited.monitoring_category == "1" and exited.status == HouseholdStatus.EXITED
    assert not HouseholdYearLock.objects.filter(household=exited).exists()  # a monitoring decision locks no year
    assert [step.name for step in application.steps.all()][-1] == "公告纳入监测"
    reasons = pghistory.models.Events.objects.references(record).values_list("pgh_context__reason", flat=True)
    assert any("县级审定批准" in (reason or "") for reason in reasons)
    refusals = services.action_refusals(people["county"], application)
    assert "reopen" in refusals and "relock" in refusals


def test_a_marginal_household_above_the_range_without_a_problem_fails_and_cannot_be_approved(people, ordinary):
    # (20000 − 0) / 2 = 10000 per person, above 7100, and 三保障 and water secured.
    application = identify(people, ordinary, category="2", income_12_months=Decimal("20000"), compliant_costs=0)
    assert application.check_passed is False
    assert failed_items(application) >= {"人均纯收入（监测范围）", "三保障和饮水安全", "判定规则"}
    with pytest.raises(ValidationError, match="标准核查未通过"):
        services.approve_step(user=people["clerk2"], application_id=application.pk, comment="比对", today=D0)
    # 不予通过 closes the record as 未纳入, and the household's category with it.
    services.reject_application(
        user=people["clerk2"], application_id=application.pk, comment="收入超出监测范围", today=D0
    )
    record = MonitoringObject.objects.get(pk=application.monitoring_object_id)
    ordinary.refresh_from_db()
    assert record.status == MonitoringStatus.NOT_INCLUDED and ordinary.monitoring_category == ""


def test_a_water_problem_or_a_sudden_hardship_qualifies_above_the_range(people, ordinary, exited):
    above = {"income_12_months": Decimal("60000"), "compliant_costs": 0}
    water = identify(people, ordinary, category="2", water_unsafe=True, **above)
    assert water.check_passed and "人均纯收入（监测范围）" in failed_items(water)
    sudden = identify(people, exited, category="3", **above)
    assert not sudden.check_passed and "突发严重困难情形" in failed_items(sudden)
    apply_decision(monitoring_object_id=sudden.monitoring_object_id, to_status="NOT_INCLUDED", on=D0, reason="测试")
    Application.objects.filter(pk=sudden.pk).update(status="REJECTED")
    stated = identify(people, exited, category="3", note="户主重病住院，自付医疗费8万元", **above)
    assert stated.check_passed, stated.check_items


def test_withdrawing_an_identification_closes_the_record_as_not_included(people, exited):
    application = identify(people, exited)
    services.send_back_application(
        user=people["clerk2"], application_id=application.pk, comment="补承诺书原件", today=D0
    )
    services.withdraw_application(
        user=people["clerk"], application_id=application.pk, reason="农户不愿接受核查", today=D0
    )
    record = MonitoringObject.objects.get(pk=application.monitoring_object_id)
    assert record.status == MonitoringStatus.NOT_INCLUDED
    reasons = pghistory.models.Events.objects.references(record).values_list("pgh_context__reason", flat=True)
    assert any("农户不愿接受核查" in (reason or "") for reason in reasons)
    assert identify(people, exited).monitoring_object_id != record.pk  # a new episode may start


def test_the_line_used_is_the_provinces_line_of_the_year(people, exited):
    application = identify(people, exited)
    assert application.check_passed
    through_publicity(people, application)
    # The province corrects its 2024 line to 5000: the rerun check at 乡镇审核 judges against it.
    MonitoringLine.objects.filter(province_id="620000000000", year=2024).update(
        amount=Decimal("5000"), is_verified=True
    )
    with pytest.raises(ValidationError, match="标准核查未通过"):
        services.approve_step(user=people["clerk2"], application_id=application.pk, today=D0 + timedelta(days=5))
    application.refresh_from_db()
    income = next(item for item in application.check_items if item["item"] == "人均纯收入（监测范围）")
    assert not income["passed"] and "高于本省2024年监测范围5,000.00元/人。" in income["detail"]


# --- 风险消除 -------------------------------------------------------------------------------------


def test_elimination_journey_marks_the_risk_eliminated_with_its_mode(people, exited):
    record = monitored(people, exited)
    application = request_risk_elimination(
        user=people["clerk"], monitoring_object_id=record.pk, figures=elimination_figures(), today=date(2024, 9, 3)
    )
    assert (application.kind, application.year, application.check_passed) == ("RISK_ELIMINATION", 2024, True)
    assert application.figures["income_12_months"] == "40000.00" and application.figures["months_above_range"] == 6
    application = decide(people, application, start=date(2024, 9, 3))
    record.refresh_from_db()
    exited.refresh_from_db()
    assert application.status == "APPROVED"
    assert record.status == MonitoringStatus.ELIMINATED and record.elimination_mode == EliminationMode.AFTER_ASSISTANCE
    assert record.eliminated_on == date(2024, 9, 8) and exited.monitoring_category == ""


def test_a_household_without_labour_capacity_is_never_eliminated(people, exited):
    record = monitored(people, exited, no_labour_capacity=True)
    application = request_risk_elimination(
        user=people["clerk"], monitoring_object_id=record.pk, figures=elimination_figures(), today=date(2024, 9, 3)
    )
    assert application.check_passed is False and failed_items(application) == {"整户无劳动能力"}
    item = application.check_items[0]
    assert item["detail"] == "整户无劳动能力，不标注风险消除，继续兜底保障和监测。"
    with pytest.raises(ValidationError, match="标准核查未通过（整户无劳动能力）"):
        services.approve_step(
            user=people["clerk2"], application_id=application.pk, comment="比对", today=date(2024, 9, 3)
        )
    record.refresh_from_db()
    assert record.status == MonitoringStatus.MONITORED


def test_income_within_the_range_or_unstable_is_refused(people, exited):
    record = monitored(people, exited)
    # 28000 / 4 = 7000 ≤ 7100: still within the range; 3 months above is not half a year.
    figures = elimination_figures(income_12_months="28400", months_above_range=3, new_risk=True, water_safe=False)
    application = request_risk_elimination(
        user=people["clerk"], monitoring_object_id=record.pk, figures=figures, today=date(2024, 9, 3)
    )
    assert failed_items(application) == {
        "人均纯收入（高于本年度监测范围）",
        "收入持续稳定",
        "无新增风险",
        "三保障和饮水安全",
    }
    income = next(item for item in application.check_items if item["item"].startswith("人均纯收入"))
    assert "7,100.00元/人" in income["detail"] and "仍在监测范围内" in income["detail"]
    with pytest.raises(ValidationError, match="标准核查未通过"):
        services.approve_step(
            user=people["clerk2"], application_id=application.pk, comment="比对", today=date(2024, 9, 3)
        )


def test_an_elimination_needs_a_monitored_record_and_complete_figures(people, exited):
    application = identify(people, exited)
    with pytest.raises(ValidationError) as refused:
        request_risk_elimination(
            user=people["clerk"],
            monitoring_object_id=application.monitoring_object_id,
            figures=elimination_figures(),
            today=date(2024, 9, 3),
        )
    assert "要求“监测中”" in refused.value.message_dict["monitoring_object"][0]
    with pytest.raises(ValidationError) as refused:
        request_risk_elimination(
            user=people["clerk"],
            monitoring_object_id=application.monitoring_object_id,
            figures={"visited_on": "2024-13-01", "mode": "9", "new_risk": "否"},
            today=date(2024, 9, 3),
        )
    errors = refused.value.message_dict
    assert {"figures.visited_on", "figures.income_12_months", "figures.mode", "figures.new_risk"} <= errors.keys()


# --- roles and scope ------------------------------------------------------------------------------


def test_another_townships_clerk_finds_neither_household_nor_record(people, exited):
    with pytest.raises(Http404):
        start_monitoring_identification(user=people["clerk_b"], household_id=exited.pk, today=D0, **visit())
    record = monitored(people, exited)
    with pytest.raises(Http404):
        request_risk_elimination(
            user=people["clerk_b"],
            monitoring_object_id=record.pk,
            figures=elimination_figures(),
            today=date(2024, 9, 3),
        )


def test_the_county_cannot_start_either_workflow(people, exited):
    with pytest.raises(PermissionDenied, match="乡镇录入员"):
        start_monitoring_identification(user=people["county"], household_id=exited.pk, today=D0, **visit())
    record = monitored(people, exited)
    with pytest.raises(PermissionDenied, match="乡镇录入员"):
        request_risk_elimination(
            user=people["county"], monitoring_object_id=record.pk, figures=elimination_figures(), today=date(2024, 9, 3)
        )
