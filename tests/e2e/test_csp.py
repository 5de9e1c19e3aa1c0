"""The pages keep working under the Content-Security-Policy: no violation in Chromium's console.

A small demo province (seed_demo) gives every main page something to show. Each role walks its
navigation, the first detail page of each list, the API docs, a 404, and the page behaviours
that moved from inline handlers to static/js/fupin.js (add and remove a member row, the year
picker). Screenshots land in the temporary directory, one per page.
"""

import re
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from core.models import ExportJob, User
from fupin.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir()) / "fupin-e2e-csp"
DETAIL_LINKS = [
    r"^/households/\d+/$",
    r"^/assessment/applications/\d+/$",
    r"^/projects/\d+/$",
    r"^/funds/\d{12}/$",
]


@pytest.fixture
def demo_province(transactional_db, settings):
    settings.FUPIN_DEMO = True  # the live server thread reads the same settings object
    call_command("seed_demo", households=300, verbosity=0)


def watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or (message.type == "error" and "404" not in message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return problems


def visit(page: Page, url: str, shot: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{shot}.png")


@pytest.mark.parametrize("username", ["demo_clerk", "demo_county", "demo_province"])
def test_main_pages_report_no_csp_violation(page: Page, live_server, demo_province, username):
    problems = watch_console(page)
    base = live_server.url
    visit(page, f"{base}/login/", f"{username}-login")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base}/")

    nav = [link.get_attribute("href") for link in page.locator("nav a.nav-link").all()]
    assert "/households/" in nav and "/api/docs/" in nav
    seen = set()
    for href in nav:
        visit(page, base + href, f"{username}-{href.strip('/').replace('/', '_') or 'home'}")
        links = [link.get_attribute("href") or "" for link in page.locator("main a").all()]
        for pattern in DETAIL_LINKS:
            detail = next((link for link in links if re.match(pattern, link)), None)
            if detail and detail not in seen:
                seen.add(detail)
                visit(page, base + detail, f"{username}-{detail.strip('/').replace('/', '_')}")
    assert any(re.match(DETAIL_LINKS[0], link) for link in seen)

    if "/households/new/" in nav:
        visit(page, f"{base}/households/new/", f"{username}-new-household")
        page.locator("#add-member").click()
        expect(page.locator("#member-rows tr")).to_have_count(2)
        expect(page.locator("#id_members-TOTAL_FORMS")).to_have_value("2")
        page.locator("#member-rows [data-remove-row]").last.click()
        expect(page.locator("#member-rows tr.d-none")).to_have_count(1)

    if "/exports/" in nav:
        # A job half done (made here, never queued): its bar is drawn 50 % wide by fupin.js, also after htmx polls.
        user = User.objects.get(username=username)
        ExportJob.objects.create(user=user, report="households", params={"region": user.region_id}, total_rows=10)
        ExportJob.objects.filter(user=user).update(status=ExportJob.Status.RUNNING, rows_written=5)
        visit(page, f"{base}/exports/", f"{username}-exports-running")
        bar = page.locator("#export-jobs .progress-bar")
        expect(bar).to_have_attribute("style", re.compile(r"width: 50%"))
        page.wait_for_timeout(2500)  # one htmx poll replaces the table
        expect(bar).to_have_attribute("style", re.compile(r"width: 50%"))

    visit(page, f"{base}/assessment/dashboard/", f"{username}-dashboard")
    years = page.locator("select#year option")
    first_year = years.first.get_attribute("value")
    with page.expect_navigation():
        page.select_option("select#year", first_year)
    assert f"year={first_year}" in page.url
    expect(page.locator("#chart-trend canvas")).to_have_count(1)

    visit(page, f"{base}/api/docs/", f"{username}-api-docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    visit(page, f"{base}/no-such-page/", f"{username}-404")
    expect(page.locator("main h1")).to_have_text("页面不存在（404）")

    assert problems == []
