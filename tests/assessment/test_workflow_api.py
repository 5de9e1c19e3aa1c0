"""Every application kind end to end through /api/v1/applications/, and the refusals."""

from decimal import Decimal

import pytest

from assessment.models import Application, SampleSurvey
from households.models import AdjustmentRecord, Household
from villages.models import County, Village

from ..conftest import login
from ..factories import household_with_members
from .conftest import GUARANTEES_MET, elapse_publicity, set_income

URL = "/api/v1/applications/"


def as_user(api_client, user):
    api_client.logout()
    return login(api_client, user)


def act(api_client, user, application_id, action, **body):
    as_user(api_client, user)
    return api_client.post(f"{URL}{application_id}/{action}/", body, format="json")


def open_household_application(api_client, clerk, household, kind, **figures):
    as_user(api_client, clerk)
    response = api_client.post(
        URL,
        {
            "kind": kind,
            "year": 2019,
            "household": household.pk,
            "figures": {**GUARANTEES_MET, **figures},
            "reason": "村民代表大会评议通过",
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_household_exit_end_to_end_with_objection_and_year_lock(api_client, people, poor_household):
    body = open_household_application(api_client, people["clerk"], poor_household, "HOUSEHOLD_EXIT", consent=True)
    app_id = body["id"]
    assert body["status"] == "IN_REVIEW"
    assert body["check_passed"] is True
    assert body["check_items"][0]["item"] == "人均纯收入"
    assert "高于国家标准3,218.00元" in body["check_items"][0]["detail"]
    assert [step["status"] for step in body["steps"]] == ["DONE", "OPEN", "WAITING", "WAITING", "WAITING"]
    assert body["steps"][1]["name"] == "村内公示"
    assert (body["steps"][1]["ends_on"] > body["steps"][1]["starts_on"]) is True

    # During the 公示 the township review cannot happen yet.
    response = act(api_client, people["clerk2"], app_id, "approve")
    assert response.status_code == 400
    assert "公示期满后方可办理“乡镇审核”" in response.json()["status"][0]

    # An objection filed during the 公示 blocks the next step until resolved in writing.
    response = act(api_client, people["clerk2"], app_id, "objections", content="邻居反映该户有外出务工收入未申报")
    assert response.status_code == 201
    objection_id = response.json()[0]["id"]
    elapse_publicity(app_id)
    response = act(api_client, people["clerk2"], app_id, "approve")
    assert response.status_code == 400
    assert "有1条异议尚未处理" in response.json()["status"][0]
    response = act(
        api_client, people["county"], app_id, "resolve-objection", objection=objection_id, outcome="", upheld=False
    )
    assert response.status_code == 400
    # The applicant does not judge an objection to its own application.
    response = act(
        api_client, people["clerk"], app_id, "resolve-objection", objection=objection_id, outcome="属实", upheld=False
    )
    assert response.status_code == 400
    assert response.json()["objection"] == ["申请人不能处理对本申请的异议。"]
    response = act(
        api_client,
        people["county"],
        app_id,
        "resolve-objection",
        objection=objection_id,
        outcome="经入户核实，收入已计入。",
        upheld=False,
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "经入户核实，收入已计入。"

    # The submitter never approves; another clerk of the township does.
    assert act(api_client, people["clerk"], app_id, "approve").status_code == 400
    response = act(api_client, people["clerk2"], app_id, "approve", comment="乡镇核实无误")
    assert response.status_code == 200
    assert response.json()["awaiting_role"] == "county_reviewer"

    # The county decides; the registry's adjustment service applies the exit, once confirmed.
    response = act(api_client, people["county"], app_id, "approve", comment="同意退出")
    assert response.status_code == 400
    assert "不可撤回" in response.json()["confirm"][0]
    response = act(api_client, people["county"], app_id, "approve", comment="同意退出", confirm=True)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "APPROVED"
    assert body["is_locked"] is True
    assert body["steps"][-1]["status"] == "DONE"
    household = Household.objects.get(pk=poor_household.pk)
    assert household.status == "EXITED"
    assert household.exit_year == 2019
    adjustment = AdjustmentRecord.objects.get(household=household, kind="EXITED")
    assert adjustment.created_by == people["county"]

    # The approved year is locked until the county reopens it with a reason.
    as_user(api_client, people["clerk"])
    response = api_client.post(f"/api/v1/households/{household.pk}/incomes/", {"year": 2019, "wage_income": "1"})
    assert response.status_code == 400
    assert "审定锁定" in response.json()["year"][0]
    assert act(api_client, people["clerk"], app_id, "reopen", reason="数据更正").status_code == 403  # the policy's
    assert act(api_client, people["county"], app_id, "reopen", reason="").status_code == 400
    response = act(api_client, people["county"], app_id, "reopen", reason="审计发现收入漏记，需更正")
    assert response.status_code == 200
    assert response.json()["is_locked"] is False
    as_user(api_client, people["clerk"])
    response = api_client.post(f"/api/v1/households/{household.pk}/incomes/", {"year": 2019, "wage_income": "30000"})
    assert response.status_code == 201


def test_identification_end_to_end_makes_the_candidate_poor(api_client, people, tree):
    from ..factories import make_id_number

    as_user(api_client, people["clerk"])
    response = api_client.post(
        "/api/v1/households/",
        {
            "village": tree["village_a"].code,
            "attribute": "1",
            "main_cause": "1",
            "identified_year": 2019,
            "candidate": True,
            "members": [{"name": "马新", "id_number": make_id_number(), "relation": "01"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    household_id = response.json()["id"]
    assert response.json()["status"] == "CANDIDATE"
    household = Household.objects.get(pk=household_id)
    set_income(household, 2019, Decimal("2000"))

    body = open_household_application(api_client, people["clerk"], household, "IDENTIFICATION")
    app_id = body["id"]
    assert body["check_passed"] is True
    assert [step["name"] for step in body["steps"]] == [
        "民主评议",
        "村内公示",
        "乡镇审核",
        "第二次公示",
        "县审定",
        "公告",
    ]
    elapse_publicity(app_id)
    assert act(api_client, people["clerk2"], app_id, "approve").status_code == 200
    assert act(api_client, people["county"], app_id, "approve").status_code == 400  # second 公示 still running
    elapse_publicity(app_id)
    response = act(api_client, people["county"], app_id, "approve", confirm=True)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "APPROVED"
    household.refresh_from_db()
    assert household.status == "POOR"
    assert AdjustmentRecord.objects.filter(household=household, kind="NEW", to_status="POOR").exists()


def test_rejected_identification_removes_the_candidate(api_client, people, tree):
    household = household_with_members(tree["village_a"], size=2, status="CANDIDATE")
    set_income(household, 2019, Decimal("9000"))
    body = open_household_application(api_client, people["clerk"], household, "IDENTIFICATION")
    assert body["check_passed"] is False  # income above the line and every guarantee met
    elapse_publicity(body["id"])
    assert act(api_client, people["clerk2"], body["id"], "reject").status_code == 400  # a reason is required
    response = act(api_client, people["clerk2"], body["id"], "reject", comment="收入高于标准，不符合识别条件")
    assert response.status_code == 400  # 不予通过 is final: it must be confirmed
    response = act(
        api_client, people["clerk2"], body["id"], "reject", comment="收入高于标准，不符合识别条件", confirm=True
    )
    assert response.status_code == 200
    assert response.json()["status"] == "REJECTED"
    assert [step["status"] for step in response.json()["steps"]][2:] == [
        "REJECTED",
        "CANCELLED",
        "CANCELLED",
        "CANCELLED",
    ]
    household.refresh_from_db()
    assert household.status == "REMOVED"


def test_return_end_to_end(api_client, people, tree):
    household = household_with_members(tree["village_a"], size=3, status="EXITED")
    Household.objects.filter(pk=household.pk).update(exit_year=2018)
    set_income(household, 2019, Decimal("2500"))
    body = open_household_application(api_client, people["clerk"], household, "RETURN")
    assert body["check_passed"] is True
    elapse_publicity(body["id"])
    assert act(api_client, people["clerk2"], body["id"], "approve").status_code == 200
    elapse_publicity(body["id"])
    assert act(api_client, people["county"], body["id"], "approve", confirm=True).status_code == 200
    household.refresh_from_db()
    assert household.status == "POOR"
    assert household.exit_year is None


def test_village_exit_end_to_end(api_client, people, tree):
    Village.objects.filter(region=tree["village_a"]).update(
        has_hardened_road=True,
        has_safe_water=True,
        has_power=True,
        has_broadband=True,
        has_clinic=True,
        has_culture_room=True,
        collective_income=Decimal("52000"),
    )
    household_with_members(tree["village_a"], size=4)  # 4 poor of 1000: 0.4 % < 3 % (west)
    as_user(api_client, people["clerk"])
    response = api_client.post(
        URL, {"kind": "VILLAGE_EXIT", "year": 2019, "region": tree["village_a"].code, "submit": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["check_passed"] is True
    assert "贫困发生率0.40%，低于3.00%" in body["check_items"][0]["detail"]
    assert act(api_client, people["county"], body["id"], "approve").status_code == 400
    elapse_publicity(body["id"])
    response = act(api_client, people["county"], body["id"], "approve")
    assert response.status_code == 200
    assert Village.objects.get(region=tree["village_a"]).exit_year == 2019


def test_county_exit_end_to_end_with_sample_figures(api_client, people, tree):
    as_user(api_client, people["province"])
    response = api_client.post(
        "/api/v1/sample-surveys/",
        {
            "county": tree["county"].code,
            "year": 2019,
            "quarter": 4,
            "sampled_exited_population": 1000,
            "wrong_exit_population": 10,
            "sampled_unregistered_population": 2000,
            "omitted_population": 20,
            "surveyed_households": 500,
            "approving_households": 480,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    as_user(api_client, people["county"])
    response = api_client.post(
        URL, {"kind": "COUNTY_EXIT", "year": 2019, "region": tree["county"].code, "submit": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    items = {item["item"]: item for item in body["check_items"]}
    assert items["错退率"]["passed"] is True and "错退率1.00%" in items["错退率"]["detail"]
    assert items["漏评率"]["passed"] is True
    assert items["群众认可度"]["passed"] is True and "认可度96.00%" in items["群众认可度"]["detail"]
    assert body["check_passed"] is True
    app_id = body["id"]
    # The city of another city cannot see it; the province cannot jump the city's step.
    assert act(api_client, people["other_city"], app_id, "approve").status_code == 404
    response = act(api_client, people["province"], app_id, "approve")
    assert response.status_code == 400
    assert "市初审" in response.json()["role"][0]
    assert act(api_client, people["city"], app_id, "approve", comment="初审同意").status_code == 200
    assert act(api_client, people["province"], app_id, "approve", comment="核查通过").status_code == 200
    app = Application.objects.get(pk=app_id)
    notice = app.steps.get(code="PROVINCE_NOTICE")
    assert notice.status == "OPEN"
    assert (notice.ends_on - notice.starts_on).days >= 4  # 5 working days
    elapse_publicity(app_id)
    response = act(api_client, people["province"], app_id, "approve", comment="审定同意退出")
    assert response.status_code == 200
    assert response.json()["status"] == "APPROVED"
    assert County.objects.get(region=tree["county"]).exit_year == 2019


def test_county_exit_failing_its_check_is_refused_even_with_a_reason_until_the_data_meet_it(api_client, people, tree):
    as_user(api_client, people["county"])
    response = api_client.post(
        URL, {"kind": "COUNTY_EXIT", "year": 2019, "region": tree["county"].code, "submit": True}, format="json"
    )
    body = response.json()
    assert body["check_passed"] is False
    assert any("未录入2019年度抽样调查数据" in item["detail"] for item in body["check_items"])
    response = act(api_client, people["city"], body["id"], "approve")
    assert response.status_code == 400
    assert "标准核查未通过（抽样调查）" in response.json()["check"][0]
    response = act(
        api_client, people["city"], body["id"], "approve", comment="同意", override_reason="抽样数据由省级补录"
    )
    assert response.status_code == 400
    application = Application.objects.get(pk=body["id"])
    assert (application.status, application.current_step) == ("IN_REVIEW", 1)
    # The assessors enter the sample; the check reruns on current data at the approval and passes.
    SampleSurvey.objects.create(
        county=tree["county"],
        year=2019,
        quarter=4,
        sampled_exited_population=1000,
        wrong_exit_population=20,  # exactly 2 %: 错退率 ≤ 2 % passes
        sampled_unregistered_population=1000,
        omitted_population=19,
        surveyed_households=100,
        approving_households=90,  # exactly 90 % passes
    )
    response = act(api_client, people["city"], body["id"], "approve", comment="抽样数据已补录")
    assert response.status_code == 200, response.json()
    assert response.json()["check_passed"] is True
    assert {item["item"] for item in response.json()["check_items"]} >= {"错退率", "漏评率", "群众认可度"}


def test_wrong_role_and_out_of_scope_are_refused(api_client, people, poor_household, tree):
    body = open_household_application(api_client, people["clerk"], poor_household, "HOUSEHOLD_EXIT", consent=True)
    app_id = body["id"]
    elapse_publicity(app_id)
    # Another township's clerk does not even see it; nor does another county's reviewer.
    assert act(api_client, people["clerk_b"], app_id, "approve").status_code == 404
    assert act(api_client, people["other_county"], app_id, "approve").status_code == 404
    as_user(api_client, people["other_county"])
    assert api_client.get(f"{URL}{app_id}/").status_code == 404
    assert api_client.get(URL).json()["results"] == []
    # The county reviewer may not do the township's step.
    response = act(api_client, people["county"], app_id, "approve")
    assert response.status_code == 400
    assert "乡镇录入员" in response.json()["role"][0]
    # A county reviewer cannot start a household exit; a clerk cannot start a county exit.
    as_user(api_client, people["county"])
    household = household_with_members(tree["village_a"], size=2)
    response = api_client.post(URL, {"kind": "HOUSEHOLD_EXIT", "year": 2019, "household": household.pk}, format="json")
    assert response.status_code == 403  # refused by the role × action policy (core/permissions.py)
    as_user(api_client, people["clerk"])
    response = api_client.post(URL, {"kind": "COUNTY_EXIT", "year": 2019, "region": tree["county"].code}, format="json")
    assert response.status_code == 403
    # An exit needs the household's consent; a second open application for the same household is refused.
    as_user(api_client, people["clerk"])
    response = api_client.post(
        URL,
        {"kind": "HOUSEHOLD_EXIT", "year": 2019, "household": household.pk, "figures": GUARANTEES_MET},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["figures_consent"] == ["户退出须经农户签字认可。"]
    response = api_client.post(
        URL,
        {
            "kind": "HOUSEHOLD_EXIT",
            "year": 2019,
            "household": poor_household.pk,
            "figures": {**GUARANTEES_MET, "consent": True},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "已有未办结的户退出申请" in response.json()["kind"][0]
    # Sample figures are entered by city or province assessors only.
    as_user(api_client, people["county"])
    response = api_client.post(
        "/api/v1/sample-surveys/",
        {
            "county": tree["county"].code,
            "year": 2019,
            "quarter": 1,
            "sampled_exited_population": 1,
            "wrong_exit_population": 0,
            "sampled_unregistered_population": 1,
            "omitted_population": 0,
            "surveyed_households": 1,
            "approving_households": 1,
        },
        format="json",
    )
    assert response.status_code == 403
    assert SampleSurvey.objects.count() == 0


@pytest.mark.parametrize(
    ("per_capita", "passed"),
    [(Decimal("3218.00"), False), (Decimal("3218.01"), True), (Decimal("3217.99"), False)],
)
def test_household_exit_check_at_the_line(api_client, people, tree, per_capita, passed):
    household = household_with_members(tree["village_a"], size=3)
    set_income(household, 2019, per_capita)
    body = open_household_application(api_client, people["clerk"], household, "HOUSEHOLD_EXIT", consent=True)
    assert body["check_passed"] is passed
    assert body["check_items"][0]["passed"] is passed


def test_household_exit_check_fails_on_any_guarantee_and_on_a_dangerous_house(api_client, people, tree):
    household = household_with_members(tree["village_a"], size=3)
    Household.objects.filter(pk=household.pk).update(house_safety_grade="D")
    set_income(household, 2019, Decimal("8000"))
    body = open_household_application(
        api_client, people["clerk"], household, "HOUSEHOLD_EXIT", consent=True, medical=False
    )
    failed = {item["item"]: item["detail"] for item in body["check_items"] if not item["passed"]}
    assert body["check_passed"] is False
    assert set(failed) == {"基本医疗有保障", "住房安全有保障"}
    assert "D级" in failed["住房安全有保障"]


def test_batch_approval_of_one_villages_exits_is_all_or_nothing(api_client, people, tree):
    households = [household_with_members(tree["village_a"], size=2) for _ in range(3)]
    ids = []
    for household in households:
        set_income(household, 2019, Decimal("6000"))
        body = open_household_application(api_client, people["clerk"], household, "HOUSEHOLD_EXIT", consent=True)
        elapse_publicity(body["id"])
        assert act(api_client, people["clerk2"], body["id"], "approve").status_code == 200
        ids.append(body["id"])
    # One of them still in 公示 (a fresh application) spoils the batch: nothing changes.
    late = household_with_members(tree["village_a"], size=2)
    set_income(late, 2019, Decimal("6000"))
    late_id = open_household_application(api_client, people["clerk"], late, "HOUSEHOLD_EXIT", consent=True)["id"]
    as_user(api_client, people["county"])
    response = api_client.post(
        f"{URL}batch-approve/", {"applications": [*ids, late_id], "confirm": True}, format="json"
    )
    assert response.status_code == 400
    assert Household.objects.filter(pk__in=[h.pk for h in households], status="EXITED").count() == 0
    response = api_client.post(f"{URL}batch-approve/", {"applications": ids, "comment": "批量审定"}, format="json")
    assert response.status_code == 400  # a batch must be confirmed
    response = api_client.post(
        f"{URL}batch-approve/", {"applications": ids, "comment": "批量审定", "confirm": True}, format="json"
    )
    assert response.status_code == 200
    assert {row["status"] for row in response.json()} == {"APPROVED"}
    assert Household.objects.filter(pk__in=[h.pk for h in households], status="EXITED").count() == 3
