"""站内消息 in the browser: the county is told of an application at its step (审核待办's count, the bell),
sends it back, and the clerk who submitted it is told."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessment import services
from assessment.models import Application
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household
from tests.factories import household_with_members, region
from villages.models import County

from .test_csp import watch_console

# The home page reads its figures through the `replica` alias (a mirror of default in tests).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

COUNTY_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-notifications-county.png"
CLERK_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-notifications-clerk.png"


@pytest.fixture
def demo_household(transactional_db, settings):
    """A poor household of 红柳村 (锁南镇, 东乡族自治县) and the demo users."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    County.objects.create(region=region("622926000000", "东乡族自治县"), is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    users = {user.username: user for user in ensure_demo_users()}
    settings.FUPIN_DEMO = True
    household = household_with_members(village, size=3)
    Household.objects.filter(pk=household.pk).update(head_name="马志强")
    return {"household": household, "users": users}


def log_in(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_the_county_is_told_of_an_application_and_the_clerk_of_its_return(page: Page, live_server, demo_household):
    problems = watch_console(page)
    household = demo_household["household"]

    # demo_clerk submits 自然销户 from the household page; nothing waits for the county yet.
    log_in(page, live_server, "demo_clerk")
    expect(page.locator("#bell [data-unread-count]")).to_have_count(0)
    page.goto(f"{live_server.url}/households/{household.pk}/")
    page.get_by_role("link", name="申请自然销户").click()
    page.get_by_label("销户原因及证明材料（死亡证明、户籍注销等）").fill("户主已故，死亡证明附后")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("[data-application-status]")).to_have_text("审核中")
    application = Application.objects.get(household=household)
    # 乡镇审核 by the township's other clerk: the application arrives at the county's step.
    clerk2 = demo_household["users"]["demo_clerk2"]
    services.approve_step(user=clerk2, application_id=application.pk, comment="核实无误")

    log_in(page, live_server, "demo_county")
    navigation = page.get_by_role("navigation", name="主导航")
    expect(navigation.get_by_role("link", name="审核待办").locator("[data-queue-count]")).to_have_text("1")
    expect(page.locator("#todos [data-todo='waiting'] .badge")).to_have_text("1")
    expect(page.locator("#bell [data-unread-count]")).to_have_text("1")
    page.locator("#bell").click()
    notice = page.locator("#notifications [data-unread]")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(f"自然销户申请 #{application.pk}待您办理“县审定”")
    expect(notice).to_contain_text("马志强户")
    page.screenshot(path=str(COUNTY_SCREENSHOT), full_page=True)
    notice.click()  # read, and on to the application

    expect(page).to_have_url(f"{live_server.url}/assessment/applications/{application.pk}/")
    expect(page.locator("#bell [data-unread-count]")).to_have_count(0)
    page.get_by_label("审核意见").fill("缺户籍注销证明")
    page.get_by_role("button", name="退回修改", exact=True).click()
    expect(page.locator("[data-application-status]")).to_have_text("退回修改")
    expect(navigation.get_by_role("link", name="审核待办").locator("[data-queue-count]")).to_have_count(0)

    log_in(page, live_server, "demo_clerk")
    expect(page.locator("#bell [data-unread-count]")).to_have_text("1")
    expect(page.locator("#todos [data-todo='returned'] .badge")).to_have_text("1")
    page.locator("#bell").click()
    notice = page.locator("#notifications [data-unread]")
    expect(notice).to_contain_text(f"自然销户申请 #{application.pk}被退回修改")
    expect(notice).to_contain_text("退回意见：缺户籍注销证明")
    page.screenshot(path=str(CLERK_SCREENSHOT), full_page=True)
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".alert-success")).to_have_text("已将1条消息标为已读。")
    expect(page.locator("#notifications [data-unread]")).to_have_count(0)
    expect(page.locator("#bell [data-unread-count]")).to_have_count(0)
    assert not problems, problems
