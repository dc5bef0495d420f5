"""ASN neutrality in a real Chromium: a citizen files a report with a photo,
the Pamekasan Bawaslu officer registers it, asks for more information,
decides it a violation and refers it to BKN; the citizen follows the status
with the tracking code."""

import datetime
import io

import pytest
from PIL import Image

from desk.models import Role
from neutrality.models import Category, ReferralTarget, Report
from neutrality.reference import ensure_reference_data

pytestmark = pytest.mark.e2e


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_citizen_reports_officer_refers_to_bkn_citizen_tracks(page, make_user, live_server):
    ensure_reference_data(Category, ReferralTarget)
    make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu", first_name="Fathor")
    today = datetime.date.today()

    # The citizen, without an account.
    page.goto("/neutrality/lapor/")
    page.select_option("#id_reporter_kind", "voter")
    page.fill("#id_reporter_name", "Nur Hasanah")
    page.fill("#id_reporter_nik", "3528015508900002")
    page.fill("#id_reporter_address", "Desa Branta Pesisir, Tlanakan")
    page.fill("#id_reporter_phone", "081234567890")
    page.fill("#id_asn_name", "Moh. Sahrul")
    page.fill("#id_asn_nip", "198503152010011002")
    page.fill("#id_asn_agency", "SMPN 1 Tlanakan")
    page.select_option("#id_province", "35")
    page.wait_for_selector("#id_regency option[value='35.28']", state="attached")
    page.select_option("#id_regency", "35.28")
    page.wait_for_selector("#id_district option[value='35.28.01']", state="attached")
    page.select_option("#id_district", "35.28.01")
    page.fill("#id_occurred_on", (today - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_known_on", (today - datetime.timedelta(days=10)).isoformat())
    assert page.locator("#late-warning").is_visible()  # told before sending
    page.fill("#id_known_on", today.isoformat())
    assert not page.locator("#late-warning").is_visible()
    page.select_option("#id_category", str(Category.objects.get(code="foto-gestur").pk))
    page.fill("#id_description", "Foto bersama calon bupati dengan gestur dua jari di Instagram.")
    page.set_input_files(
        "#id_files", {"name": "gestur.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    page.click("button:has-text('Kirim laporan')")
    page.wait_for_url("**/neutrality/lapor/terkirim/")
    code = page.locator("#tracking-code").inner_text().strip()
    filed = Report.objects.get(tracking_code=code)
    assert filed.office.region_id == "35.28"

    # The officer of the right office.
    page.login("pamekasan.bawaslu")
    page.goto("/neutrality/")
    # The queue names it by reference; the code stays hidden (issue 11).
    assert code not in page.locator("#queue").inner_text()
    page.click(f"#queue a[href='{filed.get_absolute_url()}']")
    assert "gestur.jpg" in page.locator("#evidence").inner_text()

    def act(action, **fields):
        form = page.locator(f"form[data-action={action}]")
        form.locator("summary").click()
        for name, value in fields.items():
            field = form.locator(f"[name={name}]")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()

    act("register", note="Syarat formal dan materiel terpenuhi.")
    assert page.locator("#report-status").inner_text() == "Diregistrasi"
    act("study")
    act("request_info", note="Mohon tautan unggahan asli.")
    assert page.locator("#report-status").inner_text() == "Meminta keterangan tambahan"
    assert "diperpanjang 2 hari" in page.locator("#status-card").inner_text()
    act("decide", outcome="other_law")
    act("refer", letter_number="045/PP.01.02/K.JI-21/XI/2024", letter_on=today.isoformat())
    assert page.locator("#report-status").inner_text() == "Direkomendasikan"
    assert "BKN" in page.locator("#status-card").inner_text()

    # The citizen again, in a fresh browser context, with the code only.
    citizen = page.context.browser.new_context(base_url=live_server.url, locale="id-ID")
    public = citizen.new_page()
    public.goto("/neutrality/lacak/")
    public.fill("#id_code", code.lower().replace("-", " "))
    public.click("button:has-text('Lacak')")
    assert public.locator("#track-status").inner_text() == "Direkomendasikan"
    result = public.locator("#track-result").inner_text()
    assert "BKN" in result and "Mohon tautan" not in result and "Nur Hasanah" not in result
    citizen.close()


def test_the_late_warning_counts_to_the_chosen_provinces_date(page, time_machine, live_server):
    """The server's clock says 1 Nov 2024 16:30 UTC (still 1 Nov in WIB, 2 Nov
    in WITA); the browser's clock is the real one, which must not matter."""
    time_machine.move_to(datetime.datetime(2024, 11, 1, 16, 30, tzinfo=datetime.UTC))
    page.goto("/neutrality/lapor/")
    warning = page.locator("#late-warning")
    page.select_option("#id_province", "35")  # Jawa Timur, WIB: 1 Nov
    page.fill("#id_known_on", "2024-10-25")  # day 7: in time
    assert not warning.is_visible()
    page.select_option("#id_province", "73")  # Sulawesi Selatan, WITA: 2 Nov
    assert warning.is_visible()  # day 8: time-barred, as the server will flag it
    page.fill("#id_known_on", "2024-10-26")
    assert not warning.is_visible()


def test_the_asn_region_list_speaks_the_users_language(page, live_server, db):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/neutrality/lapor/")
    page.select_option("#id_province", "35")
    page.wait_for_selector("#id_asn_region option[value='35.28']", state="attached")
    assert page.locator("#id_asn_region option[value='35']").inner_text() == "Provincial government"
