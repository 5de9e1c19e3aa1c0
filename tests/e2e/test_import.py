"""A clerk imports a 采集表 in the browser: one planted error, its report, the corrected file, 确认导入.

Runs against the live server in Debian's Chromium. The validation and the commit are Celery
jobs; here they run eagerly inside the request that queues them (after its commit), so the
page the clerk is sent to already shows the preview.
"""

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from fupin.celery import app as celery_app
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.models import Household, ImportJob, Member
from households.resources import HOUSEHOLD_SHEET, MEMBER_SHEET
from tests.factories import make_id_number, region, write_collection_file

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PREVIEW_SCREENSHOT = Path(tempfile.gettempdir()) / "fupin-e2e-import-preview.png"
VILLAGE = "622926101201"
CHECKSUM_ERROR = "身份证号码校验位错误，请核对后重新输入。"
HEADS = ["马福成", "汪德海", "妥建国"]


@pytest.fixture
def demo_clerk(transactional_db, settings):
    """The demo township clerk of 锁南镇 (village 红柳村), with Celery tasks run in the request."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    region(VILLAGE, "红柳村")
    ensure_demo_users()
    settings.FUPIN_DEMO = True  # the live server thread reads the same settings object
    eager, propagates = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager, propagates


def sheet_rows() -> tuple[list[dict], list[dict]]:
    """Three households of 红柳村 with two members each: 3 household rows, 6 member rows."""
    household_rows, member_rows = [], []
    for index, head in enumerate(HEADS):
        number = f"{VILLAGE}{9001 + index}"
        household_rows.append(
            {
                "户编号": number,
                "所在村代码": VILLAGE,
                "村民小组": "一组",
                "识别标准": "国家标准",
                "贫困户属性": "一般贫困户",
                "主要致贫原因": "缺技术",
                "识别年度": 2016,
            }
        )
        for relation, name, male, birth in (
            ("户主", head, True, date(1970, 1, 1)),
            ("配偶", f"何{index}英", False, date(1972, 2, 2)),
        ):
            member_rows.append(
                {
                    "户编号": number,
                    "姓名": name,
                    "证件号码": make_id_number(birth=birth, male=male),
                    "与户主关系": relation,
                    "民族": "东乡族",
                    "健康状况": "健康",
                }
            )
    return household_rows, member_rows


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def upload(page: Page, path: Path) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="导入采集表").click()
    expect(page.get_by_role("heading", name="导入采集表")).to_be_visible()
    page.locator("#id_file").set_input_files(path)
    page.get_by_role("button", name="上传并校验").click()
    # A clean file waits for 确认导入; a file with errors says so (not 待确认).
    expect(page.locator("[data-import-status]")).to_have_text(re.compile("^(待确认|有错误，未导入)$"))


def test_clerk_fixes_the_reported_row_and_imports_the_file(page: Page, live_server, demo_clerk, tmp_path):
    household_rows, member_rows = sheet_rows()
    good_number = member_rows[3]["证件号码"]  # 汪德海's spouse, on sheet row 5
    member_rows[3]["证件号码"] = good_number[:-1] + ("0" if good_number[-1] != "0" else "1")
    log_in(page, live_server, "demo_clerk")

    upload(page, write_collection_file(tmp_path / "采集表.xlsx", household_rows, member_rows))
    expect(page.locator("#import-counts")).to_contain_text("新增 2 户 4 人")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(page.locator("[data-import-status]")).to_have_text("有错误，未导入")
    expect(errors.locator("td")).to_have_text([MEMBER_SHEET, "5", "何1英", "证件号码", CHECKSUM_ERROR])
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page.screenshot(path=PREVIEW_SCREENSHOT, full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载标注了错误的文件").click()
    report = tmp_path / "report.xlsx"
    download_info.value.save_as(report)
    assert download_info.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(report)
    assert [sheet.title for sheet in workbook.worksheets if sheet.sheet_state == "visible"] == [
        HOUSEHOLD_SHEET,
        MEMBER_SHEET,
    ]
    # The uploaded file itself (every row at its number: nothing was imported), the bad row's 原因 filled.
    headers, *rows = list(workbook[MEMBER_SHEET].iter_rows(values_only=True))
    assert headers[-1] == "原因" and len(rows) == len(member_rows)
    assert [row[-1] is not None for row in rows] == [False, False, False, True, False, False]
    bad = dict(zip(headers, rows[3], strict=True))
    assert bad["姓名"] == "何1英"
    assert bad["原因"] == f"证件号码（何1英）：{CHECKSUM_ERROR}"
    assert bad["证件号码"] == member_rows[3]["证件号码"]  # as uploaded, for the uploader to correct
    assert Household.objects.count() == 0 and Member.objects.count() == 0

    member_rows[3]["证件号码"] = good_number
    upload(page, write_collection_file(tmp_path / "采集表（改）.xlsx", household_rows, member_rows))
    expect(page.locator("#import-counts")).to_contain_text("新增 3 户 6 人")
    expect(page.locator("#import-errors")).to_have_count(0)
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("[data-import-status]")).to_have_text("已导入")
    assert ImportJob.objects.filter(status=ImportJob.Status.DONE).count() == 1

    page.get_by_role("link", name="查看建档立卡户").click()
    expect(page).to_have_url(f"{live_server.url}/households/")
    rows = page.locator("#household-table tbody tr")
    expect(rows).to_have_count(3)
    for index, head in enumerate(HEADS):
        row = rows.filter(has_text=head)
        expect(row).to_contain_text(f"{VILLAGE}{9001 + index}")
        expect(row).to_contain_text("红柳村")
        expect(row.locator("td.text-end")).to_have_text("2")  # 人口
    assert Member.objects.filter(household__village_id=VILLAGE, is_active=True).count() == 6
