from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fupin.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = "用 backup 生成的备份替换当前数据库的内容（先核对密钥，失败则数据库不变）。"

    def add_arguments(self, parser):
        parser.add_argument("dump", help="备份文件（.dump）")
        parser.add_argument("--keys", help="密钥文件（默认与备份同名的 .keys.env）")

    def handle(self, *args, dump, keys, **options):
        try:
            restored = restore_backup(Path(dump), Path(keys) if keys else None)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if restored.attachments is None:
            files = "备份旁没有附件文件（.attachments.tar），附件未恢复"
        else:
            files = f"附件 {restored.attachments:,} 个"
        self.stdout.write(f"已恢复 {dump}：{restored.members:,} 名成员，证件号码可解密；{files}。")
