"""监测统计 in the browser (docs/domain.md §12.13): the county's figures, a township's row links down, under the CSP."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.codes import Role
from tests.factories import TEST_PASSWORD, UserFactory
from tests.monitoring.test_dashboard import COUNTY, TOWNSHIP, world  # noqa: F401 (the fixture)
from villages.models import Region

from .test_csp import watch_console

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())


def test_county_dashboard_links_down_to_a_township(page: Page, live_server, world):  # noqa: F811
    user = UserFactory(role=Role.COUNTY_REVIEWER, region=Region.objects.get(code=COUNTY))
    problems = watch_console(page)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(user.username)
    page.get_by_label("密码", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("link", name="监测统计", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("防返贫监测统计 · 东乡族自治县")
    expect(page.locator("[data-figure=open]")).to_have_text("4")
    expect(page.locator("[data-figure=overdue]")).to_have_text("2")  # r1 and r2, found in June
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=SHOTS / "monitoring-dashboard-county.png", full_page=True)
    page.get_by_role("link", name="锁南镇", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/monitoring/dashboard/?region={TOWNSHIP}")
    expect(page.get_by_role("heading", level=1)).to_have_text("防返贫监测统计 · 锁南镇")
    expect(page.get_by_role("link", name="红柳村", exact=True)).to_be_visible()
    page.screenshot(path=SHOTS / "monitoring-dashboard-township.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出统计表（Excel）").click()
    assert download.value.suggested_filename.startswith(f"防返贫监测统计-{TOWNSHIP}")
    assert not problems, problems
