"""Shared set-up for the benchmark scripts: a fresh PostgreSQL database of its
own (``<DATABASE_URL's name>_bench``), migrated, with Django configured."""

import os
import time
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse


def setup_bench_db(*, fresh: bool = True) -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk")
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://…")
    name = parsed.path.lstrip("/") + "_bench"
    import psycopg

    admin = psycopg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    )
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if fresh and exists:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    if fresh or not exists:
        admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path="/" + name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return name


@contextmanager
def timed(results: dict, key: str):
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start


def row(label: str, value: float, baseline: float | None = None, unit: str = "s") -> str:
    text = f"  {label:<58} {value:9.3f} {unit}"
    if baseline:
        text += f"   baseline {baseline:9.3f} {unit}   ratio {value / baseline:5.2f}×"
    return text
