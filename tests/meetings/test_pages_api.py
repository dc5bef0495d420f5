"""Pages, exports and the API, as the personas use them; out of scope = 404."""

import datetime
import io
import re
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import translation
from openpyxl import load_workbook

from meetings import services
from meetings.models import Decision, Invitation, Meeting

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


def wita(*args):
    return datetime.datetime(*args, tzinfo=WITA)


@pytest.fixture
def meeting(kaltim, kaltim_directory, make_meeting):
    people = [kaltim_directory["people"]["kpu"], kaltim_directory["people"]["bawaslu"]]
    meeting = make_meeting(
        kaltim,
        wita(2024, 11, 4, 9),
        people=people,
        agencies=[kaltim_directory["polda"]],
        agenda="Logistik\nPengamanan",
    )
    services.decision_record(
        meeting=meeting,
        user=None,
        text="KPU melapor kekurangan surat suara",
        responsible_agency=kaltim_directory["kpu"],
        due_on=datetime.date(2024, 11, 8),
    )
    return meeting


def test_desk_staff_schedules_a_meeting_in_local_time(client, kaltim_desk, kaltim_directory):
    client.force_login(kaltim_desk)
    data = {
        "region": "64",
        "title": "Rakor desk Kaltim",
        "kind": "rakor_desk",
        "starts_at": "2024-11-04T09:00",
        "ends_at": "2024-11-04T11:00",
        "venue": "Ruang Ruhui Rahayu",
        "online_url": "",
        "people": [kaltim_directory["people"]["kpu"].pk],
    }
    response = client.post("/meetings/new/", data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert meeting.starts_at == wita(2024, 11, 4, 9)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Senin, 4 November 2024, 09.00 WITA" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": "2024-11-04T08:00"}, "Waktu selesai harus setelah waktu mulai."),
        ({"online_url": "ftp://x.example/zoom"}, "http:// atau https://"),
    ],
)
def test_bad_meeting_form_shows_the_reason_and_saves_nothing(client, kaltim_desk, change, message):
    client.force_login(kaltim_desk)
    data = {
        "region": "64",
        "title": "Rakor",
        "kind": "rakor_desk",
        "starts_at": "2024-11-04T09:00",
        "ends_at": "2024-11-04T11:00",
        "venue": "Aula",
        **change,
    }
    response = client.post("/meetings/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Meeting.objects.exists()


def test_outsiders_and_other_provinces_get_404(client, meeting, outsider, make_user):
    other = make_user("desk_staff", "76", username="sulbar.desk")
    for user in (outsider, other):
        client.force_login(user)
        for url in (
            meeting.get_absolute_url(),
            f"/meetings/{meeting.pk}/calendar.ics",
            f"/meetings/{meeting.pk}/notulen.pdf",
            "/meetings/desk/64/decisions/",
            "/meetings/desk/64/decisions.csv",
            f"/api/v1/meetings/{meeting.pk}/",
        ):
            assert client.get(url).status_code == 404, url


def test_attendance_and_counts_per_agency_group(client, kaltim_desk, meeting):
    client.force_login(kaltim_desk)
    kpu, bawaslu, polda = (
        meeting.invitations.get(agency__kind=k) for k in ("kpu", "bawaslu", "polri")
    )
    response = client.post(
        f"/meetings/{meeting.pk}/attendance/",
        {
            f"att-{kpu.pk}": "present",
            f"att-{bawaslu.pk}": "represented",
            f"rep-{bawaslu.pk}": "Staf Divisi Hukum",
            f"att-{polda.pk}": "absent",
        },
    )
    assert response.status_code == 302
    assert Invitation.objects.get(pk=bawaslu.pk).represented_by == "Staf Divisi Hukum"
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Penyelenggara (KPU, Bawaslu)" in page and "Forkopimda" in page
    # Represented with nobody named: refused, and nothing of the form saved.
    client.post(
        f"/meetings/{meeting.pk}/attendance/",
        {f"att-{kpu.pk}": "absent", f"att-{polda.pk}": "represented"},
    )
    assert Invitation.objects.get(pk=kpu.pk).attendance == "present"


def test_decision_due_before_meeting_is_refused_on_the_form(
    client, kaltim_desk, meeting, kaltim_directory
):
    client.force_login(kaltim_desk)
    response = client.post(
        f"/meetings/{meeting.pk}/decisions/",
        {"text": "X", "responsible_agency": kaltim_directory["kpu"].pk, "due_on": "2024-11-01"},
    )
    assert response.status_code == 400
    assert "Tenggat tidak boleh sebelum tanggal rapat" in response.content.decode()
    assert Decision.objects.count() == 1


def test_desk_decisions_page_query_count(
    client, kaltim_desk, meeting, django_assert_num_queries, time_machine
):
    time_machine.move_to(wita(2024, 11, 12, 8), tick=False)
    client.force_login(kaltim_desk)
    # savepoint (ATOMIC_REQUESTS), user (the session is read from the Redis
    # cache), role assignments (scope), the desk, its calendar feed, the open
    # decisions with their meetings, desks and agencies in one join, release:
    # however many decisions.
    with django_assert_num_queries(7):
        response = client.get("/meetings/desk/64/decisions/")
    page = response.content.decode()
    assert "terlambat" in page and "KPU melapor kekurangan surat suara" in page


def test_exports_ics_csv_xlsx_pdf_and_minutes(client, kaltim_desk, meeting):
    client.force_login(kaltim_desk)
    ics = client.get(f"/meetings/{meeting.pk}/calendar.ics").content.decode()
    assert "DTSTART;TZID=Asia/Makassar:20241104T090000" in ics
    csv_text = client.get("/meetings/desk/64/decisions.csv").content.decode("utf-8-sig")
    assert "KPU melapor kekurangan surat suara" in csv_text
    xlsx = client.get("/meetings/desk/64/decisions.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["B2"].value == "KPU melapor kekurangan surat suara"
    pdf = client.get(f"/meetings/{meeting.pk}/notulen.pdf")
    assert pdf.content.startswith(b"%PDF")
    printable = client.get(f"/meetings/{meeting.pk}/notulen/").content.decode()
    assert "Daftar hadir" in printable
    # The print rules live in a stylesheet (the CSP allows no inline style).
    stylesheet = re.search(r'href="/static/(css/minutes_print\.css)"', printable).group(1)
    assert "@media print" in Path(finders.find(stylesheet)).read_text()


def test_decisions_export_in_english_names_the_sheet_and_the_meeting_column(
    client, kaltim_desk, meeting, settings
):
    client.force_login(kaltim_desk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("id"):  # the request leaves English active
        xlsx = client.get("/meetings/desk/64/decisions.xlsx").content
        index = client.get("/meetings/").content.decode()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.title == "Decisions"
    assert (sheet["B1"].value, sheet["H1"].value) == ("Decision", "Meeting")
    assert "<title>Meetings" in index and "<th>Venue</th>" in index


def test_calendar_feed_token_is_revocable(client, kaltim_desk, meeting, time_machine):
    time_machine.move_to(wita(2024, 11, 1, 8), tick=False)
    client.force_login(kaltim_desk)
    client.post("/meetings/desk/64/feed/", {"action": "rotate"})
    from meetings.models import CalendarFeed

    token = CalendarFeed.objects.get(region_id="64").token
    client.logout()
    assert b"BEGIN:VEVENT" in client.get(f"/meetings/feed/{token}.ics").content
    client.force_login(kaltim_desk)
    client.post("/meetings/desk/64/feed/", {"action": "rotate"})
    client.logout()
    assert client.get(f"/meetings/feed/{token}.ics").status_code == 404


def test_api_is_scoped_and_refuses_bad_input(client, kaltim_desk, sulbar_viewer, meeting):
    client.force_login(sulbar_viewer)
    assert client.get("/api/v1/meetings/").json()["count"] == 0
    client.force_login(kaltim_desk)
    body = client.get("/api/v1/meetings/").json()
    assert body["count"] == 1 and body["results"][0]["timezone_label"] == "WITA"
    bad = client.post(
        "/api/v1/meetings/",
        {
            "region": "64",
            "title": "Rakor",
            "kind": "rakor_desk",
            "starts_at": "2024-11-04T09:00+08:00",
            "ends_at": "2024-11-04T08:00+08:00",
            "online_url": "ftp://x",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"ends_at", "online_url"}
    decision = Decision.objects.get()
    ok = client.patch(
        f"/api/v1/meeting-decisions/{decision.pk}/",
        {"status": "in_progress", "note": "dalam proses"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    invitation = meeting.invitations.first()
    refused = client.patch(
        f"/api/v1/meeting-invitations/{invitation.pk}/",
        {"attendance": "represented"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "represented_by" in refused.json()


def test_home_panel_and_index(client, kaltim_desk, meeting, time_machine):
    time_machine.move_to(wita(2024, 11, 1, 8), tick=False)
    client.force_login(kaltim_desk)
    assert "Rakor desk" in client.get("/").content.decode()
    assert "Rakor desk" in client.get("/meetings/").content.decode()


def test_meeting_page_query_count_does_not_grow_with_invitees(
    client, kaltim_desk, meeting, kaltim_directory, agency_factory
):
    client.force_login(kaltim_desk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(meeting.get_absolute_url())
    extra = [agency_factory("64", name=f"OPD {i}") for i in range(15)]
    services.invitations_add(meeting=meeting, agencies=extra)
    with CaptureQueriesContext(connection) as many:
        response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert len(many) == len(few)


def test_cancel_page_and_series_edit_page(client, kaltim_desk, kaltim, time_machine):
    time_machine.move_to(wita(2024, 10, 30, 12), tick=False)
    client.force_login(kaltim_desk)
    response = client.post(
        "/meetings/series/new/",
        {
            "region": "64",
            "title": "Rapat mingguan",
            "kind": "rakor_mingguan",
            "weekday": "0",
            "start_time": "09:00",
            "duration": "02:00:00",
            "starts_on": "2024-11-04",
            "until": "",
            "online_url": "https://zoom.us/j/1",
        },
    )
    assert "Seri mingguan harus punya tanggal akhir." in response.content.decode()
    response = client.post(
        "/meetings/series/new/",
        {
            "region": "64",
            "title": "Rapat mingguan",
            "kind": "rakor_mingguan",
            "weekday": "0",
            "start_time": "09:00",
            "duration": "02:00:00",
            "starts_on": "2024-11-04",
            "until": "2024-12-04",
            "online_url": "https://zoom.us/j/1",
        },
    )
    series = response.url
    occurrences = list(Meeting.objects.order_by("starts_at"))
    assert len(occurrences) == 5
    client.post(f"/meetings/{occurrences[1].pk}/cancel/", {"reason": "libur"})
    assert Meeting.objects.get(pk=occurrences[1].pk).is_cancelled
    # Editing a cancelled occurrence is refused with a message.
    response = client.get(f"/meetings/{occurrences[1].pk}/edit/", follow=True)
    assert "sudah dibatalkan" in response.content.decode()
    client.post(
        series + "edit/",
        {
            "title": "Rapat mingguan (baru)",
            "kind": "rakor_mingguan",
            "weekday": "0",
            "start_time": "10:00",
            "duration": "01:30:00",
            "starts_on": "2024-11-04",
            "until": "2024-12-04",
            "online_url": "https://zoom.us/j/2",
        },
    )
    titles = list(Meeting.objects.order_by("starts_at").values_list("title", "status"))
    assert titles[1] == ("Rapat mingguan", "cancelled")
    assert {t for t, s in titles if s == "scheduled"} == {"Rapat mingguan (baru)"}


def test_admin_lists_failed_deliveries_in_scope(client, make_user, meeting):
    from meetings.models import ReminderDelivery

    ReminderDelivery.objects.create(
        meeting=meeting,
        kind="reminder",
        email="x@kaltim.example.id",
        name="X",
        state="failed",
        attempts=5,
        last_error="SMTPDataError: 451 Try again later",
    )
    admin_user = make_user("administrator", "64", username="kaltim.admin", is_staff=True)
    from django.contrib.auth.models import Permission

    admin_user.user_permissions.add(Permission.objects.get(codename="view_reminderdelivery"))
    client.force_login(admin_user)
    page = client.get("/admin/meetings/reminderdelivery/").content.decode()
    assert "SMTPDataError: 451" in page
    other = make_user("administrator", "76", username="sulbar.admin", is_staff=True)
    other.user_permissions.add(Permission.objects.get(codename="view_reminderdelivery"))
    client.force_login(other)
    assert "SMTPDataError" not in client.get("/admin/meetings/reminderdelivery/").content.decode()


def test_api_creates_a_weekly_series_and_refuses_one_without_end(
    client, kaltim_desk, kaltim_directory
):
    client.force_login(kaltim_desk)
    body = {
        "region": "64",
        "title": "Rapat mingguan",
        "kind": "rakor_mingguan",
        "weekday": 0,
        "start_time": "09:00",
        "duration": "02:00:00",
        "starts_on": "2024-11-04",
        "online_url": "https://zoom.us/j/1",
        "people": [kaltim_directory["people"]["kpu"].pk],
    }
    refused = client.post("/api/v1/meeting-series/", body, content_type="application/json")
    assert refused.status_code == 400 and "until" in refused.json()
    created = client.post(
        "/api/v1/meeting-series/", {**body, "until": "2024-12-04"}, content_type="application/json"
    )
    assert created.status_code == 201
    series_id = created.json()["id"]
    occurrences = client.get(f"/api/v1/meetings/?series={series_id}").json()
    assert occurrences["count"] == 5
    assert occurrences["results"][0]["local_start"].startswith("2024-11-04T09:00:00+08:00")
