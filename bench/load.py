"""Pages under load: gunicorn (2 workers, production settings) on loopback,
logged-in users at 10 and 50 concurrent connections.

For each page (home, meeting list, neutrality queue, logistics dashboard,
and a mix of the four) it prints requests per second, p50 and p95 latency
beside a bare Django view (no database, the same middleware) served by the
same server in the same run, and /healthz for reference. Each target runs
for a fixed time (BENCH_LOAD_SECONDS, 5), so the whole run is bounded: about
two minutes on an idle machine, set-up and the in-process profile included.

The client is a small asyncio loop on raw sockets (HTTP/1.1, one
connection per virtual user, reconnecting when gunicorn's sync workers
close it), not Locust: it needs no dependency, and on this 2-core machine
every cycle the client spends is taken from the server it measures, and a
few lines of asyncio cost far less per request than Locust's machinery.
Compare ratios within a run: the machine is shared.
"""

import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import setup_bench_db

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
LEVELS = (10, 50)
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "5"))
# The demo desks' subtrees complete (their dashboards read the same rollups
# as with every desa loaded), the rest of the country without desa: the
# pages measured are the same, the set-up a minute shorter.
VILLAGES_UNDER = ("64", "76", "35.28", "72.07", "73.71")
# (label, path, demo login whose session requests it)
PAGES = [
    ("home", "/", "kaltim.desk"),
    ("meeting list", "/meetings/", "kaltim.desk"),
    ("neutrality queue", "/neutrality/", "pamekasan.bawaslu"),
    # The dashboard of the officer's province (/logistics/ redirects there).
    ("logistics dashboard", "/logistics/wilayah/64/", "kaltim.logistik"),
]
BARE = ("bare view (no database)", "/bench/bare/", "kaltim.desk")
SESSION = ("session + user only", "/bench/session/", "kaltim.desk")
# The web probe: what a web replica needs (no beat or worker runs here).
HEALTHZ = ("/healthz?probe=web (database + cache)", "/healthz?probe=web", None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def fetch(state: dict, port: int, path: str, cookie: str | None) -> int:
    """One GET on the user's connection (opened again when the server
    closed it); returns the status, reads the whole body."""
    if state.get("writer") is None:
        state["reader"], state["writer"] = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = state["reader"], state["writer"]
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if cookie:
        head += f"Cookie: sessionid={cookie}\r\n"
    writer.write((head + "\r\n").encode())
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while size := int((await reader.readline()).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    elif length:
        await reader.readexactly(length)
    if close:
        writer.close()
        state["writer"] = None
    return status


async def run_level(port, targets, users: int, seconds: float) -> dict:
    """``users`` connections, each requesting ``targets`` in turn for
    ``seconds``; latencies of the 200 answers, and everything else counted."""
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    async def user(index):
        state = {}
        n = index
        while time.perf_counter() < stop_at:
            _label, path, cookie = targets[n % len(targets)]
            n += 1
            start = time.perf_counter()
            try:
                status = await fetch(state, port, path, cookie)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                errors.append(f"{path}: {exc!r}")
                state["writer"] = None
                continue
            if status == 200:
                latencies.append(time.perf_counter() - start)
            else:
                errors.append(f"{path}: HTTP {status}")
        if state.get("writer") is not None:
            state["writer"].close()

    started = time.perf_counter()
    await asyncio.gather(*(user(i) for i in range(users)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "rps": len(latencies) / elapsed,
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "n": len(latencies),
        "errors": errors,
    }


def start_server(port: int, env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "desk.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /bench/bare/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if probe.recv(12).endswith(b"200"):
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer /bench/bare/ within 60 s")


def signed_in(client, username: str) -> None:
    """A finished sign-in: for an account that needs a second factor (a
    Bawaslu officer), the session is also verified by its demo authenticator,
    as after the right code."""
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from desk.twofactor import requires_two_factor

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    if requires_two_factor(user):
        session = client.session
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def profile() -> None:
    """In the server's settings, in-process: where a page's time goes.
    Median of 20 requests through Django's test client (no HTTP, no
    gunicorn), its SQL (count and time of the queries), and template
    rendering (cProfile's cumulative time in Template.render)."""
    import cProfile
    import pstats

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(f"  {'in-process, per request (median of 20)':<34}     total      SQL       templates")
    for label, path, username in [BARE, SESSION, *PAGES]:
        client = Client()
        signed_in(client, username)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(20):
            start = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        n_queries = len(queries)  # now: the next request clears the log
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        renders = [v[3] for k, v in stats.items() if k[0].endswith("template/base.py")]
        rendering = max(renders, default=0.0)  # Template.render, the outermost
        print(
            f"  {label:<34} {statistics.median(times) * 1000:7.1f} ms"
            f"  {sql * 1000:5.1f} ms ({n_queries:2d} queries)"
            f"  {rendering / 10 * 1000:6.1f} ms",
            flush=True,
        )


def main():
    if "--profile" in sys.argv:
        return profile()
    # One key for this process (which creates the sessions) and the server.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
    setup_bench_db()
    import io

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from desk.elections import load_spec, round_load
    from desk.regions import import_regions

    import_regions(villages_under=VILLAGES_UNDER)
    round_load(spec=load_spec())
    call_command("seed_demo", stdout=io.StringIO())
    cookies = {}
    for _label, _path, username in PAGES:
        client = Client()
        signed_in(client, username)
        cookies[username] = client.cookies[settings.SESSION_COOKIE_NAME].value

    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        # Templates name static files; no collectstatic into the work tree.
        "STATIC_MANIFEST": "false",
        "BENCH_VIEWS": "true",
        "LOG_LEVEL": "WARNING",
    }
    port = free_port()
    server = start_server(port, env)

    def with_cookie(target):
        label, path, username = target
        return (label, path, cookies.get(username))

    targets = [("bare", [with_cookie(BARE)]), (SESSION[0], [with_cookie(SESSION)])]
    targets.append(("healthz", [HEALTHZ]))
    targets += [(label, [with_cookie(page)]) for page in PAGES for label in [page[0]]]
    targets.append(("mix of the four pages", [with_cookie(p) for p in PAGES]))
    failed = False
    try:
        # Warm every worker: templates compiled, connections open.
        asyncio.run(run_level(port, [with_cookie(p) for p in PAGES + [BARE]], 4, 2))
        print(
            f"  gunicorn {WORKERS} sync workers, DEBUG=false, demo data; {SECONDS:.0f} s per row",
            flush=True,
        )
        for users in LEVELS:
            print(f"  -- {users} concurrent users", flush=True)
            bare_rps = None
            for label, target in targets:
                result = asyncio.run(run_level(port, target, users, SECONDS))
                if label == "bare":
                    bare_rps = result["rps"]
                    label = BARE[0]
                ratio = result["rps"] / bare_rps if bare_rps else 0
                print(
                    f"  {label:<34} {result['rps']:7.1f} req/s   p50 {result['p50']:7.1f} ms"
                    f"   p95 {result['p95']:7.1f} ms   {ratio:5.2f}× the bare view's req/s",
                    flush=True,
                )
                if result["errors"]:
                    failed = True
                    print(f"    {len(result['errors'])} failed, e.g. {result['errors'][:3]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    subprocess.run(
        [sys.executable, "-m", "bench.load", "--profile"],
        cwd=ROOT,
        env={**env, "ALLOWED_HOSTS": "127.0.0.1,testserver"},
        check=True,
    )
    if failed:
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
