"""Fast data entry on the household form (issue 16): defaults, the ID check as the box is left,
保存并新增下一户, typed 民族, and no control the save refuses."""

import re
from datetime import date

import pytest
from django.urls import reverse

from core.codes import Evidence, ParameterKey
from core.models import PolicyParameter
from fupin.demo.province import CITIES, default_ethnicity_row
from households.entry import default_ethnicity
from households.models import Household
from households.poverty import current_year
from households.services import register_household
from tests.conftest import login
from tests.factories import make_id_number, region

from .conftest import household_data, member
from .test_privacy_rendering import PHONE, PHONE_MASKED, edit_form
from .test_views import form_post

pytestmark = pytest.mark.django_db

COUNTY = "622926000000"


def tag(page: str, name: str) -> str:
    """The opening tag of the input or select named `name`."""
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)


def value_of(page: str, name: str) -> str:
    return re.search(r'value="([^"]*)"', tag(page, name)).group(1)


def dongxiang_county_default():
    PolicyParameter.objects.create(
        key=ParameterKey.DEFAULT_ETHNICITY, region_id=COUNTY, value=26, evidence=Evidence.PROPOSAL, source="测试"
    )


@pytest.fixture
def household(clerk, village):
    return register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(phone=PHONE),
        members=[member(id_number=make_id_number()), member(relation="02", name="何秀英", id_number=make_id_number())],
    )


# --- defaults and focus -------------------------------------------------------------------------


