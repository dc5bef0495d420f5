from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from desk.regions import DATA_DIR, RegionFileError, import_regions


class Command(BaseCommand):
    help = "Load the Kemendagri regions (provinces to villages) shipped in desk/data."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DATA_DIR, help="folder with the CSV files")

    def handle(self, *args, path: Path, verbosity: int, **options):
        try:
            with tqdm(unit="region", disable=verbosity == 0, file=self.stderr._out) as bar:
                stats = import_regions(path, bar=bar)
        except RegionFileError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        levels = ", ".join(f"{n} {level}" for level, n in stats.per_level.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Regions: {levels}. Created {stats.created}, updated {stats.updated}, "
                f"unchanged {stats.unchanged}."
            )
        )
        if stats.missing_from_files:
            self.stdout.write(
                f"{stats.missing_from_files} regions in the database are no longer in the files; "
                "they were kept."
            )
