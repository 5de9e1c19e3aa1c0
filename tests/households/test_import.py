"""采集表 import: planted errors found exactly, nothing partial, idempotent re-upload, round trip, guards."""

import glob
import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from core.transfer import expire_transfer_files, side_progress
from fupin.exports import request_export, run_export
from households.imports import (
    UploadRefused,
    check_upload,
    commit_import,
    import_file,
    jobs,
    read_cache,
    run_import,
    start_import,
)
from households.models import Household, ImportJob, Member
from households.resources import HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET
from tests.conftest import login
from tests.factories import make_id_number, region, write_collection_file

MEMBER_HEADERS = [c.header for c in MEMBER_COLUMNS if not c.export_only]


def sheet_rows(households: int = 50):
    """`households` households of three (户主, 配偶, 之子): 50 + 150 = 200 rows."""
    household_rows, member_rows = [], []
    for index in range(households):
        number = f"6229261012010{index:03d}"
        household_rows.append(
            {
                "户编号": number,
                "所在村代码": "622926101201",
                "村民小组": "一组",
                "识别标准": "国家标准",
                "贫困户属性": "一般贫困户",
                "主要致贫原因": "因病",
                "其他致贫原因": "缺技术、缺资金",
                "识别年度": 2016,
                "监测对象类别": "",
                "耕地面积（亩）": 3.5,
                "是否通生活用电": "是",
            }
        )
        for relation, name, male, birth in (
            ("户主", f"马{index}成", True, date(1970, 1, 1)),
            ("配偶", f"何{index}英", False, date(1972, 2, 2)),
            ("之子", f"马{index}宝", True, date(2001, 3, 3)),
        ):
            member_rows.append(
                {
                    "户编号": number,
                    "姓名": name,
                    "证件号码": make_id_number(birth=birth, male=male),
                    "与户主关系": relation,
                    "民族": "东乡族",
                    "健康状况": "健康",
                    "务工时间（月）": 0,
                }
            )
    return household_rows, member_rows


@pytest.fixture
def township(village):
    region("622926102201", "别的乡的村")
    return village


