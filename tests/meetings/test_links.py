"""Decisions that follow up a neutrality report, a logistics problem, an area:
who may set the link, who sees it (only users who may read both the
decision and its target), the report's and problem's pages, the API, the
exports, and the reminder digest naming the open problems."""

import datetime
import io
import re
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from openpyxl import load_workbook

from desk.models import Agency, Region, Role
from logistics import services as logistics
from logistics.models import Problem
from meetings import reminders, services
from meetings.models import Decision
from neutrality.models import Category, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import Intake, report_reroute, report_submit

User = get_user_model()
WITA = zoneinfo.ZoneInfo("Asia/Makassar")
REPORTER = "Ahmad Rofiqi"
NIK = "6411011503850001"


def submit(region_code: str, *, provincial=False) -> Report:
    ensure_reference_data(Category, ReferralTarget)
    today = datetime.date.today()
    return report_submit(
        intake=Intake(
            reporter_kind=Report.ReporterKind.VOTER,
            reporter_name=REPORTER,
            reporter_nik=NIK,
            reporter_address="Jl. Sungai Mahakam 3",
            reporter_phone="+6281234567890",
            reporter_email="rofiqi@example.id",
            asn_name="Drs. Hasanuddin",
            asn_nip="198503152010011002",
            asn_position="Kepala Bidang",
            asn_agency="Dinas Pendidikan",
            region=Region.objects.get(code=region_code),
            provincial_matter=provincial,
            occurred_on=today - datetime.timedelta(days=2),
            known_on=today - datetime.timedelta(days=1),
            category=Category.objects.get(code="foto-gestur"),
            description="Mengunggah foto bersama calon dengan gestur dua jari.",
        ),
        channel=Report.Channel.PUBLIC,
    )


def problem_in(district: str) -> Problem:
    officer, _ = User.objects.get_or_create(username="ri.logistik")
    village = Region.objects.filter(parent_id=district).order_by("code").first()
    return logistics.problem_report(
        user=officer,
        region=village,
        kind=Problem.Kind.ACCESS,
        description="Longboat tertahan air surut; kotak suara tertunda.",
        quantity=12,
    )


@pytest.fixture
def targets(db):
    """A report and a problem inside Kaltim (Mahakam Ulu), and the same
    outside it (Pamekasan, Sulawesi Barat)."""
    return {
        "report": submit("64.11.01"),
        "problem": problem_in("64.11.01"),
        "report_outside": submit("35.28.01"),
        "problem_outside": problem_in("76.01.01"),
    }


@pytest.fixture
def meeting(kaltim, kaltim_directory, make_meeting):
    return make_meeting(kaltim, datetime.datetime(2024, 11, 4, 9, tzinfo=WITA), title="Rakor")


