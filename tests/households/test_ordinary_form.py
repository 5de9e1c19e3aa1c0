"""一般农户 in the browser and the 采集表 (docs/domain.md §12.2): the form's 登记为 choice and the 户状态 column."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from households.codes import HouseholdStatus
from households.imports import import_file
from households.models import Household
from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET, REGISTRATION_FIELDS
from households.services import register_household
from tests.conftest import login
from tests.factories import make_id_number
from tests.households.conftest import member
from tests.households.test_views import form_post

pytestmark = pytest.mark.django_db


def members():
    return [
        {"name": "王强", "id_number": make_id_number(), "relation": "01"},
        {"name": "李梅", "id_number": make_id_number(male=False), "relation": "02"},
    ]


def test_the_form_offers_the_choice_and_starts_on_a_candidate(client, clerk):
    login(client, clerk)
    page = client.get(reverse("households:create")).content.decode()
    assert "登记为" in page and "拟识别贫困户" in page and "一般农户（纳入防返贫监测排查）" in page
    assert re.search(r'<input type="radio" name="register_as" value="CANDIDATE"[^>]*checked', page)
    assert 'value="ORDINARY" class="form-check-input"' in page
    assert 'data-disables-when="ORDINARY"' in page  # fupin.js disables the poverty fields when chosen


def test_the_form_registers_an_ordinary_household_without_poverty_attributes(client, clerk, village):
    login(client, clerk)
    # The 贫困户属性 select always sends a value, and 识别年度 starts filled: neither is kept for a 一般农户.
    response = client.post(reverse("households:create"), form_post(village.code, members(), register_as="ORDINARY"))
    household = Household.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("households:detail", args=[household.pk])
    assert household.status == HouseholdStatus.ORDINARY and household.member_count == 2
    assert (household.attribute, household.main_cause, household.other_causes, household.identified_year) == (
        "",
        "",
        [],
        None,
    )
    page = client.get(response["Location"]).content.decode()
    assert "已登记为一般农户" in page and "一般农户" in page


def test_without_the_choice_the_form_registers_a_candidate_as_before(client, clerk, village):
    login(client, clerk)
    client.post(reverse("households:create"), form_post(village.code, members()))
    assert Household.objects.get().status == HouseholdStatus.CANDIDATE


def test_the_same_member_and_id_rules_and_nothing_typed_is_lost(client, clerk, village):
    login(client, clerk)
    registered = register_household(
        user=clerk, village_code=village.code, data={"group_name": "一组"}, members=[member()], ordinary=True
    )
    taken = registered.members.get().id_number
    rows = [
        {"name": "王强", "id_number": taken, "relation": "01"},
        {"name": "李梅", "id_number": make_id_number(male=False), "relation": "01"},  # a second 户主
    ]
    response = client.post(
        reverse("households:create"), form_post(village.code, rows, register_as="ORDINARY", group_name="三组")
    )
    page = response.content.decode()
    assert response.status_code == 200 and Household.objects.count() == 1
    assert "户主须有且只有一人" in page
    assert re.search(r'<input type="radio" name="register_as" value="ORDINARY"[^>]*checked', page)
    assert 'value="三组"' in page and "李梅" in page
    rows[1]["relation"] = "02"
    response = client.post(reverse("households:create"), form_post(village.code, rows, register_as="ORDINARY"))
    assert response.status_code == 200 and Household.objects.count() == 1
    assert f"该身份证号码已在锁南镇红柳村（户编号 {registered.household_no}）登记。" in response.content.decode()


def test_an_invalid_choice_is_refused_beside_the_field(client, clerk, village):
    login(client, clerk)
    response = client.post(reverse("households:create"), form_post(village.code, members(), register_as="POOR"))
    assert response.status_code == 200 and not Household.objects.exists()
    assert 'data-error-for="register_as"' in response.content.decode()


def test_an_ordinary_household_is_edited_without_poverty_fields(client, clerk, village):
    household = register_household(
        user=clerk, village_code=village.code, data={"group_name": "一组"}, members=[member()], ordinary=True
    )
    login(client, clerk)
    url = reverse("households:edit", args=[household.pk])
    page = client.get(url).content.decode()
    assert "修改一般农户" in page and 'name="attribute"' not in page and 'name="register_as"' not in page
    head = household.members.get()
    data = form_post(
        village.code,
        [{"id": str(head.pk), "name": head.name, "id_number": "", "relation": "01"}],
        group_name="二组",
        version=str(household.version),
        **{"members-INITIAL_FORMS": "1"},
    )
    for name in ("attribute", "main_cause", "other_causes", "identified_year"):
        del data[name]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    household.refresh_from_db()
    assert household.group_name == "二组" and household.status == HouseholdStatus.ORDINARY


# --- the 采集表 --------------------------------------------------------------------------------


def write_file(path, household_rows, member_rows):
    """A 采集表 with the 户状态 column (the blank template's importable headers)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in (
        (HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, household_rows),
        (MEMBER_SHEET, MEMBER_COLUMNS, member_rows),
    ):
        headers = [c.header for c in columns if not c.export_only or c.field in REGISTRATION_FIELDS]
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def household_row(number, status="", **poverty):
    return {"户编号": number, "所在村代码": "622926101201", "村民小组": "一组", "户状态": status, **poverty}


