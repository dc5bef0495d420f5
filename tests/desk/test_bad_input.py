"""NUL bytes and invalid UTF-8 never reach a view (issue 11, point 6).

PostgreSQL refuses NUL in text, so a NUL passed on to a query or a save was a
500. These tests enumerate the class instead of listing the reported URLs:
every URL pattern of the resolver (admin and API included, path converters
filled with real demo objects), each path argument and each query parameter
a view reads (names grepped from the source, the filter sets, the OpenAPI
parameters and the GET forms on the pages) plus a generic set, as anonymous
and as a nationwide superuser; every POST form a page renders, one field at a
time; every API write operation of the schema, one body field at a time.
"""

import functools
import importlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django_filters import FilterSet
from drf_spectacular.generators import SchemaGenerator

from tests.urlwalk import fill, plausible, routes

BAD = {"nul": "%00", "latin1": "%ff%fe"}
GENERIC_PARAMS = {"q", "page", "term", "status", "region", "format", "next", "o", "code", "id"}
SOURCE_APPS = ("desk", "meetings", "neutrality", "logistics")
READS = re.compile(r"""(?:GET|query_params)(?:\.get|\.getlist)?[(\[]["'](\w+)["']""")


ADMIN_PARAMS = {"q", "o", "p", "e", "_changelist_filters", "_popup", "_to_field"}
ADMIN_PARAMS |= {"term", "app_label", "model_name", "field_name"}  # the autocomplete


@functools.cache
def module_reads(module: str) -> frozenset[str]:
    """Query parameter names a module's source reads (``request.GET.get("x")``,
    ``query_params["x"]``)."""
    path = Path(importlib.import_module(module).__file__)
    return frozenset(READS.findall(path.read_text(encoding="utf-8")))


def params_for(template: str, view) -> set[str]:
    """The generic names, those the view's module reads, its filter set's,
    and the admin's own for admin pages."""
    names = set(GENERIC_PARAMS)
    module = getattr(view, "__module__", "")
    if module.split(".")[0] in SOURCE_APPS:
        names |= module_reads(module)
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    filterset = getattr(cls, "filterset_class", None)
    if filterset is not None:
        names |= set(filterset.base_filters)
    names |= set(getattr(cls, "filterset_fields", None) or ())
    if template.startswith("/admin/"):
        names |= ADMIN_PARAMS
    return names


def every_filter_field() -> set[str]:
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {
        name
        for filterset in subclasses(FilterSet)
        if filterset.__module__.split(".")[0] in SOURCE_APPS
        for name in filterset.base_filters
    }


def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


