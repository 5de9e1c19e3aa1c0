"""Procedures that cannot be bypassed (issue 12): standards as gates, objections that count,
退回修改 with rounds, and 清退 / 自然销户 as applications (docs/domain.md §5.7, §5.8, §5.10, §6.6)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment import services
from assessment.models import Application
from households.codes import AdjustmentKind
from households.models import AdjustmentRecord, Household
from households.services import change_status
from villages.models import Village

from ..conftest import login
from ..factories import household_with_members
from .conftest import GUARANTEES_MET, elapse_publicity, set_income, today

URL = "/api/v1/applications/"


def household_exit(people, household) -> Application:
    return services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过",
    )


def statuses(application: Application) -> list[tuple[int, str, str]]:
    return list(application.steps.order_by("round", "index").values_list("round", "code", "status"))


# --- standards are gates ------------------------------------------------------------------------


@pytest.fixture
def village_ready(tree):
    """甲村 (west, 1000 rural people in 2019) meeting every condition but the rate."""
    Village.objects.filter(region=tree["village_a"]).update(
        has_hardened_road=True,
        has_safe_water=True,
        has_power=True,
        has_broadband=True,
        has_clinic=True,
        has_culture_room=True,
        collective_income=Decimal("52000"),
    )
    return tree["village_a"]


def village_exit_waiting_for_the_county(people, village) -> Application:
    application = services.draft_and_submit(
        user=people["clerk"], kind="VILLAGE_EXIT", year=2019, region_code=village.code
    )
    elapse_publicity(application.pk)
    return application


def test_a_west_village_at_2_5_percent_passes(people, village_ready):
    for _ in range(5):
        household_with_members(village_ready, size=5)  # 25 poor of 1000: 2.5 % < 3 %
    application = village_exit_waiting_for_the_county(people, village_ready)
    assert application.check_passed is True
    application = services.approve_step(user=people["county"], application_id=application.pk, comment="同意")
    assert application.status == "APPROVED"
    assert Village.objects.get(region=village_ready).exit_year == 2019


def test_a_west_village_at_3_0_percent_is_refused_even_with_a_reason(api_client, people, village_ready):
    for _ in range(6):
        household_with_members(village_ready, size=5)  # 30 poor of 1000: exactly 3 % is not below 3 %
    application = village_exit_waiting_for_the_county(people, village_ready)
    assert application.check_passed is False
    with pytest.raises(ValidationError) as error:
        services.approve_step(user=people["county"], application_id=application.pk, comment="情况特殊，同意退出")
    assert "标准核查未通过（贫困发生率）" in error.value.message_dict["check"][0]
    login(api_client, people["county"])
    response = api_client.post(
        f"{URL}{application.pk}/approve/",
        {"comment": "同意", "override_reason": "该村已整体搬迁", "confirm": True},
        format="json",
    )
    assert response.status_code == 400
    assert "check" in response.json()
    application.refresh_from_db()
    assert (application.status, application.current_step) == ("IN_REVIEW", 1)
    assert Village.objects.get(region=village_ready).exit_year is None
    rate = next(item for item in application.check_items if item["item"] == "贫困发生率")
    assert rate["passed"] is False and "贫困发生率3.00%，未低于3.00%" in rate["detail"]
    # No button offers the approval; the refusal says why.
    assert "approve" not in services.available_actions(people["county"], application)


def test_the_household_check_reruns_at_each_approval_and_keeps_its_latest_result(people, poor_household):
    application = household_exit(people, poor_household)
    assert application.check_passed is True
    set_income(poor_household, 2019, Decimal("1000"))  # found lower at the township's visit
    elapse_publicity(application.pk)
    with pytest.raises(ValidationError) as error:
        services.approve_step(user=people["clerk2"], application_id=application.pk, comment="同意")
    assert "人均纯收入" in error.value.message_dict["check"][0]
    application.refresh_from_db()
    # The refusal kept the rerun's result and its reasons, for every reviewer to see.
    assert application.check_passed is False
    assert application.status == "IN_REVIEW"
    income = next(item for item in application.check_items if item["item"] == "人均纯收入")
    assert "未高于" in income["detail"]
    set_income(poor_household, 2019, Decimal("5000"))  # corrected
    application = services.approve_step(user=people["clerk2"], application_id=application.pk, comment="已更正")
    assert application.check_passed is True
    assert application.awaiting_role == "county_reviewer"


def test_the_three_rates_thresholds():
    from assessment.checks import sample_rates

    class Sample:
        sampled_exited_population = 1000
        wrong_exit_population = 20
        sampled_unregistered_population = 1000
        omitted_population = 20
        surveyed_households = 100
        approving_households = 90

    rates = sample_rates(Sample)
    assert rates["wrong_exit_rate"] == Decimal("0.02")  # passes (≤ 2 %)
    assert rates["omission_rate"] == Decimal("0.02")  # fails (< 2 % required)


def test_county_exit_sample_thresholds(people, tree):
    from assessment.checks import county_exit_check
    from assessment.models import SampleSurvey

    survey = SampleSurvey.objects.create(
        county=tree["county"],
        year=2019,
        quarter=4,
        sampled_exited_population=1000,
        wrong_exit_population=20,
        sampled_unregistered_population=1000,
        omitted_population=20,
        surveyed_households=100,
        approving_households=89,
    )
    items = {item["item"]: item["passed"] for item in county_exit_check(tree["county"], 2019).items}
    assert (items["错退率"], items["漏评率"], items["群众认可度"]) == (True, False, False)
    SampleSurvey.objects.filter(pk=survey.pk).update(
        wrong_exit_population=21, omitted_population=19, approving_households=90
    )
    items = {item["item"]: item["passed"] for item in county_exit_check(tree["county"], 2019).items}
    assert (items["错退率"], items["漏评率"], items["群众认可度"]) == (False, True, True)


# --- objections -----------------------------------------------------------------------------------


def test_an_upheld_objection_stops_a_household_exit(people, poor_household):
    application = household_exit(people, poor_household)
    objection = services.file_objection(user=people["clerk2"], application_id=application.pk, content="该户有车辆")
    with pytest.raises(ValidationError) as error:
        services.resolve_objection(user=people["county"], objection_id=objection.pk, outcome="属实", upheld=True)
    assert "consequence" in error.value.message_dict
    services.resolve_objection(
        user=people["county"], objection_id=objection.pk, outcome="经核实该户有营运车辆", upheld=True, consequence="end"
    )
    application.refresh_from_db()
    assert application.status == "ENDED"
    assert application.decided_at is not None
    assert statuses(application) == [
        (1, "EVALUATION", "DONE"),
        (1, "VILLAGE_NOTICE", "CANCELLED"),
        (1, "TOWNSHIP_REVIEW", "CANCELLED"),
        (1, "COUNTY_DECISION", "CANCELLED"),
        (1, "ANNOUNCEMENT", "CANCELLED"),
    ]
    poor_household.refresh_from_db()
    assert poor_household.status == "POOR"
    elapse_publicity(application.pk)
    with pytest.raises(ValidationError):
        services.approve_step(user=people["clerk2"], application_id=application.pk)
    assert services.available_actions(people["clerk2"], application) == set()


def test_an_upheld_objection_may_send_the_exit_back_and_an_overruled_one_lets_it_go_on(people, poor_household):
    application = household_exit(people, poor_household)
    first = services.file_objection(user=people["clerk2"], application_id=application.pk, content="该户有车辆")
    second = services.file_objection(user=people["clerk2"], application_id=application.pk, content="收入未申报")
    services.resolve_objection(user=people["county"], objection_id=first.pk, outcome="车辆为亲属所有", upheld=False)
    application.refresh_from_db()
    assert application.status == "IN_REVIEW"  # 不成立: it goes on
    services.resolve_objection(
        user=people["county"], objection_id=second.pk, outcome="务工收入未计入", upheld=True, consequence="send_back"
    )
    application.refresh_from_db()
    assert application.status == "RETURNED"
    second.refresh_from_db()
    assert (second.is_upheld, second.consequence) == (True, "send_back")
    returned = application.steps.get(round=1, code="TOWNSHIP_REVIEW")
    assert returned.status == "RETURNED" and "务工收入未计入" in returned.comment


def test_the_applicant_cannot_resolve_objections_to_its_own_application(people, poor_household):
    application = household_exit(people, poor_household)
    objection = services.file_objection(user=people["county"], application_id=application.pk, content="有异议")
    with pytest.raises(ValidationError) as error:
        services.resolve_objection(user=people["clerk"], objection_id=objection.pk, outcome="不属实", upheld=False)
    assert error.value.message_dict["objection"] == ["申请人不能处理对本申请的异议。"]


# --- 退回修改 ---------------------------------------------------------------------------------------


def test_send_back_resubmit_and_a_new_round_from_the_first_step(people, poor_household):
    clerk, clerk2, county = people["clerk"], people["clerk2"], people["county"]
    application = household_exit(people, poor_household)
    elapse_publicity(application.pk)
    services.approve_step(user=clerk2, application_id=application.pk, comment="乡镇核实")
    with pytest.raises(ValidationError):
        services.send_back_application(user=county, application_id=application.pk, comment=" ")  # a reason is required
    services.send_back_application(user=county, application_id=application.pk, comment="缺农户签字的认可书")
    application.refresh_from_db()
    assert application.status == "RETURNED"
    # In the applicant's queue, and nobody else's.
    assert application in services_queue(clerk)
    assert application not in services_queue(clerk2) and application not in services_queue(county)
    assert services.available_actions(clerk, application) == {"resubmit", "withdraw"}
    with pytest.raises(ValidationError):
        services.resubmit_application(user=clerk2, application_id=application.pk)
    # The applicant corrects the answers and resubmits: the check reruns and every step runs again.
    set_income(poor_household, 2019, Decimal("1000"))
    application = services.resubmit_application(
        user=clerk, application_id=application.pk, figures={**GUARANTEES_MET, "consent": True}, reason="已补认可书"
    )
    assert (application.status, application.round, application.current_step) == ("IN_REVIEW", 2, 1)
    assert application.check_passed is False  # on the current data
    assert statuses(application) == [
        (1, "EVALUATION", "DONE"),
        (1, "VILLAGE_NOTICE", "DONE"),
        (1, "TOWNSHIP_REVIEW", "DONE"),
        (1, "COUNTY_DECISION", "RETURNED"),
        (1, "ANNOUNCEMENT", "CANCELLED"),
        (2, "EVALUATION", "DONE"),
        (2, "VILLAGE_NOTICE", "OPEN"),
        (2, "TOWNSHIP_REVIEW", "WAITING"),
        (2, "COUNTY_DECISION", "WAITING"),
        (2, "ANNOUNCEMENT", "WAITING"),
    ]
    notice = application.steps.get(round=2, code="VILLAGE_NOTICE")
    assert notice.starts_on == today() and application.awaiting_since > today()
    set_income(poor_household, 2019, Decimal("5000"))
    elapse_publicity(application.pk)
    services.approve_step(user=clerk2, application_id=application.pk)
    application = services.approve_step(user=county, application_id=application.pk, comment="同意退出")
    assert application.status == "APPROVED"
    poor_household.refresh_from_db()
    assert (poor_household.status, poor_household.exit_year) == ("EXITED", 2019)


def services_queue(user):
    from assessment.selectors import review_queue

    return list(review_queue(user, today()))


def test_reject_stays_a_final_refusal(people, poor_household):
    application = household_exit(people, poor_household)
    services.reject_application(user=people["clerk2"], application_id=application.pk, comment="不符合退出标准")
    application.refresh_from_db()
    assert application.status == "REJECTED"
    assert services.available_actions(people["clerk"], application) == set()
    assert application not in services_queue(people["clerk"])


def test_the_pages_send_back_and_resubmit_and_ask_confirmation_for_reject(client, people, poor_household):
    application = household_exit(people, poor_household)
    login(client, people["clerk2"])
    reject = reverse("assessment:action", args=[application.pk, "reject"])
    response = client.post(reject, {"comment": "不符合"})
    assert response.status_code == 400
    assert "不可撤回" in response.content.decode()
    response = client.post(reverse("assessment:action", args=[application.pk, "send_back"]), {"comment": "缺认可书"})
    assert response.status_code == 302
    client.logout()
    login(client, people["clerk"])
    response = client.post(
        reverse("assessment:action", args=[application.pk, "resubmit"]),
        {"reason": "已补", "consent": "on", **dict.fromkeys(GUARANTEES_MET, "on")},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.round, application.reason) == ("IN_REVIEW", 2, "已补")
    page = client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    assert page.count('data-round="1"') == 5 and page.count('data-round="2"') == 5
    assert "缺认可书" in page


# --- 清退 and 自然销户 --------------------------------------------------------------------------------


def test_removal_is_an_application_with_notice_and_county_decision(client, people, poor_household):
    # The direct path is refused.
    with pytest.raises(ValidationError) as error:
        change_status(user=people["clerk"], household_id=poor_household.pk, kind=AdjustmentKind.REMOVED, reason="错评")
    assert "须提交“清退”申请" in error.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as error:
        services.draft_and_submit(user=people["clerk"], kind="REMOVAL", year=2019, household_id=poor_household.pk)
    assert "reason" in error.value.message_dict
    application = services.draft_and_submit(
        user=people["clerk"],
        kind="REMOVAL",
        year=2019,
        household_id=poor_household.pk,
        reason="村民代表大会评议：该户家庭成员为公职人员，属错评",
    )
    assert [step.name for step in application.steps.order_by("index")] == [
        "民主评议",
        "村内公示",
        "乡镇审核",
        "县审定",
        "公告清退",
    ]
    assert application.check_passed is True
    with pytest.raises(ValidationError):
        services.approve_step(user=people["clerk2"], application_id=application.pk)  # the 公示 runs
    elapse_publicity(application.pk)
    services.approve_step(user=people["clerk2"], application_id=application.pk)
    assert services.needs_confirmation(Application.objects.get(pk=application.pk), "approve")
    login(client, people["county"])
    url = reverse("assessment:action", args=[application.pk, "approve"])
    assert client.post(url, {"comment": "同意清退"}).status_code == 400  # not confirmed
    assert Household.objects.get(pk=poor_household.pk).status == "POOR"
    assert client.post(url, {"comment": "同意清退", "confirm": "1"}).status_code == 302
    poor_household.refresh_from_db()
    assert poor_household.status == "REMOVED"
    adjustment = AdjustmentRecord.objects.get(household=poor_household, kind="REMOVED")
    assert adjustment.effective_year == 2019


def test_closure_has_no_notice(people, tree):
    household = household_with_members(tree["village_a"], size=1, status="EXITED")
    application = services.draft_and_submit(
        user=people["clerk"],
        kind="CLOSURE",
        year=2020,
        household_id=household.pk,
        reason="户主于2020年3月病故，户籍已注销（附死亡证明）",
        today=today() - timedelta(days=1),
    )
    assert [(step.name, step.kind) for step in application.steps.order_by("index")] == [
        ("村报告（附证明材料）", "action"),
        ("乡镇审核", "action"),
        ("县审定", "action"),
        ("销户", "announcement"),
    ]
    assert application.awaiting_role == "township_clerk"
    services.approve_step(user=people["clerk2"], application_id=application.pk, comment="核实无误")
    application = services.approve_step(user=people["county"], application_id=application.pk, comment="同意销户")
    assert application.status == "APPROVED"
    household.refresh_from_db()
    assert household.status == "CANCELLED"


def test_the_household_page_links_to_the_applications_instead_of_a_direct_button(client, people, poor_household):
    login(client, people["clerk"])
    page = client.get(reverse("households:detail", args=[poor_household.pk])).content.decode()
    assert f"{reverse('assessment:new', args=['REMOVAL'])}?household={poor_household.pk}" in page
    assert f"{reverse('assessment:new', args=['CLOSURE'])}?household={poor_household.pk}" in page
    assert reverse("households:adjust", args=[poor_household.pk]) not in page
    response = client.post(
        reverse("households:adjust", args=[poor_household.pk]), {"kind": "REMOVED", "reason": "错评"}, follow=True
    )
    assert "须提交“清退”申请" in response.content.decode()
    poor_household.refresh_from_db()
    assert poor_household.status == "POOR"
