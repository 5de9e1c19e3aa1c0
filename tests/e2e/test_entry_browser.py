"""A clerk's data entry at speed (issue 16), keyboard only: demo_clerk registers three households in a
row with 保存并新增下一户, sees a wrong checksum flagged as soon as the ID box is left, and finds
all three in the list. No mouse click: typing, Tab, arrows, Enter and Space only.
"""

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.codes import Evidence, ParameterKey
from core.models import PolicyParameter
from households.models import Household
from households.poverty import current_year
from tests.e2e.test_households import VILLAGE, clerk_page, demo_clerk  # noqa: F401 - fixtures
from tests.factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
MAX_TABS = 120
# The selects of the member rows narrower than the choice they show (text cut off).
CUT_OFF_SELECTS = """() => [...document.querySelectorAll("#member-rows select")].filter((select) => {
  const style = getComputedStyle(select);
  const probe = document.createElement("span");
  probe.textContent = select.options[select.selectedIndex].text;
  probe.style.font = style.font;
  probe.style.whiteSpace = "nowrap";
  document.body.appendChild(probe);
  const width = probe.getBoundingClientRect().width;
  probe.remove();
  return width + parseFloat(style.paddingLeft) > select.clientWidth;
}).map((select) => select.name)"""  # fields of the form, with every checkbox: a few dozen


def focused(page: Page) -> str:
    """The name (or id) of the element that has the keyboard focus."""
    return page.evaluate("document.activeElement.name || document.activeElement.id || ''")


def tab_to(page: Page, name: str, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the field `name` has the focus, as a clerk would."""
    for _ in range(MAX_TABS):
        if focused(page) == name:
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {name}; focus is on {focused(page)!r}")


def type_into(page: Page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Page, name: str, downs: int) -> None:
    """A select chosen with the arrow keys: `downs` places below the one it shows."""
    tab_to(page, name)
    for _ in range(downs):
        page.keyboard.press("ArrowDown")


def fill_household_by_keyboard(page: Page, group: str) -> None:
    """一、家庭基本情况: the village is preselected (a clerk's only one, or the last household's)."""
    expect(page.locator("#id_village")).to_have_value(VILLAGE)
    type_into(page, "group_name", group)
    type_into(page, "phone", "13893012345")
    choose(page, "main_cause", 1)  # the first cause below "—"
    expect(page.locator("#id_identified_year")).to_have_value(str(current_year()))


def fill_member_by_keyboard(page: Page, index: int, name: str, id_number: str) -> None:
    type_into(page, f"members-{index}-name", name)
    type_into(page, f"members-{index}-id_number", id_number)
    page.keyboard.press("Tab")  # leaving the box asks for the check


def id_check(page: Page, index: int):
    return page.locator("#member-rows tr.member-row").nth(index).locator(".id-check")


def save_and_next(page: Page, live_server, head: str) -> None:
    tab_to(page, "then")
    expect(page.locator(":focus")).to_have_text("保存并新增下一户")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/households/new/?village={VILLAGE}")
    expect(page.locator(".alert-success")).to_contain_text(f"已登记{head}户为拟识别户")
    expect(page.locator("#id_group_name")).to_be_focused()  # the next household starts at once


def test_three_households_in_a_row_by_keyboard_with_the_checksum_flagged_on_leaving(
    clerk_page: Page,  # noqa: F811 - the fixture
    live_server,
):
    page = clerk_page
    PolicyParameter.objects.create(
        key=ParameterKey.DEFAULT_ETHNICITY,
        region_id="622926000000",
        value=26,
        evidence=Evidence.PROPOSAL,
        source="演示",
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/households/new/")
    expect(page.locator("#id_village")).to_be_focused()
    expect(page.locator("#id_members-0-ethnicity")).to_have_value("东乡族")  # the county's default

    # 1. 马成 and his wife: a second row added from the keyboard takes the head's 民族.
    fill_household_by_keyboard(page, "一组")
    fill_member_by_keyboard(page, 0, "马成", make_id_number(birth=date(1972, 3, 4)))
    expect(id_check(page, 0)).to_contain_text("出生日期 1972-03-04 · 男")
    # Enter in a member row moves on; it never sends half a household.
    tab_to(page, "members-0-name")
    page.keyboard.press("Enter")
    expect(page.locator("#id_members-0-id_number")).to_be_focused()
    expect(page).to_have_url(f"{live_server.url}/households/new/")
    tab_to(page, "add-member")
    page.keyboard.press("Enter")
    expect(page.locator("#id_members-1-name")).to_be_focused()
    expect(page.locator("#id_members-1-ethnicity")).to_have_value("东乡族")
    page.keyboard.type("何秀英")
    type_into(page, "members-1-id_number", make_id_number(birth=date(1975, 6, 7), male=False))
    choose(page, "members-1-relation", 2)  # —, 户主, 配偶
    choose(page, "members-1-work_location", 2)  # a long choice: 乡（镇）外县内务工
    assert page.evaluate(CUT_OFF_SELECTS) == []
    expect(id_check(page, 1)).to_contain_text("出生日期 1975-06-07 · 女")
    page.locator("fieldset", has=page.locator("#member-rows")).screenshot(path=SCREENSHOTS / "fupin-e2e-entry-1280.png")
    # Nothing sticks out of the page: the member table scrolls inside its card.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    save_and_next(page, live_server, "马成")

    # 2. 马福: a wrong checksum is flagged when the box is left, then corrected.
    fill_household_by_keyboard(page, "二组")
    good = make_id_number(birth=date(1980, 1, 2))
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    fill_member_by_keyboard(page, 0, "马福", bad)
    expect(id_check(page, 0)).to_contain_text("身份证号码校验位错误")
    tab_to(page, "members-0-id_number", backwards=True)
    page.keyboard.press("Control+A")
    page.keyboard.type(good)
    page.keyboard.press("Tab")
    expect(id_check(page, 0)).to_contain_text("出生日期 1980-01-02 · 男")
    save_and_next(page, live_server, "马福")

    # 3. 汪兰, typed 民族 "回族"; Space ticks a box (长期慢性病).
    fill_household_by_keyboard(page, "三组")
    fill_member_by_keyboard(page, 0, "汪兰", make_id_number(birth=date(1990, 9, 9), male=False))
    type_into(page, "members-0-ethnicity", "回族")
    tab_to(page, "members-0-health")
    page.keyboard.press("Tab")  # the second box: 长期慢性病
    page.keyboard.press("Space")
    save_and_next(page, live_server, "汪兰")

    households = {h.head_name: h for h in Household.objects.prefetch_related("members")}
    assert set(households) == {"马成", "马福", "汪兰"}
    assert households["马成"].member_count == 2
    assert {m.name: m.ethnicity for m in households["马成"].members.all()} == {"马成": "26", "何秀英": "26"}
    assert households["汪兰"].members.get().ethnicity == "03"
    assert households["汪兰"].members.get().health == ["01", "02"]
    assert all(h.identified_year == current_year() for h in households.values())

    page.set_viewport_size({"width": 390, "height": 844})
    members = page.locator("fieldset", has=page.locator("#member-rows"))
    members.screenshot(path=SCREENSHOTS / "fupin-e2e-entry-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # a card per member, no sideways scroll

    page.goto(f"{live_server.url}/households/")
    rows = page.locator("#household-table tbody tr")
    expect(rows).to_have_count(3)
    for head in ("马成", "马福", "汪兰"):
        expect(rows.filter(has_text=head)).to_have_count(1)
    assert re.search(r"/households/$", page.url)
