"""Backups that restore: a PostgreSQL dump and the private evidence files,
with a manifest of SHA-256 hashes and of every table's row count.

``backup_create`` takes one REPEATABLE READ snapshot, counts every table in
it and hands it to ``pg_dump --snapshot``, so the counts in the manifest are
those of the dump exactly. Evidence files are copied after the snapshot:
a file is written before the row naming it commits, so every file the dump
names is in the copy (a file uploaded during the backup may be there
without its row, which is harmless).

``backup_restore`` checks every hash before it touches anything, refuses a
database or media root that is not empty (unless forced), loads the dump in
one transaction (``pg_restore --single-transaction``), compares every
table's row count with the manifest, and only then moves the evidence files
into place: a failure leaves the target as it was.

PostgreSQL only. Embedded mode (SQLite) is a laptop's demo: stop the server
and copy ``var/``; the commands refuse it with that advice.
"""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

FORMAT = "desk-pilkada-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "private"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where a dump comes from or goes to (a DATABASES entry's fields)."""

    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, entry: dict) -> "Target":
        if not entry.get("ENGINE", "").endswith("postgresql"):
            raise BackupError(
                "Backups run on PostgreSQL. In embedded mode (SQLite) stop the server and "
                "copy var/desk.sqlite3 and var/private instead."
            )
        return cls(
            name=entry["NAME"],
            user=entry.get("USER") or "",
            password=entry.get("PASSWORD") or "",
            host=entry.get("HOST") or "",
            port=str(entry.get("PORT") or ""),
        )

    def connect(self, **kwargs) -> psycopg.Connection:
        params = {"dbname": self.name, "user": self.user, "password": self.password}
        params |= {"host": self.host, "port": self.port}
        return psycopg.connect(**{k: v for k, v in params.items() if v}, **kwargs)

    def environ(self) -> dict:
        env = dict(os.environ)
        for key, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
        ):
            if value:
                env[key] = value
        return env


