"""Provincial staff drill 统计分析 from the province to a village: a drawn chart and breadcrumbs at each level."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessment.statistics import recompute_incidence_rates
from fupin.demo import ensure_demo_users
from households.models import Household
from tests.factories import household_with_members, region
from tests.histories import with_history
from villages.models import Village, VillagePopulation

from .test_review import log_in

# The live server's thread reads the figures pages through the `replica` alias (a mirror of default in tests).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]

SCREENSHOT_DIR = Path(tempfile.gettempdir())
LEVELS = ["甘肃省", "临夏回族自治州", "东乡族自治县", "锁南镇", "红柳村"]


@pytest.fixture
def province(transactional_db, settings):
    """One chain province → village with three households (two still poor at the end of 2019, one exited)."""
    for code, name in zip(["620000000000", "622900000000", "622926000000", "622926101000"], LEVELS[:4], strict=True):
        region(code, name)
    village = region("622926101201", "红柳村")
    region("622926101202", "白杨村")
    VillagePopulation.objects.create(village=Village.objects.create(region=village), year=2019, rural_population=400)
    for size, cause, status, exit_year in ((3, "1", "POOR", None), (4, "2", "POOR", None), (2, "1", "EXITED", 2019)):
        household = household_with_members(village, size=size, status=status)
        Household.objects.filter(pk=household.pk).update(main_cause=cause)
        with_history(household, status=status, exit_year=exit_year)
    for year in (2018, 2019):
        recompute_incidence_rates(year)
    ensure_demo_users()
    settings.FUPIN_DEMO = True


def expect_chart(page: Page, selector: str) -> None:
    expect(page.locator(f"{selector} canvas, {selector} svg").first).to_be_visible()


def test_province_drills_down_to_a_village_with_charts_and_breadcrumbs(page: Page, live_server, province):
    log_in(page, live_server, "demo_province")
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_label("年度")).to_have_value("2019")  # the latest year with poor households
    for depth, name in enumerate(LEVELS):
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"统计分析 · {name}")
        breadcrumb = page.locator("#statistics-breadcrumb")
        expect(breadcrumb.get_by_role("link")).to_have_text(LEVELS[:depth])
        expect(breadcrumb.locator("[aria-current=page]")).to_have_text(name)
        expect_chart(page, "#chart-cause")
        expect_chart(page, "#chart-trend")
        expect(page.locator("#breakdown-cause tfoot")).to_contain_text("2")  # 2 poor households all the way down
        page.screenshot(path=str(SCREENSHOT_DIR / f"fupin-e2e-statistics-{depth}.png"), full_page=True)
        if depth + 1 < len(LEVELS):
            expect_chart(page, "#chart-children")
            page.locator("#children").get_by_role("link", name=LEVELS[depth + 1]).click()
    expect(page.locator("#children")).to_have_count(0)  # a village has no children
    causes = page.locator("[data-table=cause] tbody tr")
    expect(causes.filter(has_text="因病")).to_contain_text("3")
    expect(causes.filter(has_text="因残")).to_contain_text("4")

    # Back up through the breadcrumb to the township, then its 区划浏览 page has its charts too.
    page.locator("#statistics-breadcrumb").get_by_role("link", name="锁南镇").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("统计分析 · 锁南镇")
    page.goto(f"{live_server.url}/regions/622926101201/")
    expect_chart(page, "#chart-trend")
    page.goto(f"{live_server.url}/assessment/dashboard/622926101000/?year=2019")
    expect(page.locator("#dashboard-breadcrumb").get_by_role("link")).to_have_text(LEVELS[:3])
    expect_chart(page, "#chart-counties")
    expect_chart(page, "#chart-trend")
