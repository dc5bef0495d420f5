from pathlib import Path

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Check a backup's manifest and load it into an empty database and evidence directory "
        "(refuses a non-empty target unless --force)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="a directory written by manage.py backup")
        parser.add_argument(
            "--database-url",
            default=None,
            help="the target database (default: DATABASE_URL)",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            default=None,
            help="the target evidence directory (default: PRIVATE_MEDIA_ROOT)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the backup holds in a target that is not empty",
        )

    def handle(self, *args, source, database_url, media_root, force, **options):
        database = (
            environ.Env.db_url_config(database_url)
            if database_url
            else settings.DATABASES["default"]
        )
        try:
            manifest = backup_restore(
                source=source,
                database=database,
                media_root=media_root or settings.PRIVATE_MEDIA_ROOT,
                force=force,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest.created_at}: {len(manifest.tables)} tables, "
                f"{sum(manifest.tables.values())} rows (each table's count checked), "
                f"{len(manifest.files)} evidence files (each hash checked)."
            )
        )
