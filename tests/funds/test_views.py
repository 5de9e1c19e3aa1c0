"""The 扶贫资金 pages: the county office writes the ledger through forms; everyone else in scope reads."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.codes import Role
from funds import services
from funds.codes import FundLevel
from funds.models import Allocation, Disbursement, FundSource
from tests.conftest import login
from tests.factories import UserFactory, region
from tests.funds.conftest import RECEIVED, approved_project

pytestmark = pytest.mark.django_db

COUNTY = "622926000000"


def page_url(name: str, *args, year: int = 2019) -> str:
    return f"{reverse(f'funds:{name}', args=[COUNTY, *args])}?year={year}"


def source_post(**change) -> dict:
    data = {
        "source-level": FundLevel.CENTRAL,
        "source-year": "2019",
        "source-document_no": "甘财农〔2019〕12号",
        "source-purpose": "到村到户产业",
        "source-amount": "100,000.00",
        "source-received_on": "2019-03-01",
    }
    return {**data, **change}


def ledger(user, amount="100000.00") -> FundSource:
    return services.create_fund_source(
        user=user,
        county_code=COUNTY,
        level=FundLevel.CENTRAL,
        year=2019,
        document_no="甘财农〔2019〕12号",
        purpose="到村到户产业",
        amount=amount,
        received_on=RECEIVED,
    )


def rate_text(response) -> str:
    html = response.content.decode()
    start = html.index('data-funds="rate">') + len('data-funds="rate">')
    return html[start : html.index("<", start)]


def test_county_reviewer_enters_a_source_allocates_disburses_and_sees_the_rate(client, county, county_reviewer):
    login(client, county_reviewer)
    assert client.get(reverse("funds:index")).url == reverse("funds:county", args=[COUNTY])
    project = approved_project(county, county_reviewer)

    response = client.post(page_url("source_new"), source_post())
    assert response.status_code == 302 and response.url == page_url("county")
    source = FundSource.objects.get()
    assert (source.amount, source.level, source.county_id, source.created_by) == (
        Decimal("100000.00"),
        "1",
        COUNTY,
        county_reviewer,
    )
    assert rate_text(client.get(page_url("county"))) == "—"

    response = client.post(
        page_url("allocation_new"),
        {
            "allocation-source": source.pk,
            "allocation-project": project.pk,
            "allocation-amount": "40000",
            "allocation-allocated_on": "2019-04-01",
            "allocation-note": "按批复下达",
        },
    )
    assert response.status_code == 302
    allocation = Allocation.objects.get()
    assert (allocation.project, allocation.amount) == (project, Decimal("40000.00"))
    assert rate_text(client.get(page_url("county"))) == "0.00%"

    response = client.post(
        page_url("disbursement_new"),
        {
            "disbursement-allocation": allocation.pk,
            "disbursement-amount": "10000.50",
            "disbursement-paid_on": "2019-05-01",
            "disbursement-voucher_no": "记-05-01",
        },
    )
    assert response.status_code == 302
    assert Disbursement.objects.get().amount == Decimal("10000.50")

    page = client.get(page_url("county"))
    assert page.context["funds"].rate == Decimal("10000.50") / Decimal("40000.00")
    assert rate_text(page) == "25.00%"
    html = page.content.decode()
    assert 'data-funds="allocated">40,000.00<' in html
    assert 'data-funds="disbursed">10,000.50<' in html
    assert "项目：红柳村道路硬化" in html and "记-05-01" in html
    sources = list(page.context["sources"])
    assert (sources[0].allocated, sources[0].remaining) == (Decimal("40000.00"), Decimal("60000.00"))


def test_a_form_error_shows_the_field_message_keeps_the_input_and_writes_nothing(client, county, county_reviewer):
    login(client, county_reviewer)
    response = client.post(page_url("source_new"), source_post(**{"source-amount": "12.345"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert '<div class="invalid-feedback d-block" data-error="amount">请输入金额（元），最多两位小数。</div>' in html
    assert 'value="12.345"' in html and 'value="甘财农〔2019〕12号"' in html
    assert not FundSource.objects.exists()

    response = client.post(page_url("source_new"), source_post(**{"source-purpose": ""}))
    assert response.status_code == 400
    assert response.context["source_form"].errors["purpose"] == ["请填写资金用途。"]
    assert 'value="100,000.00"' in response.content.decode()
    assert not FundSource.objects.exists()


def test_over_allocation_is_refused_with_what_is_left(client, county, county_reviewer):
    source = ledger(county_reviewer)
    project = approved_project(county, county_reviewer)
    login(client, county_reviewer)
    response = client.post(
        page_url("allocation_new"),
        {
            "allocation-source": source.pk,
            "allocation-project": project.pk,
            "allocation-amount": "100000.01",
            "allocation-allocated_on": "2019-04-01",
        },
    )
    assert response.status_code == 400
    assert response.context["allocation_form"].errors["amount"] == ["超出资金来源可分配余额：尚可分配 100,000.00 元。"]
    assert 'value="100000.01"' in response.content.decode()
    assert not Allocation.objects.exists()


def test_reversals_need_a_reason_and_disbursements_go_first(client, county, county_reviewer):
    source = ledger(county_reviewer)
    project = approved_project(county, county_reviewer)
    allocation = services.allocate(
        user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="1000", allocated_on=RECEIVED
    )
    paid = services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="400", paid_on=date(2019, 4, 1), voucher_no="记-1"
    )
    login(client, county_reviewer)
    response = client.post(page_url("allocation_reverse", allocation.pk), {"reason": "项目调整"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "该分配已有报账，请先冲销报账。" in html
    assert client.post(page_url("disbursement_reverse", paid.pk), {"reason": ""}).status_code == 400
    assert Disbursement.objects.count() == 1

    assert client.post(page_url("disbursement_reverse", paid.pk), {"reason": "凭证录错"}).status_code == 302
    assert client.post(page_url("allocation_reverse", allocation.pk), {"reason": "项目调整"}).status_code == 302
    reversal = Allocation.objects.get(reverses=allocation)
    assert (reversal.amount, reversal.note) == (Decimal("-1000.00"), "冲销：项目调整")
    page = client.get(page_url("county"))
    assert (page.context["funds"].allocated, page.context["funds"].disbursed) == (Decimal("0.00"), Decimal("0.00"))
    assert "已冲销" in page.content.decode() and "冲销记录" in page.content.decode()


def test_province_user_reads_every_county_and_writes_nothing(client, county, county_reviewer):
    source = ledger(county_reviewer)
    allocation = services.allocate(
        user=county_reviewer,
        source_id=source.pk,
        project_id=approved_project(county, county_reviewer).pk,
        amount="800",
        allocated_on=RECEIVED,
    )
    services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="200", paid_on=RECEIVED, voucher_no="记-1"
    )
    region("622921000000", "临夏县")
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000"))
    login(client, province)
    index = client.get(reverse("funds:index"), {"year": 2019})
    assert index.status_code == 200
    rates = {county.code: funds.rate for county, funds in index.context["counties"]}
    assert rates == {"622921000000": None, COUNTY: Decimal("0.25")}
    assert '<td class="text-end" data-rate>25.00%</td>' in index.content.decode()

    page = client.get(page_url("county"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "甘财农〔2019〕12号" in html and rate_text(page) == "25.00%"
    assert 'id="source-form"' not in html and "冲销原因" not in html
    assert client.post(page_url("source_new"), source_post()).status_code == 403
    assert client.post(page_url("allocation_reverse", allocation.pk), {"reason": "x"}).status_code == 403
    assert FundSource.objects.count() == 1 and Allocation.objects.count() == 1


def test_another_county_is_404_and_a_township_clerk_sees_no_ledger(client, county, county_reviewer):
    source = ledger(county_reviewer)
    other = UserFactory(role=Role.COUNTY_REVIEWER, region=region("622921000000"))
    login(client, other)
    assert client.get(reverse("funds:index")).url == reverse("funds:county", args=["622921000000"])
    assert client.get(page_url("county")).status_code == 404
    assert client.post(page_url("source_new"), source_post()).status_code == 404
    assert "甘财农" not in client.get(reverse("funds:county", args=["622921000000"])).content.decode()
    assert FundSource.objects.get() == source

    clerk = UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622926101000"))
    login(client, clerk)
    response = client.get(reverse("funds:index"))
    assert response.status_code == 200 and response.context["counties"] == []
    assert client.get(page_url("county")).status_code == 404


def test_the_navigation_links_the_funds_page_for_county_and_up(client, county_reviewer):
    login(client, county_reviewer)
    response = client.get(reverse("home"))
    assert ("扶贫资金", reverse("funds:index"), "funds") in response.context["nav_items"]
    login(client, UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622926101000")))
    assert "funds" not in [key for _, _, key in client.get(reverse("home")).context["nav_items"]]
