"""Hostile and clumsy uploads: each is refused or bounded, the worker lives on, the job ends.

The workbooks are built by hand (zipfile), each small on disk and built to make a naive
reader ask for gigabytes; the job runs as the worker runs it (run_import, in this process,
which stays alive to assert on the job).
"""

import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from households.imports import UploadRefused, check_upload, read_sheets, run_import, start_import
from households.imports.jobs import MAX_STORED_ERRORS
from households.models import Household, ImportJob
from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET
from tests.conftest import login
from tests.factories import write_collection_file
from tests.households.test_import import sheet_rows

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def header_cells(columns) -> str:
    headers = [column.header for column in columns if not column.export_only]
    return "".join(f'<c t="inlineStr"><is><t>{header}</t></is></c>' for header in headers)


def handmade_xlsx(
    path,
    *,
    household_rows: str = "",
    dimension: str | None = None,
    shared_strings: str | None = None,
    extra_parts: dict | None = None,
    workbook_type: str = WORKBOOK_TYPE,
):
    """A two-sheet 采集表 written part by part: the header rows, then `household_rows` (raw XML)."""
    overrides = (
        f'<Override PartName="/xl/workbook.xml" ContentType="{workbook_type}"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{SHEET_TYPE}"/>'
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
    )
    package_rels = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
        f'<sheet name="{HOUSEHOLD_SHEET}" sheetId="1" r:id="rId1"/>'
        f'<sheet name="{MEMBER_SHEET}" sheetId="2" r:id="rId2"/></sheets></workbook>'
    )
    workbook_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    )
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    households = (
        f'<worksheet xmlns="{MAIN}">{declared}<sheetData><row r="1">{header_cells(HOUSEHOLD_COLUMNS)}</row>'
        f"{household_rows}</sheetData></worksheet>"
    )
    members = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header_cells(MEMBER_COLUMNS)}</row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", households)
        archive.writestr("xl/worksheets/sheet2.xml", members)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return path


def far_cell() -> str:
    return '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def queued_job(user, path) -> ImportJob:
    """A job over `path` as start_import leaves it, without the upload guard (the worker guards again)."""
    stored = f"{os.urandom(8).hex()}.xlsx"
    (ImportJob.file_dir() / stored).write_bytes(path.read_bytes())
    return ImportJob.objects.create(user=user, original_name=path.name, stored_name=stored)


def ended_refused(job: ImportJob, words: str) -> ImportJob:
    """Run the job as the worker does; it must end FAILED with `words` in its message."""
    job = run_import(job.pk, False)
    assert job.status == ImportJob.Status.FAILED, job.message
    assert words in job.message
    return job


def test_a_7_kb_file_with_a_cell_at_xfd1048576_is_refused_by_its_dimension(clerk, tmp_path):
    path = handmade_xlsx(tmp_path / "far.xlsx", household_rows=far_cell(), dimension="A1:XFD1048576")
    assert path.stat().st_size < 7 * 1024
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "工作表范围过大" in error.value.messages[0]
    ended_refused(queued_job(clerk, path), "工作表范围过大")
    # Refused at upload too: no job, no stored file.
    with pytest.raises(Exception) as error:
        start_import(user=clerk, uploaded=SimpleUploadedFile("far.xlsx", path.read_bytes()))
    assert "工作表范围过大" in str(error.value)
    assert not ImportJob.objects.exclude(status=ImportJob.Status.FAILED).exists()


def test_the_same_cell_without_a_dimension_is_bounded_by_the_readers_memory_limit(clerk, tmp_path):
    """Nothing declared to check: calamine would ask for half a terabyte; its child process dies, not us."""
    path = handmade_xlsx(tmp_path / "far.xlsx", household_rows=far_cell())
    check_upload(path)  # nothing declared is out of bounds
    with pytest.raises(UploadRefused) as error:
        read_sheets(path)
    assert "超出了内存或时间上限" in error.value.messages[0]
    ended_refused(queued_job(clerk, path), "超出了内存或时间上限")


def test_a_shared_string_count_of_2_31_is_refused_before_reading(clerk, tmp_path):
    table = f'<sst xmlns="{MAIN}" count="2147483648" uniqueCount="2147483648"><si><t>一组</t></si></sst>'
    path = handmade_xlsx(tmp_path / "sst.xlsx", shared_strings=table)
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "文本数量异常" in error.value.messages[0]
    ended_refused(queued_job(clerk, path), "文本数量异常")


def test_a_08_mb_shared_string_bomb_ends_its_job_and_not_the_worker(clerk, tmp_path):
    """One 30,000-character string referenced by 400,000 cells: a copy each is 24 GB."""
    table = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>{"长" * 30000}</t></si></sst>'
    columns = "ABCDEFGHIJKLMNOPQRST"
    rows = "".join(
        f'<row r="{number}">' + "".join(f'<c r="{column}{number}" t="s"><v>0</v></c>' for column in columns) + "</row>"
        for number in range(2, 20002)
    )
    path = handmade_xlsx(tmp_path / "bomb.xlsx", household_rows=rows, shared_strings=table)
    assert path.stat().st_size < 1024 * 1024
    check_upload(path)  # a sane size, ratio and shape: only reading it would tell
    job = ended_refused(queued_job(clerk, path), "超出了内存或时间上限")
    assert job.errors == [] and not Household.objects.exists()


