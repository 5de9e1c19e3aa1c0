"""The private store of scanned files (core/attachments.py): kinds by content, the size limit, no orphans."""

import os
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from core import attachments
from fupin import settings as project_settings

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"%" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def kept_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def root(settings) -> Path:
    return Path(settings.PRIVATE_ATTACHMENT_DIR)


def test_the_store_is_outside_media_and_static():
    configured = Path(project_settings.PRIVATE_ATTACHMENT_DIR)
    for public in (project_settings.MEDIA_ROOT, project_settings.STATIC_ROOT, *project_settings.STATICFILES_DIRS):
        public = Path(public[1] if isinstance(public, tuple) else public)
        assert not configured.is_relative_to(public) and not public.is_relative_to(configured)


def test_the_kind_is_read_from_the_first_bytes():
    assert attachments.kind_of(PNG) == "image/png"
    assert attachments.kind_of(JPEG) == "image/jpeg"
    assert attachments.kind_of(PDF) == "application/pdf"
    assert attachments.kind_of(EXE) is None
    assert attachments.kind_of(b"") is None


@pytest.mark.parametrize(
    ("name", "content", "browser_type"),
    [
        ("scan.jpg", EXE, "image/jpeg"),  # a program renamed .jpg
        ("签字.pdf", "这是一个文本文件，不是PDF。".encode(), "application/pdf"),
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"),
    ],
)
def test_a_file_that_is_not_an_image_or_pdf_is_refused_whatever_its_name(root, name, content, browser_type):
    upload = SimpleUploadedFile(name, content, content_type=browser_type)
    with pytest.raises(ValidationError) as refused, attachments.storing(upload, field="attachment"):
        pass
    assert refused.value.message_dict == {"attachment": [attachments.REFUSED_KIND]}
    assert kept_files(root) == []


def test_a_file_over_the_limit_is_refused_before_anything_is_written(root, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * 1024, content_type="image/png")
    with pytest.raises(ValidationError) as refused, attachments.storing(upload):
        pass
    assert "文件过大" in refused.value.message_dict["attachment"][0]
    assert kept_files(root) == []


def test_a_file_is_kept_under_a_random_name_when_the_transaction_commits(root, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("../../etc/照片.png", PNG, content_type="application/octet-stream")
    with django_capture_on_commit_callbacks(execute=True), attachments.storing(upload) as stored:
        assert not (root / stored.name).exists()  # pending until the commit
    assert stored.content_type == "image/png"
    assert stored.original_name == "照片.png"
    assert attachments.STORED_NAME.fullmatch(stored.name) and stored.name.endswith(".png")
    assert (root / stored.name).read_bytes() == PNG
    assert kept_files(root) == [root / stored.name]


def test_a_failed_save_keeps_no_file(root, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), attachments.storing(upload):
        raise RuntimeError("the row could not be saved")
    assert kept_files(root) == []


def test_what_a_rolled_back_transaction_left_is_swept_by_a_later_upload(root):
    # Without a commit (the test's transaction is rolled back) the file stays pending, never kept.
    with attachments.storing(SimpleUploadedFile("a.png", PNG)) as stored:
        pass
    leftover = root / "pending" / stored.name
    assert leftover.exists() and not (root / stored.name).exists()
    old = time.time() - (attachments.PENDING_HOURS + 1) * 3600
    os.utime(leftover, (old, old))
    with attachments.storing(SimpleUploadedFile("b.png", PNG)):
        pass
    assert not leftover.exists()


def test_an_image_is_served_inline_and_a_pdf_as_a_download_never_cached(root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with attachments.storing(SimpleUploadedFile("走访.jpg", JPEG)) as image:
            pass
        with attachments.storing(SimpleUploadedFile("签字.pdf", PDF)) as paper:
            pass
    response = attachments.attachment_response(image.name, image.original_name)
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == JPEG
    response = attachments.attachment_response(paper.name, paper.original_name)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    response.close()


@pytest.mark.parametrize("name", ["", "../secrets.env", "pending/x.png", "0" * 32 + ".exe", "0" * 32 + ".png"])
def test_a_name_that_is_not_a_kept_file_is_not_found(root, name):
    with pytest.raises(Http404):
        attachments.attachment_response(name, "x")


def test_discard_deletes_a_kept_file_on_commit(root, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("a.png", PNG)
    with django_capture_on_commit_callbacks(execute=True), attachments.storing(upload) as stored:
        pass
    with django_capture_on_commit_callbacks(execute=True):
        attachments.discard(stored.name)
    assert kept_files(root) == []
