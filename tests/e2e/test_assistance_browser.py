"""帮扶力量 in the browser (docs/domain.md §9.1, §9.6): demo_clerk pairs a helper with 20 households of
红柳村 in one action from the village's pairing page (全选), records a visit with a scanned photo for
one of them, and the household page shows it; under CSP, in Debian's Chromium."""

import tempfile
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assistance.models import Visit
from core.codes import ParameterKey
from core.models import PolicyParameter
from households.codes import HelperLevel
from households.models import Helper, HelperAssignment
from tests.factories import household_with_members, region

from .test_csp import watch_console
from .test_households import VILLAGE, clerk_page, demo_clerk  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
HOUSEHOLDS = 20


@pytest.fixture
def village_of_twenty(demo_clerk):  # noqa: F811
    """20 未脱贫 households of 红柳村 without a helper, a township cadre, and the county's limit of 25 per cadre."""
    households = [household_with_members(demo_clerk["village"], size=2) for _ in range(HOUSEHOLDS)]
    township = region("622926101000")
    helper = Helper.objects.create(name="马建国", unit="锁南镇人民政府", level=HelperLevel.TOWNSHIP, region=township)
    PolicyParameter.objects.update_or_create(
        key=ParameterKey.HELPER_LIMIT_TOWNSHIP,
        year=None,
        region=region("622926000000"),
        defaults={"value": 25, "source": "县定：乡镇干部结对不超过25户"},
    )
    return {"households": households, "helper": helper}


def test_a_clerk_pairs_twenty_households_at_once_and_records_a_visit(
    clerk_page: Page,  # noqa: F811
    live_server,
    village_of_twenty,
):
    page = clerk_page
    problems = watch_console(page)
    helper = village_of_twenty["helper"]
    households = village_of_twenty["households"]

    # 批量结对 from the village's list: 全选, the helper, one click.
    page.goto(f"{live_server.url}/assistance/pairing/village/{VILLAGE}/")
    rows = page.locator("#pairing-households tbody input[name='households']")
    expect(rows).to_have_count(HOUSEHOLDS)
    page.locator("#select-all").check()
    expect(page.locator("[data-selected-count]")).to_have_text(str(HOUSEHOLDS))
    options = page.locator("#pairing-form select[name='helper'] option")
    label = next(text for text in options.all_inner_texts() if "马建国" in text)
    page.locator("#pairing-form select[name='helper']").select_option(label=label)
    page.screenshot(path=str(SHOTS / "fupin-e2e-pairing-village.png"), full_page=True)
    page.locator("#pair-submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert HelperAssignment.objects.filter(helper=helper, end_date__isnull=True).count() == HOUSEHOLDS
    expect(page.locator("#pairing-households")).not_to_contain_text("未结对")

    # 记录走访 from the household page, with a photo.
    household = households[0]
    page.goto(f"{live_server.url}/households/{household.pk}/")
    expect(page.locator("#visit-card")).to_contain_text("尚无走访记录")
    page.locator("#record-visit").click()
    form = page.locator("#visit-form")
    today = timezone.localdate()
    expect(form.get_by_label("走访日期")).to_have_value(today.isoformat())
    form.get_by_label("走访的帮扶责任人").select_option(label=str(helper))
    form.get_by_label("了解情况").fill("户主在县城务工，家中老人身体尚可，饮水住房安全。")
    form.get_by_label("帮扶举措").fill("宣讲务工就业补贴政策")
    form.get_by_label("附件（照片或签字材料扫描件，可不传）").set_input_files(
        {"name": "走访照片.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.screenshot(path=str(SHOTS / "fupin-e2e-visit-form.png"), full_page=True)
    form.get_by_role("button", name="保存走访记录").click()

    expect(page).to_have_url(f"{live_server.url}/households/{household.pk}/")
    card = page.locator("#visit-card")
    expect(card.locator("[data-last-visited-on]")).to_have_text(today.isoformat())
    expect(card).to_contain_text("帮扶责任人 马建国")
    expect(card).to_contain_text("户主在县城务工")
    page.screenshot(path=str(SHOTS / "fupin-e2e-household-visit.png"), full_page=True)
    visit = Visit.objects.get(household=household)
    assert visit.helper == helper and visit.attachment_type == "image/png"

    # The visit's page links its photo, served only to the scope, never cached.
    card.locator("[data-last-visited-on]").click()
    link = page.locator("#visit-attachment")
    expect(link).to_have_text("走访照片.png")
    response = page.request.get(f"{live_server.url}{link.get_attribute('href')}")
    assert response.ok and response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store" and response.body() == PNG

    # The log lists it; the 19 other households, paired but never visited, are 未按期走访.
    page.goto(f"{live_server.url}/assistance/visits/")
    expect(page.locator("#visit-total")).to_have_text("共 1 条")
    expect(page.locator("#visit-table")).to_contain_text("马建国")
    page.screenshot(path=str(SHOTS / "fupin-e2e-visit-log.png"), full_page=True)
    page.goto(f"{live_server.url}/assistance/visits/not-visited/")
    expect(page.locator("#overdue-total")).to_have_text(f"共 {HOUSEHOLDS - 1} 户")
    expect(page.locator(f"#overdue-table tr[data-household='{household.pk}']")).to_have_count(0)
    expect(page.locator("#overdue-table tbody")).to_contain_text("从未走访")
    page.screenshot(path=str(SHOTS / "fupin-e2e-not-visited.png"), full_page=True)
    assert not problems, problems
