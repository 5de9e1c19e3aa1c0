"""Logging in through the Chinese login form in a real browser (Debian's Chromium) against the live server."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.codes import HouseholdStatus
from households.poverty import current_year
from tests.factories import TEST_PASSWORD, UserFactory, household_with_members, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-home.png"


@pytest.fixture
def township_clerk(transactional_db):
    """A clerk of 达坂镇 with households inside the township and one outside it."""
    region("622926000000", "东乡族自治县")
    township = region("622926101000", "达坂镇")
    village = region("622926101201", "红柳村")
    other_village = region("622926102201", "河滩村")
    household_with_members(village, size=4)
    household_with_members(village, size=2)
    household_with_members(village, size=5, status=HouseholdStatus.EXITED)
    household_with_members(other_village, size=3)  # another township: not in the clerk's counts
    recompute_incidence_rates(current_year())  # the poor figures are the year's incidence rows
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=township)


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_township_clerk_logs_in_and_sees_the_township_counts(page: Page, live_server, township_clerk):
    log_in(page, live_server.url, township_clerk.username, TEST_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page).to_have_title(re.compile("^首页"))
    expect(page.locator("main h1")).to_contain_text("达坂镇")
    expect(page.locator("header")).to_contain_text("所属单位：达坂镇")
    expect(page.locator('[data-count="villages"]')).to_have_text("1")
    expect(page.locator('[data-count="households"]')).to_have_text("3")
    expect(page.locator('[data-count="poor_households"]')).to_have_text("2")
    expect(page.locator('[data-count="poor_population"]')).to_have_text("6")
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_wrong_password_shows_the_chinese_error_and_stays_on_the_login_page(page: Page, live_server, township_clerk):
    log_in(page, live_server.url, township_clerk.username, "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_label("用户名", exact=True)).to_have_value(township_clerk.username)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


@pytest.fixture
def demo_users(transactional_db):
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    return ensure_demo_users()


def test_demo_clerk_logs_in_in_demo_mode(page: Page, live_server, settings, demo_users):
    settings.FUPIN_DEMO = True  # the live server thread reads the same settings object

    log_in(page, live_server.url, "demo_clerk", DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header .badge")).to_have_text("乡镇录入员")
    expect(page.locator("header")).to_contain_text("所属单位：锁南镇")


def test_demo_clerk_is_refused_outside_demo_mode(page: Page, live_server, settings, demo_users):
    settings.FUPIN_DEMO = False

    log_in(page, live_server.url, "demo_clerk", DEMO_PASSWORD)

    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
    expect(page).to_have_url(f"{live_server.url}/login/")
