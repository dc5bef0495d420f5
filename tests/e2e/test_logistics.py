"""In real Chromium: the KPU logistics officer of Kalimantan Timur imports
Mahakam Ulu's CSV with two bad rows, fixes them, and the provincial Sekda
sees the kabupaten turn complete and drills down to one desa."""

from desk.models import Region, Role
from logistics import services
from logistics.models import Delivery
from tests.logistics.conftest import ensure_items

MAHULU = "64.11"


def test_import_fix_and_drill_down(page, make_user, tmp_path):
    ensure_items()
    make_user(Role.LOGISTICS_OFFICER, "64", username="kaltim.logistik")
    make_user(Role.VIEWER, "64", username="kaltim.sekda")
    codes = list(
        Region.objects.filter(code__startswith=MAHULU + ".", level="village").values_list(
            "code", flat=True
        )
    )
    services.villages_set_counts(dict.fromkeys(codes, (2, 480, 480)))
    lines = ["kode_desa;barang;tahap;dikirim;diterima;rusak;alasan"]
    for d in Delivery.objects.filter(village_id__in=codes).select_related("item"):
        lines.append(f"{d.village_id};{d.item.code};kpps;{d.required};{d.required};0;")
    good = list(lines)
    lines[3] = lines[3].replace(";0;", ";-2;")  # line 4: negative damaged
    first = lines[10].split(";")
    first[4] = str(int(first[3]) + 5)  # line 11: received > sent
    lines[10] = ";".join(first)
    bad_file = tmp_path / "mahulu.csv"
    bad_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good_file = tmp_path / "mahulu-perbaikan.csv"
    good_file.write_text("\n".join(good) + "\n", encoding="utf-8")

    page.login("kaltim.logistik")
    page.goto("/logistics/impor/")
    page.set_input_files("#id_file", str(bad_file))
    page.click("main button[type=submit]")
    assert page.text_content("#import-status").strip().startswith("Ditolak")
    rows = page.locator("#errors tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").first.text_content() == "4"
    assert "diterima melebihi dikirim" in rows.nth(1).text_content()

    page.goto("/logistics/impor/")
    page.set_input_files("#id_file", str(good_file))
    page.click("main button[type=submit]")
    assert page.text_content("#import-status").strip() == "Berhasil"

    page.context.clear_cookies()
    page.login("kaltim.sekda")
    page.goto("/logistics/")
    row = page.locator('#children tr[data-code="64.11"]')
    assert "✓" in row.text_content()
    row.locator("a").click()
    assert page.locator("#complete-flag").is_visible()
    assert page.text_content("#share").strip() == "100%"
    page.locator("#children tbody tr a").first.click()
    page.locator("#children tbody tr a").first.click()
    assert page.text_content("#village-status").strip() == "Lengkap"
    assert "Impor berkas" in page.content()
