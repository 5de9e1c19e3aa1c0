"""`make backup` / `make restore`: a dump and its keys restore into a fresh database, readable."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from fupin.backups import create_backup, read_keys
from households.models import Member
from tests.factories import household_with_members, region

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(settings.BASE_DIR)


def admin_connection():
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(name: str) -> str:
    url = os.environ["DATABASE_URL"]
    return url.rsplit("/", 1)[0] + "/" + name


def manage(args: list[str], **environment: str) -> subprocess.CompletedProcess:
    """manage.py in a child process: a machine that has only the backup and the keys."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )


def restore_with_its_keys(backup, database: str, **environment: str) -> subprocess.CompletedProcess:
    """`manage.py restore` of `backup` into `database` in a child process holding the backup's keys."""
    keys = read_keys(backup.keys)
    key_env = {name: keys[name] for name in ("SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY")}
    return manage(["restore", str(backup.dump)], DATABASE_URL=database_url(database), **key_env, **environment)


def test_a_backup_restores_into_a_fresh_database_and_its_id_numbers_decrypt(tmp_path, fresh_database):
    household = household_with_members(region("622926101201"), size=3)
    member = household.members.order_by("pk").first()
    backup = create_backup(tmp_path)
    assert backup.dump.stat().st_size > 0
    assert backup.keys.stat().st_mode & 0o777 == 0o600
    assert backup.dump.stat().st_mode & 0o777 == 0o600
    keys = read_keys(backup.keys)
    # The ciphertext is what the dump holds: no clear ID number in it.
    assert member.id_number.encode() not in backup.dump.read_bytes()

    key_env = {name: keys[name] for name in ("SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY")}
    restored = manage(["restore", str(backup.dump)], DATABASE_URL=database_url(fresh_database), **key_env)
    assert restored.returncode == 0, restored.stderr
    assert "3 名成员" in restored.stdout

    read_back = manage(
        [
            "shell",
            "--no-imports",
            "-c",
            f"from households.models import Member; print(Member.objects.get(pk={member.pk}).id_number)",
        ],
        DATABASE_URL=database_url(fresh_database),
        **key_env,
    )
    assert read_back.returncode == 0, read_back.stderr
    assert read_back.stdout.strip() == member.id_number


def test_a_restore_under_other_keys_is_refused_and_the_database_is_left_alone(tmp_path, fresh_database):
    household_with_members(region("622926101201"), size=2)
    backup = create_backup(tmp_path)
    keys = read_keys(backup.keys)
    restored = manage(
        ["restore", str(backup.dump)],
        DATABASE_URL=database_url(fresh_database),
        SECRET_KEY="another-secret-key-entirely-" + "x" * 30,
        SALT_KEY=keys["SALT_KEY"],
        ID_HMAC_KEY=keys["ID_HMAC_KEY"],
    )
    assert restored.returncode != 0
    assert "当前密钥与备份时的密钥不一致" in restored.stderr
    params = connection.get_connection_params() | {"dbname": fresh_database}
    with psycopg.connect(**params) as fresh:
        tables = fresh.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0


def test_a_restore_without_its_key_file_says_what_is_missing(tmp_path):
    household_with_members(region("622926101201"), size=1)
    backup = create_backup(tmp_path)
    backup.keys.unlink()
    with pytest.raises(CommandError, match="找不到密钥文件"):
        call_command("restore", str(backup.dump))
    assert Member.objects.count() == 1


PNG = b"\x89PNG\r\n\x1a\n" + b"scan" * 100


@pytest.fixture
def attachment_store(settings, tmp_path):
    """This machine's attachment store: one kept scan, one upload still pending, one stray file."""
    store = tmp_path / "store"
    (store / "pending").mkdir(parents=True)
    settings.PRIVATE_ATTACHMENT_DIR = store
    kept = "0123456789abcdef0123456789abcdef.png"
    (store / kept).write_bytes(PNG)
    (store / "pending" / "fedcba9876543210fedcba9876543210.png").write_bytes(PNG)
    (store / "notes.txt").write_text("not an attachment")
    return {"store": store, "kept": kept}


def test_the_scanned_attachments_are_backed_up_and_restored_on_another_machine(
    tmp_path, fresh_database, attachment_store
):
    household_with_members(region("622926101201"), size=1)
    backup = create_backup(tmp_path / "backups")
    assert backup.attachment_count == 1
    assert backup.attachments.stat().st_mode & 0o777 == 0o600
    with tarfile.open(backup.attachments) as archive:
        assert archive.getnames() == [attachment_store["kept"]]  # not the pending upload, not the stray file

    elsewhere = tmp_path / "another-machine"
    restored = restore_with_its_keys(backup, fresh_database, FUPIN_PRIVATE_ATTACHMENT_DIR=str(elsewhere))
    assert restored.returncode == 0, restored.stderr
    assert "附件 1 个" in restored.stdout
    assert sorted(path.name for path in elsewhere.iterdir()) == [attachment_store["kept"]]
    assert (elsewhere / attachment_store["kept"]).read_bytes() == PNG


@pytest.mark.parametrize("entry", ["../0123456789abcdef0123456789abcdef.png", "notes.txt"])
def test_an_archive_with_anything_but_attachments_refuses_the_restore_before_the_database(
    tmp_path, fresh_database, attachment_store, entry
):
    household_with_members(region("622926101201"), size=1)
    backup = create_backup(tmp_path / "backups")
    with tarfile.open(backup.attachments, "w") as archive:
        archive.add(attachment_store["store"] / "notes.txt", arcname=entry)
    elsewhere = tmp_path / "another-machine"
    restored = restore_with_its_keys(backup, fresh_database, FUPIN_PRIVATE_ATTACHMENT_DIR=str(elsewhere))
    assert restored.returncode != 0
    assert f"含有不是附件的条目“{entry}”" in restored.stderr
    params = connection.get_connection_params() | {"dbname": fresh_database}
    with psycopg.connect(**params) as fresh:
        assert fresh.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
    assert not elsewhere.exists() and not (tmp_path / "0123456789abcdef0123456789abcdef.png").exists()


def test_a_backup_made_before_attachments_were_archived_restores_and_says_so(tmp_path, fresh_database):
    household_with_members(region("622926101201"), size=1)
    backup = create_backup(tmp_path)
    backup.attachments.unlink()
    restored = restore_with_its_keys(backup, fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert "附件未恢复" in restored.stdout
