"""The print pages in Chromium (issue 17): the 扶贫手册, the village 公示 list and the 审批表 rendered to
A4 PDFs in print media, with their titles, without the navigation, on the expected number of pages."""

import io
import tempfile
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from assessment import services
from assistance.models import Visit
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import AidMeasure, Helper, HelperAssignment, Household, IncomeRecord
from tests.factories import household_with_members, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF_DIR = Path(tempfile.gettempdir())
GUARANTEES = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}
# Text of the page's header, navigation and buttons, which must not be on paper (退出, the header's
# logout, is checked on the handbook only: the other sheets announce exits).
NAVIGATION = ("扶贫开发建档立卡系统", "所属单位", "建档立卡户", "审核待办", "防返贫监测", "接口文档", "返回")
ROSTER = 45  # households in the 公示: more than one A4 page holds


@pytest.fixture
def printable(transactional_db, settings):
    """红柳村 with a household's full record, and 45 household exits in their 村内公示."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    township = region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    users = {user.username: user for user in ensure_demo_users()}
    settings.FUPIN_DEMO = True
    applications = []
    for number in range(ROSTER):
        household = household_with_members(village, size=3)
        Household.objects.filter(pk=household.pk).update(head_name=f"马{number:02d}", group_name="一组")
        IncomeRecord.objects.create(household=household, year=2020, household_size=3, wage_income=Decimal("15000"))
        applications.append(
            services.draft_and_submit(
                user=users["demo_clerk"],
                kind="HOUSEHOLD_EXIT",
                year=2020,
                household_id=household.pk,
                figures={**GUARANTEES, "consent": True},
                reason="民主评议通过",
            )
        )
    household = applications[0].household
    helper = Helper.objects.create(name="李帮扶", unit="县农业农村局", level="3", region=township)
    HelperAssignment.objects.create(helper=helper, household=household, start_date=date(2019, 3, 1))
    AidMeasure.objects.create(household=household, category="01", year=2020, description="养牛两头", amount="8000")
    Visit.objects.create(household=household, helper=helper, visited_on=date(2020, 5, 6), findings="入户了解养殖情况")
    return {"household": household, "application": applications[0]}


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


# Noto CJK's glyphs of 户, 民, 马 … are shared with the radicals' code points, and Chromium's PDF maps
# them back to the radicals (⼾, ⺠, ⻢): read back as the characters that were printed. NFKC does the
# Kangxi radicals, except ⼾ (it gives the traditional 戶) and the supplement's, which have no mapping.
RADICALS = str.maketrans(
    {"⼾": "户", "⺠": "民", "⻅": "见", "⻓": "长", "⻢": "马", "⻔": "门", "⻋": "车", "⻛": "风"}
)


def readable(text: str) -> str:
    return unicodedata.normalize("NFKC", text.translate(RADICALS))


def printed(page: Page, name: str) -> list[str]:
    """The page as Chromium prints it on A4 (kept as a file to look at), one text per sheet."""
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    page.emulate_media(media="screen")
    (PDF_DIR / f"fupin-e2e-{name}.pdf").write_bytes(pdf)
    return [readable(sheet.extract_text()) for sheet in PdfReader(io.BytesIO(pdf)).pages]


def assert_no_navigation(texts: list[str]) -> None:
    for text in texts:
        for word in NAVIGATION:
            assert word not in text, word


def test_the_household_handbook_prints_on_a4_without_the_navigation(page: Page, live_server, printable):
    household = printable["household"]
    log_in(page, live_server, "demo_clerk")
    page.goto(f"{live_server.url}/households/{household.pk}/")
    page.get_by_role("link", name="打印扶贫手册").click()
    expect(page.get_by_role("heading", name="扶贫手册")).to_be_visible()
    # The 打印 button opens the print dialog (static/js/fupin.js); the dialog is stood in for here.
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.get_by_role("button", name="打印").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
    texts = printed(page, "handbook")
    assert 1 <= len(texts) <= 3
    whole = "".join(texts)
    for title in ("扶贫手册", "家庭基本情况", "家庭成员", "收入情况", "帮扶措施", "帮扶责任人", "帮扶日志"):
        assert title in whole, title
    assert household.head_name in whole and "李帮扶" in whole and "养牛两头" in whole
    assert_no_navigation(texts)
    assert "退出" not in whole


def test_the_village_publicity_list_prints_over_two_pages_with_its_header_repeated(page: Page, live_server, printable):
    log_in(page, live_server, "demo_county")
    page.goto(f"{live_server.url}/regions/622926101201/")
    page.get_by_role("link", name="打印公示名单").click()
    expect(page.get_by_role("heading", name="红柳村2020年贫困户退出公示")).to_be_visible()
    texts = printed(page, "publicity")
    assert len(texts) == 2
    assert "红柳村2020年贫困户退出公示" in texts[0] and "公示期" in texts[0]
    for text in texts:
        assert "户主姓名" in text  # the table's header on every sheet
    assert "马00" in texts[0] and "马44" in texts[1]
    assert "12317" in texts[1] and "盖章" in texts[1]
    assert_no_navigation(texts)


def test_the_approval_sheet_prints_on_one_page(page: Page, live_server, printable):
    application = printable["application"]
    log_in(page, live_server, "demo_clerk")
    page.goto(f"{live_server.url}/assessment/applications/{application.pk}/")
    page.get_by_role("link", name="打印审批表").click()
    expect(page.get_by_role("heading", name="户退出申请审批表")).to_be_visible()
    texts = printed(page, "application")
    assert len(texts) == 1
    assert "户退出申请审批表" in texts[0] and "民主评议及农户认可" in texts[0] and "村内公示" in texts[0]
    assert_no_navigation(texts)
