from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from cityloop.core import backup


class Command(BaseCommand):
    help = (
        "备份数据库（SQLite 在线备份 / PostgreSQL pg_dump）、上传文件和密钥到一个新目录，"
        "附清单（行数、sha256）/ Back up the database, uploads and secret key into a new "
        "directory, with a manifest of row counts and checksums."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "dir", type=Path, help="备份目录（新的或空的）/ a new or empty directory"
        )

    def handle(self, *args, dir: Path, **options) -> None:
        database = backup.Database.from_settings(connections["default"].settings_dict)
        key_file = None if settings.CITYLOOP.secret_key else Path(settings.DATA_DIR) / "secret_key"
        try:
            manifest = backup.backup(
                dir, database=database, media_root=Path(settings.MEDIA_ROOT), key_file=key_file
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(f"备份完成 / backup written: {dir}")
        self.stdout.write("\n".join(backup.summary_lines(manifest)))
        self.stdout.write(f"  上传文件 media files: {media}")
        if manifest["secret_key"] == "environment":
            self.stdout.write(
                "  密钥来自环境变量 CITYLOOP_SECRET_KEY，未写入备份，请与部署配置一起保管 / "
                "the secret key comes from CITYLOOP_SECRET_KEY and is not in the backup"
            )
