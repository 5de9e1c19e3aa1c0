"""The upload guard: anything that is not a plain .xlsx of sane size is refused by its content,
before a parser sees it (a renamed CSV, a macro workbook, a zip bomb)."""

import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_COMPRESSION_RATIO = 100
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}


class UploadRefused(ValidationError):
    """The file is refused before any parsing (not xlsx, too large, a zip bomb)."""


def check_upload(path: Path) -> None:
    """Refuse anything that is not a plain xlsx of sane size, by content, before the workbook is read."""
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"文件过大（{size / 2**20:.1f} MB），上限为 {MAX_UPLOAD_BYTES // 2**20} MB。")
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise UploadRefused("文件不是 Excel 2007 及以上版本的 .xlsx 文件（按内容判断，与扩展名无关）。")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as error:
        raise UploadRefused("文件已损坏，不是有效的 .xlsx 文件。") from error
    names = {entry.filename for entry in entries}
    if not names >= XLSX_PARTS:
        raise UploadRefused("文件不是 .xlsx 工作簿（缺少工作簿结构）。")
    if "xl/vbaProject.bin" in names:
        raise UploadRefused("不接受含宏的工作簿，请另存为 .xlsx 后上传。")
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused("文件内部结构异常（条目过多），已拒绝。")
    uncompressed = sum(entry.file_size for entry in entries)
    if uncompressed > MAX_UNCOMPRESSED_BYTES or uncompressed > MAX_COMPRESSION_RATIO * max(size, 1):
        raise UploadRefused("文件解压后体积异常（疑似压缩炸弹），已拒绝。")
