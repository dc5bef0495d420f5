"""What a user of another level, a second click, an odd digit or a zero
would meet: each answered without a wrong figure or a 500."""

import re

import pytest

from desk.models import Region, Role
from logistics import services
from logistics.models import Delivery, Problem, Village, contests_held, counts_problem
from tests.logistics.conftest import complete_rows, villages_of
from tests.logistics.test_pages import form_data


@pytest.fixture
def mahulu_sekda(make_user):
    """The viewer of one kabupaten: Mahakam Ulu (64.11), not the province."""
    return make_user(Role.VIEWER, "64.11", username="mahulu.sekda")


def test_kabupaten_user_top_level_is_their_own_kabupaten(client, mahulu, mahulu_sekda, make_user):
    officer = make_user(Role.LOGISTICS_OFFICER, "64", username="kaltim.logistik")
    services.problem_report(
        region=Region.objects.get(code=mahulu[0]), user=officer, kind="shortage", description="x"
    )
    client.force_login(mahulu_sekda)
    page = client.get("/logistics/nasional/").content.decode()
    assert 'data-code="64.11"' in page
    assert re.search(rf"0 dari {len(mahulu)} desa", page)
    # The breadcrumb names the user's area and never links above it.
    assert "Wilayah Anda" in page
    page = client.get("/logistics/wilayah/64.11.01/").content.decode()
    assert 'href="/logistics/wilayah/64/"' not in page
    assert 'href="/logistics/wilayah/64.11/"' in page

    api = client.get("/api/v1/logistics/dashboard/").json()
    assert (api["desa_count"], api["open_problems"]) == (len(mahulu), 1)
    assert [c["code"] for c in api["children"]] == ["64.11"]
    export = client.get("/logistics/nasional/export.csv").content.decode("utf-8-sig")
    assert "\n64.11;" in export
    client.cookies["django_language"] = "en"
    home = client.get("/").content.decode()
    assert "1 open problem<" in home and "Passed" in home


def test_item_share_counts_only_what_reached_the_tps(client, mahulu, make_user):
    from logistics.selectors import edit_scope

    officer = make_user(Role.LOGISTICS_OFFICER, "64", username="kaltim.logistik")
    scope = edit_scope(officer)
    codes = villages_of("64.11.01")
    # Everything received in full, but only at the PPK (kecamatan).
    services.deliveries_update(
        complete_rows(codes, stage=2), user=officer, scope=scope, source="api"
    )
    client.force_login(officer)
    api = client.get("/api/v1/logistics/dashboard/64.11.01/").json()
    ink = next(i for i in api["items"] if i["item"] == "tinta")
    assert ink["received"] == ink["required"] > 0
    assert ink["desa_complete"] == 0
    page = client.get("/logistics/wilayah/64.11.01/").content.decode()
    assert "Desa lengkap di TPS" in page
    services.deliveries_update(
        complete_rows(codes, stage=4), user=officer, scope=scope, source="api"
    )
    api = client.get("/api/v1/logistics/dashboard/64.11.01/").json()
    ink = next(i for i in api["items"] if i["item"] == "tinta")
    assert ink["desa_complete"] == len(codes) == api["desa_complete"]


