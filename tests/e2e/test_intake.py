"""The ways in, in the browser under CSP (docs/domain.md §12.11): a farmer's self-report on the public
page reaches demo_clerk's queue with the phone masked until the audited reveal; demo_county uploads
a department list and reads the match."""

import re
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from households.codes import HouseholdStatus
from monitoring.models import MonitoringLead
from tests.factories import household_with_members
from villages.models import Region

from .test_csp import watch_console
from .test_import import demo_clerk, log_in  # noqa: F401 - fixtures (Celery eager)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
VILLAGE = "622926101201"


def test_a_self_report_reaches_the_clerk_and_a_department_list_is_matched(page: Page, live_server, demo_clerk):  # noqa: F811
    problems = watch_console(page)
    page.goto(f"{live_server.url}/report/")
    for name in ("甘肃省", "临夏回族自治州", "东乡族自治县"):
        page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="锁南镇").click()
    page.get_by_role("link", name="红柳村").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("农户自主申报")
    page.get_by_label("姓名").fill("马小红")
    page.get_by_label("联系电话").fill("1391234567")  # one digit short
    page.get_by_label("困难类型（可不选）").select_option(label="因病")
    page.get_by_label("遇到的困难").fill("父亲脑梗住院，医药费自付三万多元，家里没有了收入。")
    question = page.locator("#challenge-question").inner_text()
    left, right = re.search(r"(\d+) 加 (\d+)", question).groups()
    page.locator("#id_challenge_answer").fill(str(int(left) + int(right)))
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator('[data-error-for="phone"]')).to_contain_text("11位手机号码")
    page.screenshot(path=str(SHOTS / "fupin-e2e-self-report-error.png"), full_page=True)
    page.get_by_label("联系电话").fill("13912345678")
    left, right = re.search(r"(\d+) 加 (\d+)", page.locator("#challenge-question").inner_text()).groups()
    page.locator("#id_challenge_answer").fill(str(int(left) + int(right)))
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator("#report-done")).to_contain_text("申报已提交")
    reference = page.locator("#report-reference").inner_text()
    page.screenshot(path=str(SHOTS / "fupin-e2e-self-report-done.png"), full_page=True)

    log_in(page, live_server, "demo_clerk")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监测线索").click()
    expect(page.locator("#lead-table")).to_contain_text("马小红")
    page.locator("#lead-table a").first.click()
    expect(page.locator("#lead-reference")).to_have_text(reference)
    expect(page.locator("[data-masked-phone]")).to_have_text("139****5678")
    page.get_by_role("button", name="查看完整电话").click()
    expect(page.locator("[data-full-phone]")).to_have_text("13912345678")
    page.screenshot(path=str(SHOTS / "fupin-e2e-lead.png"), full_page=True)
    page.locator("#household-query").fill("张")
    page.get_by_role("button", name="在本村查找农户").click()
    expect(page.locator("#lead-no-candidates")).to_be_visible()

    # demo_county: a department list with one registered member and one unknown number.
    household = household_with_members(Region.objects.get(code=VILLAGE), size=2, status=HouseholdStatus.EXITED)
    path = SHOTS / "fupin-e2e-department-list.xlsx"
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号", "说明"])
    workbook.active.append(["某某", household.members.first().id_number, "大额医疗自付"])
    workbook.active.append(["某某", "622926195001011234", ""])
    workbook.save(path)
    page.context.clear_cookies()
    log_in(page, live_server, "demo_county")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="部门筛查预警").click()
    page.get_by_label("预警部门").select_option(label="医保部门")
    page.get_by_label("风险类型").select_option(label="因病")
    page.locator("#id_file").set_input_files(path)
    page.get_by_role("button", name="上传并比对").click()
    expect(page.locator("[data-list-status]")).to_have_text("已比对")
    expect(page.locator("[data-alert-count]")).to_have_text("1")
    expect(page.locator("#unmatched-rows")).to_contain_text("身份证号无效")
    page.screenshot(path=str(SHOTS / "fupin-e2e-department-list.png"), full_page=True)
    path.unlink()
    assert MonitoringLead.objects.count() == 2
    # The refused form answers 400 (the browser logs it); nothing else may be logged (CSP, scripts).
    assert [problem for problem in problems if "status of 400" not in problem] == [], problems
