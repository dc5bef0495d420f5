"""Backup and restore at demo and national scale.

Prints, in one run: `manage.py backup` (dump in an exported snapshot, row
counts, evidence files hashed and copied) and `manage.py restore` (hashes
checked, pg_restore in one transaction, every table counted again) beside a
bare `pg_dump -Fc` and `pg_restore` of the same database; time and size.

Twice: on the demo data (`seed_demo`), then with the national logistics
data of bench/logistics.py added (83,762 desa × every item). Both stages
carry 200 evidence files of 100 KB (random bytes: they do not compress).

`python -m bench.backup --small` loads the villages of the demo desks only
(a quick check of the script; the figures that count come from `make bench`).
"""

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import row, setup_bench_db

SMALL_VILLAGES = ("64", "76", "35.28", "72.07", "73.71")
EVIDENCE_FILES, EVIDENCE_BYTES = 200, 100_000


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(stage: str, work: Path, media_root: Path) -> None:
    from django.core.management import call_command
    from django.db import connection

    from desk.backup import Manifest, Target, pg_tool

    source = Target.from_settings(connection.settings_dict)
    restore_name = connection.settings_dict["NAME"] + "_restore"
    admin = Target.from_settings({**connection.settings_dict, "NAME": "postgres"})

    def fresh_target():
        with admin.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{restore_name}"')

    with source.connect() as conn:
        pg_dump, pg_restore = pg_tool("pg_dump", conn), pg_tool("pg_restore", conn)
        rows = conn.execute("SELECT sum(n_live_tup)::bigint FROM pg_stat_user_tables").fetchone()[0]
    backup_dir = work / f"{stage}-backup"
    restored = work / f"{stage}-restored"
    bare = work / f"{stage}-bare.dump"

    start = time.perf_counter()
    call_command("backup", str(backup_dir), media_root=str(media_root), stdout=io.StringIO())
    backup_s = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        [pg_dump, "-Fc", "--no-owner", "--no-privileges", "-f", str(bare), source.name],
        env=source.environ(),
        check=True,
    )
    bare_dump_s = time.perf_counter() - start

    fresh_target()
    url = f"postgres://{source.user or 'postgres'}@{source.host or '127.0.0.1'}:"
    url += f"{source.port or 5432}/{restore_name}"
    start = time.perf_counter()
    call_command(
        "restore", str(backup_dir), database_url=url, media_root=str(restored), stdout=io.StringIO()
    )
    restore_s = time.perf_counter() - start
    fresh_target()
    start = time.perf_counter()
    subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--single-transaction"]
        + ["-d", restore_name, str(bare)],
        env=source.environ(),
        check=True,
    )
    bare_restore_s = time.perf_counter() - start
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}" WITH (FORCE)')

    rows = sum(Manifest.read(backup_dir).tables.values())
    total = size_of(backup_dir)
    dump = (backup_dir / "database.dump").stat().st_size
    print(f"  [{stage}] {rows:,} rows, {EVIDENCE_FILES} evidence files", flush=True)
    print(row("manage.py backup", backup_s, bare_dump_s), "(baseline: bare pg_dump -Fc)")
    print(row("manage.py restore", restore_s, bare_restore_s), "(baseline: bare pg_restore)")
    print(
        f"  {'size':<58} {total / 1e6:9.1f} MB   dump {dump / 1e6:.1f} MB"
        f" (bare dump {bare.stat().st_size / 1e6:.1f} MB), files {(total - dump) / 1e6:.1f} MB"
    )
    shutil.rmtree(backup_dir)
    shutil.rmtree(restored, ignore_errors=True)
    bare.unlink()


def main():
    small = "--small" in sys.argv
    setup_bench_db()
    from django.core.management import call_command
    from django.db import transaction

    from desk.elections import load_spec, round_load
    from desk.regions import import_regions

    work = Path(tempfile.mkdtemp(prefix="desk-bench-backup-"))
    media_root = work / "private"
    try:
        for n in range(EVIDENCE_FILES):
            path = media_root / "neutrality" / "2024" / "11" / f"bukti-{n:04d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(EVIDENCE_BYTES))
        import_regions(villages_under=SMALL_VILLAGES if small else None)
        round_load(spec=load_spec())
        call_command("seed_demo", stdout=io.StringIO())
        measure("demo", work, media_root)

        from django.db import connection

        from bench.logistics import generate

        with transaction.atomic():
            # The demo's own logistics rows make way for the national ones
            # (CASCADE also empties the demo decisions, which may point at
            # a logistics problem).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename LIKE 'logistics\\_%'"
                    " AND tablename <> 'logistics_item'"
                )
                cursor.execute(f"TRUNCATE {cursor.fetchone()[0]} CASCADE")
            generate(connection)
        measure("national" if not small else "demo+logistics (small)", work, media_root)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