def test_a_desa_reads_in_the_api_like_an_area(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    data = client.get(f"/api/v1/logistics/dashboard/{mahulu[0]}/").json()
    assert (data["code"], data["desa_count"], data["desa_complete"]) == (mahulu[0], 1, 0)
    assert {i["item"] for i in data["items"]} >= {"tinta", "kotak-suara"}
    assert data["children"] == []
    # Outside the scope it stays not found.
    assert client.get("/api/v1/logistics/dashboard/76.01.01.2001/").status_code == 404


def test_unicode_digits_in_a_form_are_a_message(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    code = mahulu[0]
    url = f"/logistics/desa/{code}/ubah/"
    data = form_data(client.get(url).content.decode())
    for name in ("tps", "dpt_governor", "dpt_local"):  # the other form of the page
        data.pop(name)
    for typed in ("²", "①", "٥"):
        data[f"{code}-tinta-sent"] = typed
        response = client.post(url, data)
        assert response.status_code == 200
        assert "harus bilangan bulat" in response.content.decode()
    assert not Village.objects.get(pk=code).complete


def test_a_second_click_on_save_is_not_a_conflict(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    url = "/logistics/kecamatan/64.11.01/ubah/?item=tinta"
    data = form_data(client.get(url).content.decode())
    first = villages_of("64.11.01", 1)[0]
    data.update({f"{first}-tinta-stage": "2", f"{first}-tinta-sent": "3"})
    assert "1 baris berubah" in client.post(url, data, follow=True).content.decode()
    page = client.post(url, data, follow=True).content.decode()
    assert "diubah orang lain" not in page and "Tidak ada yang berubah" in page


def test_problems_are_read_only_in_the_admin(client, mahulu, kaltim_logistik, make_user):
    problem = services.problem_report(
        region=Region.objects.get(code=mahulu[0]),
        user=kaltim_logistik,
        kind="damage",
        description="basah",
    )
    admin = make_user(None, None, username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(f"/admin/logistics/problem/{problem.pk}/change/").status_code == 200
    assert (
        client.post(f"/admin/logistics/problem/{problem.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_a_desa_without_tps_is_not_complete(client, mahulu, kaltim_logistik):
    from logistics.selectors import edit_scope

    code = mahulu[0]
    services.villages_set_counts({code: (0, 0, 0)})
    assert not Village.objects.get(pk=code).complete  # nothing required, nothing there
    services.villages_set_counts({code: (2, 500, 500)})
    services.deliveries_update(
        complete_rows([code]),
        user=kaltim_logistik,
        scope=edit_scope(kaltim_logistik),
        source="api",
    )
    assert Village.objects.get(pk=code).complete


def test_dpt_of_a_contest_held_in_the_region_cannot_be_zero(client, mahulu, kaltim_logistik):
    # 2024: Kalimantan Timur elects a governor, Mahakam Ulu a bupati; Jakarta
    # has no local contest, Yogyakarta no governor contest.
    held = contests_held(["64.11.01.2001", "31.71.01.1001", "34.71.01.1001"])
    assert held == {
        "64.11.01.2001": (True, True),
        "31.71.01.1001": (True, False),
        "34.71.01.1001": (False, True),
    }
    assert counts_problem(2, 500, 0, held["31.71.01.1001"]) is None
    assert counts_problem(2, 0, 500, held["34.71.01.1001"]) is None
    assert "memilih gubernur" in str(counts_problem(2, 0, 500, held["31.71.01.1001"]))
    client.force_login(kaltim_logistik)
    code = mahulu[0]
    response = client.post(
        f"/logistics/desa/{code}/ubah/", {"tps": "2", "dpt_governor": "900", "dpt_local": "0"}
    )
    assert "memilih bupati/wali kota" in response.content.decode()
    response = client.post(
        "/api/v1/logistics/villages/",
        [{"desa": code, "tps": 2, "dpt_governor": 0, "dpt_local": 900}],
        content_type="application/json",
    )
    assert response.status_code == 400 and "memilih gubernur" in response.content.decode()
    assert Village.objects.get(pk=code).dpt_local == 500


def test_home_panel_after_the_deadline(client, mahulu, kaltim_sekda):
    client.force_login(kaltim_sekda)
    page = client.get("/").content.decode()  # today is after H-1 of the 2024 round
    assert "Lewat" in page and "hari lagi" not in page


def test_desa_export_imports_again_unchanged(client, mahulu, kaltim_logistik):
    from logistics.selectors import edit_scope

    code = mahulu[0]
    services.deliveries_update(
        complete_rows([code], stage=3),
        user=kaltim_logistik,
        scope=edit_scope(kaltim_logistik),
        source="api",
    )
    client.force_login(kaltim_logistik)
    data = client.get(f"/logistics/wilayah/{code}/export.csv").content
    assert data.decode("utf-8-sig").startswith("kode_desa;barang;tahap;dikirim;diterima;rusak")
    result = services.deliveries_import(
        data, "desa.csv", user=kaltim_logistik, scope=edit_scope(kaltim_logistik)
    )
    assert (result.rows, result.changed) == (len(Delivery.objects.filter(village_id=code)), 0)


def test_items_read_in_the_users_language(client, mahulu, kaltim_sekda):
    client.force_login(kaltim_sekda)
    client.cookies["django_language"] = "en"
    page = client.get("/logistics/wilayah/64.11/").content.decode()
    assert "Ink <small>(bottles)</small>" in page and "Tinta" not in page
    # The export is the same in every language: the import's words.
    export = client.get(f"/logistics/wilayah/{mahulu[0]}/export.csv").content.decode("utf-8-sig")
    assert ";tinta;belum;" in export and ";Tinta;" in export
    client.cookies["django_language"] = "id"
    assert (
        "Tinta <small>(botol)</small>" in client.get("/logistics/wilayah/64.11/").content.decode()
    )
