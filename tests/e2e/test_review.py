"""The county office approves a household exit from its queue in the browser; the dashboard draws its charts."""

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment import services
from assessment.statistics import recompute_incidence_rates
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household, IncomeRecord
from tests.factories import household_with_members, region
from villages.models import County, Village, VillagePopulation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUEUE_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-review-queue.png"
DASHBOARD_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-dashboard.png"
GUARANTEES = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}


@pytest.fixture
def pending_exit(transactional_db, settings):
    """A household exit of 红柳村 past its 公示 and 乡镇审核, waiting for the county."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    county = region("622926000000", "东乡族自治县")
    County.objects.create(region=county, is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    VillagePopulation.objects.create(
        village=Village.objects.create(region=village, is_poor_village=True), year=2020, rural_population=400
    )
    users = {user.username: user for user in ensure_demo_users()}
    settings.FUPIN_DEMO = True
    household = household_with_members(village, size=3)
    Household.objects.filter(pk=household.pk).update(head_name="马志强")
    IncomeRecord.objects.create(household=household, year=2020, household_size=3, wage_income=Decimal("15000"))
    household_with_members(village, size=4)  # still poor: the village's rate stays above zero
    today = timezone.localdate()
    application = services.draft_and_submit(
        user=users["demo_clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2020,
        household_id=household.pk,
        figures={**GUARANTEES, "consent": True},
        reason="民主评议通过",
        today=today - timedelta(days=10),
    )
    services.approve_step(
        user=users["demo_clerk2"],
        application_id=application.pk,
        comment="乡镇核实无误",
        today=today - timedelta(days=1),
    )
    return {"household": household, "application": application}


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_county_approves_a_household_exit_from_the_queue(page: Page, live_server, pending_exit):
    log_in(page, live_server, "demo_county")
    page.get_by_role("link", name="审核待办").click()
    row = page.locator(f"#queue tr[data-application='{pending_exit['application'].pk}']")
    expect(row).to_contain_text("马志强户")
    expect(row).to_contain_text("县审定")
    expect(row.locator(".badge")).to_have_text("通过")
    page.screenshot(path=str(QUEUE_SCREENSHOT), full_page=True)

    row.get_by_role("link", name=f"户退出 #{pending_exit['application'].pk}").click()
    checks = page.locator("table.check-items")
    expect(checks).to_contain_text("2020年人均纯收入5,000.00元，高于国家标准4,000.00元。")
    expect(page.locator("#timeline")).to_contain_text("乡镇核实无误")
    page.get_by_label("审核意见").fill("同意退出")
    page.locator("#id_confirm").check()  # 县审定 changes the household's status: confirmed, not undone
    page.get_by_role("button", name="同意", exact=True).click()

    expect(page.locator("[data-application-status]")).to_have_text("已批准")
    expect(page.locator(".alert-success")).to_have_text("已同意。")
    page.get_by_role("link", name="马志强户").first.click()
    expect(page.locator("[data-status]")).to_have_text("已脱贫")
    household = Household.objects.get(pk=pending_exit["household"].pk)
    assert (household.status, household.exit_year) == ("EXITED", 2020)


def test_dashboard_draws_incidence_table_and_charts(page: Page, live_server, pending_exit):
    recompute_incidence_rates(2020)
    log_in(page, live_server, "demo_province")
    page.get_by_role("link", name="贫困发生率与考核").click()
    expect(page.get_by_role("heading", name="甘肃省 · 贫困发生率与考核评级")).to_be_visible()
    expect(page.locator("#incidence tbody tr")).to_have_count(1)
    expect(page.locator("#incidence tbody tr")).to_contain_text("临夏回族自治州")
    expect(page.locator("#incidence [data-rate]")).to_have_text("1.75%")  # 7 poor of 400 people
    expect(page.locator("#chart-counties canvas")).to_have_count(1)
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    page.screenshot(path=str(DASHBOARD_SCREENSHOT), full_page=True)
