from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from cityloop.core import backup


class Command(BaseCommand):
    help = (
        "从备份目录恢复数据库、上传文件和密钥：先核对清单校验和，目标库非空时需 --force / "
        "Restore a backup directory: checksums verified first; a non-empty target database "
        "needs --force."
    )
    # The target may be empty: nothing here may need its tables.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path, help="备份目录 / the backup directory")
        parser.add_argument(
            "--force",
            action="store_true",
            help="覆盖已有数据的目标库 / replace a target database that has tables",
        )

    def handle(self, *args, dir: Path, force: bool = False, **options) -> None:
        database = backup.Database.from_settings(connections["default"].settings_dict)
        try:
            manifest = backup.restore(
                dir,
                database=database,
                media_root=Path(settings.MEDIA_ROOT),
                key_file=Path(settings.DATA_DIR) / "secret_key",
                force=force,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"恢复完成，行数已与清单核对 / restored, row counts verified: {dir}")
        self.stdout.write("\n".join(backup.summary_lines(manifest)))
        if manifest["secret_key"] == "file" and settings.CITYLOOP.secret_key:
            self.stdout.write(
                "  注意：CITYLOOP_SECRET_KEY 已设置，它优先于恢复的密钥文件 / "
                "note: CITYLOOP_SECRET_KEY is set and wins over the restored key file"
            )
