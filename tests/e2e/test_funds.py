"""The county office enters a fund source, allocates it to an approved project and records a payment;
the 报账率 follows."""

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from funds.models import Allocation, Disbursement, FundSource
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from tests.factories import region
from tests.funds.conftest import approved_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FUNDS_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-funds.png"


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.fixture
def approved(transactional_db, settings):
    """东乡族自治县 with one approved (批复) project and the demo users; no money yet."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    county = region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    region("622926101201", "红柳村")
    users = {user.username: user for user in ensure_demo_users()}
    settings.FUPIN_DEMO = True
    return approved_project(county, users["demo_county"])


def test_county_enters_a_source_allocates_disburses_and_the_rate_follows(page: Page, live_server, approved):
    log_in(page, live_server, "demo_county")
    page.get_by_role("link", name="扶贫资金").click()
    expect(page.get_by_role("heading", name="东乡族自治县 · 扶贫资金台账")).to_be_visible()
    rate = page.locator('[data-funds="rate"]')
    expect(rate).to_have_text("—")
    year = timezone.localdate().year

    source_form = page.locator("#source-form")
    source_form.get_by_label("资金级次").select_option(label="中央")
    expect(source_form.get_by_label("年度")).to_have_value(str(year))
    source_form.get_by_label("文号").fill(f"甘财农〔{year}〕12号")
    source_form.get_by_label("资金用途").fill("到村到户产业")
    source_form.get_by_label("金额（元）").fill("100,000.00")
    source_form.get_by_role("button", name="保存资金来源").click()
    expect(page.locator(".alert-success")).to_have_text("资金来源已录入。")
    expect(page.locator("#sources tbody tr")).to_contain_text(f"甘财农〔{year}〕12号")
    expect(rate).to_have_text("—")

    allocation_form = page.locator("#allocation-form")
    allocation_form.get_by_label("资金来源").select_option(index=1)
    allocation_form.get_by_label("项目").select_option(label="红柳村道路硬化（2019年，批复）")
    allocation_form.get_by_label("金额（元）").fill("40000")
    allocation_form.get_by_role("button", name="分配").click()
    expect(page.locator(".alert-success")).to_have_text("资金已分配。")
    expect(page.locator("#allocations tbody tr")).to_contain_text("项目：红柳村道路硬化")
    expect(page.locator('[data-funds="allocated"]')).to_have_text("40,000.00")
    expect(rate).to_have_text("0.00%")

    disbursement_form = page.locator("#disbursement-form")
    disbursement_form.get_by_label("资金分配").select_option(index=1)
    disbursement_form.get_by_label("金额（元）").fill("10000.50")
    disbursement_form.get_by_label("凭证号").fill("记-2024-001")
    disbursement_form.get_by_role("button", name="登记报账").click()
    expect(page.locator(".alert-success")).to_have_text("报账已登记。")
    expect(page.locator('[data-funds="disbursed"]')).to_have_text("10,000.50")
    expect(rate).to_have_text("25.00%")
    page.screenshot(path=str(FUNDS_SCREENSHOT), full_page=True)

    assert FundSource.objects.get().amount == Decimal("100000.00")
    assert Allocation.objects.get().project_id == approved.pk
    assert Disbursement.objects.get().amount == Decimal("10000.50")
