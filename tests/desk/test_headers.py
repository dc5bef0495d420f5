"""Security headers on every kind of response, and templates the policy
allows (issue 11, point 9).

Every URL pattern is fetched (demo objects in its path) as a nationwide
superuser and as anonymous: HTML pages, public pages, API JSON, the API docs,
the admin, downloads (CSV, XLSX, iCalendar, PDF), redirects and errors all
carry the same headers. Every template is read for what the policy would
block: inline script, style blocks and attributes, event handlers.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from tests.urlwalk import fill, plausible, routes

HEADERS = {
    "Content-Security-Policy": None,  # checked below, per kind of page
    "Permissions-Policy": "camera=()",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_headers(response, url):
    for name, expected in HEADERS.items():
        assert name in response.headers, f"{url}: no {name}"
        if expected:
            assert expected in response.headers[name], f"{url}: {name}"
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'", url
    assert policy["object-src"] == "'none'", url
    assert policy["frame-ancestors"] == "'none'", url
    assert policy["style-src"] == "'self'", url  # the admin and the API docs too
    assert "default-src" in policy and "base-uri" in policy, url


def test_every_url_pattern_answers_with_the_headers(client, root):
    kinds = set()
    for user in (None, root):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        for template, names, _view in routes():
            url = fill(template, {name: plausible(template, name) for name in names})
            response = client.get(url)
            # /healthz answers 503 by design here: no beat or worker runs
            # beside this test (tests/ops/test_health.py covers it).
            healthz_outage = url.startswith("/healthz") and response.status_code == 503
            assert response.status_code < 500 or healthz_outage, url
            assert_headers(response, url)
            if response.status_code == 200:
                kinds.add(response["Content-Type"].split(";")[0])
    # Every kind the product serves was among them.
    assert {
        "text/html",
        "application/json",
        "application/vnd.oai.openapi",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/calendar",
        "application/pdf",
    } <= kinds, kinds


def test_errors_and_refusals_carry_the_headers(client, db):
    for url in ("/tidak-ada/", "/api/v1/tidak-ada/", "/neutrality/wilayah/?induk=%00", "/"):
        assert_headers(client.get(url), url)


def test_the_api_docs_load_their_script_from_this_origin(client, db):
    """drf-spectacular's split view: the Swagger UI's set-up script is a
    file of this origin (``?script=``), not inline."""
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    own = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _body in scripts]
    setup = [src for src in own if "script" in src and src.startswith("/api/docs/")]
    assert setup, own
    response = client.get(setup[0])
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert_headers(response, "/api/docs/")


def project_templates() -> list[Path]:
    dirs = []
    for engine in engines.all():
        dirs += [Path(d) for d in engine.template_dirs]
    base = Path(settings.BASE_DIR).resolve()
    found = {
        path
        for d in dirs
        if d.resolve().is_relative_to(base) and ".venv" not in d.parts
        for path in d.rglob("*.html")
    }
    return sorted(found)


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", project_templates(), ids=lambda p: p.name)
def test_no_template_holds_what_the_policy_blocks(template):
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template}: {found}"


def test_every_template_is_checked():
    names = {p.name for p in project_templates()}
    assert {"base.html", "minutes_print.html", "track.html", "public_form.html"} <= names
    assert len(names) > 40
