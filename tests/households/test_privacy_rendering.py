"""Phones and ID numbers are never rendered in clear outside the audited unmask, and an exact ID
search never puts the number into a URL (docs/architecture.md (Decisions: personal data))."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.codes import Role
from households.forms import KEEP_HINT
from households.idnumbers import id_number_hash
from households.models import Helper
from households.services import register_household
from tests.conftest import login
from tests.factories import UserFactory, make_id_number, region

from .conftest import household_data, member

pytestmark = pytest.mark.django_db

PHONE = "13893012345"
PHONE_MASKED = "138****2345"


@pytest.fixture
def household(clerk, village):
    return register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(phone=PHONE),
        members=[member(id_number=make_id_number()), member(relation="02", name="何秀英", id_number=make_id_number())],
    )


def users_of_every_role(village):
    """One user of each role whose scope holds the village, each also holding the unmask permission."""
    county, city, province = region("622926000000"), region("622900000000"), region("620000000000")
    scopes = {
        Role.TOWNSHIP_CLERK: village.parent,
        Role.COUNTY_REVIEWER: county,
        Role.CITY_REVIEWER: city,
        Role.PROVINCE_STAFF: province,
        Role.ADMIN: None,
    }
    permission = Permission.objects.get(codename="view_full_id")
    users = []
    for role, scope in scopes.items():
        user = UserFactory(role=role, region=scope)
        user.user_permissions.add(permission)
        users.append(user)
    return users


class FormValues(HTMLParser):
    """What a browser posts for a form: its inputs, checked boxes, selected options, text areas."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.select, self.textarea = form_id, False, None, None
        self.values: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values.append((name, attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.values.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = name
            self.values.append((name, ""))

    def handle_data(self, data):
        if self.textarea:
            self.values[-1] = (self.textarea, self.values[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def post_data(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.values:
            data.setdefault(name, []).append(value)
        return data


def edit_form(client, household) -> tuple[str, dict]:
    html = client.get(reverse("households:edit", args=[household.pk])).content.decode()
    parser = FormValues("household-form")
    parser.feed(html)
    return html, parser.post_data()


def member_field(data, household, name) -> str:
    """The formset key of the row of member `name`."""
    pk = str(household.members.get(name=name).pk)
    index = next(key.split("-")[1] for key, values in data.items() if key.endswith("-id") and values == [pk])
    return f"members-{index}-id_number"


def test_no_role_sees_a_full_phone_or_id_number_on_the_household_pages(client, household, village):
    numbers = [PHONE, *household.members.values_list("id_number", flat=True)]
    masks = [PHONE_MASKED, *household.members.values_list("id_number_masked", flat=True)]
    for user in users_of_every_role(village):
        client.force_login(user)
        for name in ("households:edit", "households:detail"):
            response = client.get(reverse(name, args=[household.pk]))
            assert response.status_code in (200, 403, 404), (user.role, name)
            html = response.content.decode()
            assert not any(number in html for number in numbers), (user.role, name)
            if response.status_code == 200 and name == "households:edit":
                assert all(f'value="{mask}"' in html for mask in masks), user.role
                assert html.count(KEEP_HINT) == 3  # under the phone and under each member's number


def test_saving_the_form_untouched_keeps_the_stored_numbers(client, clerk, household):
    login(client, clerk)
    numbers = dict(household.members.values_list("pk", "id_number"))
    _, data = edit_form(client, household)
    assert data["phone"] == [PHONE_MASKED]
    data["group_name"] = ["二组"]
    response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    household.refresh_from_db()
    assert household.group_name == "二组" and household.phone == PHONE
    assert dict(household.members.values_list("pk", "id_number")) == numbers


def test_a_blank_phone_or_number_also_keeps_the_stored_one(client, clerk, household):
    login(client, clerk)
    numbers = dict(household.members.values_list("pk", "id_number"))
    _, data = edit_form(client, household)
    data["phone"] = [""]
    data[member_field(data, household, "马成")] = [""]
    assert client.post(reverse("households:edit", args=[household.pk]), data).status_code == 302
    household.refresh_from_db()
    assert household.phone == PHONE and dict(household.members.values_list("pk", "id_number")) == numbers


def test_typing_a_new_phone_and_number_changes_them(client, clerk, household):
    login(client, clerk)
    _, data = edit_form(client, household)
    new_number = make_id_number()
    data["phone"] = ["13912345678"]
    data[member_field(data, household, "何秀英")] = [new_number]
    assert client.post(reverse("households:edit", args=[household.pk]), data).status_code == 302
    household.refresh_from_db()
    assert household.phone == "13912345678"
    wife = household.members.get(name="何秀英")
    assert wife.id_number == new_number and wife.id_number_hash == id_number_hash(new_number)
    html, _ = edit_form(client, household)
    assert "13912345678" not in html and new_number not in html and "139****5678" in html


def test_an_altered_mask_is_refused_rather_than_kept(client, clerk, household):
    login(client, clerk)
    _, data = edit_form(client, household)
    head = member_field(data, household, "马成")
    data["phone"] = ["139****2345"]
    data[head] = [data[head][0].replace("*", "0", 1)]
    html = client.post(reverse("households:edit", args=[household.pk]), data).content.decode()
    assert html.count("请填写完整号码，或保持脱敏值不变。") >= 2
    household.refresh_from_db()
    assert household.phone == PHONE and household.version == 1


def test_the_api_returns_masked_numbers_only(api_client, clerk, household):
    Helper.objects.create(region=clerk.region, name="张干部", unit="县农业局", level="3", phone="15912345678")
    api_client.force_authenticate(clerk)
    numbers = [PHONE, "15912345678", *household.members.values_list("id_number", flat=True)]
    for url in ("/api/v1/households/", f"/api/v1/households/{household.pk}/", "/api/v1/helpers/"):
        body = api_client.get(url).content.decode()
        assert not any(number in body for number in numbers), url
    assert "159****5678" in api_client.get("/api/v1/helpers/").content.decode()


# --- search --------------------------------------------------------------------------------------


def test_an_id_search_is_posted_and_redirected_to_its_keyed_hash(client, clerk, household):
    login(client, clerk)
    number = household.members.get(name="何秀英").id_number
    response = client.post(reverse("households:list"), {"q": number, "status": ""})
    assert response.status_code == 303
    location = response["Location"]
    assert number not in location and number[:15] not in location
    assert parse_qs(urlsplit(location).query) == {"id_hash": [id_number_hash(number)]}
    page = client.get(location).content.decode()
    assert household.household_no in page and "按身份证号码精确查询" in page and number not in page


def test_an_id_number_typed_into_the_address_bar_is_moved_out_of_it(client, clerk, household):
    login(client, clerk)
    number = household.members.get(name="马成").id_number
    response = client.get(reverse("households:list"), {"q": number, "status": "CANDIDATE"})
    assert response.status_code == 302 and number not in response["Location"]
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "status": ["CANDIDATE"],
        "id_hash": [id_number_hash(number)],
    }
    assert household.household_no in client.get(response["Location"]).content.decode()


def test_other_long_numbers_are_kept_in_the_session_not_the_url(client, clerk, household):
    login(client, clerk)
    partial = household.members.get(name="马成").id_number[:16]  # half typed: not a valid number yet
    location = client.post(reverse("households:list"), {"q": partial})["Location"]
    assert partial not in location and set(parse_qs(urlsplit(location).query)) == {"qs"}
    assert "按号码查询" in client.get(location).content.decode()
    location = client.post(reverse("households:list"), {"q": PHONE})["Location"]
    assert PHONE not in location and set(parse_qs(urlsplit(location).query)) == {"qs"}
    # The whole 户编号 (16 digits) is found the same way.
    location = client.post(reverse("households:list"), {"q": household.household_no})["Location"]
    assert household.household_no not in location
    page = client.get(location).content.decode()
    assert f">{household.household_no}</a>" in page
    # Another session does not know the token.
    other = UserFactory(role=Role.TOWNSHIP_CLERK, region=clerk.region)
    client.force_login(other)
    page = client.get(location).content.decode()
    assert "该查询已过期" in page and f">{household.household_no}</a>" not in page


def test_a_name_search_stays_a_plain_get(client, clerk, household):
    login(client, clerk)
    response = client.post(reverse("households:list"), {"q": "mc", "status": ""})
    assert parse_qs(urlsplit(response["Location"]).query) == {"q": ["mc"]}
    assert household.household_no in client.get(response["Location"]).content.decode()
    assert household.household_no in client.get(reverse("households:list"), {"q": "马"}).content.decode()


def test_the_htmx_search_answers_the_table_at_a_url_without_the_number(client, clerk, household):
    login(client, clerk)
    number = household.members.get(name="马成").id_number
    response = client.post(reverse("households:list"), {"q": number}, HTTP_HX_REQUEST="true", follow=True)
    assert response.redirect_chain[0][1] == 303 and number not in response.redirect_chain[0][0]
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="household-table">') and household.household_no in html


def test_the_api_finds_by_id_number_in_the_body_only(api_client, clerk, household):
    api_client.force_authenticate(clerk)
    number = household.members.get(name="马成").id_number
    assert api_client.get("/api/v1/households/", {"q": number}).status_code == 400
    assert api_client.get("/api/v1/households/", {"q": number[:6] + number[8:17]}).status_code == 400  # 15 digits
    found = api_client.post("/api/v1/households/search/", {"id_number": number}, format="json")
    assert found.status_code == 200 and [row["id"] for row in found.json()["results"]] == [household.pk]
    assert number not in found.content.decode()
    listed = api_client.get("/api/v1/households/", {"id_hash": found.json()["id_hash"]}).json()["results"]
    assert [row["id"] for row in listed] == [household.pk]
    wrong_check = number[:-1] + ("1" if number[-1] != "1" else "2")
    bad = api_client.post("/api/v1/households/search/", {"id_number": wrong_check}, format="json")
    assert bad.status_code == 400 and "id_number" in bad.json()


def test_a_full_width_or_spaced_id_number_is_no_way_into_a_url(client, api_client, clerk, household):
    login(client, clerk)
    number = household.members.get(name="马成").id_number
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    for typed in (full_width, spaced):
        location = client.post(reverse("households:list"), {"q": typed})["Location"]
        assert parse_qs(urlsplit(location).query) == {"id_hash": [id_number_hash(number)]}
    api_client.force_authenticate(clerk)
    for typed in (full_width, spaced):
        assert api_client.get("/api/v1/households/", {"q": typed}).status_code == 400