@dataclass
class Manifest:
    created_at: str
    server_version: str
    dump: dict
    tables: dict[str, int]
    files: list[dict] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "created_at": self.created_at,
                "server_version": self.server_version,
                "database": {**self.dump, "tables": self.tables},
                "media": {"root": MEDIA, "files": self.files},
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        try:
            data = json.loads((directory / MANIFEST).read_text())
        except FileNotFoundError:
            raise BackupError(f"{directory} holds no {MANIFEST}: not a backup.") from None
        except ValueError as exc:
            raise BackupError(f"{directory / MANIFEST} is not valid JSON: {exc}") from None
        if data.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {data.get('format')!r} (want {FORMAT}).")
        database = dict(data["database"])
        tables = database.pop("tables")
        return cls(
            created_at=data["created_at"],
            server_version=data["server_version"],
            dump=database,
            tables=tables,
            files=data["media"]["files"],
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pg_tool(name: str, connection: psycopg.Connection) -> str:
    """The pg_dump / pg_restore of the server's major version (Debian keeps
    one per version under /usr/lib/postgresql/<major>/bin); an older client
    cannot read a newer server. ``PG_BIN_DIR`` overrides the search."""
    major = connection.info.server_version // 10000
    candidates = [Path(os.environ["PG_BIN_DIR"])] if os.environ.get("PG_BIN_DIR") else []
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    for directory in candidates:
        if (directory / name).is_file():
            return str(directory / name)
    found = shutil.which(name)
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        digits = version.split()[-1] if version else "0"
        if int(digits.split(".")[0]) >= major:
            return found
    raise BackupError(
        f"No {name} for PostgreSQL {major}: install postgresql-client-{major} or set PG_BIN_DIR."
    )


def _tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def table_counts(connection: psycopg.Connection) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in _tables(cursor):
            cursor.execute(f"SELECT count(*) FROM {table}")  # names from pg_tables, quoted
            counts[table] = cursor.fetchone()[0]
        return counts


def _files_under(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup_create(*, destination: Path, database: dict, media_root: Path) -> Manifest:
    """Write ``destination/`` (created; must not exist or be empty):
    database.dump, private/…, manifest.json (written last: a directory
    without it is an interrupted backup)."""
    target = Target.from_settings(database)
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: choose a new directory.")
    destination.mkdir(parents=True, exist_ok=True)
    with target.connect(autocommit=True) as snapshot_holder:
        dump_tool = pg_tool("pg_dump", snapshot_holder)
        snapshot_holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = snapshot_holder.execute("SELECT pg_export_snapshot()").fetchone()[0]
        tables = table_counts(snapshot_holder)
        dump_path = destination / DUMP
        result = subprocess.run(
            [dump_tool, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
            + ["-f", str(dump_path), target.name],
            env=target.environ(),
            capture_output=True,
            text=True,
        )
        snapshot_holder.execute("COMMIT")
        version = snapshot_holder.info.parameter_status("server_version") or ""
    if result.returncode:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    manifest = Manifest(
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        server_version=version,
        dump={"file": DUMP, "sha256": sha256_of(dump_path), "bytes": dump_path.stat().st_size},
        tables=tables,
    )
    media_root = Path(media_root)
    for source in _files_under(media_root):
        relative = source.relative_to(media_root)
        copy = destination / MEDIA / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        manifest.files.append(
            {"path": relative.as_posix(), "sha256": sha256_of(copy), "bytes": copy.stat().st_size}
        )
    (destination / MANIFEST).write_text(manifest.as_json())
    return manifest


def backup_verify(source: Path) -> Manifest:
    """Every hash of the manifest checked against the files; raises with
    the list of what differs or is missing."""
    source = Path(source)
    manifest = Manifest.read(source)
    wrong = []
    entries = [(manifest.dump["file"], manifest.dump["sha256"])]
    entries += [(f"{MEDIA}/{f['path']}", f["sha256"]) for f in manifest.files]
    for relative, expected in entries:
        path = source / relative
        if ".." in Path(relative).parts:
            wrong.append(f"{relative}: a path outside the backup")
        elif not path.is_file():
            wrong.append(f"{relative}: missing")
        elif sha256_of(path) != expected:
            wrong.append(f"{relative}: SHA-256 differs from the manifest")
    if wrong:
        shown = "; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        raise BackupError(f"The backup in {source} is damaged, nothing was restored: {shown}")
    return manifest


def backup_restore(
    *, source: Path, database: dict, media_root: Path, force: bool = False
) -> Manifest:
    source, media_root = Path(source), Path(media_root)
    target = Target.from_settings(database)
    manifest = backup_verify(source)
    with target.connect(autocommit=True) as connection:
        restore_tool = pg_tool("pg_restore", connection)
        with connection.cursor() as cursor:
            existing = _tables(cursor)
    if existing and not force:
        raise BackupError(
            f"Database {target.name} is not empty ({len(existing)} tables): restore into an "
            "empty database, or pass --force to replace what the backup holds."
        )
    if _files_under(media_root) and not force:
        raise BackupError(
            f"{media_root} is not empty: restore into an empty directory, or pass --force."
        )
    # The files first, beside their destination (same file system, so the
    # final move is a rename), each checked again after the copy.
    staging = media_root.with_name(f".{media_root.name}.restoring-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for entry in manifest.files:
            copy = staging / entry["path"]
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / MEDIA / entry["path"], copy)
            if sha256_of(copy) != entry["sha256"]:
                raise BackupError(f"{entry['path']} changed while it was copied; try again.")
        command = [restore_tool, "--no-owner", "--no-privileges", "--exit-on-error"]
        command += ["--single-transaction", "-d", target.name]
        if force and existing:
            command += ["--clean", "--if-exists"]
        result = subprocess.run(
            [*command, str(source / manifest.dump["file"])],
            env=target.environ(),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise BackupError(f"pg_restore failed, the database is unchanged: {result.stderr}")
        with target.connect() as connection:
            restored = table_counts(connection)
        differ = {
            t: (n, restored.get(t)) for t, n in manifest.tables.items() if restored.get(t) != n
        }
        if differ:
            raise BackupError(f"Row counts differ from the manifest after the restore: {differ}")
        media_root.mkdir(parents=True, exist_ok=True)
        for entry in manifest.files:
            final = media_root / entry["path"]
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / entry["path"], final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
