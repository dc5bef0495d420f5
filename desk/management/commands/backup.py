from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent PostgreSQL dump and the private evidence files, with a manifest "
        "of SHA-256 hashes and row counts, into a new directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="a new (or empty) directory")
        parser.add_argument(
            "--media-root",
            type=Path,
            default=None,
            help="the evidence files (default: PRIVATE_MEDIA_ROOT)",
        )

    def handle(self, *args, destination, media_root, **options):
        try:
            manifest = backup_create(
                destination=destination,
                database=settings.DATABASES["default"],
                media_root=media_root or settings.PRIVATE_MEDIA_ROOT,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest.tables.values())
        size = manifest.dump["bytes"] + sum(f["bytes"] for f in manifest.files)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {destination}: {len(manifest.tables)} tables, {rows} rows, "
                f"{len(manifest.files)} evidence files, {size / 1e6:.1f} MB."
            )
        )
