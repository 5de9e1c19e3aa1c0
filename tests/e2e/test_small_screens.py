"""A phone (390 × 844): the pages fit the screen, wide tables scroll inside their box, and the
navigation waits behind 菜单 until it is asked for.

Runs in Debian's Chromium against the live server, as demo_clerk with one of everything a
township holds (tests/factories.py populate): a household with members, income, measures, a
helper and a visit; a monitoring object; an application; a project.
"""

import tempfile
from pathlib import Path

import pytest
from django.urls import reverse as url
from playwright.sync_api import Page, expect

from fupin.demo import DEMO_PASSWORD
from households.models import Household
from tests.e2e.test_households import VILLAGE, demo_clerk  # noqa: F401 - fixture
from tests.factories import household_with_members, populate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(tempfile.gettempdir())
# What sticks out of the screen: the page's own widths, and every element whose right edge is
# beyond the window and that is not inside a box that scrolls or clips it (a .table-responsive).
OVERFLOW = """() => {
  const width = window.innerWidth;
  function clipped(element) {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(box).overflowX)) { return true; }
    }
    return false;
  }
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width && box.height && box.right > width + 1 && !clipped(element)) {
      out.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className} right=${Math.round(box.right)}`);
    }
  }
  const page = document.documentElement.scrollWidth;
  return {width, document: page, body: document.body.scrollWidth, out: out.slice(0, 10)};
}"""


@pytest.fixture
def phone(page: Page, live_server, demo_clerk) -> Page:  # noqa: F811 - the fixture imported above
    """demo_clerk logged in on a 390 px wide screen, with demo-like data in the township."""
    village = demo_clerk["village"]
    populate(village, village.parent)
    for size in (2, 5, 7):
        household_with_members(village, size=size)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{url('login')}")
    page.get_by_label("用户名", exact=True).fill("demo_clerk")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    return page


def assert_fits(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    found = page.evaluate(OVERFLOW)
    if found["document"] > found["width"] or found["body"] > found["width"] or found["out"]:
        page.screenshot(path=str(SCREENSHOTS / f"fupin-e2e-phone-{name}.png"), full_page=True)
    assert found["width"] == PHONE["width"]
    assert found["document"] <= found["width"], (name, found)
    assert found["body"] <= found["width"], (name, found)
    assert found["out"] == [], (name, found)


def test_home_list_household_and_new_household_form_fit_a_phone(phone: Page, live_server):
    household = Household.objects.filter(village_id=VILLAGE).order_by("pk").first()
    assert_fits(phone, "home")

    phone.goto(f"{live_server.url}{url('households:list')}")
    expect(phone.locator("#household-list tbody tr").first).to_be_visible()
    assert_fits(phone, "list")
    # The list's many columns scroll sideways inside their own box, not the page.
    expect(phone.locator(".table-responsive > #household-list")).to_have_count(1)

    phone.goto(f"{live_server.url}{url('households:detail', args=[household.pk])}")
    expect(phone.get_by_role("heading", name="一、家庭基本情况")).to_be_visible()
    assert_fits(phone, "household")

    phone.goto(f"{live_server.url}{url('households:create')}")
    phone.get_by_role("button", name="+ 添加成员").click()
    expect(phone.locator("#id_members-1-name")).to_be_visible()
    assert_fits(phone, "form")
    # Each member is a card of labelled fields on a phone: the ID box as wide as the card.
    id_box = phone.locator("#id_members-0-id_number").bounding_box()
    assert id_box["x"] >= 0 and id_box["x"] + id_box["width"] <= PHONE["width"]
    expect(phone.locator('label[for="id_members-0-id_number"]')).to_be_visible()  # its label above it


def test_the_navigation_waits_behind_the_menu_button_on_a_phone(phone: Page, live_server):
    navigation = phone.get_by_role("navigation", name="主导航")
    households = navigation.get_by_role("link", name="建档立卡户")
    menu = phone.get_by_role("button", name="菜单")
    # The first screen is the page, not the list of links.
    expect(menu).to_be_visible()
    expect(households).to_be_hidden()
    expect(phone.get_by_role("heading", level=1)).to_be_in_viewport()

    menu.click()
    expect(households).to_be_visible()
    expect(navigation.get_by_role("link", name="操作手册")).to_be_visible()
    expect(navigation.get_by_role("link", name="新增贫困户")).to_be_visible()
    households.click()
    expect(phone).to_have_url(f"{live_server.url}{url('households:list')}")
    expect(phone.get_by_role("navigation", name="主导航").get_by_role("link", name="建档立卡户")).to_be_hidden()

    # On a desktop the sidebar is there as before and 菜单 is not.
    phone.set_viewport_size({"width": 1280, "height": 800})
    expect(phone.get_by_role("navigation", name="主导航").get_by_role("link", name="建档立卡户")).to_be_visible()
    expect(phone.get_by_role("button", name="菜单")).to_be_hidden()


def test_the_manual_and_the_error_pages_fit_a_phone(phone: Page, live_server):
    phone.goto(f"{live_server.url}{url('help')}")
    expect(phone.get_by_role("heading", name="操作手册")).to_be_visible()
    assert_fits(phone, "manual")

    response = phone.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    expect(phone.get_by_role("heading", name="页面不存在（404）")).to_be_visible()
    expect(phone.get_by_role("link", name="回到首页")).to_be_visible()
    assert_fits(phone, "404")
