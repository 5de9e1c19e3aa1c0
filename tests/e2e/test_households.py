"""A clerk registers a household of four in the browser, finds it by pinyin, and meets a bad ID number."""

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household, Member
from tests.factories import make_id_number, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def demo_clerk_page(page: Page, live_server, settings):
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    region("622926101201", "红柳村")
    ensure_demo_users()
    settings.FUPIN_DEMO = True
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill("demo_clerk")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("header")).to_contain_text("乡镇录入员")
    return page


def fill_member(page: Page, index: int, name: str, id_number: str, relation: str) -> None:
    page.locator(f"#id_members-{index}-name").fill(name)
    page.locator(f"#id_members-{index}-id_number").fill(id_number)
    page.locator(f"#id_members-{index}-relation").select_option(relation)


def fill_household(page: Page) -> None:
    page.locator("#id_village").select_option("622926101201")
    page.locator("#id_attribute").select_option("1")
    page.locator("#id_main_cause").select_option("1")
    page.locator("#id_identified_year").fill("2016")


def test_clerk_registers_four_members_and_finds_the_household_by_pinyin(demo_clerk_page: Page, live_server):
    page = demo_clerk_page
    page.goto(f"{live_server.url}/households/new/")
    fill_household(page)
    fill_member(page, 0, "马成", make_id_number(birth=date(1972, 3, 4), male=True), "01")
    members = [
        ("何秀英", make_id_number(birth=date(1975, 6, 7), male=False), "02"),
        ("马小军", make_id_number(birth=date(2001, 8, 9), male=True), "03"),
        ("马小花", make_id_number(birth=date(2005, 1, 2), male=False), "04"),
    ]
    for index, (name, number, relation) in enumerate(members, start=1):
        page.get_by_role("button", name="+ 添加成员").click()
        expect(page.locator(f"#id_members-{index}-name")).to_be_visible()
        fill_member(page, index, name, number, relation)
    expect(page.locator("#id_members-TOTAL_FORMS")).to_have_value("4")
    page.screenshot(path=SCREENSHOTS / "fupin-e2e-household-form.png", full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(re.compile(r"/households/\d+/$"))
    expect(page.locator("[data-status]")).to_have_text("未脱贫")
    for name in ("马成", "何秀英", "马小军", "马小花"):
        expect(page.locator("main")).to_contain_text(name)
    page.screenshot(path=SCREENSHOTS / "fupin-e2e-household-detail.png", full_page=True)
    assert Household.objects.get().member_count == 4

    page.goto(f"{live_server.url}/households/")
    page.locator("#id_q").fill("mc")
    page.locator("#id_q").press("Enter")
    expect(page.locator("#household-table tbody tr")).to_have_count(1)
    expect(page.locator("#household-table")).to_contain_text("马成")


def test_a_wrong_checksum_is_shown_beside_the_field_and_nothing_is_saved(demo_clerk_page: Page, live_server):
    page = demo_clerk_page
    page.goto(f"{live_server.url}/households/new/")
    fill_household(page)
    good = make_id_number(birth=date(1980, 1, 1))
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    fill_member(page, 0, "马成", bad, "01")
    page.get_by_role("button", name="保存", exact=True).click()

    error = page.locator("#id_members-0-id_number").locator("xpath=..").locator('[data-error-for="id_number"]')
    expect(error).to_have_text("身份证号码校验位错误，请核对后重新输入。")
    expect(page.locator("#id_members-0-name")).to_have_value("马成")
    assert Household.objects.count() == 0 and Member.objects.count() == 0