def member_rows(number):
    return [
        {"户编号": number, "姓名": "王强", "证件号码": make_id_number(), "与户主关系": "户主", "民族": "汉族"},
        {
            "户编号": number,
            "姓名": "李梅",
            "证件号码": make_id_number(male=False),
            "与户主关系": "配偶",
            "民族": "汉族",
        },
    ]


POOR = {"贫困户属性": "一般贫困户", "主要致贫原因": "因病", "识别年度": 2016}


def test_the_import_registers_rows_marked_ordinary_and_the_rest_as_candidates(clerk, village, tmp_path):
    path = write_file(
        tmp_path / "采集表.xlsx",
        [household_row("6229261012019001", "一般农户"), household_row("6229261012019002", "", **POOR)],
        member_rows("6229261012019001") + member_rows("6229261012019002"),
    )
    preview = import_file(clerk, path, commit=False)
    assert preview.errors == [] and preview.households_new == 2 and not Household.objects.exists()
    result = import_file(clerk, path, commit=True)
    assert result.committed and result.errors == []
    statuses = dict(Household.objects.values_list("household_no", "status"))
    assert statuses == {"6229261012019001": HouseholdStatus.ORDINARY, "6229261012019002": HouseholdStatus.CANDIDATE}
    ordinary = Household.objects.get(household_no="6229261012019001")
    assert ordinary.identified_year is None and ordinary.attribute == "" and ordinary.member_count == 2
    # A second upload of the same file changes nothing (the 户状态 of a registered household is not imported).
    again = import_file(clerk, path, commit=True)
    assert again.errors == [] and again.households_unchanged == 2


def test_the_import_refuses_other_statuses_and_poverty_fields_of_an_ordinary_row(clerk, village, tmp_path):
    path = write_file(
        tmp_path / "采集表.xlsx",
        [
            household_row("6229261012019001", "未脱贫", **POOR),
            household_row("6229261012019002", "一般农户", **POOR),
            household_row("6229261012019003", "富户"),
        ],
        member_rows("6229261012019001") + member_rows("6229261012019002") + member_rows("6229261012019003"),
    )
    result = import_file(clerk, path, commit=True)
    assert not result.committed and not Household.objects.exists()
    found = {(error.row, error.column): error.reason for error in result.errors}
    assert "户状态只能填“一般农户”或留空" in found[(2, "户状态")]
    assert found[(3, "贫困户属性")] == "一般农户不填写贫困户属性、致贫原因和识别年度。"
    assert found[(3, "识别年度")] == "一般农户不填写贫困户属性、致贫原因和识别年度。"
    assert "不是有效的户状态" in found[(4, "户状态")]


def test_the_import_applies_the_same_id_rules_to_ordinary_rows(clerk, village, tmp_path):
    rows = member_rows("6229261012019001")
    duplicate = [{**row, "户编号": "6229261012019002"} for row in rows]
    path = write_file(
        tmp_path / "采集表.xlsx",
        [household_row("6229261012019001", "一般农户"), household_row("6229261012019002", "一般农户")],
        rows + duplicate,
    )
    result = import_file(clerk, path, commit=True)
    assert not result.committed and not Household.objects.exists()
    assert any(error.column == "证件号码" for error in result.errors)


def test_the_blank_template_has_the_status_column_and_the_page_explains_it(client, clerk):
    login(client, clerk)
    response = client.get(reverse("households:import_template"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "户状态" in [cell.value for cell in workbook[HOUSEHOLD_SHEET][1]]
    page = client.get(reverse("households:import")).content.decode()
    assert "“户状态”列填写“一般农户”" in page
