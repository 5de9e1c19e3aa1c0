from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fupin.backups import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库（pg_dump 自定义格式）并在旁边写出恢复所需的密钥文件。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="directory",
            default=str(Path(settings.VAR_DIR) / "backups"),
            help="备份目录（默认 var/backups）",
        )

    def handle(self, *args, directory, **options):
        try:
            backup = create_backup(Path(directory))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"数据库备份：{backup.dump}")
        self.stdout.write(f"附件（{backup.attachment_count:,} 个）：{backup.attachments}")
        self.stdout.write(f"密钥文件：{backup.keys}")
        self.stdout.write(
            "请把密钥文件与备份分开、离线保存：没有它，恢复后的证件号码和电话无法解密；有了它，备份即是明文。"
        )
