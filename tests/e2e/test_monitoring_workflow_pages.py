"""监测识别 and 风险消除 in the browser (docs/domain.md §12.12): the clerk's visit form, the application page
with the record, the line and the checks, the county's decision, and the 风险消除 form; under the CSP."""

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment import services
from assessment.models import Application
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household
from monitoring.defaults import ensure_default_lines
from monitoring.models import MonitoringObject
from tests.factories import household_with_members, region
from villages.models import County

from .test_csp import watch_console

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def exited(transactional_db, settings):
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    County.objects.create(region=region("622926000000", "东乡族自治县"), is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    ensure_default_lines()
    settings.FUPIN_DEMO = True
    household = household_with_members(village, size=4, status="EXITED")
    Household.objects.filter(pk=household.pk).update(head_name="马志强")
    return household


def log_in(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def elapse_publicity(application_id: int) -> None:
    """The 村内公示 as if its 5 days had passed (the browser acts today)."""
    application = Application.objects.get(pk=application_id)
    step = application.steps.get(round=application.round, index=application.current_step)
    shift = (step.ends_on - step.starts_on) + timedelta(days=1)
    step.starts_on -= shift
    step.ends_on -= shift
    step.save()
    Application.objects.filter(pk=application_id).update(awaiting_since=step.ends_on + timedelta(days=1))


def test_identification_and_elimination_in_the_browser(page: Page, live_server, exited):
    users = {user.username: user for user in ensure_demo_users()}
    problems = watch_console(page)
    log_in(page, live_server, "demo_clerk")
    page.goto(f"{live_server.url}/households/{exited.pk}/")
    page.locator("#start-monitoring").click()
    form = page.locator("#monitoring-identify-form")
    form.get_by_label("监测对象类别").select_option("1")
    form.get_by_label("因病").check()
    form.get_by_label("近12个月家庭纯收入（元）").fill("26000")
    form.get_by_label("合规自付支出（元）").fill("6000")
    form.get_by_label("饮水不安全").check()
    form.get_by_label("承诺授权书签署日期").fill("")
    form.get_by_role("button", name="发起监测识别").click()  # no consent date: refused, next to its field
    expect(page.locator("#form-errors")).to_contain_text("承诺授权书")
    page.screenshot(path=str(SHOTS / "fupin-e2e-monitoring-identify.png"), full_page=True)
    page.locator("#monitoring-identify-form").get_by_label("承诺授权书签署日期").fill(timezone.localdate().isoformat())
    page.locator("#monitoring-identify-form").get_by_role("button", name="发起监测识别").click()

    expect(page.locator("[data-application-status]")).to_have_text("审核中")
    expect(page.locator("#monitoring-record")).to_contain_text("识别中")
    expect(page.locator("#monitoring-line")).to_contain_text("未核实")
    expect(page.locator(".check-items")).to_contain_text("5,000.00元/人")
    application = Application.objects.get(kind="MONITORING_IDENTIFICATION")
    page.screenshot(path=str(SHOTS / "fupin-e2e-monitoring-application.png"), full_page=True)

    # The township's second clerk records the comparison and the evaluation; the 公示 runs.
    log_in(page, live_server, "demo_clerk2")
    for finding in ("与公安、不动产、车辆、财政供养数据比对无异常", "村民代表会议评议通过"):
        page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
        page.locator("#id_comment").fill(finding)
        page.get_by_role("button", name="同意", exact=True).click()
    expect(page.locator("#timeline")).to_contain_text("村内公示")
    elapse_publicity(application.pk)
    page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
    page.get_by_role("button", name="同意", exact=True).click()

    log_in(page, live_server, "demo_county")
    page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
    page.locator("#id_confirm").check()
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.locator("[data-application-status]")).to_have_text("已批准")
    expect(page.locator("#monitoring-record")).to_contain_text("监测中")

    # 风险消除 of the monitored record, from the record page. The risk was found eight months ago, so that
    # the 7 months above the range fit in the record's age (assessment/elimination.py).
    MonitoringObject.objects.filter(pk=application.monitoring_object_id).update(
        discovered_on=timezone.localdate() - timedelta(days=245)
    )
    log_in(page, live_server, "demo_clerk")
    page.goto(f"{live_server.url}/monitoring/{application.monitoring_object_id}/")
    page.locator("#request-elimination").click()
    form = page.locator("#risk-eliminate-form")
    form.get_by_label("近12个月家庭纯收入（元）").fill("48000")
    form.get_by_label("收入已连续高于监测范围的月数").fill("7")
    for label in ("医疗、教育等刚性支出已稳定解决", "住房安全有保障", "义务教育有保障（无失学辍学）"):
        form.get_by_label(label).select_option("1")
    form.get_by_label("基本医疗有保障（成员均参加基本医疗保险）").select_option("1")
    form.get_by_label("饮水安全有保障").select_option("1")
    form.get_by_label("出现新的返贫致贫风险").select_option("0")
    form.get_by_label("风险消除方式").select_option("1")
    page.screenshot(path=str(SHOTS / "fupin-e2e-risk-eliminate.png"), full_page=True)
    form.get_by_role("button", name="提交风险消除申请").click()
    expect(page.locator("[data-application-status]")).to_have_text("审核中")
    expect(page.locator(".check-items")).to_contain_text("12,000.00元/人")
    page.screenshot(path=str(SHOTS / "fupin-e2e-risk-elimination-application.png"), full_page=True)
    assert users["demo_clerk"].pk == Application.objects.get(kind="RISK_ELIMINATION").submitted_by_id
    assert services.needs_confirmation(application, "reject")
    # The refused post answers 400, which the console reports; nothing else may appear (CSP, script errors).
    assert not [problem for problem in problems if "status of 400" not in problem], problems
