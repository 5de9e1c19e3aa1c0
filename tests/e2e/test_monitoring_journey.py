"""The whole 防返贫监测 journey in the browser (issue 14, docs/domain.md §12.11–§12.13): a farmer's
self-report on the public page reaches demo_clerk's queue; demo_clerk finds the household and
starts 监测识别 from the lead; demo_clerk2 records 信息比对 and 民主评议; after the 村内公示
demo_clerk2 does 乡镇审核 and demo_county approves; the dashboard counts the new monitoring object."""

import re
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from assessment.models import Application
from core.policy import policy_value
from fupin.demo import ensure_demo_users
from households.codes import HouseholdStatus, Relation
from households.services import register_household
from monitoring.codes import LeadStatus, MonitoringStatus
from monitoring.defaults import DEMO_PROVINCE, UNVERIFIED, ensure_default_lines
from monitoring.models import MonitoringLead, MonitoringLine, MonitoringObject
from tests.factories import make_id_number, region
from villages.models import County

from .test_csp import watch_console
from .test_monitoring_workflow_pages import elapse_publicity, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
VILLAGE = "622926101201"
HEAD = "马福贵"


@pytest.fixture
def ordinary_household(transactional_db, settings):
    """红柳村 of demo_clerk's township, the demo users, the province's monitoring lines, and a
    一般农户 of three registered by demo_clerk (never poor: a 边缘易致贫户 if identified)."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    County.objects.create(region=region("622926000000", "东乡族自治县"), is_poverty_county=True, is_west=True)
    region("622926101000", "锁南镇")
    region(VILLAGE, "红柳村")
    settings.FUPIN_DEMO = True  # the live server thread reads the same settings object
    users = {user.username: user for user in ensure_demo_users()}
    # Migration monitoring 0002 seeds 甘肃's lines, but a transactional test's flush removes them.
    ensure_default_lines()
    year = timezone.localdate().year
    # After 2026 no line is seeded: carry the last one forward, unverified, as the defaults do.
    MonitoringLine.objects.get_or_create(
        province_id=DEMO_PROVINCE,
        year=year,
        defaults={"amount": Decimal("7100"), "source": UNVERIFIED, "is_verified": False},
    )
    members = [
        (HEAD, Relation.HEAD, True),
        ("马秀兰", Relation.SPOUSE, False),
        ("马小红", Relation.DAUGHTER, False),
    ]
    return register_household(
        user=users["demo_clerk"],
        village_code=VILLAGE,
        data={"group_name": "一组"},
        members=[
            {"name": name, "relation": relation, "id_number": make_id_number(male=male), "health": ["01"]}
            for name, relation, male in members
        ],
        ordinary=True,
    )


def answer_challenge(page: Page) -> None:
    """The challenge is a sum of two digits, read from the page as the farmer reads it."""
    left, right = re.search(r"(\d+) 加 (\d+)", page.locator("#challenge-question").inner_text()).groups()
    page.locator("#id_challenge_answer").fill(str(int(left) + int(right)))


def self_report(browser: Browser, live_server) -> str:
    """The daughter reports on 红柳村's public page, in a fresh context (no login); the 受理编号."""
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{live_server.url}/report/{VILLAGE}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("红柳村 · 防返贫监测农户自主申报")
    page.get_by_label("姓名").fill("马小红")
    page.get_by_label("联系电话").fill("13893012345")
    page.get_by_label("困难类型（可不选）").select_option(label="因病")
    page.get_by_label("遇到的困难").fill("父亲马福贵脑梗住院，医药费自付三千多元，家里今年没有了务工收入。")
    answer_challenge(page)
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-1-report.png"), full_page=True)
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator("#report-done")).to_contain_text("申报已提交")
    reference = page.locator("#report-reference").inner_text()
    assert re.fullmatch(r"SB\d{6}-[0-9A-Z]{5}-[0-9A-Z]{5}", reference), reference
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-2-report-done.png"), full_page=True)
    context.close()
    assert not problems, problems
    return reference


def approve(page: Page, live_server, application: Application, comment: str) -> None:
    """同意 the waiting township step with its finding, and wait for the page after the redirect."""
    page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
    page.locator("#id_comment").fill(comment)
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.locator(".alert-success")).to_have_text("已同意。")