@pytest.mark.parametrize(
    "name", ["xl/vbaProject.bin", "xl/VBAProject.bin", "XL/VbaProject.BIN", "xl/media/vbaproject.bin"]
)
def test_a_macro_part_is_refused_in_any_capitalisation(tmp_path, name):
    path = handmade_xlsx(tmp_path / "macro.xlsx", extra_parts={name: b"\xd0\xcf\x11\xe0"})
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "含宏" in error.value.messages[0]


def test_a_macro_workbook_content_type_is_refused(tmp_path):
    path = handmade_xlsx(tmp_path / "macro.xlsx", workbook_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "含宏" in error.value.messages[0]


def test_one_part_compressed_like_a_bomb_is_refused_even_when_the_whole_file_is_not(tmp_path):
    path = handmade_xlsx(
        tmp_path / "part.xlsx",
        extra_parts={"xl/media/image1.bin": os.urandom(2 * 1024 * 1024), "xl/styles.xml": b" " * (20 * 1024 * 1024)},
    )
    with zipfile.ZipFile(path) as archive:
        total = sum(entry.file_size for entry in archive.infolist())
    assert total < 100 * path.stat().st_size  # the whole-file ratio alone would let it through
    with pytest.raises(UploadRefused) as error:
        check_upload(path)
    assert "压缩炸弹" in error.value.messages[0]


def test_2000_long_invalid_labels_give_a_short_capped_error_list_and_a_small_page(
    client, api_client, clerk, village, tmp_path
):
    household_rows, _ = sheet_rows(households=2000)
    for index, row in enumerate(household_rows):
        row["贫困户属性"] = f"第{index}户" + "不是属性的很长的一段文字" * 100
    path = write_collection_file(tmp_path / "labels.xlsx", household_rows, [])
    assert path.stat().st_size < 200 * 1024
    job = run_import(queued_job(clerk, path).pk, False)
    assert job.status == ImportJob.Status.PREVIEW
    assert len(job.errors) == MAX_STORED_ERRORS
    assert job.errors_total >= 2000 and job.error_count == job.errors_total
    assert max(len(error["reason"]) for error in job.errors) <= 201
    labels = [error for error in job.errors if error["column"] == "贫困户属性"]
    assert labels and all("…" in error["reason"] for error in labels)
    assert len(json.dumps(job.errors, ensure_ascii=False).encode()) < 200 * 1024
    login(client, clerk)
    page = client.get(f"/households/import/{job.pk}/").content.decode()
    assert len(page.encode()) < 500 * 1024
    assert f"发现 {job.errors_total} 处错误" in page and f"其余 {job.errors_total - MAX_STORED_ERRORS} 处未列出" in page
    login(api_client, clerk)
    body = api_client.get(f"/api/v1/imports/{job.pk}/").json()
    assert (len(body["errors"]), body["errors_total"]) == (MAX_STORED_ERRORS, job.errors_total)


@pytest.mark.parametrize("word", ["Infinity", "-infinity", "sNaN", "NaN", "inf"])
def test_infinities_and_nans_in_number_columns_are_row_errors_and_the_job_ends(clerk, village, tmp_path, word):
    household_rows, member_rows = sheet_rows(households=2)
    household_rows[0]["耕地面积（亩）"] = word  # a decimal column
    household_rows[1]["识别年度"] = word  # an integer column
    member_rows[0]["务工时间（月）"] = word
    path = write_collection_file(tmp_path / "numbers.xlsx", household_rows, member_rows)
    job = run_import(queued_job(clerk, path).pk, False)
    assert job.status == ImportJob.Status.PREVIEW, job.message
    cells = {(error["sheet"], error["row"], error["column"]) for error in job.errors}
    assert {
        (HOUSEHOLD_SHEET, 2, "耕地面积（亩）"),
        (HOUSEHOLD_SHEET, 3, "识别年度"),
        (MEMBER_SHEET, 2, "务工时间（月）"),
    } <= cells
    # Confirmed anyway (the API's dry_run=false): the errors refuse it, the job still ends.
    committing = queued_job(clerk, path)
    ImportJob.objects.filter(pk=committing.pk).update(status=ImportJob.Status.COMMITTING)
    assert run_import(committing.pk, True).status == ImportJob.Status.PREVIEW
    assert not Household.objects.exists()


def test_an_unexpected_error_in_an_import_fails_the_job_in_chinese(clerk, village, tmp_path, monkeypatch):
    """Whatever the work raises, the job does not stay in 校验中 or 导入中."""
    path = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=1))

    def broken(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C long")

    monkeypatch.setattr("households.imports.jobs.import_rows", broken)
    for status, commit in ((ImportJob.Status.VALIDATING, False), (ImportJob.Status.COMMITTING, True)):
        job = queued_job(clerk, path)
        ImportJob.objects.filter(pk=job.pk).update(status=status)
        with pytest.raises(OverflowError):
            run_import(job.pk, commit)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert job.message == "后台任务出错（OverflowError），请重新提交；如仍出错请联系管理员。"
