"""驻村工作队 in the browser (docs/domain.md §9.4): the county sees the 疑点, sends a team to the poor
village, adds its 第一书记 and replaces him; the page shows the history with masked phones, under CSP."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistance.models import TeamMember
from fupin.demo.province import DEMO_PASSWORD
from villages.models import Village

from .test_csp import watch_console
from .test_households import VILLAGE, demo_clerk  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_county_sends_a_team_and_replaces_its_first_secretary(page: Page, live_server, demo_clerk):  # noqa: F811
    Village.objects.create(region=demo_clerk["village"], is_poor_village=True)
    problems = watch_console(page)
    log_in(page, live_server, "demo_county")
    page.get_by_role("link", name="驻村工作队").click()
    expect(page.locator("#team-gaps")).to_contain_text("1个无在岗工作队")
    page.get_by_role("link", name="查看名单").click()
    expect(page.locator("#missing-teams")).to_contain_text("红柳村")
    page.screenshot(path=str(SHOTS / "fupin-e2e-teams-missing.png"), full_page=True)
    page.get_by_role("link", name="派驻工作队").click()
    page.get_by_label("派驻日期").fill("2024-03-01")
    page.get_by_role("button", name="派驻").click()
    expect(page.locator("#team-gap")).to_be_visible()  # a team without members is not in post

    page.get_by_role("link", name="增加队员").click()
    page.get_by_label("姓名").fill("马书记")
    page.get_by_label("工作单位").fill("省财政厅")
    page.get_by_label("职务").select_option(label="第一书记")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("到岗日期").fill("2024-03-01")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#members-in-post")).to_contain_text("139****5678")
    expect(page.locator("#team-gap")).to_have_count(0)

    page.get_by_role("link", name="更换").click()
    page.get_by_label("姓名").fill("李新")
    page.get_by_label("工作单位").fill("省财政厅")
    page.get_by_label("到岗日期").fill("2023-01-01")
    page.get_by_label("更换原因").fill("调回原单位")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#form-errors")).to_contain_text("到岗日期")  # before the team: refused, by field
    page.get_by_label("到岗日期").fill("2025-06-01")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#members-past")).to_contain_text("调回原单位")
    expect(page.locator("#members-past")).to_contain_text("李新（2025-06-01到岗）")
    expect(page.locator("#members-in-post")).to_contain_text("李新")
    assert "13912345678" not in page.content()
    page.screenshot(path=str(SHOTS / "fupin-e2e-team-detail.png"), full_page=True)
    old = TeamMember.objects.get(name="马书记")
    assert str(old.end_date) == "2025-05-31" and old.successor.name == "李新"
    # The refused form answered 400, as it should; nothing else may be on the console.
    assert [problem for problem in problems if "status of 400" not in problem] == []
