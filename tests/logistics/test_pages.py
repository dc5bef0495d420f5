"""Dashboards, drill-down, forms, problems, exports, API: scoped, with the
query count of every dashboard pinned."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from desk.models import Role
from desk.scope import Scope
from logistics import services
from logistics.models import Delivery, DeliveryEvent, Problem, Village
from tests.logistics.conftest import complete_rows


@pytest.fixture
def sulbar_counts(db):
    from desk.models import Region

    codes = list(
        Region.objects.filter(code__startswith="76.01.", level="village").values_list(
            "code", flat=True
        )
    )
    services.villages_set_counts(dict.fromkeys(codes, (3, 700, 700)))
    return codes


# The request's savepoint and release (2), the user (1; the session is read
# from the Redis cache), scope
# assignments (1), the rounds (1), children rollups (or a kecamatan's desa)
# (1), item totals (1), items (1), progress points (1), open problems (1);
# below national also the region (1), its own rollup (1), the breadcrumb (1);
# a kecamatan also its desa's open problems (1).
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/logistics/nasional/", 10),
        ("/logistics/wilayah/64/", 13),
        ("/logistics/wilayah/64.11/", 13),
        ("/logistics/wilayah/64.11.01/", 14),
    ],
)
def test_dashboard_query_count_is_constant(
    client, mahulu, sulbar_counts, django_assert_num_queries, url, queries, make_user
):
    admin = make_user(Role.VIEWER, None, username="pusat")
    client.force_login(admin)
    client.get(url)  # warm the session
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200


def test_dashboards_never_read_village_rows_above_the_kecamatan(client, mahulu, kaltim_sekda):
    client.force_login(kaltim_sekda)
    for url in ("/logistics/wilayah/64/", "/logistics/wilayah/64.11/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "logistics_village" not in sql and "logistics_delivery" not in sql


def test_sekda_sees_kabupaten_turn_complete_and_drills_down(
    client, mahulu, kaltim_sekda, kaltim_logistik
):
    client.force_login(kaltim_sekda)
    page = client.get("/logistics/wilayah/64/").content.decode()
    assert "Mahakam Ulu" in page
    services.deliveries_update(
        complete_rows(mahulu), user=kaltim_logistik, scope=Scope(True, ()), source="api"
    )
    page = client.get("/logistics/wilayah/64.11/").content.decode()
    assert 'id="complete-flag"' in page
    assert "<svg" in page and "<circle" in page  # today's point of the progress chart
    desa = client.get(f"/logistics/wilayah/{mahulu[0]}/").content.decode()
    assert "Lengkap" in desa and "API" in desa


def test_outside_scope_is_not_found(client, mahulu, sulbar_viewer, outsider, kaltim_sekda):
    client.force_login(sulbar_viewer)
    assert client.get("/logistics/wilayah/64/").status_code == 404
    assert client.get(f"/logistics/wilayah/{mahulu[0]}/").status_code == 404
    assert client.get("/logistics/wilayah/64/export.csv").status_code == 404
    client.force_login(outsider)
    assert client.get("/logistics/").status_code == 404
    client.force_login(kaltim_sekda)  # a viewer cannot edit
    assert client.get(f"/logistics/desa/{mahulu[0]}/ubah/").status_code == 404
    assert client.get("/logistics/impor/").status_code == 404


def test_national_dashboard_lists_only_the_scope(client, mahulu, sulbar_counts, kaltim_sekda):
    client.force_login(kaltim_sekda)
    page = client.get("/logistics/nasional/").content.decode()
    assert 'data-code="64"' in page and 'data-code="76"' not in page


def test_village_form_saves_with_history(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    code = mahulu[0]
    page = client.get(f"/logistics/desa/{code}/ubah/")
    assert page.status_code == 200
    data = {
        f"{code}-kotak-suara-{k}": v
        for k, v in {"stage": "3", "sent": "4", "received": "4", "damaged": "0"}.items()
    }
    response = client.post(f"/logistics/desa/{code}/ubah/", data)
    assert response.status_code == 302
    event = DeliveryEvent.objects.get()
    assert (event.source, event.stage_after, event.user) == ("form", 3, kaltim_logistik)
    data[f"{code}-kotak-suara-received"] = "9"
    response = client.post(f"/logistics/desa/{code}/ubah/", data, follow=True)
    assert "diterima melebihi dikirim" in response.content.decode()
    response = client.post(
        f"/logistics/desa/{code}/ubah/", {"tps": "5", "dpt_governor": "900", "dpt_local": "-1"}
    )
    assert response.status_code == 200  # form error, nothing saved
    # Impossible counts: no TPS for 6,006 voters (it would make the desa
    # "complete" with nothing delivered), more voters than the law allows per
    # TPS, a number beyond any desa; each a message, nothing saved.
    for tps, dpt, message in (
        ("0", "6006", "tidak mungkin untuk 0 TPS"),
        ("2", "5000", "paling banyak 800 pemilih per TPS"),
        ("2", "3000000000", "800000"),
        ("3", "0", "Desa dengan TPS harus memiliki DPT"),
    ):
        response = client.post(
            f"/logistics/desa/{code}/ubah/", {"tps": tps, "dpt_governor": dpt, "dpt_local": dpt}
        )
        assert response.status_code == 200
        assert message in response.content.decode(), message
        assert Village.objects.get(pk=code).tps == 2
    client.post(
        f"/logistics/desa/{code}/ubah/", {"tps": "5", "dpt_governor": "900", "dpt_local": "900"}
    )
    assert Village.objects.get(pk=code).tps == 5


def test_district_form_updates_every_desa(client, mahulu, kaltim_logistik):
    from tests.logistics.conftest import villages_of

    client.force_login(kaltim_logistik)
    codes = villages_of("64.11.01")
    assert client.get("/logistics/kecamatan/64.11.01/ubah/?item=tinta").status_code == 200
    data = {}
    for c in codes:
        data.update(
            {
                f"{c}-tinta-stage": "2",
                f"{c}-tinta-sent": "4",
                f"{c}-tinta-received": "4",
                f"{c}-tinta-damaged": "0",
            }
        )
    response = client.post("/logistics/kecamatan/64.11.01/ubah/?item=tinta", data)
    assert response.status_code == 302
    assert DeliveryEvent.objects.count() == len(codes)


def form_data(page: str) -> dict:
    """Every input and selected option of a rendered form, as a browser sends them."""
    import re

    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, value in re.findall(r'<input type="number"[^>]*name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        data[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_kecamatan_table_never_undoes_a_change_made_meanwhile(client, mahulu, kaltim_logistik):
    """The officer opens the table; the KPU system then pushes a change for
    one desa; the officer saves an edit of another desa: only that one is
    written. Editing the desa changed meanwhile is refused as a conflict."""
    from tests.logistics.conftest import villages_of

    first, second = villages_of("64.11.01", 2)
    client.force_login(kaltim_logistik)
    url = "/logistics/kecamatan/64.11.01/ubah/?item=segel"
    data = form_data(client.get(url).content.decode())
    services.deliveries_update(
        [(1, first, "segel", 2, 4, 4, 1, "")],
        user=kaltim_logistik,
        scope=Scope(True, ()),
        source="api",
    )
    data.update({f"{second}-segel-stage": "2", f"{second}-segel-sent": "4"})
    response = client.post(url, data, follow=True)
    assert "1 baris berubah" in response.content.decode()
    first_row = Delivery.objects.get(village_id=first, item__code="segel")
    assert (first_row.stage, first_row.damaged) == (2, 1)  # the API's change stands
    assert Delivery.objects.get(village_id=second, item__code="segel").sent == 4

    # Editing the first desa from the stale page is a conflict: nothing saved,
    # the typed values stay in the form.
    data.update({f"{first}-segel-stage": "3", f"{first}-segel-sent": "7"})
    data.update({f"{second}-segel-sent": "5"})
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "diubah orang lain sejak halaman ini dibuka" in page
    assert f'name="{first}-segel-sent" value="7"' in page
    assert Delivery.objects.get(village_id=second, item__code="segel").sent == 4
    # Saving again from the re-rendered form (now knowing the change) works.
    response = client.post(url, form_data(page), follow=True)
    assert "2 baris berubah" in response.content.decode()
    assert Delivery.objects.get(village_id=first, item__code="segel").sent == 7


def test_problem_lifecycle_and_counts_up_the_hierarchy(
    client, mahulu, kaltim_logistik, kaltim_sekda
):
    from logistics.models import AreaRollup

    client.force_login(kaltim_logistik)
    response = client.post(
        f"/logistics/wilayah/{mahulu[0]}/masalah/baru/",
        {"kind": "access", "description": "Sungai surut, longboat tidak bisa lewat."},
    )
    problem = Problem.objects.get()
    assert response.url == problem.get_absolute_url()
    assert AreaRollup.objects.get(region_id="64").open_problems == 1
    # The logistics officer handling it and the Sekda (a meeting reader) see
    # the decisions section (tests/meetings/test_links.py covers its content).
    page = client.get(problem.get_absolute_url()).content.decode()
    assert "Belum ada keputusan rapat tentang masalah ini." in page
    client.force_login(kaltim_sekda)
    page = client.get(problem.get_absolute_url()).content.decode()
    assert "Belum ada keputusan rapat tentang masalah ini." in page
    client.force_login(kaltim_logistik)
    response = client.post(problem.get_absolute_url(), {"status": "resolved", "note": ""})
    assert "Tuliskan penyelesaiannya" in response.content.decode()
    client.post(problem.get_absolute_url(), {"status": "handled", "note": "dikirim via udara"})
    client.post(problem.get_absolute_url(), {"status": "resolved", "note": "tiba H-2"})
    problem.refresh_from_db()
    assert problem.status == "resolved" and problem.events.count() == 3
    page = client.get(problem.get_absolute_url()).content.decode()
    assert "Sedang ditangani → Selesai" in page and "tiba H-2" in page
    assert AreaRollup.objects.get(region_id="64").open_problems == 0
    client.force_login(kaltim_sekda)
    assert client.get(problem.get_absolute_url()).status_code == 200
    assert client.post(problem.get_absolute_url(), {"status": "open"}).status_code == 404


def test_exports(client, mahulu, kaltim_sekda):
    client.force_login(kaltim_sekda)
    response = client.get("/logistics/wilayah/64.11/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "64.11.01" in response.content.decode("utf-8-sig")
    response = client.get("/logistics/wilayah/64/export.xlsx")
    assert response.content[:2] == b"PK"
    # One desa: its items.
    response = client.get(f"/logistics/wilayah/{mahulu[0]}/export.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.startswith("kode_desa;barang;tahap;dikirim") and "surat-suara" in text
    assert client.get(f"/logistics/wilayah/{mahulu[0]}/export.xlsx").content[:2] == b"PK"
    # Only the formats it makes.
    for fmt in ("pdf", "json"):
        assert client.get(f"/logistics/wilayah/64.11/export.{fmt}").status_code == 404


def test_kecamatan_lists_open_problems_per_desa(client, mahulu, kaltim_logistik, kaltim_sekda):
    from desk.models import Region

    services.problem_report(
        user=kaltim_logistik,
        region=Region.objects.get(code=mahulu[0]),
        kind=Problem.Kind.ACCESS,
        description="Longboat tertahan.",
    )
    client.force_login(kaltim_sekda)
    text = client.get(f"/logistics/wilayah/{mahulu[0][:8]}/export.csv").content.decode("utf-8-sig")
    row = next(line for line in text.splitlines() if line.startswith(mahulu[0]))
    assert row.endswith(";1")


def test_import_job_admin_opens(client, make_user):
    admin = make_user(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/logistics/importjob/").status_code == 200


def test_bulk_api_is_idempotent_and_all_or_nothing(client, mahulu, kaltim_logistik, sulbar_viewer):
    client.force_login(kaltim_logistik)
    rows = [
        {"desa": mahulu[0], "item": "kotak-suara", "stage": "ppk", "sent": 4, "received": 4},
        {"desa": mahulu[1], "item": "kotak-suara", "stage": 2, "sent": 4, "received": 4},
    ]
    response = client.post("/api/v1/logistics/updates/", rows, content_type="application/json")
    assert response.status_code == 200 and response.json()["changed"] == 2
    response = client.post("/api/v1/logistics/updates/", rows, content_type="application/json")
    assert response.json()["changed"] == 0
    bad = rows + [
        {"desa": "76.01.01.2001", "item": "kotak-suara", "stage": 2, "sent": 1.5, "received": 0}
    ]
    response = client.post("/api/v1/logistics/updates/", bad, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["rows"][0]["index"] == 3
    response = client.post("/api/v1/logistics/updates/", "x", content_type="application/json")
    assert response.status_code == 400
    assert DeliveryEvent.objects.filter(source="api").count() == 2
    # Idempotent per (desa, item, stage): after the KPPS stage is recorded, a
    # late or repeated PPK message, exactly as recorded then, is a no-op; a
    # different PPK message is a backward move that needs a reason.
    later = [{**rows[0], "stage": 4}]
    assert (
        client.post("/api/v1/logistics/updates/", later, content_type="application/json").json()[
            "changed"
        ]
        == 1
    )
    response = client.post("/api/v1/logistics/updates/", rows, content_type="application/json")
    assert response.status_code == 200 and response.json()["changed"] == 0
    assert Delivery.objects.get(village_id=mahulu[0], item__code="kotak-suara").stage == 4
    other = [{**rows[0], "sent": 5, "received": 5}]
    response = client.post("/api/v1/logistics/updates/", other, content_type="application/json")
    assert response.status_code == 400 and "tahap mundur" in str(response.json())
    data = client.get("/api/v1/logistics/dashboard/64.11/").json()
    assert data["desa_count"] == len(mahulu)
    client.force_login(sulbar_viewer)
    assert client.get("/api/v1/logistics/dashboard/64.11/").status_code == 404
    response = client.post("/api/v1/logistics/updates/", rows, content_type="application/json")
    assert response.status_code == 404


def test_home_panel_and_navigation(client, mahulu, kaltim_sekda):
    client.force_login(kaltim_sekda)
    page = client.get("/").content.decode()
    assert "/logistics/wilayah/64/" in page
    assert client.get("/logistics/").url == "/logistics/wilayah/64/"


def test_desa_without_data_count_as_not_complete(client, make_user):
    """One kelurahan of Kota Makassar delivered in full, the others with no
    data at all: the city is not complete, every kelurahan and kecamatan is
    listed, and the national page lists every province, reported or not."""
    from desk.models import Region

    city = Region.objects.get(code="73.71")
    first = Region.objects.filter(code__startswith="73.71.", level="village").order_by("code")[0]
    assert (
        city.villages == Region.objects.filter(code__startswith="73.71.", level="village").count()
    )
    services.villages_set_counts({first.code: (2, 500, 500)})
    services.deliveries_update(
        complete_rows([first.code]), user=None, scope=Scope(True, ()), source="import"
    )
    viewer = make_user(Role.VIEWER, None, username="pusat")
    client.force_login(viewer)
    page = client.get("/logistics/wilayah/73.71/").content.decode()
    assert f"1 dari {city.villages} desa/kelurahan" in page
    assert 'id="complete-flag"' not in page and 'id="missing-counts"' in page
    kecamatan = Region.objects.filter(parent_id="73.71").count()
    assert page.count('<tr data-code="73.71.') == kecamatan
    district = client.get(f"/logistics/wilayah/{first.parent_id}/").content.decode()
    desa = Region.objects.filter(parent_id=first.parent_id).count()
    assert district.count(f'<tr data-code="{first.parent_id}.') == desa
    national = client.get("/logistics/nasional/").content.decode()
    assert national.count('<tr data-code="') == Region.objects.filter(level="province").count()
    # An area with no data has no percentage per item, not 100 %.
    empty = client.get("/logistics/wilayah/76/").content.decode()
    assert '<td class="num">—</td>' in empty and '<td class="num">100</td>' not in empty