def test_a_self_report_becomes_a_monitoring_object_counted_on_the_dashboard(
    browser: Browser, page: Page, live_server, ordinary_household
):
    reference = self_report(browser, live_server)
    lead = MonitoringLead.objects.get()
    year = timezone.localdate().year
    problems = watch_console(page)

    # demo_clerk: the lead waits in the township's queue; the household is found in the village.
    log_in(page, live_server, "demo_clerk")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监测线索").click()
    expect(page.locator("#leads-new-count")).to_have_text("待核实 1")
    row = page.locator("#lead-table tbody tr").first
    expect(row).to_contain_text("马小红")
    expect(row).to_contain_text("待核实")
    row.get_by_role("link").click()
    expect(page.locator("#lead-reference")).to_have_text(reference)
    expect(page.locator("[data-masked-phone]")).to_have_text("138****2345")
    page.locator("#household-query").fill(HEAD)
    page.get_by_role("button", name="在本村查找农户").click()
    candidate = page.locator("#lead-candidates tbody tr")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(ordinary_household.household_no)
    expect(candidate).to_contain_text("一般农户")
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-3-lead.png"), full_page=True)
    candidate.get_by_role("link", name="发起识别").click()

    # The identification form, prefilled from the lead: its risk, its day, what the farmer wrote.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{HEAD}户")
    expect(page.locator("main")).to_contain_text(f"由线索 #{lead.pk}（农户自主申报")
    form = page.locator("#monitoring-identify-form")
    expect(form.get_by_label("因病", exact=True)).to_be_checked()
    expect(form.get_by_label("发现日期")).to_have_value(timezone.localdate().isoformat())
    expect(form.get_by_label("情况说明")).to_have_value(lead.description)
    form.get_by_label("监测对象类别").select_option(label="边缘易致贫户")
    form.get_by_label("因务工就业不稳").check()
    # (18,000 − 3,000) ÷ 3 = 5,000 元 per person: within the province's range of the year.
    form.get_by_label("近12个月家庭纯收入（元）").fill("18000")
    form.get_by_label("合规自付支出（元）").fill("3000")
    form.get_by_label("承诺授权书签署日期").fill(timezone.localdate().isoformat())
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-4-identify.png"), full_page=True)
    form.get_by_role("button", name="发起监测识别").click()

    expect(page.locator(".alert-success")).to_contain_text("标准核查通过")
    expect(page.locator("[data-application-status]")).to_have_text("审核中")
    expect(page.locator("#monitoring-record")).to_contain_text("边缘易致贫户 · 识别中")
    expect(page.locator("#monitoring-record")).to_contain_text("农户自主申报")
    application = Application.objects.get(kind="MONITORING_IDENTIFICATION")
    assert application.monitoring_object.discovery_way == "1"  # the lead's way, not 干部排查
    # The engine: the submitter never reviews their own application.
    expect(page.get_by_role("button", name="同意", exact=True)).to_have_count(0)

    # demo_clerk2, the township's second clerk: 信息比对 and 民主评议, each with its finding.
    log_in(page, live_server, "demo_clerk2")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审核待办").click()
    expect(page.locator(f"#queue tr[data-application='{application.pk}']")).to_contain_text("信息比对")
    page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
    page.get_by_role("button", name="同意", exact=True).click()  # no finding: refused, nothing recorded
    expect(page.locator("#action-errors")).to_contain_text("信息比对结果")
    approve(page, live_server, application, "与公安、不动产、车辆、财政供养人员数据比对无异常")
    approve(page, live_server, application, "村民代表会议评议：同意纳入监测")

    # The 村内公示 runs now: 乡镇审核 is not offered until its days have passed.
    days = int(policy_value("MONITORING_NOTICE_DAYS", year=year, region_code=VILLAGE))
    notice_ends = f"{timezone.localdate() + timedelta(days=days - 1):%Y-%m-%d}"
    expect(page.locator("#timeline")).to_contain_text(f"公示期 {timezone.localdate():%Y-%m-%d} 至 {notice_ends}")
    expect(page.locator("main")).to_contain_text(f"公示期满（{notice_ends}）后方可同意")
    expect(page.locator(".card-header", has_text="办理：")).to_have_text("办理：乡镇审核")
    expect(page.get_by_role("button", name="同意", exact=True)).to_be_disabled()
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-5-publicity.png"), full_page=True)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审核待办").click()
    expect(page.locator("#queue")).to_have_count(0)  # nothing for demo_clerk2 to do while it runs
    expect(page.locator("section", has_text="公示中")).to_contain_text(f"监测识别 #{application.pk}")

    # Time cannot pass in a browser test: the 公示's dates move back as if its days (5,
    # MONITORING_NOTICE_DAYS) had passed without an objection; 乡镇审核 is then due.
    elapse_publicity(application.pk)
    approve(page, live_server, application, "乡镇审核同意，报县审定")

    # demo_county: the application in 审核待办, its checks and the line; 县级审定 → 公告纳入监测.
    log_in(page, live_server, "demo_county")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审核待办").click()
    queued = page.locator(f"#queue tr[data-application='{application.pk}']")
    expect(queued).to_contain_text(f"{HEAD}户")
    expect(queued).to_contain_text("县级审定")
    expect(queued.locator(".badge")).to_have_text("通过")
    queued.get_by_role("link", name=f"监测识别 #{application.pk}").click()
    checks = page.locator("table.check-items")
    expect(checks).to_contain_text(
        f"（近12个月家庭纯收入18,000.00元 − 合规自付支出3,000.00元）÷ 3人 = 5,000.00元/人，"
        f"不高于本省{year}年监测范围7,100.00元/人（未核实，以省里确认的数值为准）。"
    )
    expect(page.locator("#monitoring-line")).to_contain_text("7100")
    expect(page.locator("#monitoring-line .badge")).to_have_text("未核实")
    expect(page.locator("#timeline")).to_contain_text("村民代表会议评议：同意纳入监测")
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-6-county.png"), full_page=True)
    page.get_by_label("审核意见").fill("同意纳入监测")
    page.locator("#id_confirm").check()
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.locator("[data-application-status]")).to_have_text("已批准")
    expect(page.locator("#timeline")).to_contain_text("公告纳入监测")
    expect(page.locator("#monitoring-record")).to_contain_text("边缘易致贫户 · 监测中")

    # The record is 监测中, identified today; the lead shows where it went.
    page.locator("#monitoring-record").get_by_role("link", name="边缘易致贫户 · 监测中").click()
    expect(page.locator("main")).to_contain_text("边缘易致贫户 · 监测中")
    expect(page.locator("main")).to_contain_text("因病、因务工就业不稳")
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-7-record.png"), full_page=True)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监测线索").click()
    row = page.locator("#lead-table tbody tr", has_text=f"{HEAD}户")  # the lead now names its household
    expect(row).to_contain_text("已发起识别")
    row.get_by_role("link").click()
    expect(page.locator("#lead-status")).to_have_text("已发起识别")
    expect(page.get_by_role("link", name="查看识别记录")).to_be_visible()

    # demo_county's 监测统计 counts it.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监测统计", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("防返贫监测统计 · 东乡族自治县")
    expect(page.locator("[data-figure=open]")).to_have_text("1")
    expect(page.locator("[data-figure=new_this_month]")).to_have_text("1")
    expect(page.locator("[data-figure=identified_this_month]")).to_have_text("1")
    expect(page.locator("[data-figure=median_days_to_identify]")).to_have_text(re.compile(r"^0(\.0)? 天$"))
    expect(page.locator("[data-figure=overdue]")).to_have_text("0")
    # The tables: status columns 识别中, 监测中, 已消除风险, 未纳入, then 合计.
    status_rows = page.locator("section", has_text="按状态").locator("tr")
    expect(status_rows.filter(has_text="监测中")).to_contain_text("1")
    category_row = page.locator("section", has_text="按监测对象类别").locator("tbody tr", has_text="边缘易致贫户")
    expect(category_row.locator("td")).to_have_text(["0", "1", "0", "0", "1"])
    risk_rows = page.locator("section", has_text="按风险类型").locator("tbody tr")
    for risk in ("因病", "因务工就业不稳"):
        expect(risk_rows.filter(has=page.get_by_role("rowheader", name=risk, exact=True)).locator("td")).to_have_text(
            ["0", "1", "0", "0", "1"]
        )
    expect(risk_rows.filter(has=page.get_by_role("rowheader", name="因残", exact=True)).locator("td")).to_have_text(
        ["0", "0", "0", "0", "0"]
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / "fupin-e2e-journey-8-dashboard.png"), full_page=True)

    record = MonitoringObject.objects.get()
    assert (record.status, record.category, record.identified_on) == (
        MonitoringStatus.MONITORED,
        "2",
        timezone.localdate(),
    )
    assert MonitoringLead.objects.get().status == LeadStatus.IDENTIFYING
    ordinary_household.refresh_from_db()  # still a 一般农户, now monitored under the record's category
    assert (ordinary_household.status, ordinary_household.monitoring_category) == (HouseholdStatus.ORDINARY, "2")
    # The refused 信息比对 answers 400, which the console reports; nothing else may appear (CSP, scripts).
    assert not [problem for problem in problems if "status of 400" not in problem], problems
