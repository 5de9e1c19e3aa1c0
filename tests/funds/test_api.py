"""/api/v1/fund-sources/, allocations/, disbursements/: writes through the services, exact decimals, scope."""

from decimal import Decimal

import pytest

from core.codes import Role
from funds.models import Allocation, Disbursement, FundSource
from tests.factories import UserFactory, region
from tests.funds.conftest import approved_project

pytestmark = pytest.mark.django_db

COUNTY = "622926000000"


def new_source(api_client, amount="100000.10") -> dict:
    response = api_client.post(
        "/api/v1/fund-sources/",
        {
            "county": COUNTY,
            "level": "1",
            "year": 2019,
            "document_no": "甘财农〔2019〕12号",
            "purpose": "到村到户产业",
            "amount": amount,
            "received_on": "2019-03-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def allocate(api_client, source: dict, project, amount, **extra):
    body = {"source": source["id"], "project": project.pk, "amount": amount, "allocated_on": "2019-04-01", **extra}
    return api_client.post("/api/v1/allocations/", body, format="json")


def test_county_reviewer_writes_the_ledger_with_exact_decimal_strings(api_client, county, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    source = new_source(api_client)
    assert (source["amount"], source["allocated"], source["remaining"]) == ("100000.10", "0.00", "100000.10")
    assert FundSource.objects.get().amount == Decimal("100000.10")
    project = approved_project(county, county_reviewer)
    first = allocate(api_client, source, project, "0.10")
    second = allocate(api_client, source, project, 0.2)  # a JSON number is read as its decimal text, never a float
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["amount"] == "0.20" and second.json()["target"] == "项目：红柳村道路硬化"
    listed = api_client.get("/api/v1/fund-sources/", {"year": 2019}).json()["results"]
    assert (listed[0]["allocated"], listed[0]["remaining"]) == ("0.30", "99999.80")

    paid = api_client.post(
        "/api/v1/disbursements/",
        {"allocation": first.json()["id"], "amount": "0.10", "paid_on": "2019-04-02", "voucher_no": "记-1"},
        format="json",
    )
    assert paid.status_code == 201
    assert (paid.json()["amount"], paid.json()["county"], paid.json()["is_reversed"]) == ("0.10", COUNTY, False)
    allocation = api_client.get(f"/api/v1/allocations/{first.json()['id']}/").json()
    assert (allocation["disbursed"], allocation["remaining"]) == ("0.10", "0.00")


def test_refusals_are_field_errors_in_chinese_and_write_nothing(api_client, county, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    source = new_source(api_client, amount="1000.00")
    project = approved_project(county, county_reviewer)
    over = allocate(api_client, source, project, "1000.01")
    assert over.status_code == 400
    assert over.json() == {"amount": ["超出资金来源可分配余额：尚可分配 1,000.00 元。"]}
    assert allocate(api_client, source, project, "1.005").status_code == 400
    both = allocate(api_client, source, project, "1.00", aid_measure=1)
    assert both.status_code == 400 and "project" in both.json()
    assert not Allocation.objects.exists()


def test_reverse_actions_write_reversing_entries(api_client, county, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    source = new_source(api_client)
    allocation = allocate(api_client, source, approved_project(county, county_reviewer), "500.00").json()
    paid = api_client.post(
        "/api/v1/disbursements/",
        {"allocation": allocation["id"], "amount": "200.00", "paid_on": "2019-04-02", "voucher_no": "记-1"},
        format="json",
    ).json()
    refused = api_client.post(f"/api/v1/allocations/{allocation['id']}/reverse/", {"reason": "调整"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"allocation": ["该分配已有报账，请先冲销报账。"]}

    reversed_payment = api_client.post(
        f"/api/v1/disbursements/{paid['id']}/reverse/", {"reason": "凭证录错", "on": "2019-04-03"}, format="json"
    )
    assert reversed_payment.status_code == 201
    body = reversed_payment.json()
    assert (body["amount"], body["reverses"], body["paid_on"], body["note"]) == (
        "-200.00",
        paid["id"],
        "2019-04-03",
        "冲销：凭证录错",
    )
    assert api_client.get(f"/api/v1/disbursements/{paid['id']}/").json()["is_reversed"] is True
    assert api_client.post(f"/api/v1/allocations/{allocation['id']}/reverse/", {}, format="json").status_code == 400
    reversal = api_client.post(f"/api/v1/allocations/{allocation['id']}/reverse/", {"reason": "调整"}, format="json")
    assert reversal.status_code == 201 and reversal.json()["amount"] == "-500.00"
    source_row = api_client.get(f"/api/v1/fund-sources/{source['id']}/").json()
    assert (source_row["allocated"], source_row["disbursed"]) == ("0.00", "0.00")
    assert Allocation.objects.count() == 2 and Disbursement.objects.count() == 2


def test_other_roles_read_but_may_not_write(api_client, county, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    source = new_source(api_client)
    allocation = allocate(api_client, source, approved_project(county, county_reviewer), "500.00").json()
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000"))
    clerk = UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622926101000"))
    for user in (province, clerk):
        api_client.force_authenticate(user)
        assert api_client.post("/api/v1/fund-sources/", {}, format="json").status_code == 403
        assert allocate(api_client, source, approved_project(county, county_reviewer), "1.00").status_code == 403
        reverse = api_client.post(f"/api/v1/allocations/{allocation['id']}/reverse/", {"reason": "x"}, format="json")
        # The province sees the entry and may not write (403); the township clerk's scope holds no ledger (404).
        assert reverse.status_code == (403 if user is province else 404)
    api_client.force_authenticate(province)
    assert [row["id"] for row in api_client.get("/api/v1/allocations/").json()["results"]] == [allocation["id"]]
    api_client.force_authenticate(clerk)
    assert api_client.get("/api/v1/fund-sources/").json()["results"] == []
    assert Allocation.objects.count() == 1


def test_another_countys_ledger_is_404(api_client, county, county_reviewer):
    api_client.force_authenticate(county_reviewer)
    source = new_source(api_client)
    allocation = allocate(api_client, source, approved_project(county, county_reviewer), "500.00").json()
    other = UserFactory(role=Role.COUNTY_REVIEWER, region=region("622921000000"))
    api_client.force_authenticate(other)
    assert api_client.get(f"/api/v1/fund-sources/{source['id']}/").status_code == 404
    assert api_client.get(f"/api/v1/allocations/{allocation['id']}/").status_code == 404
    reverse = api_client.post(f"/api/v1/allocations/{allocation['id']}/reverse/", {"reason": "x"}, format="json")
    assert reverse.status_code == 404
    assert api_client.get("/api/v1/allocations/").json()["results"] == []
    foreign = api_client.post(
        "/api/v1/disbursements/",
        {"allocation": allocation["id"], "amount": "1.00", "paid_on": "2019-04-02", "voucher_no": "记-1"},
        format="json",
    )
    assert foreign.status_code == 400 and foreign.json() == {"allocation": ["未找到该资金分配或无权操作。"]}
    assert not Disbursement.objects.exists()