def plant_seven_errors(household_rows, member_rows):
    """Seven different faults, each with the (sheet, row, column) it must be reported at."""
    good = member_rows[0]["证件号码"]
    member_rows[3]["证件号码"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # checksum
    household_rows[5]["贫困户属性"] = "富裕户"  # not a code
    household_rows[6]["识别年度"] = "二〇一六"  # not a number
    member_rows[3 * 7 + 2]["与户主关系"] = "户主"  # a second 户主 in household 7
    member_rows.append({**member_rows[0], "户编号": "NOSUCH", "证件号码": make_id_number(birth=date(1990, 1, 1))})
    household_rows[9]["所在村代码"] = "622926102201"  # another township: out of scope
    member_rows[3 * 10 + 2]["证件号码"] = member_rows[3 * 11 + 2]["证件号码"]  # the same person twice
    return {
        (MEMBER_SHEET, 5, "证件号码"),
        (HOUSEHOLD_SHEET, 7, "贫困户属性"),
        (HOUSEHOLD_SHEET, 8, "识别年度"),
        (MEMBER_SHEET, 3 * 7 + 2 + 2, "与户主关系"),
        (MEMBER_SHEET, 152, "户编号"),
        (HOUSEHOLD_SHEET, 11, "所在村代码"),
        (MEMBER_SHEET, 3 * 11 + 2 + 2, "证件号码"),
    }


def test_planted_errors_are_found_exactly_and_nothing_is_written(clerk, township, tmp_path):
    household_rows, member_rows = sheet_rows()
    expected = plant_seven_errors(household_rows, member_rows)
    result = import_file(clerk, write_collection_file(tmp_path / "bad.xlsx", household_rows, member_rows), commit=True)
    found = {(error.sheet, error.row, error.column) for error in result.errors}
    assert found == expected, [error.as_dict() for error in result.errors]
    assert len(result.errors) == 7
    assert result.committed is False
    assert Household.objects.count() == 0 and Member.objects.count() == 0
    reasons = {error.column: error.reason for error in result.errors}
    assert "富裕户" in reasons["贫困户属性"]


def test_the_corrected_file_imports_fully_and_a_second_upload_changes_nothing(clerk, township, tmp_path):
    household_rows, member_rows = sheet_rows()
    path = write_collection_file(tmp_path / "good.xlsx", household_rows, member_rows)
    preview = import_file(clerk, path, commit=False)
    assert preview.errors == []
    assert preview.counts() == {**preview.counts(), "households_new": 50, "members_new": 150}
    assert Household.objects.count() == 0  # a preview writes nothing
    result = import_file(clerk, path, commit=True)
    assert result.committed and result.households_new == 50
    assert Member.objects.filter(is_active=True).count() == 150
    versions = dict(Household.objects.values_list("pk", "version"))
    again = import_file(clerk, path, commit=True)
    assert (again.households_unchanged, again.members_unchanged, again.households_changed) == (50, 150, 0)
    assert dict(Household.objects.values_list("pk", "version")) == versions
    # A changed file updates by 户编号 and ID number; nobody is duplicated.
    household_rows[0]["村民小组"] = "二组"
    member_rows[1]["姓名"] = "何秀英"
    changed = import_file(
        clerk, write_collection_file(tmp_path / "changed.xlsx", household_rows, member_rows), commit=True
    )
    assert (changed.households_changed, changed.members_changed, changed.households_unchanged) == (1, 1, 49)
    assert Member.objects.count() == 150
    assert Household.objects.get(household_no="6229261012010000").group_name == "二组"


def test_an_export_reimports_to_the_same_data(clerk, township, tmp_path):
    from django.contrib.auth.models import Permission

    import_file(clerk, write_collection_file(tmp_path / "first.xlsx", *sheet_rows(households=5)), commit=True)
    # Formula-like text typed in the browser survives the round trip as text (openpyxl would
    # write "=1+1" in a test sheet as a formula, so it is set in the registry).
    Household.objects.filter(household_no="6229261012010000").update(group_name="=1+1")
    clerk.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    job = run_export(request_export(user=clerk, report="collection_form", region_code="622926101000", full=True).pk)
    again = import_file(clerk, job.file_path(), commit=True)
    assert again.errors == []
    assert (again.households_unchanged, again.members_unchanged) == (5, 15)
    assert Household.objects.get(household_no="6229261012010000").group_name == "=1+1"


def test_formulas_are_read_as_values_never_run(clerk, township, tmp_path):
    household_rows, member_rows = sheet_rows(households=1)
    household_rows[0]["村民小组"] = '=HYPERLINK("http://evil.example","x")'
    result = import_file(
        clerk, write_collection_file(tmp_path / "formula.xlsx", household_rows, member_rows), commit=True
    )
    assert result.committed
    # openpyxl stores no cached result for a formula it wrote: the value is empty, the formula is not kept.
    assert Household.objects.get().group_name == ""


def test_a_zip_bomb_and_a_renamed_csv_are_refused_before_parsing(tmp_path):
    csv = tmp_path / "households.xlsx"
    csv.write_text("户编号,姓名\n1,马成\n", encoding="utf-8")
    with pytest.raises(UploadRefused) as error:
        check_upload(csv)
    assert "按内容判断" in error.value.messages[0]
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(UploadRefused) as error:
        check_upload(bomb)
    assert "压缩炸弹" in error.value.messages[0]


def test_upload_page_flow_preview_errors_download_and_commit(client, clerk, township, tmp_path):
    household_rows, member_rows = sheet_rows(households=3)
    good_id = member_rows[0]["证件号码"]
    member_rows[0]["证件号码"] = good_id[:-1] + ("1" if good_id[-1] == "0" else "0")  # bad checksum
    login(client, clerk)
    bad = write_collection_file(tmp_path / "bad.xlsx", household_rows, member_rows)
    response = client.post("/households/import/", {"file": SimpleUploadedFile("采集表.xlsx", bad.read_bytes())})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/households/import/{job.pk}/"
    run_import(job.pk, False)  # what the Celery worker does
    page = client.get(f"/households/import/{job.pk}/").content.decode()
    assert "家庭成员" in page and "证件号码" in page and "确认导入" not in page
    errors = client.get(f"/households/import/{job.pk}/errors.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(errors.streaming_content)))
    bad_rows = list(workbook[MEMBER_SHEET].iter_rows(values_only=True))
    # The file as uploaded (all rows: nothing was imported), the bad row's 原因 filled (error_workbook.py).
    assert bad_rows[0][-1] == "原因" and len(bad_rows) == 1 + len(member_rows)
    assert bad_rows[1][-1] and not any(row[-1] for row in bad_rows[2:])
    good = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=3))
    client.post("/households/import/", {"file": SimpleUploadedFile("采集表.xlsx", good.read_bytes())})
    second = ImportJob.objects.latest("id")
    run_import(second.pk, False)
    page = client.get(f"/households/import/{second.pk}/").content.decode()
    assert "新增 3 户" in page and "确认导入" in page
    client.post(f"/households/import/{second.pk}/commit/")
    run_import(second.pk, True)
    assert Household.objects.count() == 3
    assert "已导入" in client.get(f"/households/import/{second.pk}/").content.decode()
    # Not xlsx: refused at upload with a clear message, no job.
    response = client.post("/households/import/", {"file": SimpleUploadedFile("x.xlsx", b"a,b\n1,2\n")})
    assert response.status_code == 400 and "按内容判断" in response.content.decode()
    assert ImportJob.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_confirming_works_in_autocommit_as_views_run(clerk, township, tmp_path):
    """No ATOMIC_REQUESTS: 确认导入 takes its row lock in a transaction of its own."""
    from fupin.celery import app

    path = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=2))
    app.conf.task_always_eager = True
    try:
        job = start_import(user=clerk, uploaded=SimpleUploadedFile("采集表.xlsx", path.read_bytes()))
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEW
        commit_import(user=clerk, job_id=job.pk)
    finally:
        app.conf.task_always_eager = False
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    assert Household.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(clerk):
    """The page polls households_done while the job's one transaction is still open."""
    from django.db import transaction

    job = ImportJob.objects.create(user=clerk, original_name="采集表.xlsx", stored_name="x.xlsx")
    with side_progress(job) as write_progress, transaction.atomic():
        write_progress(200)
        assert ImportJob.objects.get(pk=job.pk).households_done == 200
        ImportJob.objects.filter(pk=job.pk).update(households_total=400)  # now this transaction holds the row
        write_progress(400)  # skipped, not blocked
    assert ImportJob.objects.get(pk=job.pk).households_done == 200


