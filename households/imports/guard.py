"""The upload guard: anything that is not a plain .xlsx of sane size is refused by its content,
before a parser sees it (a renamed CSV, a macro workbook, a zip bomb, a sheet declared larger
than any 采集表, a shared-string table declared with billions of entries). A 采集表 may also be
an .xls or a .csv (by the upload's name), each checked to be what it claims.

The checks read only the zip directory and the first bytes of a few parts, so they are cheap
enough for the upload request itself. What a file can still hide (a cell far outside its
declared dimension, one long string copied into millions of cells) is bounded by reading the
workbook in a child process under a memory limit (sheets.read_sheets).
"""

import re
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_COMPRESSION_RATIO = 100
# One part may compress better than the whole (a sheet of repeated rows), but not like a bomb.
MAX_PART_RATIO = 200
PART_RATIO_FROM_BYTES = 1024 * 1024
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}

# What a 采集表 can hold: two sheets of at most sheets.MAX_ROWS data rows, a few dozen columns.
MAX_SHEET_ROWS = 200_000
MAX_SHEET_COLUMNS = 200
MAX_SHARED_STRINGS = 10_000_000
HEAD_BYTES = 64 * 1024  # the dimension and the sst counts are in the first element of their part

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_SST = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")
_SST_COUNT = re.compile(rb"\b(count|uniqueCount)\s*=\s*[\"']\s*([0-9]+)\s*[\"']")
_CELL = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")
_MACRO_CONTENT = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)


class UploadRefused(ValidationError):
    """The file is refused before any parsing (not xlsx, too large, a zip bomb)."""


# What a 采集表 may be (imports/sheets.py reads all three); other uploads stay .xlsx only.
COLLECTION_FORMATS = (".xlsx", ".xls", ".csv")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file an .xls is


def upload_suffix(uploaded, accepted: tuple[str, ...] = (".xlsx",)) -> str:
    """The stored file's suffix: the upload's own when accepted, else .xlsx (its content decides)."""
    suffix = Path(str(getattr(uploaded, "name", "") or "")).suffix.lower()
    return suffix if suffix in accepted else ".xlsx"


def upload_problems(uploaded) -> list[str]:
    """What is wrong with an upload before it is stored (none, too large), in Chinese."""
    if uploaded is None:
        return ["请选择要上传的 .xlsx、.xls 或 .csv 文件。"]
    if uploaded.size > MAX_UPLOAD_BYTES:
        return [f"文件过大，上限为 {MAX_UPLOAD_BYTES // 2**20} MB。"]
    return []


def store_checked_upload(uploaded, directory: Path, *, accepted: tuple[str, ...] = (".xlsx",)) -> str:
    """Write the upload under a random name in `directory` and check it (check_upload); its name.

    The name keeps the upload's suffix when it is `accepted` (the 采集表: COLLECTION_FORMATS).
    A refused file is deleted at once and the refusal raised as ValidationError keyed `file`.
    """
    stored = f"{uuid.uuid4().hex}{upload_suffix(uploaded, accepted)}"
    path = directory / stored
    with path.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    try:
        check_upload(path)
    except UploadRefused as error:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": error.messages}) from error
    return stored


def check_upload(path: Path) -> None:
    """Refuse anything that is not a plain xlsx (or, stored as such, an .xls or a .csv) of sane
    size, by content, before the workbook is read."""
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"文件过大（{size / 2**20:.1f} MB），上限为 {MAX_UPLOAD_BYTES // 2**20} MB。")
    with path.open("rb") as handle:
        head = handle.read(8)
    if path.suffix.lower() == ".xls":
        if head != OLE2_MAGIC:
            raise UploadRefused("文件不是 Excel 97-2003 的 .xls 文件（按内容判断，与扩展名无关）。")
        return  # calamine reads it in the bounded child process, which bounds the rest
    if path.suffix.lower() == ".csv":
        if head.startswith((b"PK\x03\x04", OLE2_MAGIC)):
            raise UploadRefused("文件不是 CSV 文本文件（按内容判断，与扩展名无关）；Excel 文件请保存为 .xlsx 上传。")
        return  # decoded (UTF-8 or GB18030) in the bounded child process
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise UploadRefused("文件不是 Excel 2007 及以上版本的 .xlsx 文件（按内容判断，与扩展名无关）。")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_entries(entries, size)
            _check_declared_sizes(archive, entries)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        # A broken deflate stream, an unknown compression method: not a file Excel wrote.
        raise UploadRefused("文件已损坏，不是有效的 .xlsx 文件。") from error


def _check_entries(entries: list[zipfile.ZipInfo], size: int) -> None:
    names = {entry.filename for entry in entries}
    if not names >= XLSX_PARTS:
        raise UploadRefused("文件不是 .xlsx 工作簿（缺少工作簿结构）。")
    # Zip names are case-sensitive, Excel's part names are not: xl/VBAProject.bin is a macro too.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRefused("不接受含宏的工作簿，请另存为 .xlsx 后上传。")
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused("文件内部结构异常（条目过多），已拒绝。")
    uncompressed = sum(entry.file_size for entry in entries)
    if uncompressed > MAX_UNCOMPRESSED_BYTES or uncompressed > MAX_COMPRESSION_RATIO * max(size, 1):
        raise UploadRefused("文件解压后体积异常（疑似压缩炸弹），已拒绝。")
    for entry in entries:
        if entry.file_size > PART_RATIO_FROM_BYTES and entry.file_size > MAX_PART_RATIO * max(entry.compress_size, 1):
            raise UploadRefused("文件解压后体积异常（疑似压缩炸弹），已拒绝。")


def _head(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    with archive.open(entry) as part:
        return part.read(HEAD_BYTES)


def _check_declared_sizes(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """The content types, each sheet's declared dimension and the shared-string counts."""
    for entry in entries:
        name = entry.filename.lower()
        if name == "[content_types].xml" and _MACRO_CONTENT.search(_head(archive, entry)):
            raise UploadRefused("不接受含宏的工作簿，请另存为 .xlsx 后上传。")
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            found = _DIMENSION.search(_head(archive, entry))
            if found:
                _check_dimension(found.group(1).decode("ascii", "replace"))
        if name.endswith("sharedstrings.xml"):
            element = _SST.search(_head(archive, entry))
            counts = _SST_COUNT.findall(element.group(0)) if element else []
            if any(len(value) > 9 or int(value) > MAX_SHARED_STRINGS for _, value in counts):
                raise UploadRefused("文件声明的文本数量异常（超过采集表可能的上限），已拒绝。")


def _check_dimension(ref: str) -> None:
    """A sheet declared larger than MAX_SHEET_ROWS × MAX_SHEET_COLUMNS is refused (A1:XFD1048576 is)."""
    for cell in ref.split(":"):
        found = _CELL.fullmatch(cell.strip())
        if not found:
            continue  # calamine ignores a dimension it cannot read; the child process bounds the rest
        letters, row = found.groups()
        column = 0
        for letter in letters.upper()[:4]:  # four letters are already past any sheet's width
            column = column * 26 + ord(letter) - ord("A") + 1
        if len(row) > 9 or int(row) > MAX_SHEET_ROWS or column > MAX_SHEET_COLUMNS:
            raise UploadRefused(
                f"工作表范围过大（声明到 {cell.strip()[:20]}），采集表最多 {MAX_SHEET_ROWS} 行、"
                f"{MAX_SHEET_COLUMNS} 列，请删除多余的单元格后重新上传。"
            )
