"""Private scanned files (a photo of a visit, a signed paper): kept outside MEDIA_ROOT and the static
files, under a random name, and served only to a user who first found the owning object through
`visible_to(user)` (docs/domain.md §9.6).

What a file is, is decided by its first bytes, never by its name or the browser's content type:
only JPEG, PNG and PDF are kept, up to settings.ATTACHMENT_MAX_BYTES.

No orphan files: `storing` writes the upload under `pending/` at once (a full disk is the save's
error, not a file lost after the commit), deletes it if the block around it fails, and moves it
into place when the transaction commits. A transaction rolled back further out leaves it in
`pending/`, where nothing serves it and every later upload removes leftovers older than
PENDING_HOURS. `discard` deletes a kept file when the deletion of its owner commits.
"""

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404

from .text import text_problem

# Content type → (the first bytes of such a file, the extension it is kept under).
KINDS = {
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "application/pdf": (b"%PDF-", ".pdf"),
}
TYPE_OF_EXTENSION = {extension: content_type for content_type, (_, extension) in KINDS.items()}
HEAD_BYTES = max(len(magic) for magic, _ in KINDS.values())
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|pdf)")
PENDING_HOURS = 6
ORIGINAL_NAME_MAX = 200
REFUSED_KIND = "只能上传 JPG、PNG 图片或 PDF 文件（按文件内容判断，与扩展名无关）。"


@dataclass(frozen=True)
class StoredAttachment:
    name: str  # the random name it is kept under
    original_name: str  # the uploader's name for it, for the download only
    content_type: str


def attachment_dir() -> Path:
    return Path(settings.PRIVATE_ATTACHMENT_DIR)


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def kind_of(head: bytes) -> str | None:
    """The content type the first bytes of a file prove, or None."""
    return next((content_type for content_type, (magic, _) in KINDS.items() if head.startswith(magic)), None)


def check_attachment(uploaded, *, field: str = "attachment") -> str:
    """The upload's content type (by its first bytes) if it may be kept; else ValidationError keyed `field`."""
    limit = max_bytes()
    if uploaded.size > limit:
        raise ValidationError(
            {field: [f"文件过大（{uploaded.size / 2**20:.1f} MB），上限为 {limit / 2**20:g} MB。"]}, code="too_large"
        )
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    content_type = kind_of(head or b"")
    if content_type is None:
        raise ValidationError({field: [REFUSED_KIND]}, code="file_type")
    return content_type


def original_name_of(uploaded) -> str:
    """The uploader's file name without any folder, shortened, or a neutral name if it cannot be shown."""
    name = PurePath(str(getattr(uploaded, "name", "") or "").replace("\\", "/")).name.strip()
    if not name or text_problem(name) is not None:
        return "附件"
    return name[-ORIGINAL_NAME_MAX:]


@contextmanager
def storing(uploaded, *, field: str = "attachment") -> Iterator[StoredAttachment]:
    """Check and write an upload; kept when the transaction commits, deleted if the block fails.

    Use inside the service's transaction, around the save of the row that names the file.
    """
    content_type = check_attachment(uploaded, field=field)
    _sweep_pending()
    name = f"{uuid.uuid4().hex}{KINDS[content_type][1]}"
    pending = _pending_dir() / name
    written = 0
    try:
        with pending.open("xb") as handle:
            for chunk in uploaded.chunks():
                written += len(chunk)
                if written > max_bytes():  # a declared size that lied
                    raise ValidationError({field: [f"文件过大，上限为 {max_bytes() / 2**20:g} MB。"]}, code="too_large")
                handle.write(chunk)
        yield StoredAttachment(name, original_name_of(uploaded), content_type)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    transaction.on_commit(lambda: os.replace(pending, attachment_dir() / name))


def discard(name: str) -> None:
    """Delete a kept file once the transaction that dropped its owner commits (at once outside one)."""
    if name and STORED_NAME.fullmatch(name):
        transaction.on_commit(lambda: (attachment_dir() / name).unlink(missing_ok=True))


def is_kept(name: str) -> bool:
    """Whether a kept file of that name exists (not a pending one)."""
    return bool(name) and STORED_NAME.fullmatch(name) is not None and (attachment_dir() / name).is_file()


def kept_files() -> list[Path]:
    """Every kept file (under its stored name; not `pending/`), for a backup."""
    directory = attachment_dir()
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if STORED_NAME.fullmatch(path.name) and path.is_file())


def keep_restored(name: str, source) -> None:
    """Put back a kept file from a backup under its stored name (written aside, then moved into place)."""
    if not STORED_NAME.fullmatch(name):
        raise ValueError(f"not a stored attachment name: {name!r}")
    directory = attachment_dir()
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"{name}.restoring"
    with partial.open("wb") as handle:
        shutil.copyfileobj(source, handle)
    os.replace(partial, directory / name)


def attachment_response(name: str, original_name: str) -> FileResponse:
    """The kept file, for a caller that has already found its owner through visible_to(user).

    Images inline with their own type, a PDF as a download; no cache keeps it, no browser guesses
    another type. The type comes from the kept name, which this module chose from the content.
    """
    if not is_kept(name):
        raise Http404("附件不存在。")
    content_type = TYPE_OF_EXTENSION[Path(name).suffix]
    response = FileResponse(
        (attachment_dir() / name).open("rb"),
        as_attachment=content_type == "application/pdf",
        filename=original_name or f"附件{Path(name).suffix}",
        content_type=content_type,
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pending_dir() -> Path:
    pending = attachment_dir() / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    return pending


def _sweep_pending() -> None:
    """Remove what rolled-back transactions left in pending/ (older than PENDING_HOURS)."""
    cutoff = time.time() - PENDING_HOURS * 3600
    for leftover in _pending_dir().iterdir():
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
        except OSError:
            continue  # another request removed it meanwhile
