"""A record's 帮扶措施 and findings, and a 一般农户 registered, in the browser (docs/domain.md §12.10), under CSP."""

import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from households.codes import HouseholdStatus
from households.models import Household
from monitoring.codes import RiskType
from monitoring.defaults import ensure_default_lines
from monitoring.models import AssistanceMeasure, MonitoringObject
from monitoring.services import start_identification
from tests.factories import household_with_members, make_id_number

from .test_csp import watch_console
from .test_households import VILLAGE, clerk_page, demo_clerk, fill_member  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())


def test_a_clerk_registers_a_never_poor_household(clerk_page: Page, live_server):  # noqa: F811
    page = clerk_page
    problems = watch_console(page)
    page.goto(f"{live_server.url}/households/new/")
    expect(page.locator("#id_identified_year")).to_be_enabled()
    page.get_by_label("一般农户（纳入防返贫监测排查）").check()
    # fupin.js: the poverty fields do not apply to a 一般农户.
    for field in ("#id_attribute", "#id_main_cause", "#id_identified_year"):
        expect(page.locator(field)).to_be_disabled()
    page.locator("#id_village").select_option(label=f"红柳村（{VILLAGE}）")
    page.locator("#id_group_name").fill("第二组")
    fill_member(page, 0, "王强", make_id_number(birth=date(1980, 5, 6), male=True), "户主")
    page.screenshot(path=str(SHOTS / "fupin-e2e-ordinary-form.png"), full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("[data-status]")).to_have_text("一般农户")
    expect(page.locator("main")).to_contain_text("已登记为一般农户")
    household = Household.objects.get(head_name="王强")
    assert household.status == HouseholdStatus.ORDINARY and household.identified_year is None
    assert not problems, problems


def test_measures_by_risk_and_the_findings_on_the_record_page(clerk_page: Page, live_server, demo_clerk):  # noqa: F811
    page = clerk_page
    problems = watch_console(page)
    ensure_default_lines()
    today = timezone.localdate()
    household = household_with_members(demo_clerk["village"], size=3, status=HouseholdStatus.EXITED)
    record = start_identification(
        user=next(user for user in demo_clerk["users"] if user.username == "demo_clerk"),
        household_id=household.pk,
        discovered_on=today,
        category="1",
        risk_types=[RiskType.ILLNESS, RiskType.UNSTABLE_WORK],
        income_12_months="18000",
        consent_signed_on=today,
    )
    page.goto(f"{live_server.url}/monitoring/{record.pk}/")
    expect(page.locator("[data-uncovered-risk]")).to_have_count(2)
    page.locator("#measure-form-details summary").click()
    form = page.locator("#measure-form")
    form.get_by_label("措施类别").select_option(label="健康帮扶")
    form.get_by_label("针对的风险").select_option(label="因病")
    form.get_by_label("措施内容").fill("落实大病保险和医疗救助")
    form.get_by_label("金额（元）").fill("12.345")
    form.get_by_role("button", name="登记措施").click()
    form = page.locator("#measure-form")
    expect(form.locator('[data-error-for="amount"]')).to_be_visible()
    expect(form.get_by_label("措施内容")).to_have_value("落实大病保险和医疗救助")  # nothing typed is lost
    form.get_by_label("金额（元）").fill("1200")
    form.get_by_role("button", name="登记措施").click()

    expect(page.locator("main")).to_contain_text("已登记帮扶措施")
    expect(page.locator("[data-uncovered-risk]")).to_have_count(1)  # 因务工就业不稳 still has none
    expect(page.locator("#measures")).to_contain_text("落实大病保险和医疗救助")
    # Removing 因病, which has a measure, is refused with the reason; the choice stays as typed.
    page.locator("#findings-form-details summary").click()
    findings = page.locator("#findings-form")
    findings.get_by_label("因病", exact=True).uncheck()
    findings.get_by_label("饮水不安全").check()
    findings.get_by_role("button", name="保存修改").click()
    findings = page.locator("#findings-form")
    expect(findings).to_contain_text("已有帮扶措施，不能删除")
    expect(findings.get_by_label("饮水不安全")).to_be_checked()
    findings.get_by_label("因病", exact=True).check()
    findings.get_by_role("button", name="保存修改").click()
    expect(page.locator("main")).to_contain_text("已保存风险和核实情况")
    page.screenshot(path=str(SHOTS / "fupin-e2e-monitoring-record.png"), full_page=True)
    assert MonitoringObject.objects.get(pk=record.pk).water_unsafe
    assert AssistanceMeasure.objects.get().amount == 1200
    # A refused form comes back with status 400 (core/forms.py), which the console reports; nothing else.
    assert not [problem for problem in problems if "status of 400" not in problem], problems
