"""TPS and DPT per desa: every change in the desa's history; many desa at
once from a CSV/XLSX or the API, all or nothing, every bad row listed."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from logistics.models import Delivery, Village, VillageEvent
from tests.logistics.conftest import villages_of

URL = "/logistics/impor/tps-dpt/"
HEADER = "kode_desa;tps;dpt_gubernur;dpt_bupati\n"


def upload(client, name, data: bytes):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def test_form_changes_are_in_the_desa_history(client, mahulu, kaltim_logistik):
    code = mahulu[0]
    client.force_login(kaltim_logistik)
    client.post(
        f"/logistics/desa/{code}/ubah/", {"tps": "3", "dpt_governor": "900", "dpt_local": "880"}
    )
    client.post(
        f"/logistics/desa/{code}/ubah/", {"tps": "3", "dpt_governor": "900", "dpt_local": "880"}
    )
    # The repeat wrote nothing.
    event = VillageEvent.objects.get(village_id=code, user=kaltim_logistik)
    assert (event.tps_before, event.dpt_governor_before, event.dpt_local_before) == (2, 500, 500)
    assert (event.tps_after, event.dpt_governor_after, event.dpt_local_after) == (3, 900, 880)
    assert event.user == kaltim_logistik
    page = client.get(f"/logistics/wilayah/{code}/").content.decode()
    assert "TPS 2, DPT 500/500 → TPS 3, DPT 900/880" in page
    # Ballots follow the new DPT: 900 + 2.5 % per TPS.
    ballots = Delivery.objects.get(village_id=code, item__code="surat-suara-gubernur")
    assert ballots.required >= 900 + 900 * 25 // 1000


def test_csv_import_lists_every_bad_row_and_saves_nothing_then_saves_all(client, kaltim_logistik):
    codes = villages_of("64.11.02")
    client.force_login(kaltim_logistik)
    bad = (
        HEADER
        + f"{codes[0]};2;900;900\n"
        + "76.01.01.1001;2;500;500\n"  # outside Kaltim
        + f"{codes[1]};0;6000;6000\n"  # voters without a TPS
        + f"{codes[2]};2;-5;900\n"
        + f"{codes[0]};3;900;900\n"  # twice
    )
    response = upload(client, "tps.csv", bad.encode())
    page = response.content.decode()
    assert response.status_code == 400
    for line in (3, 4, 5, 6):
        assert f"Baris {line}:" in page, line
    assert "Baris 2:" not in page
    assert not Village.objects.filter(pk__in=codes).exists()

    good = HEADER + "".join(f"{c};2;{400 + i};{400 + i}\n" for i, c in enumerate(codes))
    response = upload(client, "tps.csv", good.encode("cp1252"))
    assert response.status_code == 302
    assert Village.objects.filter(pk__in=codes).count() == len(codes)
    assert VillageEvent.objects.filter(source="import", tps_before__isnull=True).count() == len(
        codes
    )
    assert Delivery.objects.filter(village_id=codes[0]).exists()
    # The same file again: nothing changes, no history.
    upload(client, "tps.csv", good.encode())
    assert VillageEvent.objects.count() == len(codes)


def test_xlsx_and_bad_files(client, kaltim_logistik):
    code = villages_of("64.11.03")[0]
    client.force_login(kaltim_logistik)
    book = openpyxl.Workbook()
    book.active.append(["kode_desa", "tps", "dpt_gubernur", "dpt_bupati"])
    book.active.append([code, 4, 1500, 1500])
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload(client, "tps.xlsx", buffer.getvalue()).status_code == 302
    assert Village.objects.get(pk=code).tps == 4
    for name, data, message in (
        ("tps.xlsx", b"not a workbook", "bukan XLSX yang sah"),
        ("tps.csv", b"kode;jumlah\n1;2\n", "Kolom tidak sesuai"),
        ("tps.csv", HEADER.encode(), "tidak berisi baris data"),
        ("tps.pdf", b"%PDF", "Jenis berkas tidak didukung"),
    ):
        response = upload(client, name, data)
        assert response.status_code == 400 and message in response.content.decode(), message


def test_api_sets_counts_scoped_and_all_or_nothing(client, kaltim_logistik, sulbar_viewer):
    codes = villages_of("64.11.04", 2)
    client.force_login(kaltim_logistik)
    url = "/api/v1/logistics/villages/"
    rows = [{"desa": c, "tps": 2, "dpt_governor": 700, "dpt_local": 700} for c in codes]
    bad = [*rows, {"desa": "76.01.01.1001", "tps": 1, "dpt_governor": 10, "dpt_local": 10}]
    response = client.post(url, bad, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["rows"][0]["index"] == 3
    assert not Village.objects.filter(pk__in=codes).exists()
    assert client.post(url, [1, 2], content_type="application/json").status_code == 400
    response = client.post(url, rows, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"desa": 2}
    assert VillageEvent.objects.filter(source="api").count() == 2
    client.force_login(sulbar_viewer)
    assert client.post(url, rows, content_type="application/json").status_code == 404
