"""The meetings journey in a real Chromium: a Kesbangpol staffer of
Kalimantan Timur creates the weekly Monday series, opens an occurrence,
records attendance and two decisions (one following up a logistics problem
in Mahakam Ulu), and finds them carried over on the next Monday's page, where
one is updated; the problem's page lists the decision about it."""

import datetime

import pytest

from desk.models import Agency, Person, Region, Role
from logistics.models import Problem
from logistics.services import problem_report
from meetings.models import Decision, Invitation, Meeting

pytestmark = pytest.mark.e2e


def test_weekly_series_attendance_decisions_carried_over(page, make_user):
    make_user(Role.DESK_STAFF, "64", username="kaltim.desk", first_name="Irma")
    kaltim = Region.objects.get(code="64")
    kpu = Agency.objects.create(region=kaltim, kind="kpu", name="KPU Provinsi Kalimantan Timur")
    polda = Agency.objects.create(region=kaltim, kind="polri", name="Polda Kalimantan Timur")
    sekda = Person.objects.create(
        agency=Agency.objects.create(region=kaltim, kind="setda", name="Setda Kaltim"),
        name="Dewi Lestari",
        position="Sekretaris Daerah",
        email="dewi@kaltim.example.id",
    )
    andi = Person.objects.create(agency=kpu, name="Andi Wijaya", email="andi@kaltim.example.id")
    hendro = Person.objects.create(agency=polda, name="Hendro Susilo", email="h@kaltim.example.id")

    today = kaltim.local_now().date()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    page.login("kaltim.desk")
    page.click("header nav >> text=Rapat")
    page.click("text=Seri rapat mingguan")
    page.select_option("#id_region", "64")
    page.fill("#id_title", "Rapat mingguan Desk Pilkada Kaltim")
    page.select_option("#id_weekday", "0")
    page.fill("#id_start_time", "09:00")
    page.fill("#id_duration", "02:00:00")
    page.fill("#id_starts_on", last_monday.isoformat())
    page.fill("#id_until", (last_monday + datetime.timedelta(days=28)).isoformat())
    page.fill("#id_online_url", "https://zoom.us/j/81234567890")
    page.select_option("#id_chair", str(sekda.pk))
    page.select_option("#id_people", [str(andi.pk), str(hendro.pk)])
    page.click("main button[type=submit]")
    assert "5 pertemuan dijadwalkan" in page.inner_text(".messages")
    assert "Setiap Senin pukul 09.00 WITA" in page.content()

    page.locator("main table a").first.click()
    assert "09.00 WITA" in page.inner_text("main")
    first = Meeting.objects.order_by("starts_at").first()
    kpu_inv = first.invitations.get(person=andi)
    polda_inv = first.invitations.get(person=hendro)
    page.select_option(f"select[name=att-{kpu_inv.pk}]", "present")
    page.select_option(f"select[name=att-{polda_inv.pk}]", "represented")
    page.fill(f"input[name=rep-{polda_inv.pk}]", "Kabag Ops")
    page.click("text=Simpan kehadiran")
    assert "Kehadiran disimpan." in page.inner_text(".messages")
    assert Invitation.objects.get(pk=polda_inv.pk).represented_by == "Kabag Ops"

    problem = problem_report(
        user=make_user(Role.LOGISTICS_OFFICER, "64.11"),
        region=Region.objects.filter(parent_id="64.11.01").order_by("code").first(),
        kind=Problem.Kind.SHORTAGE,
        description="Surat suara kurang 120 lembar.",
        quantity=120,
    )
    page.reload()
    for text, agency, due, links in (
        ("KPU melaporkan kekurangan surat suara Mahakam Ulu", kpu, 3, True),
        ("Polda menyiapkan pengamanan gudang logistik", polda, 10, False),
    ):
        page.fill("#id_text", text)
        page.select_option("#id_responsible_agency", str(agency.pk))
        page.fill(
            "#id_due_on", (first.local_start.date() + datetime.timedelta(days=due)).isoformat()
        )
        if links:
            page.select_option("#id_problem", str(problem.pk))
            page.select_option("#id_area", "64.11")
        page.click("text=Simpan keputusan")
        assert "Keputusan dicatat." in page.inner_text(".messages")
    assert Decision.objects.filter(meeting=first).count() == 2
    linked = page.locator("#keputusan .decision-link.problem a")
    assert "Kekurangan" in linked.inner_text()
    linked.click()
    assert "KPU melaporkan kekurangan surat suara Mahakam Ulu" in page.inner_text(
        "#related-decisions"
    )
    page.go_back()

    # The next Monday's occurrence shows both, carried over, and updates one.
    nxt = Meeting.objects.order_by("starts_at")[1]
    page.goto(nxt.get_absolute_url())
    carried = page.locator("#dibawa")
    assert "KPU melaporkan kekurangan surat suara Mahakam Ulu" in carried.inner_text()
    assert "Polda menyiapkan pengamanan gudang logistik" in carried.inner_text()
    decision = Decision.objects.get(responsible_agency=kpu)
    page.select_option(f"#st-{decision.pk}", "done")
    page.locator(f"#d{decision.pk} button").click()
    assert "Status keputusan diperbarui." in page.inner_text(".messages")
    assert "KPU melaporkan" not in page.locator("#dibawa").inner_text()
    assert decision.events.last().meeting == nxt
