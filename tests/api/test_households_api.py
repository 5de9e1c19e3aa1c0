from datetime import date

import pytest

from core.codes import Role
from households.codes import Relation
from households.models import Household, Member
from households.services import change_status
from tests.factories import UserFactory, approved_application, make_id_number, region
from villages.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(db):
    region("622926000000", "东乡族自治县")
    return {
        "township": region("622926101000", "锁南镇"),
        "village": region("622926101201", "红柳村"),
        "other_township": region("622926102000", "达坂镇"),
        "other_village": region("622926102201", "河滩村"),
    }


@pytest.fixture
def clerk_client(api_client, places):
    api_client.force_authenticate(UserFactory(role=Role.TOWNSHIP_CLERK, region=places["township"]))
    return api_client


def approve(household_id: int, application_kind: str, adjustment: str, year: int = 2016) -> None:
    """What the workflow's final 县审定 does: the registry change of an approved application."""
    household = Household.objects.get(pk=household_id)
    county = UserFactory(role=Role.COUNTY_REVIEWER, region=Region.objects.get(code="622926000000"))
    change_status(
        user=county,
        household_id=household_id,
        kind=adjustment,
        reason="县审定",
        effective_year=year,
        application=approved_application(household, application_kind, year),
    )


def payload(village="622926101201", **extra):
    return {
        "village": village,
        "attribute": "1",
        "main_cause": "1",
        "other_causes": ["7"],
        "identified_year": 2016,
        "phone": "13893012345",
        "members": [
            {"name": "马成", "relation": "01", "id_number": make_id_number(birth=date(1970, 1, 2)), "ethnicity": "26"},
            {
                "name": "何秀英",
                "relation": "02",
                "id_number": make_id_number(male=False),
                "ethnicity": "26",
                "health": ["02"],
            },
        ],
        **extra,
    }