def test_the_blank_template_has_both_sheets(client, clerk):
    login(client, clerk)
    response = client.get("/households/import/template.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[:2] == [HOUSEHOLD_SHEET, MEMBER_SHEET]  # then 填表说明, 我的村 (test_template.py)
    assert [cell.value for cell in workbook[MEMBER_SHEET][1]][:3] == ["户编号", "姓名", "证件号码"]


def test_start_import_refuses_before_creating_a_job(clerk):
    with pytest.raises(Exception) as error:
        start_import(user=clerk, uploaded=SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken"))
    assert "损坏" in str(error.value)
    assert not ImportJob.objects.exists()


def test_api_dry_run_then_commit(api_client, clerk, township, tmp_path):
    path = write_collection_file(tmp_path / "api.xlsx", *sheet_rows(households=2))
    login(api_client, clerk)
    with path.open("rb") as handle:
        response = api_client.post("/api/v1/imports/", {"file": handle, "dry_run": "true"}, format="multipart")
    assert response.status_code == 202
    job_id = response.json()["id"]
    run_import(job_id, False)
    body = api_client.get(f"/api/v1/imports/{job_id}/").json()
    assert (body["status"], body["counts"]["households_new"], body["errors"]) == ("PREVIEW", 2, [])
    assert api_client.post(f"/api/v1/imports/{job_id}/commit/").status_code == 202
    run_import(job_id, True)
    assert api_client.get(f"/api/v1/imports/{job_id}/").json()["status"] == "DONE"
    assert Household.objects.count() == 2
    with io.BytesIO(b"not a workbook") as handle:
        handle.name = "x.xlsx"
        refused = api_client.post("/api/v1/imports/", {"file": handle}, format="multipart")
    assert refused.status_code == 400 and "按内容判断" in refused.json()["file"][0]


def test_error_report_carries_the_uploaded_ids_and_expires_with_the_upload(client, clerk, township, tmp_path, settings):
    from datetime import timedelta

    from django.utils import timezone

    household_rows, member_rows = sheet_rows(households=2)
    member_rows[1]["与户主关系"] = "户主"  # two 户主 in the first household
    login(client, clerk)
    path = write_collection_file(tmp_path / "two-heads.xlsx", household_rows, member_rows)
    client.post("/households/import/", {"file": SimpleUploadedFile("采集表.xlsx", path.read_bytes())})
    job = run_import(ImportJob.objects.get().pk, False)
    assert [(e["sheet"], e["row"], e["column"]) for e in job.errors] == [(MEMBER_SHEET, 3, "与户主关系")]
    report = client.get(f"/households/import/{job.pk}/errors.xlsx")
    assert report["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(b"".join(report.streaming_content)))[MEMBER_SHEET].iter_rows(values_only=True))
    full_id = member_rows[1]["证件号码"]
    # The uploader's own numbers, unmasked, so that the corrected file imports (issue 16; only the
    # uploader may download it, test_error_workbook.py).
    assert rows[2][MEMBER_HEADERS.index("证件号码")] == full_id
    # A clean preview left unconfirmed expires with its file; it can no longer be committed.
    clean = write_collection_file(tmp_path / "clean.xlsx", *sheet_rows(households=2))
    client.post("/households/import/", {"file": SimpleUploadedFile("采集表.xlsx", clean.read_bytes())})
    preview = run_import(ImportJob.objects.latest("id").pk, False)
    assert preview.status == ImportJob.Status.PREVIEW and kept_reading(preview).exists()
    later = timezone.now() + timedelta(hours=settings.TRANSFER_FILE_HOURS, minutes=1)
    assert expire_transfer_files(now=later)["imports"] == 2
    assert not kept_reading(preview).exists()  # the reading the preview kept goes with the upload
    preview.refresh_from_db()
    job.refresh_from_db()
    assert (preview.status, preview.stored_name, job.stored_name) == (ImportJob.Status.EXPIRED, "", "")
    with pytest.raises(Exception, match="只有校验无误"):
        commit_import(user=clerk, job_id=preview.pk)
    assert client.get(f"/households/import/{job.pk}/errors.xlsx").status_code == 404
    assert "已过期" in client.get(f"/households/import/{preview.pk}/").content.decode()
    assert Household.objects.count() == 0


def kept_reading(job: ImportJob):
    return ImportJob.file_dir() / (job.stored_name + read_cache.SUFFIX)


def test_the_commit_imports_what_the_preview_read_without_reading_it_again(clerk, township, tmp_path, monkeypatch):
    path = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=4))
    job = start_import(user=clerk, uploaded=SimpleUploadedFile("采集表.xlsx", path.read_bytes()))
    assert run_import(job.pk, False).status == ImportJob.Status.PREVIEW
    assert kept_reading(job).exists()

    def read_again(*args, **kwargs):
        raise AssertionError("the commit read the file again")

    monkeypatch.setattr("households.imports.jobs.read_file", read_again)
    commit_import(user=clerk, job_id=job.pk)
    done = run_import(job.pk, True)
    assert done.status == ImportJob.Status.DONE and done.counts["households_new"] == 4
    assert Household.objects.count() == 4 and Member.objects.filter(is_active=True).count() == 12
    assert not kept_reading(job).exists()  # it goes with the commit


@pytest.mark.parametrize("fault", ["altered", "of_another_upload"])
def test_a_kept_reading_that_does_not_match_its_upload_is_not_used(clerk, township, tmp_path, monkeypatch, fault):
    household_rows, member_rows = sheet_rows(households=4)
    other = write_collection_file(tmp_path / "other.xlsx", household_rows[:3], member_rows[:9])
    path = write_collection_file(tmp_path / "good.xlsx", household_rows[3:], member_rows[9:])
    first = start_import(user=clerk, uploaded=SimpleUploadedFile("其他.xlsx", other.read_bytes()))
    job = start_import(user=clerk, uploaded=SimpleUploadedFile("采集表.xlsx", path.read_bytes()))
    run_import(first.pk, False)
    run_import(job.pk, False)
    if fault == "altered":
        data = bytearray(kept_reading(job).read_bytes())
        data[-100] ^= 1
        kept_reading(job).write_bytes(bytes(data))
    else:  # another file's reading under this upload's name: signed for the other file
        kept_reading(job).write_bytes(kept_reading(first).read_bytes())
    reads = []
    real_read = jobs.read_file
    monkeypatch.setattr("households.imports.jobs.read_file", lambda *a, **k: reads.append(a) or real_read(*a, **k))
    commit_import(user=clerk, job_id=job.pk)
    done = run_import(job.pk, True)
    assert len(reads) == 1  # the upload itself was read
    assert done.status == ImportJob.Status.DONE and done.counts["households_new"] == 1
    assert list(Household.objects.values_list("household_no", flat=True)) == [household_rows[3]["户编号"]]


def test_a_preview_with_errors_keeps_no_reading(clerk, township, tmp_path):
    household_rows, member_rows = sheet_rows(households=3)
    household_rows[1]["贫困户属性"] = "富裕户"
    path = write_collection_file(tmp_path / "bad.xlsx", household_rows, member_rows)
    job = start_import(user=clerk, uploaded=SimpleUploadedFile("采集表.xlsx", path.read_bytes()))
    preview = run_import(job.pk, False)
    assert preview.errors and not kept_reading(job).exists()
    assert not list(ImportJob.file_dir().glob(glob.escape(job.stored_name) + ".*"))  # nor its unsigned draft


def test_a_preview_that_fails_leaves_no_reading_behind(clerk, township, tmp_path, monkeypatch):
    path = write_collection_file(tmp_path / "good.xlsx", *sheet_rows(households=2))
    job = start_import(user=clerk, uploaded=SimpleUploadedFile("采集表.xlsx", path.read_bytes()))

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("households.imports.jobs.import_rows", broken)
    with pytest.raises(RuntimeError):
        run_import(job.pk, False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert not list(ImportJob.file_dir().glob(glob.escape(job.stored_name) + ".*"))