class Forms(HTMLParser):
    """The forms of a page: method, action, enctype and field names."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attrs.get("method") or "get").lower(),
                    "action": attrs.get("action") or "",
                    "multipart": attrs.get("enctype") == "multipart/form-data",
                    "fields": [],
                }
            )
        elif (
            tag in ("input", "select", "textarea")
            and self.forms
            and attrs.get("name") not in (None, "csrfmiddlewaretoken")
            and attrs.get("type") not in ("file", "submit")
        ):
            self.forms[-1]["fields"].append(attrs["name"])


def page_forms(client, url) -> list[dict]:
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = urlsplit(form["action"]).path or url
    return parser.forms


def assert_refused(response, what):
    assert response.status_code in (400, 404), f"{what}: {response.status_code}"


def test_the_reported_urls_answer_400(client, root):
    for url in (
        "/neutrality/wilayah/?induk=%00",
        "/meetings/feed/%00.ics",
        "/directory/?q=%00",
        "/meetings/?desk=%00",
        "/meetings/desk/64%00/decisions/",
        "/logistics/masalah/?area=%00",
        "/api/v1/logistics/problems/?status=%00",
        "/admin/autocomplete/?term=%00&app_label=meetings&model_name=meeting&field_name=series",
    ):
        client.logout()
        assert client.get(url).status_code == 400, url
        client.force_login(root)
        assert client.get(url).status_code == 400, url


def test_page_answers_in_the_users_language_and_api_in_json(client):
    response = client.get("/neutrality/wilayah/?induk=%00")
    assert response.status_code == 400
    assert "Permintaan tidak valid" in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/neutrality/lacak/?x=%ff%fe")
    assert "Invalid request" in response.content.decode()
    response = client.get("/api/v1/logistics/problems/?status=%00")
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


def test_clean_unicode_still_passes(client, root):
    client.force_login(root)
    assert client.get("/directory/?q=%C3%A9l%C3%A9ksi").status_code == 200
    assert client.get("/neutrality/wilayah/?induk=64").status_code == 200


def test_the_walk_covers_every_filter_and_every_documented_parameter():
    """No filter set or OpenAPI query parameter falls outside the names the
    walk below sends to its view."""
    walked = set()
    for template, _names, view in routes():
        walked |= params_for(template, view)
    documented = {
        p["name"]
        for item in schema()["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "query"
    }
    assert every_filter_field() | documented <= walked


def test_every_url_pattern_with_bad_bytes_in_each_argument_and_parameter(client, root):
    found = routes()
    assert len(found) > 200  # the admin and the API are walked too
    tried = 0
    for user in (None, root):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        for template, names, view in found:
            good = {name: plausible(template, name) for name in names}
            params = sorted(params_for(template, view))
            for bad in BAD.values():
                for name in names:
                    url = fill(template, {**good, name: bad})
                    assert_refused(client.get(url), url)
                    tried += 1
                url = fill(template, good)
                for param in params:
                    assert_refused(client.get(f"{url}?{param}={bad}"), f"{url}?{param}={bad}")
                    tried += 1
    assert tried > 5_000


def test_every_post_form_with_nul_in_each_field(client, root):
    client.force_login(root)
    forms = 0
    for template, names, _view in routes():
        url = fill(template, {name: plausible(template, name) for name in names})
        for form in page_forms(client, url):
            if form["method"] != "post" or not form["fields"]:
                continue
            forms += 1
            for field in form["fields"]:
                data = dict.fromkeys(form["fields"], "")
                data[field] = "x\x00y"
                if form["multipart"]:
                    response = client.post(form["action"], data)
                else:
                    response = client.post(
                        form["action"],
                        "&".join(f"{k}={'x%00y' if k == field else ''}" for k in data),
                        content_type="application/x-www-form-urlencoded",
                    )
                assert_refused(response, f"{form['action']} {field}")
    assert forms > 50  # pages, the admin's add and change forms


def test_every_api_write_operation_with_nul_in_each_field(client, root):
    client.force_login(root)
    operations, spec_all = 0, schema()
    for path, item in spec_all["paths"].items():
        for method, op in item.items():
            if method not in ("post", "put", "patch"):
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            ref = body["schema"].get("$ref") or body["schema"].get("items", {}).get("$ref", "")
            component = spec_all["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            url = re.sub(r"\{(\w+)\}", lambda m, p=path: plausible(p, m.group(1)), path)
            operations += 1
            for field, spec in component.get("properties", {}).items():
                value = ["x\x00y"] if spec.get("type") == "array" else "x\x00y"
                response = getattr(client, method)(
                    url, json.dumps({field: value}), content_type="application/json"
                )
                assert response.status_code == 400, f"{method} {url} {field}"
                assert field in response.json(), (url, field, response.json())
    assert operations >= 10


def test_every_api_write_operation_with_an_unreadable_multipart_body(client, root):
    """A body that says multipart but is not (schemathesis found one): the
    API answers 400 in JSON, never Django's HTML error page."""
    client.force_login(root)
    operations, spec_all = 0, schema()
    broken = "multipart/form-data; boundary=abc"
    for path, item in spec_all["paths"].items():
        for method, _op in item.items():
            if method not in ("post", "put", "patch"):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m, p=path: plausible(p, m.group(1)), path)
            operations += 1
            # A part whose headers never end: Django's parser gives up.
            body = "--abc\r\n" + "x" * 2000 + "\r\n--abc--\r\n"
            response = client.generic(method.upper(), url, body, broken)
            assert response.status_code == 400, f"{method} {url}"
            assert response["Content-Type"] == "application/json", f"{method} {url}"
            assert "detail" in response.json()
    assert operations >= 10
