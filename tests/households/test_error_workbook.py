"""The error workbook: the upload as it was, errors marked, corrected and uploaded again without duplicates."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.codes import Role
from core.excel import FLAG_COLOUR
from core.transfer import expire_transfer_files
from households.imports import error_file, run_import
from households.models import Household, ImportJob, Member
from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_SHEET
from tests.conftest import login
from tests.factories import UserFactory, make_id_number

HOUSEHOLD_HEADERS = [c.header for c in HOUSEHOLD_COLUMNS if not c.export_only]
# The national system's word for 证件号码, and a title row above the header: read as the clerk's file.
MEMBER_HEADERS = ["户编号", "姓名", "身份证号码", "与户主关系", "民族", "健康状况"]
TITLE = "东乡族自治县锁南镇家庭成员信息表"


def household(number: str, **extra) -> dict:
    return {
        "户编号": number,
        "所在村代码": "622926101201",
        "联系电话": "13912345678",
        "识别标准": "国家标准",
        "贫困户属性": "一般贫困户",
        "主要致贫原因": "因病",
        "识别年度": 2016,
        **extra,
    }


def people(number: str, index: int) -> list[dict]:
    return [
        {
            "户编号": number,
            "姓名": name,
            "身份证号码": make_id_number(birth=birth, male=male),
            "与户主关系": relation,
            "民族": "东乡族",
            "健康状况": "健康",
        }
        for relation, name, male, birth in (
            ("户主", f"马{index}成", True, date(1970, 1, 1)),
            ("配偶", f"何{index}英", False, date(1972, 2, 2)),
        )
    ]


def write_file(path, households: list[dict], members: list[dict]):
    """A clerk's file: the 贫困户 sheet as the template, the 家庭成员 sheet under a title row."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet(HOUSEHOLD_SHEET)
    sheet.append(HOUSEHOLD_HEADERS)
    for row in households:
        sheet.append([row.get(header) for header in HOUSEHOLD_HEADERS])
    sheet = workbook.create_sheet(MEMBER_SHEET)
    sheet.append([TITLE])
    sheet.append(MEMBER_HEADERS)
    for row in members:
        sheet.append([row.get(header) for header in MEMBER_HEADERS])
    workbook.save(path)
    return path


@pytest.fixture
def three_households():
    households = [household(f"62292610120190000{index}") for index in range(3)]
    members = [person for index, row in enumerate(households) for person in people(row["户编号"], index)]
    return households, members


def upload(client, path, name="锁南镇采集表.xlsx") -> ImportJob:
    response = client.post(reverse("households:import"), {"file": SimpleUploadedFile(name, path.read_bytes())})
    assert response.status_code == 302, response.content.decode()[:2000]
    return run_import(ImportJob.objects.latest("id").pk, False)  # what the worker does


