"""Loading the Kemendagri region hierarchy shipped in ``desk/data``.

The load is strict (any malformed row stops it with file and line, before a
single write), atomic, idempotent (a second run writes nothing; a renamed
region is updated) and bulk: new rows through COPY on PostgreSQL (INSERT
batches elsewhere), changed rows in UPDATE batches, never a save() per row.
"""

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Substr

from desk.models import TIMEZONE_LABELS, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
BATCH = 5000


class RegionFileError(ValueError):
    """A row of a region file that cannot be loaded; says where."""

    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line = path, line
        super().__init__(f"{path.name}, line {line}: {message}")


@dataclass(frozen=True)
class _Level:
    filename: str
    level: str
    header: tuple[str, ...]
    pattern: re.Pattern


LEVELS = (
    _Level("provinces", Region.Level.PROVINCE, ("code", "name"), re.compile(r"\d{2}")),
    _Level(
        "regencies",
        Region.Level.REGENCY,
        ("code", "province_code", "name"),
        re.compile(r"\d{2}\.\d{2}"),
    ),
    _Level(
        "districts",
        Region.Level.DISTRICT,
        ("code", "regency_code", "name"),
        re.compile(r"\d{2}\.\d{2}\.\d{2}"),
    ),
    _Level(
        "villages",
        Region.Level.VILLAGE,
        ("code", "district_code", "name"),
        re.compile(r"\d{2}\.\d{2}\.\d{2}\.[123]\d{3}"),
    ),
)

VILLAGE_KIND = {"1": Region.Kind.KELURAHAN, "2": Region.Kind.DESA, "3": Region.Kind.DESA_ADAT}


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_from_files: int = 0
    per_level: dict[str, int] = field(default_factory=dict)


def _open(directory: Path, stem: str) -> tuple[Path, io.TextIOBase]:
    for path in (directory / f"{stem}.csv.gz", directory / f"{stem}.csv"):
        if path.exists():
            if path.suffix == ".gz":
                return path, io.TextIOWrapper(gzip.open(path), encoding="utf-8", newline="")
            return path, path.open(encoding="utf-8", newline="")
    raise RegionFileError(directory / f"{stem}.csv.gz", 0, "file not found")