def test_a_new_form_starts_in_the_current_work_year_with_the_national_default_ethnicity(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    assert value_of(page, "identified_year") == str(current_year())
    assert value_of(page, "members-0-ethnicity") == "汉族"
    assert "autofocus" in tag(page, "village")  # the cursor starts in the first field


def test_a_county_parameter_sets_the_default_ethnicity_of_the_form_and_of_added_rows(client, clerk):
    dongxiang_county_default()
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    assert value_of(page, "members-0-ethnicity") == "东乡族"
    row = client.get(reverse("households:member_row"), {"index": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert value_of(row, "members-1-ethnicity") == "东乡族"
    # The box offers every 民族 as the clerk types, the code beside the name.
    assert '<option value="东乡族" label="26 东乡族">' in row
    assert 'list="id_members-1-ethnicity-options"' in tag(row, "members-1-ethnicity")


def test_ethnicity_is_typed_as_a_name_a_short_name_or_a_code_and_blank_takes_the_heads(client, clerk, village):
    login(client, clerk)
    members = [
        {"name": "马成", "id_number": make_id_number(), "relation": "01", "ethnicity": "东乡"},
        {"name": "何秀英", "id_number": make_id_number(male=False), "relation": "02", "ethnicity": "回族"},
        {"name": "马小军", "id_number": make_id_number(birth=date(2001, 8, 9)), "relation": "03", "ethnicity": ""},
        {
            "name": "马小花",
            "id_number": make_id_number(birth=date(2005, 1, 2), male=False),
            "relation": "04",
            "ethnicity": "１",
        },
    ]
    response = client.post(reverse("households:create"), form_post(village.code, members))
    assert response.status_code == 302, response.context["error_summary"]
    stored = dict(Household.objects.get().members.values_list("name", "ethnicity"))
    assert stored == {"马成": "26", "何秀英": "03", "马小军": "26", "马小花": "01"}


def test_an_unknown_ethnicity_is_refused_on_its_row(client, clerk, village):
    login(client, clerk)
    members = [{"name": "马成", "id_number": make_id_number(), "relation": "01", "ethnicity": "火星族"}]
    response = client.post(reverse("households:create"), form_post(village.code, members))
    assert response.status_code == 200
    assert any("第1位成员 · 民族：请输入民族名称" in line for line in response.context["error_summary"])
    assert not Household.objects.exists()


# --- the ID check as the box is left --------------------------------------------------------------


def id_check(client, number: str) -> str:
    response = client.post(reverse("households:id_check"), {"members-0-id_number": number}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def test_the_id_check_says_birth_date_and_gender_or_why_the_save_refuses(client, clerk):
    login(client, clerk)
    good = make_id_number(birth=date(1972, 3, 4), male=False)
    fragment = id_check(client, good.lower())
    assert 'data-id-check="valid"' in fragment and "出生日期 1972-03-04" in fragment and "女" in fragment
    assert good not in fragment  # the number is never echoed
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    assert "身份证号码校验位错误" in id_check(client, bad)
    assert "身份证号码应为18位" in id_check(client, good[:12])
    assert "身份证号码前17位应为数字" in id_check(client, good[:10] + "ABCDEFGH")
    assert id_check(client, "").strip() == ""
    assert id_check(client, "622926********1234").strip() == ""  # an edit's mask stands for the stored number


def test_the_id_check_is_a_post_for_signed_in_users(client, clerk):
    assert client.post(reverse("households:id_check"), {"members-0-id_number": "1"}).status_code == 302
    login(client, clerk)
    assert client.get(reverse("households:id_check")).status_code == 405


def test_the_id_box_asks_for_the_check_when_left(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    box = tag(page, "members-0-id_number")
    assert f'hx-post="{reverse("households:id_check")}"' in box and 'hx-trigger="change"' in box
    assert 'hx-target="next .id-check"' in box
    assert '<div class="id-check small" aria-live="polite"></div>' in page


# --- 保存并新增下一户 -------------------------------------------------------------------------------


def test_save_and_next_opens_a_fresh_form_in_the_same_village(client, clerk, village):
    login(client, clerk)
    members = [{"name": "马成", "id_number": make_id_number(), "relation": "01"}]
    response = client.post(reverse("households:create"), {**form_post(village.code, members), "then": "next"})
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('households:create')}?village={village.code}"
    page = client.get(response["Location"]).content.decode()
    assert f"已登记马成户为拟识别户（户编号 {household.household_no}），请录入下一户。" in page
    assert f'<option value="{village.code}" selected>' in page
    assert "autofocus" in tag(page, "group_name") and "autofocus" not in tag(page, "village")
    assert "value=" not in tag(page, "members-0-name")  # nothing of the saved household is carried over
    # The plain 保存 still opens the household.
    members = [{"name": "马二", "id_number": make_id_number(), "relation": "01"}]
    response = client.post(reverse("households:create"), form_post(village.code, members))
    assert response["Location"] == reverse("households:detail", args=[Household.objects.get(head_name="马二").pk])


def test_a_village_outside_the_scope_is_not_preselected(client, clerk, two_townships):
    login(client, clerk)
    page = client.get(reverse("households:create"), {"village": two_townships["village_b"].code}).content.decode()
    assert "selected>" not in re.search(r'<select[^>]*name="village".*?</select>', page, re.S).group(0)


def test_a_refused_form_puts_the_cursor_on_the_first_bad_field(client, clerk, village):
    login(client, clerk)
    members = [{"name": "马成", "id_number": "123", "relation": "01"}]
    page = client.post(reverse("households:create"), {**form_post(village.code, members), "then": "next"})
    html = page.content.decode()
    assert page.status_code == 200 and not Household.objects.exists()
    assert "autofocus" in tag(html, "members-0-id_number")


# --- the edit page: nothing the save refuses --------------------------------------------------


def test_the_edit_page_has_no_delete_buttons_and_says_a_blank_id_keeps_the_number(client, clerk, household):
    login(client, clerk)
    html, data = edit_form(client, household)
    assert "data-remove-row" not in html and "DELETE" not in html and ">删除<" not in html
    assert html.count("留空或保持脱敏值则不修改") == 3
    assert "保存并新增下一户" not in html
    # Saved untouched, it is accepted.
    response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302


def test_the_phone_is_cleared_with_its_box_and_kept_otherwise(client, clerk, household):
    login(client, clerk)
    html, data = edit_form(client, household)
    assert "删除联系电话" in html
    # Typing a new number and ticking 删除 at once is refused, on the box.
    response = client.post(
        reverse("households:edit", args=[household.pk]), {**data, "phone": "13900001111", "clear_phone": "on"}
    )
    assert response.status_code == 200 and "已填写新号码时不能同时删除联系电话" in response.content.decode()
    response = client.post(reverse("households:edit", args=[household.pk]), {**data, "clear_phone": "on"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert not household.phone
    html, data = edit_form(client, household)
    assert "删除联系电话" not in html  # nothing left to delete
    assert data["phone"] == [""]


def test_the_helper_date_is_an_iso_value_the_date_box_accepts(client, clerk, household):
    login(client, clerk)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    start = tag(page, "helper-start_date")
    assert 'type="date"' in start
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', start), start


# --- the API: a masked phone sent back keeps the number ---------------------------------------


def test_api_patch_with_the_masked_phone_keeps_it(api_client, clerk, household):
    api_client.force_authenticate(clerk)
    url = f"/api/v1/households/{household.pk}/"
    body = api_client.get(url).json()
    assert body["phone"] == PHONE_MASKED
    response = api_client.patch(
        url, {"phone": PHONE_MASKED, "group_name": "二组"}, format="json", HTTP_IF_MATCH=str(body["version"])
    )
    assert response.status_code == 200, response.json()
    household.refresh_from_db()
    assert household.phone == PHONE and household.group_name == "二组"
    # Another masked value is not a number.
    response = api_client.patch(url, {"phone": "139****0000"}, format="json", HTTP_IF_MATCH=str(household.version))
    assert response.status_code == 400 and "phone" in response.json()


def test_the_id_check_answers_for_the_box_that_was_left(client, clerk):
    """htmx posts the whole form; the box left is named by the HX-Trigger-Name header."""
    login(client, clerk)
    head, wife = make_id_number(birth=date(1972, 3, 4)), make_id_number(birth=date(1975, 6, 7), male=False)
    response = client.post(
        reverse("households:id_check"),
        {"members-0-id_number": head, "members-1-id_number": wife},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="members-1-id_number",
    )
    assert "出生日期 1975-06-07" in response.content.decode()


def test_a_member_added_on_the_household_page_starts_with_the_heads_ethnicity(client, clerk, household):
    login(client, clerk)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert value_of(page, "add-ethnicity") == "东乡族"


def test_the_demo_sets_the_default_ethnicity_of_a_county_mostly_of_one_minority(village):
    region("622921000000", "临夏县")
    for _, _, counties in CITIES:
        for code, _, _, ethnicities in counties:
            if code in ("622926000000", "622921000000"):
                default_ethnicity_row(code, ethnicities)
    assert default_ethnicity(village.code) == "26"  # 东乡族自治县
    assert default_ethnicity("622921000000") == "01"  # 临夏县: no people of one 民族 in the majority
    assert default_ethnicity(None) == "01"


def test_a_blank_ethnicity_with_no_head_ethnicity_to_take_is_refused(client, clerk, village):
    login(client, clerk)
    members = [
        {"name": "马成", "id_number": make_id_number(), "relation": "01", "ethnicity": ""},
        {"name": "何秀英", "id_number": make_id_number(male=False), "relation": "02", "ethnicity": ""},
    ]
    response = client.post(reverse("households:create"), form_post(village.code, members))
    assert response.status_code == 200 and not Household.objects.exists()
    summary = response.context["error_summary"]
    assert "第1位成员 · 民族：请填写民族。" in summary and "第2位成员 · 民族：请填写民族。" in summary
