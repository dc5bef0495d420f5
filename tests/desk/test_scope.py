"""desk.scope: who sees which region, in pages, the API and the admin."""

import pytest
from django.urls import reverse

from desk.models import Agency, Region, Role
from desk.scope import scope_for

pytestmark = pytest.mark.django_db


def test_province_role_covers_its_whole_subtree(kaltim_desk):
    scope = scope_for(kaltim_desk)
    assert scope.contains("64.11")  # Mahakam Ulu
    assert scope.contains("64.11.01.2001")
    assert not scope.contains("35.28")  # Pamekasan
    assert not scope.contains("6")  # a prefix of the code is not its parent


def test_kabupaten_officer_sees_nothing_of_another_province(pamekasan_bawaslu):
    scope = scope_for(pamekasan_bawaslu)
    visible = scope.filter(Region.objects.all(), "code")
    assert visible.filter(code="35.28.01").exists()
    assert not visible.filter(code__startswith="76").exists()  # Sulawesi Barat
    assert not visible.filter(code="35").exists()  # not even its own province


def test_outsider_scope_is_empty(outsider):
    assert scope_for(outsider).is_empty
    assert not scope_for(outsider).filter(Region.objects.all(), "code").exists()


def test_scope_by_role_only_counts_that_role(make_user):
    user = make_user(Role.VIEWER, "76")
    assert scope_for(user, Role.VIEWER).contains("76.02")
    assert scope_for(user, Role.BAWASLU_OFFICER).is_empty


def test_nested_assignments_reduce_to_the_highest(make_user):
    user = make_user(Role.VIEWER, "64")
    user.role_assignments.create(role=Role.VIEWER, region_id="64.11")
    assert scope_for(user).codes == ("64",)


def test_nationwide_assignment(make_user):
    user = make_user(Role.BAWASLU_OFFICER, None)
    assert scope_for(user).nationwide
    assert scope_for(user).contains("35.28.01")


def test_out_of_scope_agency_is_not_found_in_pages(client, kaltim_desk, agency_factory):
    mahulu = agency_factory("64.11", Agency.Kind.KPU, "KPU Kabupaten Mahakam Ulu")
    pamekasan = agency_factory("35.28", Agency.Kind.KPU, "KPU Kabupaten Pamekasan")
    client.force_login(kaltim_desk)
    assert client.get(reverse("agency_detail", args=[mahulu.pk])).status_code == 200
    assert client.get(reverse("agency_detail", args=[pamekasan.pk])).status_code == 404
    assert client.get(reverse("agency_edit", args=[pamekasan.pk])).status_code == 404
    listing = client.get(reverse("agency_list")).content.decode()
    assert "Mahakam Ulu" in listing and "Pamekasan" not in listing


def test_out_of_scope_agency_is_not_found_in_the_api(client, pamekasan_bawaslu, agency_factory):
    sulbar = agency_factory("76", Agency.Kind.KPU, "KPU Provinsi Sulawesi Barat")
    own = agency_factory("35.28", Agency.Kind.BAWASLU, "Bawaslu Kabupaten Pamekasan")
    client.force_login(pamekasan_bawaslu)
    assert client.get(f"/api/v1/agencies/{sulbar.pk}/").status_code == 404
    assert client.get(f"/api/v1/agencies/{own.pk}/").status_code == 200
    names = [a["name"] for a in client.get("/api/v1/agencies/").json()["results"]]
    assert names == ["Bawaslu Kabupaten Pamekasan"]
    assert client.get("/api/v1/regions/76/").status_code == 404
    # The regions above one's own are reachable (to pick provincial agencies).
    assert client.get("/api/v1/regions/35/").status_code == 200


def test_out_of_scope_agency_is_not_found_in_the_admin(client, make_user, agency_factory):
    from django.contrib.auth.models import Permission

    admin = make_user(Role.ADMINISTRATOR, "64", is_staff=True)
    admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_agency", "change_agency"])
    )
    mahulu = agency_factory("64.11", Agency.Kind.KPU, "KPU Kabupaten Mahakam Ulu")
    pamekasan = agency_factory("35.28", Agency.Kind.KPU, "KPU Kabupaten Pamekasan")
    client.force_login(admin)
    listing = client.get("/admin/desk/agency/").content.decode()
    assert "Mahakam Ulu" in listing and "Pamekasan" not in listing
    assert client.get(f"/admin/desk/agency/{mahulu.pk}/change/").status_code == 200
    # The admin answers an id it cannot find with a redirect to its index and
    # "doesn't exist": the same for an out-of-scope object as for a missing one.
    response = client.get(f"/admin/desk/agency/{pamekasan.pk}/change/")
    missing = client.get("/admin/desk/agency/999999/change/")
    assert response.status_code == missing.status_code == 302
    assert response.url == missing.url == "/admin/"


def test_a_provincial_administrator_cannot_grant_a_nationwide_or_foreign_role(client, make_user):
    from django.contrib.auth.models import Permission

    from desk.models import RoleAssignment

    admin = make_user(Role.ADMINISTRATOR, "64", is_staff=True)
    admin.user_permissions.add(*Permission.objects.filter(codename="add_roleassignment"))
    target = make_user(username="calon.staf")
    client.force_login(admin)
    for region in ("", "35.28"):
        response = client.post(
            "/admin/desk/roleassignment/add/",
            {"user": target.pk, "role": Role.VIEWER, "region": region, "agency": ""},
        )
        assert response.status_code == 200  # the form again, with an error
        assert not RoleAssignment.objects.filter(user=target).exists()
    response = client.post(
        "/admin/desk/roleassignment/add/",
        {"user": target.pk, "role": Role.VIEWER, "region": "64.11", "agency": ""},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=target).region_id == "64.11"