def options(page: str, name: str) -> set[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select, f"no {name} field"
    return set(re.findall(r'<option value="([^"]+)"', select.group(0)))


def post_decision(client, meeting, kpu, **links):
    data = {"text": "Tindak lanjut", "responsible_agency": kpu.pk, "due_on": "2024-11-08"}
    data.update({k: v.pk for k, v in links.items()})
    return client.post(f"/meetings/{meeting.pk}/decisions/", data)


def test_form_links_report_problem_and_area_and_pages_list_the_decision(
    client, kaltim_desk, kaltim_directory, meeting, targets
):
    client.force_login(kaltim_desk)
    form_page = client.get(meeting.get_absolute_url()).content.decode()
    # The choices are what the desk staff may see in the desk's region.
    assert str(targets["report"].pk) in options(form_page, "report")
    assert str(targets["report_outside"].pk) not in options(form_page, "report")
    assert str(targets["problem"].pk) in options(form_page, "problem")
    assert str(targets["problem_outside"].pk) not in options(form_page, "problem")
    areas = options(form_page, "area")
    assert "64.11" in areas and "64.11.01" in areas and "76.01" not in areas
    assert targets["report"].tracking_code not in form_page

    response = post_decision(
        client,
        meeting,
        kaltim_directory["kpu"],
        report=targets["report"],
        problem=targets["problem"],
        area=Region.objects.get(code="64.11.01"),
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.report, decision.problem, decision.area_id) == (
        targets["report"],
        targets["problem"],
        "64.11.01",
    )

    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Laporan netralitas ASN:" in page and targets["report"].get_absolute_url() in page
    assert "Masalah logistik:" in page and targets["problem"].get_absolute_url() in page
    assert "/logistics/wilayah/64.11.01/" in page
    # Nothing of the reporter, not even the tracking code.
    for secret in (REPORTER, NIK, targets["report"].tracking_code):
        assert secret not in page

    report_page = client.get(targets["report"].get_absolute_url()).content.decode()
    assert 'id="related-decisions"' in report_page
    assert "Tindak lanjut" in report_page and decision.get_absolute_url() in report_page
    problem_page = client.get(targets["problem"].get_absolute_url()).content.decode()
    assert "Tindak lanjut" in problem_page and decision.get_absolute_url() in problem_page


def test_targets_outside_the_desk_are_refused_and_nothing_saved(
    client, kaltim_desk, kaltim_directory, meeting, targets
):
    client.force_login(kaltim_desk)
    kpu = kaltim_directory["kpu"]
    for field, outside in (
        ("report", targets["report_outside"]),
        ("problem", targets["problem_outside"]),
        ("area", Region.objects.get(code="76.01")),
    ):
        response = post_decision(client, meeting, kpu, **{field: outside})
        assert response.status_code == 400, field
        assert "Masukkan pilihan yang valid" in response.content.decode()
    assert not Decision.objects.exists()


def test_service_refuses_what_the_user_may_not_read(
    kaltim_desk, kaltim_directory, meeting, targets
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.decision_record(
            meeting=meeting,
            user=kaltim_desk,
            text="X",
            responsible_agency=kaltim_directory["kpu"],
            due_on=datetime.date(2024, 11, 8),
            report=targets["report_outside"],
            problem=targets["problem_outside"],
            area=Region.objects.get(code="35.28"),
        )
    assert set(refused.value.message_dict) == {"report", "problem", "area"}
    assert not Decision.objects.exists()


def test_api_links_with_one_answer_for_unknown_and_out_of_scope(
    client, kaltim_desk, kaltim_directory, meeting, targets
):
    client.force_login(kaltim_desk)
    url = "/api/v1/meeting-decisions/"
    base = {
        "meeting": meeting.pk,
        "text": "Bawaslu mengklarifikasi laporan",
        "responsible_agency": kaltim_directory["bawaslu"].pk,
        "due_on": "2024-11-08",
    }
    outside = client.post(url, {**base, "report": targets["report_outside"].pk})
    unknown = client.post(url, {**base, "report": 999_999})
    assert outside.status_code == unknown.status_code == 400
    assert outside.json() == unknown.json()
    assert outside.json()["report"] == ["Laporan tidak ditemukan di wilayah desk ini."]
    bad_area = client.post(url, {**base, "area": "35.28"})
    unknown_area = client.post(url, {**base, "area": "99.99"})
    assert bad_area.status_code == unknown_area.status_code == 400
    assert bad_area.json()["area"] == ["Wilayah «35.28» tidak ditemukan di wilayah desk ini."]
    assert unknown_area.json()["area"] == ["Wilayah «99.99» tidak ditemukan di wilayah desk ini."]
    assert not Decision.objects.exists()

    created = client.post(
        url,
        {**base, "report": targets["report"].pk, "problem": targets["problem"].pk, "area": "64.11"},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["report"], body["problem"], body["area"]) == (
        targets["report"].pk,
        targets["problem"].pk,
        "64.11",
    )
    listed = client.get(url).json()["results"][0]
    assert listed["report"] == targets["report"].pk


def test_link_shows_only_to_users_who_may_read_both(
    client, make_user, kaltim_desk, kaltim_directory, make_meeting, django_assert_max_num_queries
):
    """A kabupaten desk's meeting, a provincial-matter report (handled by
    the provincial Bawaslu) and a problem of the kabupaten: the kabupaten's
    desk staff reads the decision and the problem, not the report."""
    mahulu = Region.objects.get(code="64.11")
    meeting = make_meeting(mahulu, datetime.datetime(2024, 11, 4, 9, tzinfo=WITA))
    report = submit("64.11.01", provincial=True)
    assert report.office.region_id == "64"
    problem = problem_in("64.11.01")
    decision = services.decision_record(
        meeting=meeting,
        user=kaltim_desk,
        text="Klarifikasi dan kirim ulang",
        responsible_agency=kaltim_directory["kpu_mahulu"],
        due_on=datetime.date(2024, 11, 8),
        report=report,
        problem=problem,
    )
    mahulu_desk = make_user(Role.DESK_STAFF, "64.11", username="mahulu.desk")
    client.force_login(mahulu_desk)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Klarifikasi dan kirim ulang" in page
    assert "Masalah logistik:" in page
    assert "Laporan netralitas ASN" not in page and report.get_absolute_url() not in page
    api = client.get(f"/api/v1/meeting-decisions/{decision.pk}/").json()
    assert api["report"] is None and api["problem"] == problem.pk
    csv_text = client.get("/meetings/desk/64.11/decisions.csv").content.decode("utf-8-sig")
    assert "Masalah logistik: " in csv_text and "Laporan netralitas" not in csv_text
    assert client.get(report.get_absolute_url()).status_code == 404

    # The province's staff sees both, in the CSV and the XLSX too.
    client.force_login(kaltim_desk)
    csv_text = client.get("/meetings/desk/64.11/decisions.csv").content.decode("utf-8-sig")
    assert "Laporan netralitas ASN: " in csv_text
    sheet = load_workbook(io.BytesIO(client.get("/meetings/desk/64.11/decisions.xlsx").content))
    assert "Masalah logistik" in sheet.active["J2"].value
    # The list's link lookups cost a fixed number of queries, not one per row.
    for i in range(5):
        services.decision_record(
            meeting=meeting,
            user=kaltim_desk,
            text=f"Keputusan {i}",
            responsible_agency=kaltim_directory["kpu_mahulu"],
            due_on=datetime.date(2024, 11, 8),
            report=report,
            problem=problem,
            area=Region.objects.get(code="64.11.01"),
        )
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/meeting-decisions/").status_code == 200


def test_report_page_lists_decisions_for_meeting_readers_and_the_handling_office(
    client, make_user, kaltim_desk, kaltim_directory, meeting, targets
):
    services.decision_record(
        meeting=meeting,
        user=kaltim_desk,
        text="Bawaslu mengklarifikasi kasus",
        responsible_agency=kaltim_directory["bawaslu"],
        due_on=datetime.date(2024, 11, 8),
        report=targets["report"],
    )
    # The provincial Bawaslu reads the report but neither handles it nor
    # reads any desk's meetings: no decisions.
    province_officer = make_user(Role.BAWASLU_OFFICER, "64", username="kaltim.bawaslu")
    client.force_login(province_officer)
    page = client.get(targets["report"].get_absolute_url())
    assert page.status_code == 200
    assert "related-decisions" not in page.content.decode()
    assert "Bawaslu mengklarifikasi kasus" not in page.content.decode()
    # The office handling it (Mahakam Ulu) is the one the decision asks to
    # act: it sees the decision, without a link to a meeting it cannot read.
    officer = make_user(Role.BAWASLU_OFFICER, "64.11", username="mahulu.bawaslu")
    client.force_login(officer)
    page = client.get(targets["report"].get_absolute_url()).content.decode()
    assert "Bawaslu mengklarifikasi kasus" in page
    assert meeting.get_absolute_url() not in page
    # The desk's staff reads both.
    client.force_login(kaltim_desk)
    page = client.get(targets["report"].get_absolute_url()).content.decode()
    assert "Bawaslu mengklarifikasi kasus" in page
    # Rerouted out of Kaltim, the report leaves the desk's view, and the link
    # on the meeting page goes with it; the decision itself stays.
    pamekasan = Agency.objects.create(
        region=Region.objects.get(code="35.28"), kind=Agency.Kind.BAWASLU, name="Bawaslu Pamekasan"
    )
    report_reroute(
        report=targets["report"],
        user=officer,
        region=pamekasan.region,
        reason="Terlapor di Pamekasan",
    )
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Bawaslu mengklarifikasi kasus" in page
    assert "Laporan netralitas ASN" not in page
    assert client.get(targets["report"].get_absolute_url()).status_code == 404


def test_reminder_digest_names_the_open_problems_decisions_track(
    kaltim, kaltim_desk, kaltim_directory, make_meeting, time_machine, targets
):
    first = make_meeting(kaltim, datetime.datetime(2024, 11, 4, 9, tzinfo=WITA))
    services.decision_record(
        meeting=first,
        user=kaltim_desk,
        text="KPU mengirim ulang kotak suara",
        responsible_agency=kaltim_directory["kpu"],
        # Not due before the next meeting: the problem still shows.
        due_on=datetime.date(2024, 11, 30),
        problem=targets["problem"],
        area=Region.objects.get(code="64.11.01"),
        report=targets["report"],
    )
    nxt = make_meeting(
        kaltim,
        datetime.datetime(2024, 11, 11, 9, tzinfo=WITA),
        people=[kaltim_directory["people"]["kpu"]],
    )
    time_machine.move_to(datetime.datetime(2024, 11, 11, 7, tzinfo=WITA), tick=False)
    reminders.reminders_dispatch()
    reminders.reminders_deliver(meeting_id=nxt.pk)
    (message,) = mail.outbox
    village = targets["problem"].region
    assert "Masalah logistik terbuka yang ditindaklanjuti keputusan rapat" in message.body
    assert f"{village.name} ({village.code})" in message.body
    assert "KPU Provinsi Kalimantan Timur, tenggat 30/11/2024" in message.body
    html = message.alternatives[0][0]
    assert village.code in html
    # Nothing of the neutrality report goes out by e-mail.
    assert targets["report"].tracking_code not in message.body
    assert "netralitas" not in message.body.lower()

    # Resolved, the problem leaves the digest.
    logistics.problem_set_status(
        problem=targets["problem"], user=None, status="handled", note="Dikirim"
    )
    problem = Problem.objects.get(pk=targets["problem"].pk)
    logistics.problem_set_status(problem=problem, user=None, status="resolved", note="Tiba")
    from meetings.mail import MessageBuilder

    assert MessageBuilder(nxt).digest.problems == []


def test_the_decision_admin_offers_only_readable_reports_without_their_codes(
    client, make_user, targets, meeting
):
    from django.contrib.auth.models import Permission

    admin = make_user(Role.ADMINISTRATOR, "64", username="kaltim.admin", is_staff=True)
    admin.user_permissions.add(*Permission.objects.filter(codename__endswith="_decision"))
    client.force_login(admin)
    page = client.get("/admin/meetings/decision/add/").content.decode()
    assert str(targets["report"].pk) in options(page, "report")
    assert str(targets["report_outside"].pk) not in options(page, "report")
    assert f"#{targets['report'].pk}" in page
    for report in (targets["report"], targets["report_outside"]):
        assert report.tracking_code not in page
    # The same for logistics problems; areas are typed as a code (raw id),
    # not a list of every region in the country.
    assert str(targets["problem"].pk) in options(page, "problem")
    assert str(targets["problem_outside"].pk) not in options(page, "problem")
    assert '<select name="area"' not in page
