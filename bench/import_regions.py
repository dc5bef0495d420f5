"""How long `import_regions` takes for all 91,599 regions, beside PostgreSQL
COPY of the same rows into a bare table (no constraints, no indexes): the
floor for getting these rows into PostgreSQL at all."""

import io

from bench.common import row, setup_bench_db, timed


def main():
    setup_bench_db()
    from django.db import connection

    from desk.regions import import_regions, parse_region_files

    results: dict[str, float] = {}
    with timed(results, "parse"):
        rows = parse_region_files()
    with timed(results, "first"):
        stats = import_regions()
    assert stats.created == 91599, stats
    with timed(results, "again"):
        stats = import_regions()
    assert stats.created == 0 and stats.updated == 0

    buffer = io.StringIO()
    for code, level, kind, parent, name, zone in rows:
        buffer.write("\t".join([code, level, kind, parent or "\\N", name, zone]) + "\n")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_region_copy (code text, level text, "
            "kind text, parent text, name text, timezone text)"
        )
        cursor.execute("TRUNCATE bench_region_copy")
        copy_sql = "COPY bench_region_copy FROM STDIN"
        with timed(results, "copy"), cursor.connection.cursor().copy(copy_sql) as copy:
            copy.write(buffer.getvalue())
        cursor.execute("DROP TABLE bench_region_copy")

    print("import_regions: 91,599 regions (38 / 514 / 7,285 / 83,762)")
    print(row("parse and check the four CSV files", results["parse"]))
    print(
        row(
            "first import (parse + bulk insert, one transaction)", results["first"], results["copy"]
        )
    )
    print(row("second import (parse + compare, writes nothing)", results["again"], results["copy"]))
    print(row("baseline: PostgreSQL COPY of the parsed rows, bare table", results["copy"]))


if __name__ == "__main__":
    main()
