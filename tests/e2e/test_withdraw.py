"""The clerk withdraws an application sent back to them (撤回) in the browser, under the CSP."""

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

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-withdraw.png"
FORM_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-withdraw-form.png"
GUARANTEES = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}


@pytest.fixture
def returned_exit(transactional_db, settings):
    """A household exit of demo_clerk, sent back by demo_clerk2 (退回修改)."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    County.objects.create(region=region("622926000000", "东乡族自治县"), is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    users = {user.username: user for user in ensure_demo_users()}
    settings.FUPIN_DEMO = True
    household = household_with_members(village, size=3)
    Household.objects.filter(pk=household.pk).update(head_name="马志强")
    application = services.draft_and_submit(
        user=users["demo_clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2020,
        household_id=household.pk,
        figures={**GUARANTEES, "consent": True},
        reason="民主评议通过",
    )
    return services.send_back_application(
        user=users["demo_clerk2"], application_id=application.pk, comment="缺农户签字的认可书"
    )


def test_the_clerk_withdraws_a_sent_back_exit_with_a_reason(page: Page, live_server, returned_exit):
    problems = watch_console(page)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill("demo_clerk")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/assessment/applications/{returned_exit.pk}/")
    card = page.locator("#withdraw")
    expect(card).to_contain_text("撤回后本申请即办结、不可恢复")

    card.get_by_label("撤回理由（必填，将记录在案）").fill("农户外出务工，认可书无法补签")
    card.get_by_role("button", name="撤回申请").click()  # not confirmed: refused, the reason kept
    expect(page.locator("#action-errors")).to_contain_text("请勾选确认")
    expect(card.get_by_label("撤回理由（必填，将记录在案）")).to_have_value("农户外出务工，认可书无法补签")
    card.locator("#id_withdraw_confirm").check()
    page.screenshot(path=str(FORM_SCREENSHOT), full_page=True)
    card.get_by_role("button", name="撤回申请").click()

    expect(page.locator("[data-application-status]")).to_have_text("已撤回")
    expect(page.locator("#withdrawal")).to_contain_text("撤回理由：农户外出务工，认可书无法补签")
    expect(page.locator("#timeline")).to_contain_text("缺农户签字的认可书")
    expect(page.locator("#withdraw")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert Application.objects.get(pk=returned_exit.pk).status == "WITHDRAWN"
    # The refused post answers 400, which the console reports; nothing else may appear (CSP, script errors).
    assert not [problem for problem in problems if "status of 400" not in problem], problems
