"""The 修改历史 tells the truth (issue 16): an unchanged save writes no history row; every real change
is one line, old → new, personal numbers masked."""

import re

import pghistory.models
import pytest
from django.urls import reverse

from households.history import household_history
from households.models import Household
from households.services import register_household, update_household
from tests.conftest import login
from tests.factories import make_id_number

from .conftest import household_data, member
from .test_privacy_rendering import PHONE, PHONE_MASKED, edit_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(clerk, village):
    return register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(phone=PHONE),
        members=[member(id_number=make_id_number()), member(relation="02", name="何秀英", id_number=make_id_number())],
    )


def event_count() -> int:
    return pghistory.models.Events.objects.filter(
        pgh_model__in=["households.HouseholdEvent", "households.MemberEvent"]
    ).count()


def lines(household) -> list[str]:
    """Each change of the history as "对象 字段：旧 → 新", newest first."""
    entries = household_history(household, household.members.all())
    return [
        f"{entry.subject} {change.label}：{change.old} → {change.new}" for entry in entries for change in entry.changes
    ]


def test_an_unchanged_save_writes_no_history_and_keeps_the_version(client, clerk, household):
    login(client, clerk)
    before, version = event_count(), household.version
    _, data = edit_form(client, household)
    response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302
    assert event_count() == before
    household.refresh_from_db()
    assert household.version == version
    # The service called directly with the same values: nothing either.
    members = [
        {
            "id": m.pk,
            "name": m.name,
            "relation": m.relation,
            "ethnicity": m.ethnicity,
            "health": m.health,
            "id_number": "",
        }
        for m in household.members.all()
    ]
    update_household(
        user=clerk, household_id=household.pk, expected_version=version, data={"phone": PHONE}, members=members
    )
    assert event_count() == before
    assert lines(household) == []


def test_a_phone_change_is_recorded_masked_old_to_new(client, clerk, household):
    login(client, clerk)
    _, data = edit_form(client, household)
    data["phone"] = ["13900001111"]
    assert client.post(reverse("households:edit", args=[household.pk]), data).status_code == 302
    assert lines(household) == [f"户信息 联系电话：{PHONE_MASKED} → 139****1111"]
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert f"{PHONE_MASKED} → 139****1111" in page
    assert PHONE not in page and "13900001111" not in page


def test_a_cleared_phone_is_recorded(client, clerk, household):
    login(client, clerk)
    _, data = edit_form(client, household)
    assert (
        client.post(reverse("households:edit", args=[household.pk]), {**data, "clear_phone": "on"}).status_code == 302
    )
    assert lines(household) == [f"户信息 联系电话：{PHONE_MASKED} → （空）"]


def test_each_changed_field_is_one_line_in_the_words_of_the_form(client, clerk, household):
    login(client, clerk)
    _, data = edit_form(client, household)
    head = household.members.get(name="马成")
    index = next(key.split("-")[1] for key, values in data.items() if key.endswith("-id") and values == [str(head.pk)])
    data.update({"group_name": ["二组"], f"members-{index}-education": ["03"], "other_causes": ["7", "8"]})
    assert client.post(reverse("households:edit", args=[household.pk]), data).status_code == 302
    found = lines(household)
    assert "户信息 村民小组：（空） → 二组" in found
    assert "马成 文化程度：（空） → 初中" in found
    assert len([line for line in found if line.startswith("户信息 其他致贫原因：")]) == 1
    assert not any("与户主关系" in line or "联系电话" in line for line in found)


def test_a_new_id_number_shows_masked_and_a_head_spouse_swap_once_per_member(clerk, household):
    head, spouse = household.members.get(relation="01"), household.members.get(relation="02")
    new_number = make_id_number()
    members = [
        {
            "id": head.pk,
            "name": head.name,
            "relation": "02",
            "ethnicity": head.ethnicity,
            "health": head.health,
            "id_number": "",
        },
        {
            "id": spouse.pk,
            "name": spouse.name,
            "relation": "01",
            "ethnicity": spouse.ethnicity,
            "health": spouse.health,
            "id_number": new_number,
        },
    ]
    household = update_household(
        user=clerk, household_id=household.pk, expected_version=household.version, data={}, members=members
    )
    found = lines(household)
    assert found.count("马成 与户主关系：户主 → 配偶") == 1
    assert found.count("何秀英 与户主关系：配偶 → 户主") == 1
    masked = [line for line in found if line.startswith("何秀英 证件号码：")]
    assert masked == [f"何秀英 证件号码：{spouse.id_number_masked} → {new_number[:6]}********{new_number[-4:]}"]
    assert "户信息 户主姓名：马成 → 何秀英" in found
    assert not any(new_number in line or spouse.id_number in line for line in found)
    # The page shows the same, one line per field.
    assert Household.objects.get(pk=household.pk).head_name == "何秀英"


def test_the_detail_page_title_is_the_household_alone(client, clerk, household):
    login(client, clerk)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.strip().startswith("马成户") and "<" not in title
    assert page.count('id="history"') == 1