def _rows(path: Path, handle, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    # strict=True turns broken quoting into csv.Error instead of a silently
    # merged row; line_num counts physical lines, so quoted newlines stay right.
    reader = csv.reader(handle, strict=True)
    try:
        first = next(reader, None)
        if first is None or tuple(c.strip().lstrip("\ufeff") for c in first) != header:
            raise RegionFileError(path, 1, f"expected the header {','.join(header)}, got {first}")
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise RegionFileError(path, reader.line_num, f"malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise RegionFileError(path, reader.line_num + 1, "not UTF-8 text") from None


def _timezones(directory: Path) -> dict[str, str]:
    path = directory / "province_timezones.csv"
    if not path.exists():
        path = DATA_DIR / "province_timezones.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        zones = {}
        for line, row in _rows(path, handle, ("province_code", "timezone")):
            if len(row) != 2 or row[1] not in TIMEZONE_LABELS:
                raise RegionFileError(path, line, f"unknown time zone {row}")
            zones[row[0]] = row[1]
        return zones


def _kind(level: str, code: str) -> str:
    if level == Region.Level.PROVINCE:
        return Region.Kind.PROVINCE
    if level == Region.Level.REGENCY:
        # DKI Jakarta's kabupaten and kota are administrative (no election).
        kota = int(code[3:5]) >= 71
        if code.startswith("31."):
            return Region.Kind.KOTA_ADM if kota else Region.Kind.KABUPATEN_ADM
        return Region.Kind.KOTA if kota else Region.Kind.KABUPATEN
    if level == Region.Level.DISTRICT:
        return Region.Kind.KECAMATAN
    return VILLAGE_KIND[code[9]]


def parse_region_files(
    directory: Path = DATA_DIR, villages_under: tuple[str, ...] | None = None
) -> list[tuple]:
    """Read and check every file; return (code, level, kind, parent, name, tz)
    rows in parent-first order. Raises RegionFileError on the first bad row.

    ``villages_under`` keeps only the villages below those codes (tests and
    small demos load every province, kabupaten and kecamatan but a few
    thousand villages instead of 83,762)."""
    zones = _timezones(directory)
    seen: dict[str, str] = {}
    out: list[tuple] = []
    for spec in LEVELS:
        path, handle = _open(directory, spec.filename)
        with handle:
            for line, row in _rows(path, handle, spec.header):
                if len(row) != len(spec.header):
                    raise RegionFileError(
                        path, line, f"expected {len(spec.header)} columns, got {len(row)}"
                    )
                code, name = row[0].strip(), row[-1].strip()
                parent = row[1].strip() if len(row) == 3 else None
                if not spec.pattern.fullmatch(code):
                    raise RegionFileError(path, line, f"code {code!r} is not a {spec.level} code")
                if code in seen:
                    raise RegionFileError(path, line, f"code {code} appears twice")
                if parent is not None and (
                    seen.get(parent) is None or code.rsplit(".", 1)[0] != parent
                ):
                    raise RegionFileError(
                        path,
                        line,
                        f"parent {parent!r} of {code} is not a known region above it",
                    )
                if not name or len(name) > 100:
                    raise RegionFileError(path, line, "name is empty or longer than 100 characters")
                zone = zones.get(code[:2])
                if zone is None:
                    raise RegionFileError(path, line, f"no time zone for province {code[:2]}")
                seen[code] = spec.level
                if (
                    villages_under is not None
                    and spec.level == Region.Level.VILLAGE
                    and not code.startswith(villages_under)
                ):
                    continue
                out.append((code, spec.level, _kind(spec.level, code), parent, name, zone))
    return out


def import_regions(
    directory: Path = DATA_DIR, bar=None, villages_under: tuple[str, ...] | None = None
) -> ImportStats:
    """Load the files into Region: create what is new, update what changed.

    ``bar`` is an optional progress bar (tqdm's interface: total, update).
    """
    rows = parse_region_files(directory, villages_under)
    if bar is not None:
        bar.total = len(rows)
    stats = ImportStats()
    with transaction.atomic():
        existing = {
            r[0]: r[1:]
            for r in Region.objects.values_list(
                "code", "level", "kind", "parent_id", "name", "timezone"
            )
        }
        new, changed = [], []
        for code, level, kind, parent, name, zone in rows:
            stats.per_level[level] = stats.per_level.get(level, 0) + 1
            current = existing.pop(code, None)
            values = (level, kind, parent, name, zone)
            if current is None:
                new.append((code, *values))
            elif current != values:
                changed.append(
                    Region(
                        code=code,
                        level=level,
                        kind=kind,
                        parent_id=parent,
                        name=name,
                        timezone=zone,
                    )
                )
            else:
                stats.unchanged += 1
        if new and connection.vendor == "postgresql":
            _copy_into_regions(new, bar)
        else:
            fields = ("code", "level", "kind", "parent_id", "name", "timezone")
            for start in range(0, len(new), BATCH):
                chunk = new[start : start + BATCH]
                Region.objects.bulk_create(
                    Region(**dict(zip(fields, r, strict=True))) for r in chunk
                )
                if bar is not None:
                    bar.update(len(chunk))
        fields = ["level", "kind", "parent", "name", "timezone"]
        for start in range(0, len(changed), BATCH):
            Region.objects.bulk_update(changed[start : start + BATCH], fields)
            if bar is not None:
                bar.update(len(changed[start : start + BATCH]))
        if bar is not None:
            bar.update(stats.unchanged)
        count_villages()
    stats.created, stats.updated = len(new), len(changed)
    # Regions dropped from the files stay: meetings and reports may point at them.
    stats.missing_from_files = len(existing)
    return stats


def count_villages() -> None:
    """Set each province's, kabupaten/kota's and kecamatan's number of
    desa/kelurahan from the village rows (three GROUP BYs on the code prefix)."""
    counts: dict[str, int] = {}
    for length in (2, 5, 8):
        rows = (
            Region.objects.filter(level=Region.Level.VILLAGE)
            .annotate(prefix=Substr("code", 1, length))
            .values_list("prefix")
            .annotate(n=Count("code"))
            .order_by()
        )
        counts.update(rows)
    changed = []
    for region in Region.objects.exclude(level=Region.Level.VILLAGE).only("code", "villages"):
        if region.villages != counts.get(region.code, 0):
            region.villages = counts.get(region.code, 0)
            changed.append(region)
    Region.objects.bulk_update(changed, ["villages"], batch_size=BATCH)


def _copy_into_regions(rows: list[tuple], bar=None) -> None:
    """New rows through COPY: the first national load is 91,599 rows, and
    COPY streams them in one round trip instead of 19 INSERT batches. The
    table's constraints and indexes still check every row."""
    with connection.cursor() as cursor:
        sql = "COPY desk_region (code, level, kind, parent_id, name, timezone) FROM STDIN"
        with cursor.connection.cursor().copy(sql) as copy:
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                for row in chunk:
                    copy.write_row(row)
                if bar is not None:
                    bar.update(len(chunk))
