"""In the browser: an ID number typed into the search box, key by key, never reaches a URL, and
the edit form shows masked numbers that survive a save untouched."""

import re

import pytest
from playwright.sync_api import Page, expect

from households.models import Household
from households.services import register_household
from tests.e2e import test_households
from tests.factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VILLAGE = test_households.VILLAGE
# The demo clerk of 红柳村, logged in through the login form.
demo_clerk = test_households.demo_clerk
clerk_page = test_households.clerk_page


@pytest.fixture
def household(demo_clerk):
    clerk = next(user for user in demo_clerk["users"] if user.username == "demo_clerk")
    return register_household(
        user=clerk,
        village_code=VILLAGE,
        data={"attribute": "1", "main_cause": "1", "identified_year": 2016, "phone": "13893012345"},
        members=[{"name": "马成", "relation": "01", "id_number": make_id_number(), "ethnicity": "26"}],
    )


def test_an_id_number_typed_into_the_search_box_never_reaches_a_url(clerk_page: Page, live_server, household):
    page = clerk_page
    number = household.members.get().id_number
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{live_server.url}/households/")
    page.locator("#id_q").press_sequentially(number, delay=450)  # slower than the 400 ms live search
    expect(page).to_have_url(re.compile(r"[?&]id_hash=[0-9a-f]{64}$"))
    rows = page.locator("#household-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(household.household_no)
    # The keyed hash is hex: about one in twenty-five holds fifteen decimal digits in a row by chance.
    typed = [re.sub(r"id_hash=[0-9a-f]{64}", "id_hash=…", url) for url in urls]
    assert not [url for url in typed if re.search(r"[0-9]{15}", url)]
    # Nor any prefix of it past the region code: the live search sends each one as it is typed.
    assert not [url for url in urls if number[:7] in url]


def test_the_edit_form_keeps_the_masked_numbers_when_saved_untouched(clerk_page: Page, live_server, household):
    page = clerk_page
    number = household.members.get().id_number
    page.goto(f"{live_server.url}/households/{household.pk}/edit/")
    expect(page.locator("#id_phone")).to_have_value("138****2345")
    expect(page.locator("#id_members-0-id_number")).to_have_value(household.members.get().id_number_masked)
    expect(page.locator("#household-form")).to_contain_text("留空或保持脱敏值则不修改")
    assert number not in page.content() and "13893012345" not in page.content()
    page.locator("#id_group_name").fill("二组")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{live_server.url}/households/{household.pk}/")
    household = Household.objects.get(pk=household.pk)
    assert household.group_name == "二组" and household.phone == "13893012345"
    assert household.members.get().id_number == number
