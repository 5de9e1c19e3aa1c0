"""A clerk registers a household of four in the browser, finds it by pinyin, and meets a bad ID number.

Runs against the live server in Debian's Chromium: the member rows come from the htmx
"+ 添加成员" button and the list is filtered by htmx as the clerk types.
"""

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household, Member
from tests.factories import HouseholdFactory, make_id_number, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
FORM_SCREENSHOT = SCREENSHOTS / "fupin-e2e-household-form.png"
DETAIL_SCREENSHOT = SCREENSHOTS / "fupin-e2e-household-detail.png"
ERROR_SCREENSHOT = SCREENSHOTS / "fupin-e2e-household-error.png"
VILLAGE = "622926101201"
CHECKSUM_ERROR = "身份证号码校验位错误，请核对后重新输入。"


@pytest.fixture
def demo_clerk(transactional_db, settings):
    """The demo township clerk of 锁南镇, whose only village is 红柳村."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    village = region(VILLAGE, "红柳村")
    users = ensure_demo_users()
    settings.FUPIN_DEMO = True  # the live server thread reads the same settings object
    return {"users": users, "village": village}


@pytest.fixture
def clerk_page(page: Page, live_server, demo_clerk) -> Page:
    """A browser page logged in as demo_clerk through the login form."""
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.get_by_label("用户名", exact=True).fill("demo_clerk")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header .badge")).to_have_text("乡镇录入员")
    return page


def fill_household(page: Page) -> None:
    """一、家庭基本情况, chosen by the labels the clerk reads."""
    page.locator("#id_village").select_option(label=f"红柳村（{VILLAGE}）")
    page.locator("#id_group_name").fill("第三组")
    page.locator("#id_phone").fill("13893012345")
    page.locator("#id_attribute").select_option(label="一般贫困户")
    page.locator("#id_main_cause").select_option(label="因病")
    page.locator("#id_identified_year").fill("2016")


def add_member_row(page: Page, index: int) -> None:
    """Click "+ 添加成员" and wait for htmx to append row `index` and count it in TOTAL_FORMS."""
    with page.expect_response(re.compile(r"/households/member-row/\?index=" + str(index) + "$")) as response:
        page.get_by_role("button", name="+ 添加成员").click()
    assert response.value.ok
    expect(page.locator(f"#id_members-{index}-name")).to_be_visible()
    expect(page.locator("#id_members-TOTAL_FORMS")).to_have_value(str(index + 1))


def fill_member(page: Page, index: int, name: str, id_number: str, relation: str, health: str = "01") -> None:
    page.locator(f"#id_members-{index}-name").fill(name)
    page.locator(f"#id_members-{index}-id_number").fill(id_number)
    page.locator(f"#id_members-{index}-relation").select_option(label=relation)
    page.locator(f"#id_members-{index}-ethnicity").fill("东乡族")  # typed: a box with a list (issue 16)
    for box in page.locator(f'input[name="members-{index}-health"]').all():
        box.set_checked(box.get_attribute("value") == health)


def test_clerk_registers_four_members_and_finds_the_household_by_pinyin(clerk_page: Page, live_server, demo_clerk):
    page = clerk_page
    # Another household of the village, so that the search visibly narrows the list.
    HouseholdFactory(village=demo_clerk["village"], head_name="何秀云", head_name_initials="HXY", member_count=1)
    members = [
        ("马成", make_id_number(birth=date(1972, 3, 4), male=True), "户主"),
        ("何秀英", make_id_number(birth=date(1975, 6, 7), male=False), "配偶", "02"),  # 长期慢性病: 因病
        ("马小军", make_id_number(birth=date(2001, 8, 9), male=True), "之子"),
        ("马小花", make_id_number(birth=date(2005, 1, 2), male=False), "之女"),
    ]

    page.goto(f"{live_server.url}/households/new/")
    expect(page.get_by_role("heading", name="新增贫困户")).to_be_visible()
    expect(page.locator("#member-rows tr.member-row")).to_have_count(1)
    fill_household(page)
    fill_member(page, 0, *members[0])
    for index in (1, 2, 3):
        add_member_row(page, index)
        fill_member(page, index, *members[index])
    expect(page.locator("#member-rows tr.member-row")).to_have_count(4)
    page.screenshot(path=FORM_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/households/\d+/$"))
    expect(page.locator("main h1")).to_contain_text("马成户")
    # Every new household is 拟识别 until its 识别 is approved.
    expect(page.locator("[data-status]")).to_have_text("拟识别")
    expect(page.get_by_role("link", name="提交识别申请")).to_be_visible()
    member_section = page.locator("section", has=page.get_by_role("heading", name=re.compile("家庭成员")))
    expect(member_section.get_by_role("heading")).to_contain_text("（4人）")
    rows = member_section.locator("tbody tr")
    expect(rows).to_have_count(4)
    for name, _, relation, *_ in members:
        expect(rows.filter(has_text=name)).to_contain_text(relation)
    expect(rows.filter(has_text="何秀英")).to_contain_text("长期慢性病")
    expect(page.locator("main")).not_to_contain_text("家庭成员均健康")  # 因病 with an ill member: no 疑点
    page.screenshot(path=DETAIL_SCREENSHOT, full_page=True)
    household = Household.objects.get(head_name="马成")
    assert household.member_count == 4 and household.village_id == VILLAGE
    assert sorted(household.members.values_list("name", flat=True)) == sorted(member[0] for member in members)

    page.goto(f"{live_server.url}/households/")
    table_rows = page.locator("#household-table tbody tr")
    expect(table_rows).to_have_count(2)
    page.evaluate("window.notReloaded = true")  # survives only if htmx swaps the table in place
    # The search box posts; the table comes from the redirect to ?q=mc (all_headers: a redirected request's own).
    with page.expect_response(
        lambda r: "q=mc" in r.url and r.request.all_headers().get("hx-request") == "true"
    ) as response:
        page.locator("#id_q").press_sequentially("mc", delay=50)
    assert response.value.ok
    expect(table_rows).to_have_count(1)
    expect(table_rows).to_contain_text("马成")
    expect(table_rows).to_contain_text("红柳村")
    expect(table_rows).not_to_contain_text("何秀云")
    expect(page).to_have_url(re.compile(r"[?&]q=mc(&|$)"))
    assert page.evaluate("window.notReloaded") is True


def test_a_wrong_checksum_is_shown_beside_the_field_and_nothing_is_saved(clerk_page: Page, live_server):
    page = clerk_page
    good = make_id_number(birth=date(1975, 6, 7), male=False)
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")

    page.goto(f"{live_server.url}/households/new/")
    fill_household(page)
    fill_member(page, 0, "马成", make_id_number(birth=date(1972, 3, 4)), "户主")
    add_member_row(page, 1)
    fill_member(page, 1, "何秀英", bad, "配偶")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/households/new/")
    cell = page.locator("#member-rows td", has=page.locator("#id_members-1-id_number"))
    expect(cell.locator('[data-error-for="id_number"]')).to_have_text(CHECKSUM_ERROR)
    expect(page.locator('[data-error-for="id_number"]')).to_have_count(1)  # the head's number is fine
    expect(page.locator("#id_members-1-name")).to_have_value("何秀英")
    expect(page.locator("#id_members-1-id_number")).to_have_value(bad)
    expect(page.locator("#id_members-TOTAL_FORMS")).to_have_value("2")
    page.screenshot(path=ERROR_SCREENSHOT, full_page=True)
    assert Household.objects.count() == 0 and Member.objects.count() == 0
