"""This app's part of `manage.py seed_demo`: the meetings of the seed
reports (Sulbar's Media Center rakor, Kaltim's Monday Zoom series led by the
Sekda, Pamekasan's rakor at the Mandhapa Aghung), dated around today so the
reminders and carried-over decisions are live. Idempotent by title."""

import datetime

from django.db import transaction
from django.utils import timezone

from meetings import links, services
from meetings.models import Decision, Invitation, Kind, Meeting, Series


def _at(desk, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=desk.region.tzinfo)


def _next_weekday(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _invitees(desk):
    """The desk's contacts by name, and the agencies where it knows nobody."""
    people = list(desk.people.values())
    known = {p.agency_id for p in people}
    agencies = [
        a
        for key, a in desk.agencies.items()
        if not key.startswith("national_") and a.pk not in known
    ]
    return agencies, people


@transaction.atomic
def seed(*, desks: dict, election_round) -> str:
    """Create this app's demo records for the demo ``desks`` (desk.demo.DemoDesk
    by key) and the live training ``election_round``; idempotent. Returns a
    one-line summary for the command's output."""
    today = timezone.localdate()
    created = 0
    kaltim = desks.get("kaltim")
    if kaltim and not Series.objects.filter(region=kaltim.region).exists():
        agencies, people = _invitees(kaltim)
        start = _next_weekday(today - datetime.timedelta(days=14), 0)
        services.series_create(
            user=kaltim.users.get("desk_staff"),
            region=kaltim.region,
            title="Rapat mingguan Desk Pilkada Kaltim",
            kind=Kind.WEEKLY,
            weekday=0,
            start_time=datetime.time(9, 0),
            duration=datetime.timedelta(hours=2),
            starts_on=start,
            until=min(election_round.voting_day, start + datetime.timedelta(days=200)),
            online_url="https://zoom.us/j/81234567890",
            chair=kaltim.people.get("setda"),
            organiser=kaltim.agencies.get("kesbangpol"),
            agenda="Laporan distribusi logistik per kabupaten/kota\n"
            "Kesiapan pengamanan TPS\nTindak lanjut keputusan rapat sebelumnya",
            agencies=agencies,
            people=people,
        )
        created += 1
        first = Meeting.objects.filter(region=kaltim.region).order_by("starts_at").first()
        if first and kaltim.agencies.get("kpu"):
            first.invitations.update(attendance=Invitation.Attendance.PRESENT)
            services.decision_record(
                meeting=first,
                user=None,
                text="KPU melaporkan sisa kekurangan surat suara Kabupaten Mahakam Ulu.",
                responsible_agency=kaltim.agencies["kpu"],
                due_on=first.local_start.date() + datetime.timedelta(days=5),
            )
            services.decision_record(
                meeting=first,
                user=None,
                text="Dinas Perhubungan menyiapkan angkutan logistik ke kecamatan hulu.",
                responsible_agency=kaltim.agencies.get("dishub", kaltim.agencies["kpu"]),
                due_on=first.local_start.date() + datetime.timedelta(days=10),
            )
    for key, title, venue, weekday, hour in (
        ("sulbar", "Rakor Desk Pilkada Sulawesi Barat", "Media Center Kantor Gubernur", 1, 9),
        ("pamekasan", "Rakor Desk Pilkada Kabupaten Pamekasan", "Mandhapa Aghung", 2, 13),
    ):
        desk = desks.get(key)
        if not desk or Meeting.objects.filter(region=desk.region, title=title).exists():
            continue
        agencies, people = _invitees(desk)
        day = _next_weekday(today + datetime.timedelta(days=1), weekday)
        services.meeting_schedule(
            user=desk.users.get("desk_staff"),
            region=desk.region,
            title=title,
            kind=Kind.DESK,
            starts_at=_at(desk, day, hour),
            ends_at=_at(desk, day, hour + 3),
            venue=venue,
            chair=desk.people.get("kesbangpol"),
            organiser=desk.agencies.get("kesbangpol"),
            agenda="Pemetaan kerawanan\nNetralitas ASN\nKesiapan logistik",
            agencies=agencies,
            people=people,
        )
        created += 1
    total = Meeting.objects.count()
    open_decisions = Decision.objects.filter(status__in=Decision.OPEN_STATUSES).count()
    return f"meetings: {created} new ({total} meetings, {open_decisions} open decisions)"


@transaction.atomic
def seed_links(*, desks: dict) -> str:
    """After the neutrality and logistics demos: two Kaltim decisions that
    follow up a neutrality report and a logistics problem in an area."""
    kaltim = desks.get("kaltim")
    first = kaltim and Meeting.objects.filter(region=kaltim.region).order_by("starts_at").first()
    staff = kaltim and kaltim.users.get("desk_staff")
    if not first or not staff or "kpu" not in kaltim.agencies:
        return ""
    created = 0
    report = links.linkable_reports(staff, "64").order_by("received_at").first()
    problem = links.linkable_problems(staff, "64", open_only=True).order_by("created_at").first()
    wanted = [
        (
            "Bawaslu Kaltim mengklarifikasi laporan ASN anggota tim pemenangan.",
            kaltim.agencies.get("bawaslu", kaltim.agencies["kpu"]),
            {"report": report},
        ),
        (
            "KPU mengirim ulang kotak suara ke kecamatan hulu dengan longboat.",
            kaltim.agencies["kpu"],
            {"problem": problem, "area": problem.region.parent if problem else None},
        ),
    ]
    for text, agency, targets in wanted:
        if not any(targets.values()) or Decision.objects.filter(text=text).exists():
            continue
        services.decision_record(
            meeting=first,
            user=staff,
            text=text,
            responsible_agency=agency,
            due_on=first.local_start.date() + datetime.timedelta(days=4),
            **targets,
        )
        created += 1
    return f"meetings: {created} keputusan terkait laporan/masalah"
