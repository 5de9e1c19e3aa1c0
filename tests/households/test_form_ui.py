"""What the clerk sees on the household form: red fields, a summary, plain blanks, no default 户主."""

import html
import os
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from households.forms import HouseholdForm, MemberForm
from households.models import Household
from tests.conftest import login
from tests.factories import make_id_number

from .test_views import form_post


def test_a_bad_field_is_outlined_red_and_listed_in_the_summary(client, clerk, village):
    login(client, clerk)
    members = [{"name": "马成", "id_number": make_id_number(), "relation": "01"}]
    response = client.post(reverse("households:create"), form_post(village.code, members, identified_year="20x6"))
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "识别年度：" in page
    assert "is-invalid" in re.search(r'<input[^>]*name="identified_year"[^>]*>', page).group(0)
    assert "is-invalid" not in re.search(r'<input[^>]*name="members-0-name"[^>]*>', page).group(0)

    # A service error (the ID checksum) lands on its row's field and in the summary, with the row number.
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    members = [
        {"name": "马成", "id_number": good, "relation": "01"},
        {"name": "马二", "id_number": bad, "relation": "03"},
    ]
    page = client.post(reverse("households:create"), form_post(village.code, members)).content.decode()
    assert "第2位成员 · 身份证号码：身份证号码校验位错误" in page
    assert "is-invalid" in re.search(r'<input[^>]*name="members-1-id_number"[^>]*>', page).group(0)
    assert "is-invalid" not in re.search(r'<input[^>]*name="members-0-id_number"[^>]*>', page).group(0)
    assert not Household.objects.exists()


def test_living_condition_selects_read_a_dash_and_checkboxes_are_bootstrap(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    assert "---------" not in page
    fuel = re.search(r'<select[^>]*name="fuel_type".*?</select>', page, re.S).group(0)
    assert '<option value="" selected>—</option>' in fuel
    toilet = re.search(r'<input[^>]*name="has_sanitary_toilet"[^>]*>', page).group(0)
    assert 'class="form-check-input"' in toilet


def test_added_member_rows_and_the_new_member_form_do_not_default_to_head(client, clerk, village):
    login(client, clerk)
    row = client.get(reverse("households:member_row"), {"index": "1"}, HTTP_HX_REQUEST="true").content.decode()
    relation = re.search(r'<select[^>]*name="members-1-relation".*?</select>', row, re.S).group(0)
    assert '<option value="" selected>—</option>' in relation
    first = client.get(reverse("households:create")).content.decode()
    head = re.search(r'<select[^>]*name="members-0-relation".*?</select>', first, re.S).group(0)
    assert '<option value="01" selected>户主</option>' in head
    client.post(
        reverse("households:create"),
        form_post(village.code, [{"name": "马成", "id_number": make_id_number(), "relation": "01"}]),
    )
    household = Household.objects.get()
    detail = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    increase = re.search(r'<select[^>]*name="add-relation".*?</select>', detail, re.S).group(0)
    assert '<option value="" selected>—</option>' in increase
    assert ">户主<" not in increase


def test_a_household_registered_as_candidate_waits_for_identification(client, clerk, village):
    login(client, clerk)
    create_page = client.get(reverse("households:create")).content.decode()
    assert 'name="candidate"' not in create_page  # no box to tick: every new household is 拟识别
    response = client.post(
        reverse("households:create"),
        form_post(village.code, [{"name": "马成", "id_number": make_id_number(), "relation": "01"}]),
        follow=True,
    )
    household = Household.objects.get()
    assert household.status == "CANDIDATE"
    assert not household.adjustments.exists()  # 新识别 is recorded when the county approves
    assert "提交识别申请" in response.content.decode()


# --- The same faults, checked field by field and on the edit page ---------------------------------


def tag(page: str, name: str) -> str:
    """The opening tag of the input or select named `name`."""
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)


def select(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)


def summary(page: str) -> list[str]:
    """The lines of the error summary at the top of the form, in order."""
    box = re.search(r'<div class="alert alert-danger" role="alert" id="error-summary">(.*?)</div>', page, re.S)
    return [html.unescape(line) for line in re.findall(r"<li>(.*?)</li>", box.group(1))] if box else []


