"""Text hygiene (core/text.py): control characters, zero-width-only names and bidi overrides are
refused at the API, the forms and the import with a Chinese message on the field; what is already
stored never stops an export (issue 13).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from core.codes import Role
from core.text import clean_text, sanitise_for_export
from funds import services as fund_services
from funds.codes import FundLevel
from funds.models import Allocation
from fupin.exports import request_export, run_export
from households.imports import import_file
from households.models import Helper, Household, Member
from households.resources import HOUSEHOLD_SHEET, MEMBER_SHEET
from projects import services as project_services
from projects.codes import ProjectCategory, ProjectStatus
from projects.models import Project
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, make_id_number, region, write_collection_file
from tests.households.test_views import form_post

pytestmark = pytest.mark.django_db

COUNTY, TOWNSHIP, VILLAGE = "622926000000", "622926101000", "622926101201"
VERTICAL_TAB_GROUP = "一\x0b组"  # a line break pasted from Word
ZERO_WIDTH_NAME = "\u200b\u200b"
RTL_OVERRIDE_NAME = "马\u202e成"


@pytest.fixture
def area(db):
    county = region(COUNTY, "东乡族自治县")
    township = region(TOWNSHIP, "锁南镇")
    return {
        "county": county,
        "village": region(VILLAGE, "红柳村"),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "reviewer": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


@pytest.mark.parametrize(
    "value",
    [
        *("一\x0b组", "a\x08b", "\x00", "a\x7fb", "a\x85b", "a\nb", "a\tb"),
        *("\u200b", "\u200b\ufeff", "马\u202e成", "a\u2066b", " "),
    ],
)
def test_clean_text_refuses_invisible_and_reordering_characters(value):
    with pytest.raises(ValidationError) as error:
        clean_text(value, field="name")
    assert list(error.value.message_dict) == ["name"]


def test_multiline_text_keeps_its_line_breaks_and_tabs_but_nothing_else():
    assert clean_text("第一行\r\n第二行\t完", field="content", multiline=True) == "第一行\n第二行\t完"
    assert clean_text("马成", field="name") == "马成"
    with pytest.raises(ValidationError):
        clean_text("第一行\x0b第二行", field="content", multiline=True)
    with pytest.raises(ValidationError):
        clean_text("说明\u202e", field="content", multiline=True)


def test_sanitise_for_export_removes_what_an_xlsx_cannot_hold():
    assert sanitise_for_export(VERTICAL_TAB_GROUP) == "一组"
    assert sanitise_for_export("付\x08款\u202e") == "付款"
    assert sanitise_for_export("第一行\n第二行") == "第一行\n第二行"
    assert sanitise_for_export(Decimal("1.5")) == Decimal("1.5")


# --- every entry point refuses -----------------------------------------------------------------


def household_body(**extra):
    return {
        "village": VILLAGE,
        "attribute": "1",
        "main_cause": "1",
        "identified_year": 2016,
        "members": [{"name": "马成", "relation": "01", "id_number": make_id_number(), "ethnicity": "26"}],
        **extra,
    }


def test_the_api_refuses_control_characters_zero_width_names_and_rtl_overrides(api_client, area):
    api_client.force_authenticate(area["clerk"])
    response = api_client.post("/api/v1/households/", household_body(group_name=VERTICAL_TAB_GROUP), format="json")
    assert response.status_code == 400
    assert "控制字符" in response.json()["group_name"][0]
    for name in (ZERO_WIDTH_NAME, RTL_OVERRIDE_NAME):
        body = household_body()
        body["members"][0]["name"] = name
        response = api_client.post("/api/v1/households/", body, format="json")
        assert response.status_code == 400, response.json()
        assert "name" in response.json()["members"][0], response.json()
    assert not Household.objects.exists()
    response = api_client.post("/api/v1/households/", household_body(group_name="一组"), format="json")
    assert response.status_code == 201


def test_the_api_refuses_a_ledger_note_with_a_backspace(api_client, area):
    project = Project.objects.create(
        county=area["county"],
        region=area["county"],
        name="道路硬化",
        category=ProjectCategory.INFRASTRUCTURE,
        year=2019,
        budget="500000.00",
        implementing_unit="县交通局",
        performance_target="硬化道路3公里",
        status=ProjectStatus.APPROVED,
        created_by=area["reviewer"],
    )
    source = fund_services.create_fund_source(
        user=area["reviewer"],
        county_code=COUNTY,
        level=FundLevel.CENTRAL,
        year=2019,
        document_no="甘财农〔2019〕12号",
        purpose="到村到户产业",
        amount="1000",
        received_on=date(2019, 3, 1),
    )
    api_client.force_authenticate(area["reviewer"])
    body = {"source": source.pk, "project": project.pk, "amount": "10", "allocated_on": "2019-04-01"}
    response = api_client.post("/api/v1/allocations/", {**body, "note": "付\x08款"}, format="json")
    assert response.status_code == 400 and "控制字符" in response.json()["note"][0]
    assert not Allocation.objects.exists()
    # A notice's content is multi-line: its line breaks are kept.
    notice = project_services.post_notice(
        user=area["reviewer"],
        region_code=COUNTY,
        title="资金公示",
        content="第一行\n第二行",
        place="县政府",
        start_date=date(2019, 3, 1),
        project_id=project.pk,
    )
    assert notice.content == "第一行\n第二行"
    with pytest.raises(ValidationError) as error:
        project_services.post_notice(
            user=area["reviewer"],
            region_code=COUNTY,
            title="资金\n公示",
            content="x",
            place="县政府",
            start_date=date(2019, 3, 1),
            project_id=project.pk,
        )
    assert "title" in error.value.message_dict


def test_the_form_refuses_them_under_the_field(client, area):
    login(client, area["clerk"])
    members = [{"name": RTL_OVERRIDE_NAME, "id_number": make_id_number(), "relation": "01"}]
    response = client.post(reverse("households:create"), form_post(VILLAGE, members, group_name=VERTICAL_TAB_GROUP))
    page = response.content.decode()
    assert "控制字符" in page and "改变文字方向" in page, page[-3000:]
    assert not Household.objects.exists()


def test_any_other_save_of_user_data_refuses_them_too(area):
    with pytest.raises(ValidationError) as error:
        Helper.objects.create(region=area["village"], name=ZERO_WIDTH_NAME, unit="县农业局", level="3")
    assert "name" in error.value.message_dict


def test_the_import_turns_them_into_cell_errors(area, tmp_path):
    """Three households, each with one bad cell: a 村民小组, a 户主's name, a son's name."""
    households, members = [], []
    for index, (group, head, son) in enumerate(
        [
            ("一_x000B_组", "马成", "马宝"),  # the xlsx escape of \x0b: the reader gives the character back
            ("一组", RTL_OVERRIDE_NAME, "马宝"),
            ("一组", "马成", ZERO_WIDTH_NAME),
        ]
    ):
        number = f"622926101201000{index}"
        households.append(
            {
                "户编号": number,
                "所在村代码": VILLAGE,
                "村民小组": group,
                "识别标准": "国家标准",
                "贫困户属性": "一般贫困户",
                "主要致贫原因": "因病",
                "识别年度": 2016,
            }
        )
        for name, relation, birth in ((head, "户主", date(1970, 1, 1)), (son, "之子", date(2001, 3, 3))):
            members.append(
                {
                    "户编号": number,
                    "姓名": name,
                    "证件号码": make_id_number(birth=birth),
                    "与户主关系": relation,
                    "民族": "东乡族",
                    "健康状况": "健康",
                    "务工时间（月）": 0,
                }
            )
    path = write_collection_file(tmp_path / "bad.xlsx", households, members)
    result = import_file(area["clerk"], path, commit=True)
    found = {(error.sheet, error.row, error.column) for error in result.errors}
    expected = {(HOUSEHOLD_SHEET, 2, "村民小组"), (MEMBER_SHEET, 4, "姓名"), (MEMBER_SHEET, 7, "姓名")}
    assert found == expected, [error.as_dict() for error in result.errors]
    assert not result.committed and not Household.objects.exists()


# --- exports of what is already stored ---------------------------------------------------------


def test_stored_control_characters_never_stop_an_export(area):
    household = household_with_members(area["village"], size=2)
    Household.objects.filter(pk=household.pk).update(group_name=VERTICAL_TAB_GROUP, head_name="马\u202e成")
    Member.objects.filter(household=household).update(name="何\x08秀英")
    reviewer, clerk = area["reviewer"], area["clerk"]
    exports = [
        (reviewer, "households", COUNTY, {}),
        (reviewer, "members", COUNTY, {}),
        (reviewer, "collection_form", COUNTY, {}),
        (clerk, "publicity", VILLAGE, {}),
    ]
    for user, report, code, params in exports:
        job = run_export(request_export(user=user, report=report, region_code=code, **params).pk)
        assert job.status == "DONE", (report, job.error)
        cells = {
            cell
            for sheet in load_workbook(job.file_path()).worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        }
        assert not any(char in cell for cell in cells for char in "\x0b\x08\u202e"), report
        assert "一组" in cells or "何秀英" in cells, report


def test_a_stored_ledger_note_with_a_backspace_never_stops_the_funds_export(area):
    reviewer = area["reviewer"]
    project = Project.objects.create(
        county=area["county"],
        region=area["county"],
        name="道路硬化",
        category=ProjectCategory.INFRASTRUCTURE,
        year=2019,
        budget="500000.00",
        implementing_unit="县交通局",
        performance_target="硬化道路3公里",
        status=ProjectStatus.APPROVED,
        created_by=reviewer,
    )
    source = fund_services.create_fund_source(
        user=reviewer,
        county_code=COUNTY,
        level=FundLevel.CENTRAL,
        year=2019,
        document_no="甘财农〔2019〕12号",
        purpose="到村到户产业",
        amount="1000",
        received_on=date(2019, 3, 1),
    )
    # Ledger entries are never updated (a trigger refuses it): the bad note is inserted as it was
    # before the guard existed, by a write that skips save().
    Allocation.objects.bulk_create(
        [
            Allocation(
                source=source,
                project=project,
                amount=Decimal("10.00"),
                allocated_on=date(2019, 4, 1),
                note="付\x08款",
                created_by=reviewer,
            )
        ]
    )
    job = run_export(request_export(user=reviewer, report="funds", region_code=COUNTY, year=2019).pk)
    assert job.status == "DONE", job.error
    cells = {
        cell
        for sheet in load_workbook(job.file_path()).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    }
    assert "付款" in cells


def test_the_admin_shows_refused_text_under_its_field_instead_of_an_error_page(client, area):
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    login(client, admin)
    village = area["village"]
    url = reverse("admin:villages_region_change", args=[village.pk])
    form = {"code": village.code, "name": "红柳\x08村", "level": village.level, "parent": village.parent_id or ""}
    response = client.post(url, form)
    assert response.status_code == 200
    assert "含有不可见的控制字符（U+0008）" in response.content.decode()
    village.refresh_from_db()
    assert village.name == "红柳村"
