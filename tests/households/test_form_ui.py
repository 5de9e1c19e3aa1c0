"""What the clerk sees on the household form: red fields, a summary, plain blanks, no default 户主."""

import re

from django.urls import reverse

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
    response = client.post(
        reverse("households:create"),
        form_post(village.code, [{"name": "马成", "id_number": make_id_number(), "relation": "01"}], candidate="on"),
        follow=True,
    )
    household = Household.objects.get()
    assert household.status == "CANDIDATE"
    assert not household.adjustments.exists()  # 新识别 is recorded when the county approves
    assert "提交识别申请" in response.content.decode()
