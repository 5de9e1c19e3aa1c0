"""Lists that count, in Chromium: the county selects every household exit with 全选 (from the keyboard),
sees how many the button will approve, and approves them in one batch; the household list shows its
total and the county and township of each household."""

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment import services
from assessment.models import Application
from fupin.demo import ensure_demo_users
from households.codes import HouseholdStatus
from households.models import Household, IncomeRecord
from tests.e2e.test_review import GUARANTEES, log_in
from tests.factories import household_with_members, region
from villages.models import County, Village, VillagePopulation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUEUE_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-batch-select-all.png"


@pytest.fixture
def two_pending_exits(transactional_db, settings):
    """Two household exits of 红柳村 past 公示 and 乡镇审核, waiting for the county (built as test_review does)."""
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
    today = timezone.localdate()
    applications = []
    for name in ("马志强", "马成明"):
        household = household_with_members(village, size=3)
        Household.objects.filter(pk=household.pk).update(head_name=name)
        IncomeRecord.objects.create(household=household, year=2020, household_size=3, wage_income=Decimal("15000"))
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
        applications.append(application)
    household_with_members(village, size=4)  # still poor: the village's rate stays above zero
    return applications


def test_the_county_selects_all_with_the_keyboard_and_batch_approves_two_exits(
    page: Page, live_server, two_pending_exits
):
    log_in(page, live_server, "demo_county")
    page.get_by_role("link", name="审核待办").click()
    expect(page.locator("#waiting-heading")).to_contain_text("待我办理（2）")
    button = page.locator("#batch-approve")
    expect(button).to_contain_text("批量同意所选 0 户退出")

    # 全选 from the keyboard: focus it and press the space bar, as a keyboard user tabbing to it would.
    select_all = page.get_by_label("全选")
    select_all.focus()
    page.keyboard.press("Space")
    boxes = page.locator("#queue input[name=applications]")
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    expect(button).to_contain_text("批量同意所选 2 户退出")

    # One unticked: 全选 is no longer ticked, the button says 1; ticked again, all and 2.
    boxes.nth(1).focus()
    page.keyboard.press("Space")
    expect(select_all).not_to_be_checked()
    expect(button).to_contain_text("批量同意所选 1 户退出")
    page.keyboard.press("Space")
    expect(select_all).to_be_checked()
    expect(button).to_contain_text("批量同意所选 2 户退出")

    page.get_by_label("批量审核意见").fill("两户均达标，同意退出")
    page.get_by_label("确认批量同意", exact=False).focus()
    page.keyboard.press("Space")
    page.screenshot(path=str(QUEUE_SCREENSHOT), full_page=True)
    button.focus()
    page.keyboard.press("Enter")

    expect(page.locator(".alert-success")).to_contain_text("已批量同意2件户退出申请")
    expect(page.locator("#queue")).to_have_count(0)
    for application in two_pending_exits:
        application.refresh_from_db()
        assert application.status == "APPROVED"
        assert Household.objects.get(pk=application.household_id).status == HouseholdStatus.EXITED
    assert Application.objects.filter(status="APPROVED").count() == 2


def test_the_county_sees_the_total_and_the_township_of_each_household(page: Page, live_server, two_pending_exits):
    log_in(page, live_server, "demo_county")
    page.goto(f"{live_server.url}/households/")
    expect(page.locator("#list-total")).to_contain_text("共 3 户 / 10 人")
    expect(page.locator("#household-list th").filter(has_text="所属乡镇")).to_have_count(1)
    expect(page.locator("#household-list td[data-column=township]").first).to_have_text("锁南镇")
    page.get_by_role("link", name="人口").click()
    expect(page.locator("#household-list th[aria-sort=ascending]")).to_contain_text("人口")
    expect(page.locator("#household-list tbody tr").first).to_contain_text("马志强")