def register(client, village) -> Household:
    client.post(
        reverse("households:create"),
        form_post(village.code, [{"name": "马成", "id_number": make_id_number(), "relation": "01"}]),
    )
    return Household.objects.get()


def test_every_bad_field_is_red_and_named_in_the_summary_and_good_ones_are_not(client, clerk, village):
    login(client, clerk)
    members = [
        {"name": "马成", "id_number": make_id_number(), "relation": "01"},
        {"name": "", "id_number": make_id_number(), "relation": "03", "work_months": "13"},
    ]
    post = form_post(village.code, members, phone="12ab", arable_land_mu="许多")
    page = client.post(reverse("households:create"), post).content.decode()
    assert summary(page) == [
        "联系电话：联系电话只能是数字。",
        "耕地面积（亩）：输入一个数字。",
        "第2位成员 · 姓名：该字段是必填项。",
        "第2位成员 · 务工时间（月）：确保该值小于或等于12。",
    ]
    assert "未保存，请修改以下4处" in page
    for name in ("phone", "arable_land_mu", "members-1-name", "members-1-work_months"):
        assert "is-invalid" in tag(page, name), name
    for name in ("group_name", "identified_year", "irrigated_land_mu", "members-0-name", "members-1-relation"):
        assert "is-invalid" not in tag(page, name), name
    assert not Household.objects.exists()


def test_non_field_errors_of_the_family_are_in_the_summary(client, clerk, village):
    login(client, clerk)
    two_heads = [
        {"name": "马成", "id_number": make_id_number(), "relation": "01"},
        {"name": "马二", "id_number": make_id_number(), "relation": "01"},
    ]
    page = client.post(reverse("households:create"), form_post(village.code, two_heads)).content.decode()
    assert summary(page) == ["户主须有且只有一人，当前为2人。"]
    page = client.post(reverse("households:create"), form_post(village.code, [])).content.decode()
    assert summary(page) == ["至少需要一名家庭成员（户主）。"]
    assert not Household.objects.exists()


def test_a_form_level_error_is_listed_without_a_label_and_marks_no_field():
    form = MemberForm({"name": "马成", "id_number": make_id_number(), "relation": "01", "ethnicity": "01"})
    assert form.is_valid()
    form.add_error(None, "该户成员已在其他户登记。")
    assert form.error_summary(prefix="第1位成员 · ") == ["第1位成员 · 该户成员已在其他户登记。"]
    assert all("is-invalid" not in (field.widget.attrs.get("class") or "") for field in form.fields.values())


def test_is_invalid_stays_on_the_form_that_had_the_error(clerk):
    bad = HouseholdForm({"phone": "abc"}, user=clerk)
    assert not bad.is_valid()
    assert "is-invalid" in bad.fields["phone"].widget.attrs["class"]
    fresh = HouseholdForm(user=clerk)
    assert fresh.fields["phone"].widget.attrs["class"] == "form-control form-control-sm"
    assert "is-invalid" not in HouseholdForm.base_fields["phone"].widget.attrs.get("class", "")


def test_the_edit_page_outlines_bad_fields_and_lists_them(client, clerk, village):
    login(client, clerk)
    household = register(client, village)
    url = reverse("households:edit", args=[household.pk])
    page = client.get(url).content.decode()
    assert "is-invalid" not in page and 'id="error-summary"' not in page
    member = household.members.get()
    edit = form_post(village.code, [{"id": str(member.pk), "name": "", "id_number": "", "relation": "01"}])
    edit.update({"members-INITIAL_FORMS": "1", "version": str(household.version), "phone": "电话"})
    page = client.post(url, edit).content.decode()
    assert summary(page) == ["联系电话：联系电话只能是数字。", "第1位成员 · 姓名：该字段是必填项。"]
    assert "is-invalid" in tag(page, "phone") and "is-invalid" in tag(page, "members-0-name")
    assert "is-invalid" not in tag(page, "group_name") and "is-invalid" not in tag(page, "members-0-relation")
    household.refresh_from_db()
    assert household.phone != "电话"