def download(client, job):
    response = client.get(reverse("households:import_errors", args=[job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def plant_errors(households, members) -> dict:
    """Three faults: a wrong check digit, a value that is no 贫困户属性, an ID typed into a number cell."""
    good = members[2]["身份证号码"]
    members[2]["身份证号码"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    households[1]["贫困户属性"] = "富裕户"
    members[5]["身份证号码"] = float(members[5]["身份证号码"][:17] + "0")  # Excel's 6.22926E+17
    return {"good": good, "float": members[5]["身份证号码"]}


def test_the_error_workbook_is_the_upload_with_its_errors_marked(client, clerk, three_households, tmp_path):
    households, members = three_households
    planted = plant_errors(households, members)
    login(client, clerk)
    job = upload(client, write_file(tmp_path / "bad.xlsx", households, members))
    assert job.status == ImportJob.Status.PREVIEW and Household.objects.count() == 0
    # On the page: the person and the column as headed in the file; the badge says what happened.
    page = client.get(reverse("households:import_detail", args=[job.pk])).content.decode()
    assert "有错误，未导入" in page and "待确认" not in page
    assert "马1成" in page and "何2英" in page and "身份证号码" in page
    assert {(error["row"], error["name"]) for error in job.errors if error["sheet"] == MEMBER_SHEET} == {
        (5, "马1成"),
        (8, "何2英"),
    }
    assert [(error["row"], error["name"]) for error in job.errors if error["sheet"] == HOUSEHOLD_SHEET] == [
        (3, "马1成")
    ]

    workbook = download(client, job)
    visible = [sheet.title for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
    assert visible == [HOUSEHOLD_SHEET, MEMBER_SHEET]  # and the hidden lists of the drop-downs
    sheet = workbook[MEMBER_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    # The header at its row (under the title row), every member at the row number the page names.
    assert rows[1] == (*MEMBER_HEADERS, "原因")
    assert len(rows) == 2 + len(members)
    id_column = MEMBER_HEADERS.index("身份证号码")
    reason = len(MEMBER_HEADERS)
    for number, member in enumerate(members, start=3):
        assert rows[number - 1][1] == member["姓名"]
    # The uploader's own values, unmasked, the bad ones as uploaded.
    assert rows[4][id_column] == planted["good"][:-1] + ("0" if planted["good"][-1] != "0" else "1")
    assert rows[3][id_column] == members[1]["身份证号码"] and "*" not in rows[3][id_column]
    assert rows[7][id_column] == planted["float"]
    # 原因 names the column as headed in the file and the person; only the bad rows have one.
    assert rows[4][reason].startswith("身份证号码（马1成）：") and "校验" in rows[4][reason]
    assert rows[7][reason].startswith("身份证号码（何2英）：") and "文本" in rows[7][reason]
    assert [number for number, row in enumerate(rows[2:], start=3) if row[reason]] == [5, 8]
    # The cells to fix are highlighted, the others not.
    assert sheet.cell(row=5, column=id_column + 1).fill.fgColor.rgb.endswith(FLAG_COLOUR)
    assert sheet.cell(row=5, column=2).fill.fgColor.rgb != sheet.cell(row=5, column=id_column + 1).fill.fgColor.rgb
    assert sheet.cell(row=4, column=id_column + 1).fill.fill_type is None
    assert sheet.cell(row=5, column=id_column + 1).number_format == "@"  # a corrected ID is typed as text
    households_sheet = workbook[HOUSEHOLD_SHEET]
    household_rows = list(households_sheet.iter_rows(values_only=True))
    attribute = HOUSEHOLD_HEADERS.index("贫困户属性")
    assert household_rows[0] == (*HOUSEHOLD_HEADERS, "原因")
    assert household_rows[2][attribute] == "富裕户"
    assert household_rows[2][-1].startswith("贫困户属性（马1成）：") and "富裕户" in household_rows[2][-1]
    assert households_sheet.cell(row=3, column=attribute + 1).fill.fill_type == "solid"
    assert household_rows[1][HOUSEHOLD_HEADERS.index("联系电话")] == "13912345678"


def test_the_corrected_workbook_imports_as_it_is_without_duplicates(client, clerk, three_households, tmp_path):
    households, members = three_households
    plant_errors(households, members)
    login(client, clerk)
    job = upload(client, write_file(tmp_path / "bad.xlsx", households, members))
    workbook = download(client, job)
    # The clerk corrects the highlighted cells in Excel and saves the same workbook.
    workbook[MEMBER_SHEET].cell(row=5, column=3).value = make_id_number(birth=date(1972, 2, 2), male=False)
    workbook[MEMBER_SHEET].cell(row=8, column=3).value = make_id_number(birth=date(1972, 2, 2), male=False)
    workbook[HOUSEHOLD_SHEET].cell(row=3, column=HOUSEHOLD_HEADERS.index("贫困户属性") + 1).value = "低保贫困户"
    corrected = tmp_path / "corrected.xlsx"
    workbook.save(corrected)

    again = upload(client, corrected)
    assert again.errors == [] and again.counts["households_new"] == 3 and again.counts["members_new"] == 6
    client.post(reverse("households:import_commit", args=[again.pk]))
    assert run_import(again.pk, True).status == ImportJob.Status.DONE
    assert Household.objects.count() == 3 and Member.objects.count() == 6
    assert Household.objects.get(household_no="622926101201900001").attribute == "2"
    # The same corrected file once more: everything is already there, nothing is added.
    third = upload(client, corrected)
    assert third.errors == []
    assert (third.counts["households_unchanged"], third.counts["members_unchanged"]) == (3, 6)
    assert third.counts["households_new"] == 0 and Member.objects.count() == 6
    assert not error_file(third).exists()  # a clean file has no error workbook


def test_only_the_uploader_may_download_it_and_it_expires_with_the_upload(
    client, clerk, three_households, tmp_path, settings
):
    households, members = three_households
    plant_errors(households, members)
    login(client, clerk)
    job = upload(client, write_file(tmp_path / "bad.xlsx", households, members))
    path = error_file(job)
    assert path.exists()
    # A colleague of the same township (who may see the households) still gets 404: the file is the uploader's.
    colleague = UserFactory(role=Role.TOWNSHIP_CLERK, region=clerk.region)
    client.logout()
    login(client, colleague)
    assert client.get(reverse("households:import_errors", args=[job.pk])).status_code == 404
    client.logout()
    login(client, clerk)
    later = timezone.now() + timedelta(hours=settings.TRANSFER_FILE_HOURS, minutes=1)
    expire_transfer_files(now=later)
    job.refresh_from_db()
    assert job.stored_name == "" and job.file_path() is None
    assert client.get(reverse("households:import_errors", args=[job.pk])).status_code == 404
    # The error workbook, which no job names, goes with the upload once it is as old.
    expire_transfer_files(now=later + timedelta(minutes=5))
    assert not path.exists()


def test_a_file_with_more_errors_than_the_page_lists_marks_them_all(client, clerk, tmp_path, monkeypatch):
    from households.imports import jobs

    monkeypatch.setattr(jobs, "MAX_STORED_ERRORS", 2)
    households = [household(f"62292610120190001{index}", 贫困户属性="富裕户") for index in range(4)]
    members = [person for index, row in enumerate(households) for person in people(row["户编号"], index)]
    login(client, clerk)
    job = upload(client, write_file(tmp_path / "bad.xlsx", households, members))
    assert len(job.errors) == 2 and job.error_count == 4
    rows = list(download(client, job)[HOUSEHOLD_SHEET].iter_rows(values_only=True))
    assert all(row[-1] and "富裕户" in row[-1] for row in rows[1:])


NATIONAL_HEADERS = [
    "户编号",
    "所在村代码",
    "贫困户属性",
    "主要致贫原因",
    "识别年度",
    "成员姓名",
    "身份证号码",
    "与户主关系",
]


def national_rows() -> list[list]:
    """A single table as the national system exports it: one member a row, the household's columns on each."""
    rows = []
    for index in range(2):
        number = f"62292610120190002{index}"
        for relation, name, male, birth in (
            ("户主", f"马{index}成", True, date(1970, 1, 1)),
            ("配偶", f"何{index}英", False, date(1972, 2, 2)),
        ):
            rows.append(
                [
                    number,
                    "622926101201",
                    "一般贫困户",
                    "因病",
                    2016,
                    name,
                    make_id_number(birth=birth, male=male),
                    relation,
                ]
            )
    return rows


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_single_table_comes_back_as_its_one_sheet_and_imports_once_corrected(client, clerk, tmp_path, suffix):
    rows = national_rows()
    good = rows[3][6]
    rows[3][6] = good[:-1] + ("0" if good[-1] != "0" else "1")  # 何1英, on row 6 under the title row
    title = ["全国扶贫开发信息系统 贫困人口信息"]
    path = tmp_path / f"national{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(map(str, row)) for row in [title, NATIONAL_HEADERS, *rows]), "utf-8")
        sheet_name = "CSV"
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = sheet_name = "贫困人口"
        for row in [title, NATIONAL_HEADERS, *rows]:
            sheet.append(row)
        workbook.save(path)
    login(client, clerk)
    job = upload(client, path, name=f"national{suffix}")
    assert [(error["sheet"], error["row"], error["name"], error["column"]) for error in job.errors] == [
        (sheet_name, 6, "何1英", "身份证号码")
    ]
    workbook = download(client, job)
    assert [sheet.title for sheet in workbook.worksheets if sheet.sheet_state == "visible"] == [sheet_name]
    sheet = workbook[sheet_name]
    written = list(sheet.iter_rows(values_only=True))
    assert written[1] == (*NATIONAL_HEADERS, "原因") and written[0][0] is None  # the title row left blank
    assert [row[-1] is not None for row in written[2:]] == [False, False, False, True]
    assert written[5][-1].startswith("身份证号码（何1英）：")
    assert written[5][6] == rows[3][6]  # as uploaded
    sheet.cell(row=6, column=7).value = good
    corrected = tmp_path / "corrected.xlsx"
    workbook.save(corrected)
    again = upload(client, corrected)
    assert again.errors == [] and (again.counts["households_new"], again.counts["members_new"]) == (2, 4)
