"""The admin shows nothing of the reporter (issue 11, point 9): not on the
report's pages, not on any other admin page, not through a filter in the
query string or the search box. The reporter is the owning office's to see,
on request and audited (neutrality.access)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from desk.models import Role
from neutrality.admin import REPORTER_FIELDS
from neutrality.models import Report

SECRETS = {
    "reporter_name": "Zulkarnain Pelaporwan",
    "reporter_address": "Jl. Rahasia Pelapor 77",
    "reporter_phone": "+6281299887766",
    "reporter_email": "pelapor.rahasia@example.id",
    "witnesses": "Saksi Matarahasia dan Saksi Keduarahasia",
}


@pytest.fixture
def report(report_factory):
    return report_factory(**SECRETS)


# Who reported and how to reach them, the witnesses they named, and the
# tracking code (it withdraws the report): a new ``reporter_*`` field joins.
IDENTIFYING = {f.name for f in Report._meta.fields if f.name.startswith("reporter_")} | {
    "witnesses",
    "tracking_code",
}


def _secret_values(report) -> dict:
    """The values to look for; the standing is one of four words found on
    any page (``voter``), so its field's label is looked for instead."""
    return {
        name: str(getattr(report, name))
        for name in IDENTIFYING
        if not Report._meta.get_field(name).choices
    }


def _labels() -> dict:
    return {name: str(Report._meta.get_field(name).verbose_name) for name in IDENTIFYING}


def test_every_field_about_the_reporter_is_kept_from_the_admin():
    assert set(IDENTIFYING) <= set(REPORTER_FIELDS)
    model_admin = admin.site._registry[Report]
    assert not set(model_admin.search_fields) & set(REPORTER_FIELDS)
    assert not set(model_admin.list_display) & set(REPORTER_FIELDS)


@pytest.fixture
def jatim_admin(make_user):
    """An administrator of Jawa Timur holding every Django permission."""
    user = make_user(Role.ADMINISTRATOR, "35", username="jatim.admin", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.mark.parametrize("who", ["superuser", "administrator"])
def test_no_admin_page_shows_the_reporter(client, report, who, django_user_model, jatim_admin):
    """Every admin's list and change page (the report's, its events, the
    audit trail, decisions...), for a superuser and a scoped administrator."""
    if who == "superuser":
        user = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    else:
        user = jatim_admin
    client.force_login(user)
    secrets = _secret_values(report)
    assert secrets["tracking_code"] and secrets["reporter_nik"]
    report_pages = [
        reverse("admin:neutrality_report_changelist"),
        reverse("admin:neutrality_report_change", args=[report.pk]),
    ]
    pages = list(report_pages)
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{info}_changelist"))
        first = model_admin.get_queryset(_request(user)).order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{info}_change", args=[first.pk]))
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (302, 403), url
            continue
        html = response.content.decode()
        for name, value in secrets.items():
            assert value not in html, (url, name)
    for url in report_pages:
        html = client.get(url).content.decode().lower()
        for name, label in _labels().items():
            assert label.lower() not in html, (url, name)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_report_list_neither_filters_nor_searches_by_the_reporter(
    client, report, django_user_model
):
    """A count per ``?reporter_nik=`` would confirm who reported."""
    root = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    client.force_login(root)
    url = reverse("admin:neutrality_report_changelist")
    for name, value in _secret_values(report).items():
        for lookup in (name, f"{name}__icontains", f"{name}__startswith"):
            assert client.get(url, {lookup: value}).status_code == 400, lookup
        listing = client.get(url, {"q": value})
        assert listing.context["cl"].result_count == 0, name
    assert client.get(url, {"asn_name": report.asn_name}).context["cl"].result_count == 1