def test_every_living_condition_select_starts_with_a_dash_and_every_checkbox_is_a_form_check(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    form = HouseholdForm(user=clerk)
    selects = [field.name for field in form.living_condition_fields if field.widget_type == "select"]
    checkboxes = [field.name for field in form.living_condition_fields if field.widget_type == "checkbox"]
    assert selects and checkboxes
    for name in selects:
        first = re.search(r"<option[^>]*>[^<]*</option>", select(page, name)).group(0)
        assert first in ('<option value="" selected>—</option>', '<option value="">—</option>'), name
        assert "form-select" in tag(page, name)
    for name in checkboxes:
        block = re.search(rf'<div class="form-check[^"]*">(<input[^>]*name="{name}"[^>]*>)(<label[^>]*>)', page)
        assert block, name
        assert 'class="form-check-input"' in block.group(1)
        assert block.group(2) == f'<label class="form-check-label" for="id_{name}">'


def test_no_added_member_row_starts_as_head(client, clerk):
    login(client, clerk)
    for index in ("1", "2", "7"):
        row = client.get(reverse("households:member_row"), {"index": index}).content.decode()
        relation = select(row, f"members-{index}-relation")
        assert re.findall(r"<option[^>]*selected[^>]*>", relation) == ['<option value="" selected>']
        assert '<option value="01">户主</option>' in relation  # still choosable, never preset
        assert 'class="form-select form-select-sm"' in relation


def test_the_members_table_keeps_its_scroll_fallback(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    assert re.search(r'<div class="table-responsive">\s*<table class="[^"]*members-table', page)
    css = Path(finders.find("css/fupin.css")).read_text()
    assert re.search(r"\.members-table th[^{]*\{[^}]*white-space: nowrap", css)
    assert re.search(r'\.members-table input\[name\$="work_months"\] \{[^}]*min-width: 4\.5rem', css)


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Every line of text in the members table, and whether the table is wider than its box.
TABLE_METRICS = """() => {
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
  };
  const table = document.querySelector(".members-table");
  const wrapper = table.closest(".table-responsive");
  const wrapped = [...table.querySelectorAll("th, .form-check-label, .btn")]
    .filter((el) => el.textContent.trim() && lines(el) > 1)
    .map((el) => el.textContent.trim());
  const clipped = [...table.querySelectorAll("input[name$=id_number]")]
    .filter((el) => el.scrollWidth > el.clientWidth)
    .map((el) => el.name);
  const months = table.querySelector("input[name$=work_months]").getBoundingClientRect().width;
  return {overflow: wrapper.scrollWidth - wrapper.clientWidth, wrapped, clipped, months};
}"""


@pytest.mark.e2e
@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"Chromium not found at {CHROMIUM}")
def test_the_members_table_fits_a_1366px_screen(client, clerk, village, monkeypatch):
    """Bootstrap and fupin.css laid out by Chromium: no scrolling, no header or label broken over lines."""
    login(client, clerk)
    new = client.get(reverse("households:create")).content.decode()
    rows = "".join(
        client.get(reverse("households:member_row"), {"index": str(index)}).content.decode() for index in (1, 2)
    )
    new = new.replace("</tbody>", rows + "</tbody>", 1)
    good = make_id_number()
    members = [
        {"name": "马成", "id_number": good, "relation": "01"},
        {"name": "马二", "id_number": good[:-1] + ("0" if good[-1] != "0" else "1"), "relation": "03"},
    ]
    with_errors = client.post(reverse("households:create"), form_post(village.code, members)).content.decode()
    assert "is-invalid" in tag(with_errors, "members-1-id_number")

    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, not async Django
    styles = [finders.find("vendor/bootstrap/css/bootstrap.min.css"), finders.find("css/fupin.css")]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for page in (new, with_errors):
                tab = browser.new_page(viewport={"width": 1366, "height": 768})
                tab.set_content(re.sub(r"<link [^>]*>|<script\b.*?</script>", "", page, flags=re.S))
                for path in styles:
                    tab.add_style_tag(path=path)
                metrics = tab.evaluate(TABLE_METRICS)
                assert metrics["overflow"] <= 0, metrics
                assert metrics["wrapped"] == [], metrics
                assert metrics["clipped"] == [], metrics
                assert metrics["months"] >= 72, metrics
                tab.close()
        finally:
            browser.close()
