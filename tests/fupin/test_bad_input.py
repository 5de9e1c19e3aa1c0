"""Ordinary mistakes are a 400 with a Chinese message keyed by the field, never a 500 (issue 13).

Each case goes through the real API or page: nested errors of a family, JSON nested 1,000 deep,
amounts like 1E+27, notice dates near 9999-12-31, years and codes in non-ASCII digits, and
?region=abc on the household list. core/parsing.py is the one way these are read.
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.codes import Role
from core.errors import nest_errors
from core.models import PolicyParameter
from core.parsing import (
    parse_date,
    parse_decimal,
    parse_int,
    parse_money,
    parse_region_code,
    parse_year,
)
from funds.models import FundSource
from projects import services as project_services
from projects.models import Beneficiary, Notice, Project
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, make_id_number, region

pytestmark = pytest.mark.django_db

COUNTY, TOWNSHIP, VILLAGE = "622926000000", "622926101000", "622926101201"


@pytest.fixture
def area(db):
    county = region(COUNTY, "东乡族自治县")
    township = region(TOWNSHIP, "锁南镇")
    return {
        "county": county,
        "village": region(VILLAGE, "红柳村"),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "reviewer": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


def refused(response, field: str) -> str:
    """The Chinese message of `field` in a 400 answer."""
    assert response.status_code == 400, (response.status_code, response.content[:300])
    messages = response.json()[field]
    message = messages[0] if isinstance(messages, list) else messages
    assert any("\u4e00" <= char <= "\u9fff" for char in str(message)), message
    return message


# --- core.parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["²", "٣", "1E+27", "NaN", "Infinity", "-infinity", "sNaN", "1_000", "", " ", "0x10"])
def test_only_ascii_or_full_width_digits_are_numbers(text):
    for parse in (parse_int, parse_decimal):
        with pytest.raises(ValidationError) as error:
            parse(text, field="amount")
        assert list(error.value.message_dict) == ["amount"]


def test_full_width_digits_read_as_ascii_and_values_stay_in_their_domain():
    assert parse_int("１２", field="n") == 12
    assert parse_year("２０１９") == 2019
    assert parse_region_code("６２２９２６１０１２０１", field="region") == VILLAGE
    assert parse_money("100,000.50", field="amount") == Decimal("100000.50")
    assert parse_date("２０１９－０３－０１", field="day") == date(2019, 3, 1)
    for value, parse, field in [
        ("2012", parse_year, "year"),
        ("2101", parse_year, "year"),
        ("62292610120", lambda v, field: parse_region_code(v, field=field), "region"),
        ("9999-12-31", lambda v, field: parse_date(v, field=field), "day"),
        ("2019-02-30", lambda v, field: parse_date(v, field=field), "day"),
        ("1000000000.01", lambda v, field: parse_money(v, field=field), "amount"),
        ("-1", lambda v, field: parse_money(v, field=field), "amount"),
        ("1.005", lambda v, field: parse_money(v, field=field), "amount"),
        (float("inf"), lambda v, field: parse_money(v, field=field), "amount"),
        (Decimal("sNaN"), lambda v, field: parse_money(v, field=field), "amount"),
    ]:
        with pytest.raises(ValidationError) as error:
            parse(value, field=field)
        assert list(error.value.message_dict) == [field], value


# --- nested errors ----------------------------------------------------------------------------


def test_nest_errors_never_raises_on_a_list_error_next_to_item_errors():
    order = [("members", ["须有一名户主。"]), ("members.1.name", ["请填写姓名。"])]
    expected = {"members": {"non_field_errors": ["须有一名户主。"], "1": {"name": ["请填写姓名。"]}}}
    for message_dict in (dict(order), dict(reversed(order))):
        assert nest_errors(message_dict) == expected
    assert nest_errors({"members.2.name": ["x"]}) == {"members": [{}, {}, {"name": ["x"]}]}
    assert nest_errors({"members": ["x"], "__all__": ["y"], "a.b": ["z"]}) == {
        "members": ["x"],
        "non_field_errors": ["y"],
        "a_b": ["z"],
    }


def test_a_family_without_a_head_and_with_a_bad_member_is_a_400(api_client, area):
    api_client.force_authenticate(area["clerk"])
    members = [
        {"name": "马成", "relation": "03", "id_number": make_id_number(birth=date(1990, 1, 2)), "ethnicity": "26"},
        {"name": "马宝", "relation": "03", "id_number": "622926199001020000", "ethnicity": "26"},
    ]
    body = {"village": VILLAGE, "attribute": "1", "main_cause": "1", "identified_year": 2016, "members": members}
    response = api_client.post("/api/v1/households/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    errors = response.json()["members"]
    text = json.dumps(errors, ensure_ascii=False)
    assert "户主" in text and "身份证" in text


# --- the JSON parser ---------------------------------------------------------------------------


def test_json_nested_a_thousand_deep_is_a_400_in_chinese(api_client, area):
    api_client.force_authenticate(area["clerk"])
    body = "[" * 1000 + "]" * 1000
    response = api_client.post("/api/v1/households/", body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套过深" in response.json()["detail"]
    # Brackets inside strings are text, not depth: a note full of them is an ordinary body.
    response = api_client.post(
        "/api/v1/households/", json.dumps({"group_name": "[" * 100, "village": "x"}), content_type="application/json"
    )
    assert response.status_code == 400 and "village" in response.json()


# --- amounts -----------------------------------------------------------------------------------


def test_amounts_like_1e27_are_field_errors_in_projects_beneficiaries_and_fund_sources(api_client, area):
    api_client.force_authenticate(area["clerk"])
    project = {"name": "水窖", "category": "01", "year": 2019, "implementing_unit": "锁南镇", "villages": [VILLAGE]}
    for amount in ("1E+27", "NaN", "Infinity", "sNaN", "1e400", "9" * 15):
        response = api_client.post("/api/v1/projects/", {**project, "budget": amount}, format="json")
        assert "金额" in refused(response, "budget")
    assert not Project.objects.exists()

    declared = project_services.declare_project(
        user=area["clerk"], data={**project, "budget": "1000"}, village_codes=[VILLAGE]
    )
    household = household_with_members(area["village"], size=1)
    url = f"/api/v1/projects/{declared.pk}/beneficiaries/"
    for amount in ("1E+27", "-infinity", "²"):
        response = api_client.post(url, {"household": household.pk, "planned_amount": amount}, format="json")
        refused(response, "planned_amount")
    assert not Beneficiary.objects.exists()

    api_client.force_authenticate(area["reviewer"])
    source = {
        "county": COUNTY,
        "level": "1",
        "year": 2019,
        "document_no": "甘财农〔2019〕12号",
        "purpose": "到村到户产业",
        "received_on": "2019-03-01",
    }
    for amount in ("1E+27", "NaN", "1000000000000.00", "2000000000"):
        refused(api_client.post("/api/v1/fund-sources/", {**source, "amount": amount}, format="json"), "amount")
    assert not FundSource.objects.exists()


def test_the_largest_amount_is_a_policy_parameter(api_client, area):
    api_client.force_authenticate(area["reviewer"])
    PolicyParameter.objects.filter(key="MAX_AMOUNT").update(value=Decimal("5000"))
    source = {
        "county": COUNTY,
        "level": "1",
        "year": 2019,
        "document_no": "甘财农〔2019〕12号",
        "purpose": "到村到户产业",
        "received_on": "2019-03-01",
    }
    response = api_client.post("/api/v1/fund-sources/", {**source, "amount": "5000.01"}, format="json")
    assert "5,000.00" in refused(response, "amount")
    assert api_client.post("/api/v1/fund-sources/", {**source, "amount": "5000"}, format="json").status_code == 201


# --- dates -------------------------------------------------------------------------------------


def test_notice_dates_near_9999_12_31_are_field_errors(api_client, area):
    project = project_services.declare_project(
        user=area["clerk"],
        data={"name": "水窖", "category": "01", "year": 2019, "budget": "1", "implementing_unit": "锁南镇"},
        village_codes=[VILLAGE],
    )
    api_client.force_authenticate(area["clerk"])
    notice = {"region": VILLAGE, "project": project.pk, "title": "公示", "content": "水窖", "place": "村委会"}
    refused(api_client.post("/api/v1/notices/", {**notice, "start_date": "9999-12-31"}, format="json"), "start_date")
    response = api_client.post(
        "/api/v1/notices/", {**notice, "start_date": "2019-03-01", "end_date": "9999-12-31"}, format="json"
    )
    refused(response, "end_date")
    # The service bounds the dates too, whoever calls it.
    with pytest.raises(ValidationError) as error:
        project_services.post_notice(
            user=area["clerk"],
            start_date=date(9999, 12, 30),
            **{"region_code": VILLAGE, "title": "公示", "content": "水窖", "place": "村委会", "project_id": project.pk},
        )
    assert "start_date" in error.value.message_dict
    assert not Notice.objects.exists()


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/households/?region=abc", "region"),
        ("/api/v1/households/?region=²²²²²²²²²²²²", "region"),
        ("/api/v1/projects/?year=²⁰¹⁹", "year"),
        ("/api/v1/projects/?county=abc", "county"),
        ("/api/v1/fund-sources/?year=²", "year"),
        ("/api/v1/allocations/?county=²", "county"),
        ("/api/v1/disbursements/?year=99999999999999999999999", "year"),
        ("/api/v1/incidence-rates/?year=²", "year"),
        ("/api/v1/incidence-rates/?region=²", "region"),
        ("/api/v1/county-ratings/?year=٢٠١٩", "year"),
    ],
)
def test_malformed_filters_are_400_naming_the_field(api_client, area, url, field):
    api_client.force_authenticate(area["reviewer"])
    refused(api_client.get(url), field)


def test_full_width_filters_are_read_as_digits(api_client, area):
    household_with_members(area["village"], size=1)
    api_client.force_authenticate(area["reviewer"])
    response = api_client.get("/api/v1/households/?region=６２２９２６１０１２０１")
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert api_client.get("/api/v1/county-ratings/?year=２０１９").status_code == 200
    assert api_client.get("/api/v1/households/?region=").status_code == 200  # empty: no filter


def test_pages_with_odd_digits_in_the_address_do_not_fail(client, area):
    login(client, area["reviewer"])
    county = area["county"]
    assert client.get(reverse("funds:county", args=[county.code]) + "?year=²").status_code == 200
    assert client.get(reverse("assessment:dashboard") + "?year=²").status_code == 200
    assert client.get(reverse("households:list") + "?after=622926101201-²").status_code == 200
    login(client, area["clerk"])
    assert client.get(reverse("households:member_row") + "?index=²").status_code == 404


def test_a_form_answers_an_amount_like_1e27_under_its_field(client, area):
    login(client, area["clerk"])
    for budget in ("1E+27", "Infinity", "１２.５６７"):
        response = client.post(
            reverse("projects:new"),
            {
                "name": "红柳村饮水工程",
                "category": "02",
                "year": "2019",
                "budget": budget,
                "implementing_unit": "锁南镇水管站",
                "villages": [VILLAGE],
            },
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'data-error-for="budget"' in page and "请输入金额（元），最多两位小数。" in page
    assert not Project.objects.exists()


def test_a_stale_version_written_in_odd_digits_is_refused_not_a_500(client, area):
    household = household_with_members(area["village"], size=1)
    login(client, area["clerk"])
    response = client.post(reverse("households:edit", args=[household.pk]), {"version": "²"})
    assert response.status_code in (200, 400, 409, 412)


def test_an_unknown_id_is_a_404_in_chinese_not_djangos_english(api_client, area):
    api_client.force_authenticate(area["clerk"])
    response = api_client.get("/api/v1/households/987654321/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到或无权查看。"}
