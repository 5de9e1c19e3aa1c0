"""用户管理 in the browser (fupin/accounts.py): demo_province uploads a sheet of township clerks, confirms
the preview, sees the accounts with their initial passwords once, downloads them, and finds them in the list."""

import tempfile
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from core.models import User
from tests.factories import region

from .test_csp import watch_console
from .test_households import demo_clerk  # noqa: F401 - fixture
from .test_teams_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())


def clerk_sheet(path: Path) -> Path:
    book = Workbook()
    book.active.append(["乡镇代码", "乡镇名称", "用户名", "姓名", "角色"])
    book.active.append(["622926101000", "锁南镇", "suonan_lu", "鲁明", "乡镇录入员"])
    book.active.append(["", "达板镇", "daban_ma", "马芳", ""])
    book.save(path)
    return path


def test_province_uploads_a_sheet_and_sees_the_created_accounts(page: Page, live_server, demo_clerk, tmp_path):  # noqa: F811
    region("622926102000", "达板镇")
    problems = watch_console(page)
    log_in(page, live_server, "demo_province")
    page.get_by_role("link", name="用户管理").click()
    expect(page.locator("#user-table")).to_contain_text("demo_clerk")
    page.get_by_role("link", name="批量创建账号").click()
    page.get_by_label("账号表（.xlsx）").set_input_files(str(clerk_sheet(tmp_path / "账号.xlsx")))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator("#preview-accounts")).to_contain_text("suonan_lu")
    expect(page.locator("#preview-accounts")).to_contain_text("达板镇")
    assert not User.objects.filter(username__in=["suonan_lu", "daban_ma"]).exists()
    page.screenshot(path=str(SHOTS / "fupin-e2e-users-preview.png"), full_page=True)

    page.get_by_role("button", name="确认创建").click()
    created = page.locator("#created-accounts")
    expect(created).to_contain_text("suonan_lu")
    expect(created).to_contain_text("马芳")
    shown = {row[0]: row[4] for row in (line.split("\t") for line in created.locator("tbody tr").all_inner_texts())}
    page.screenshot(path=str(SHOTS / "fupin-e2e-users-created.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载初始密码（Excel）").click()
    saved = tmp_path / "passwords.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved).active.values)[1:]
    assert {row[0]: row[4] for row in rows} == shown
    for username, password in shown.items():
        assert Client().login(request=RequestFactory().get("/"), username=username, password=password)

    page.get_by_role("link", name="返回用户管理").click()
    page.get_by_label("用户名或姓名").fill("daban")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#user-table tbody")).to_contain_text("daban_ma")
    expect(page.locator("#user-table tbody")).to_contain_text("达板镇")
    expect(page.locator("#user-table tbody tr")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "fupin-e2e-users-list.png"), full_page=True)
    assert problems == []