def test_create_returns_the_household_with_derived_fields_and_an_etag(clerk_client):
    body = payload()
    body["members"][0]["gender"] = "2"  # read-only: derived from the ID number
    body["status"] = "EXITED"  # read-only: changes only through adjustments
    body["candidate"] = False  # no way around 识别: every new household is 拟识别
    body["exit_year"] = 2015
    response = clerk_client.post("/api/v1/households/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["ETag"] == '"1"'
    assert data["status"] == "CANDIDATE" and data["head_name"] == "马成" and data["version"] == 1
    assert data["exit_year"] is None
    assert data["village"] == "622926101201"
    assert data["phone"] == "138****2345"
    head = next(m for m in data["members"] if m["relation"] == "01")
    assert head["gender"] == "1" and head["birth_date"] == "1970-01-02"
    assert "id_number" not in head and head["id_number_masked"].startswith("622926")


def test_invalid_input_is_400_with_chinese_messages_keyed_by_field(clerk_client):
    body = payload(main_cause="", other_causes=["1", "2", "3"])
    body["members"][1]["id_number"] = body["members"][1]["id_number"][:-1] + "Y"
    response = clerk_client.post("/api/v1/households/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["main_cause"] == ["请选择主要致贫原因。"]
    assert "其他致贫原因最多选2项。" in errors["other_causes"]
    assert errors["members"][1]["id_number"] == ["身份证号码前17位应为数字，末位为数字或X。"]
    assert Household.objects.count() == 0


def test_a_duplicate_person_is_409_naming_the_township_only_when_visible(clerk_client, api_client, places):
    number = make_id_number()
    other = UserFactory(role=Role.TOWNSHIP_CLERK, region=places["other_township"])
    from rest_framework.test import APIClient

    other_client = APIClient()
    other_client.force_authenticate(other)
    first = payload(village="622926102201")
    first["members"] = [{"name": "马成", "relation": "01", "id_number": number}]
    assert other_client.post("/api/v1/households/", first, format="json").status_code == 201

    second = payload()
    second["members"] = [{"name": "马成", "relation": "01", "id_number": number}]
    response = clerk_client.post("/api/v1/households/", second, format="json")
    assert response.status_code == 409
    message = response.json()["members"][0]["id_number"][0]
    assert "达坂镇" not in message and "河滩村" not in message

    county = APIClient()
    county.force_authenticate(UserFactory(role=Role.COUNTY_REVIEWER, region=region("622926000000")))
    second["village"] = "622926101201"
    response = county.post("/api/v1/households/", second, format="json")
    assert response.status_code == 409
    assert "达坂镇河滩村" in response.json()["members"][0]["id_number"][0]


def test_out_of_scope_household_is_404_for_read_and_write(clerk_client, places):
    county = UserFactory(role=Role.COUNTY_REVIEWER, region=region("622926000000"))
    from rest_framework.test import APIClient

    county_client = APIClient()
    county_client.force_authenticate(county)
    created = county_client.post("/api/v1/households/", payload(village="622926102201"), format="json").json()
    assert clerk_client.get(f"/api/v1/households/{created['id']}/").status_code == 404
    response = clerk_client.patch(
        f"/api/v1/households/{created['id']}/", {"group_name": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404
    assert clerk_client.post("/api/v1/households/", payload(village="622926102201"), format="json").status_code == 400


def test_update_needs_the_version_and_refuses_a_stale_one(clerk_client):
    created = clerk_client.post("/api/v1/households/", payload(), format="json").json()
    url = f"/api/v1/households/{created['id']}/"
    assert clerk_client.patch(url, {"group_name": "一组"}, format="json").status_code == 428
    ok = clerk_client.patch(url, {"group_name": "一组"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok["ETag"] == '"2"'
    stale = clerk_client.patch(url, {"group_name": "二组"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert "已被他人修改" in stale.json()["detail"]
    assert clerk_client.get(url).json()["group_name"] == "一组"


def test_list_searches_by_pinyin_initials_number_and_id(clerk_client):
    numbers = [make_id_number(), make_id_number()]
    for name, number in zip(["马成", "何秀英"], numbers, strict=True):
        body = payload()
        body["members"] = [{"name": name, "relation": "01", "id_number": number}]
        response = clerk_client.post("/api/v1/households/", body, format="json")
        assert response.status_code == 201
        approve(response.json()["id"], "IDENTIFICATION", "NEW")

    def names(**params):
        return [row["head_name"] for row in clerk_client.get("/api/v1/households/", params).json()["results"]]

    assert names(q="hxy") == ["何秀英"]
    assert names(q="马") == ["马成"]
    # An ID number goes in a POST body, never into a URL; its keyed hash may (households/api.py::search).
    found = clerk_client.post("/api/v1/households/search/", {"id_number": numbers[1]}, format="json").json()
    assert [row["head_name"] for row in found["results"]] == ["何秀英"]
    assert names(id_hash=found["id_hash"]) == ["何秀英"]
    assert clerk_client.get("/api/v1/households/", {"q": numbers[1]}).status_code == 400
    assert names(q="6229261012010002") == ["何秀英"]
    assert names(status="POOR") == ["马成", "何秀英"]
    assert clerk_client.get("/api/v1/households/", {"status": "nonsense"}).status_code == 400


def test_incomes_report_per_capita_against_the_line(clerk_client):
    created = clerk_client.post("/api/v1/households/", payload(), format="json").json()
    response = clerk_client.post(
        f"/api/v1/households/{created['id']}/incomes/",
        {"year": 2016, "wage_income": "5000", "business_income": "1000", "business_expense": "400"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    year = response.json()[0]
    assert year["net_income"] == "5600.00" and year["net_income_per_capita"] == "2800.00"
    assert year["poverty_line"] == "2952.00"
    bad = clerk_client.post(
        f"/api/v1/households/{created['id']}/incomes/", {"year": 2016, "pension": "-5"}, format="json"
    )
    assert bad.status_code == 400 and "pension" in bad.json()


def test_adjustments_change_status_and_membership(clerk_client):
    created = clerk_client.post("/api/v1/households/", payload(), format="json").json()
    approve(created["id"], "IDENTIFICATION", "NEW")
    spouse = next(m for m in created["members"] if m["relation"] == Relation.SPOUSE)
    decrease = clerk_client.post(
        "/api/v1/adjustments/",
        {"kind": "MEMBER_DECREASE", "member": spouse["id"], "member_reason": "DEATH", "reason": "因病去世"},
        format="json",
    )
    assert decrease.status_code == 201, decrease.json()
    increase = clerk_client.post(
        "/api/v1/adjustments/",
        {
            "household": created["id"],
            "kind": "MEMBER_INCREASE",
            "member_reason": "NEWBORN",
            "reason": "出生",
            "new_member": {"name": "马宝", "relation": "07", "id_number": make_id_number(birth=date(2021, 3, 3))},
        },
        format="json",
    )
    assert increase.status_code == 201, increase.json()
    household = clerk_client.get(f"/api/v1/households/{created['id']}/").json()
    assert household["member_count"] == 2
    assert {m["name"] for m in household["members"]} == {"马成", "马宝"}
    assert not Member.objects.get(pk=spouse["id"]).is_active
    # 脱贫 goes through a 户退出 application (公示, 乡镇审核, 县审定), never a direct adjustment.
    exited = clerk_client.post(
        "/api/v1/adjustments/",
        {"household": created["id"], "kind": "EXITED", "reason": "达到脱贫标准", "exit_year": 2019},
        format="json",
    )
    assert exited.status_code == 400
    assert "须提交“户退出”申请" in exited.json()["kind"][0]
    # So does 自然销户 (乡镇审核, 县审定); its approval changes the record.
    cancelled = clerk_client.post(
        "/api/v1/adjustments/",
        {"household": created["id"], "kind": "CANCELLED", "reason": "全户迁出本省"},
        format="json",
    )
    assert cancelled.status_code == 400
    assert "须提交“自然销户”申请" in cancelled.json()["kind"][0]
    approve(created["id"], "CLOSURE", "CANCELLED", year=2021)
    household = clerk_client.get(f"/api/v1/households/{created['id']}/").json()
    assert household["status"] == "CANCELLED" and household["member_count"] == 0
    kinds = [
        row["kind"] for row in clerk_client.get("/api/v1/adjustments/", {"household": created["id"]}).json()["results"]
    ]
    assert kinds == ["NEW", "MEMBER_DECREASE", "MEMBER_INCREASE", "CANCELLED"]


def test_helpers_and_aid_measures(clerk_client):
    created = clerk_client.post("/api/v1/households/", payload(), format="json").json()
    helper = clerk_client.post(
        "/api/v1/helpers/",
        {"name": "李干部", "unit": "锁南镇政府", "level": "4", "region": "622926101000", "phone": "13900001111"},
        format="json",
    )
    assert helper.status_code == 201, helper.json()
    assert helper.json()["phone_masked"] == "139****1111" and "phone" not in helper.json()
    assign = clerk_client.post(
        f"/api/v1/helpers/{helper.json()['id']}/assign/",
        {"household": created["id"], "start_date": "2019-03-01"},
        format="json",
    )
    assert assign.status_code == 201
    measure = clerk_client.post(
        "/api/v1/aid-measures/",
        {"household": created["id"], "category": "01", "year": 2019, "amount": "3000.00", "description": "发展养殖"},
        format="json",
    )
    assert measure.status_code == 201, measure.json()
    outside = clerk_client.post(
        "/api/v1/helpers/", {"name": "王", "unit": "x", "level": "4", "region": "622926102000"}, format="json"
    )
    assert outside.status_code == 400 and "region" in outside.json()


def test_living_conditions_are_written_read_and_validated(clerk_client):
    body = payload(
        house_safety_grade="C",
        fuel_type="1",
        entry_road_type="3",
        housing_area_m2="0",
        arable_land_mu="4.50",
        water_safe=False,
    )
    created = clerk_client.post("/api/v1/households/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["house_safety_grade"] == "C" and data["fuel_type"] == "1" and data["arable_land_mu"] == "4.50"
    assert data["water_safe"] is False and data["has_household_power"] is True
    assert data["warning_count"] >= 1  # 住房面积为0
    bad = clerk_client.post("/api/v1/households/", payload(house_safety_grade="E", arable_land_mu="-1"), format="json")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"house_safety_grade", "arable_land_mu"}
