"""The broker (Redis) down, for real: Celery points at a closed port. Every
place the product queues work after a commit goes through desk.queue.enqueue;
whatever the user saved stays saved, the page says what waits, no 500."""

import datetime
import importlib
import re
import socket
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from desk.celery import app
from desk.models import Agency, Person, Region, Role
from logistics import services as logistics_services
from logistics.models import ImportJob
from meetings import reminders, services
from meetings.models import Meeting, ReminderDelivery
from meetings.tasks import deliver_reminders, send_due_reminders

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["desk", "meetings", "neutrality", "logistics"]
ENQUEUE = re.compile(r"\.(delay|apply_async)\(|on_commit\(")


def _reset_pools():
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    with socket.socket() as probe:  # bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = app.conf.broker_url, app.conf.task_always_eager
    _reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    yield
    _reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = saved


def test_every_enqueue_in_the_product_goes_through_the_one_helper():
    """The class: a new .delay()/.apply_async()/on_commit() elsewhere fails here."""
    sites = [
        f"{path.relative_to(ROOT)}:{n}"
        for app_dir in PRODUCT
        for path in sorted((ROOT / app_dir).rglob("*.py"))
        if "migrations" not in path.parts and path != ROOT / "desk" / "queue.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ENQUEUE.search(line)
    ]
    assert sites == []


def _reminded_meeting():
    kaltim = Region.objects.get(code="64")
    agency = Agency.objects.create(region=kaltim, kind=Agency.Kind.OPD, name="Dishub Kaltim")
    person = Person.objects.create(agency=agency, name="Dewi", email="dewi@kaltim.example.id")
    now = timezone.now()
    meeting = services.meeting_schedule(
        user=None,
        region=kaltim,
        title="Rakor",
        kind="rakor_mingguan",
        starts_at=now + datetime.timedelta(minutes=50),
        ends_at=now + datetime.timedelta(hours=2),
        online_url="https://zoom.us/j/1",
        people=[person],
    )
    reminders.reminders_dispatch()
    reminders.reminders_deliver(meeting_id=meeting.pk)
    return meeting


def test_cancelling_with_the_broker_down_is_saved_and_says_notices_follow(
    live_db, client, kaltim_desk, broker_down
):
    meeting = _reminded_meeting()
    client.force_login(kaltim_desk)
    response = client.post(f"/meetings/{meeting.pk}/cancel/", {"reason": "libur"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rapat dibatalkan." in page
    assert "pemberitahuan akan dikirim otomatis begitu layanan itu kembali" in page
    assert Meeting.objects.get(pk=meeting.pk).is_cancelled
    notice = ReminderDelivery.objects.get(kind="cancellation")
    assert notice.state == "pending"  # the next beat tick sends it
    assert send_due_reminders.apply().get() == [meeting.pk]  # … as the tick finds it


def test_admin_retry_now_with_the_broker_down_is_saved_and_says_so(
    live_db, client, make_user, broker_down
):
    meeting = _reminded_meeting()
    delivery = ReminderDelivery.objects.get(meeting=meeting)
    ReminderDelivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=5)
    admin_user = make_user(Role.ADMINISTRATOR, "64", username="kaltim.admin", is_staff=True)
    admin_user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_reminderdelivery", "change_reminderdelivery"]
        )
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/meetings/reminderdelivery/",
        {"action": "retry_now", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "begitu layanan itu kembali" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == ("pending", None)


def test_beat_and_delivery_tasks_with_the_broker_down_leave_rows_for_the_next_tick(
    live_db, broker_down
):
    meeting = _reminded_meeting()
    services.meeting_cancel(meeting=meeting, user=None)  # a pending notice
    # The beat task's own enqueues, and a delivery that schedules a retry.
    assert send_due_reminders.apply().get() == [meeting.pk]
    ReminderDelivery.objects.filter(kind="cancellation").update(state="pending")
    deliver_reminders.apply(args=[meeting.pk]).get()
    assert ReminderDelivery.objects.get(kind="cancellation").state == "sent"


def test_a_large_import_with_the_broker_down_ends_failed_and_says_so(
    live_db, client, make_user, broker_down, monkeypatch
):
    # Wherever import_create lives (a module or a package's module), its threshold.
    home = importlib.import_module(logistics_services.import_create.__module__)
    monkeypatch.setattr(home, "INLINE_IMPORT_BYTES", 10)
    officer = make_user(Role.LOGISTICS_OFFICER, "64", username="kaltim.logistik")
    client.force_login(officer)
    data = b"kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n"
    response = client.post(
        "/logistics/impor/", {"file": SimpleUploadedFile("besar.csv", data)}, follow=True
    )
    assert response.status_code == 200
    assert "impor belum dapat dijalankan" in response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED  # nothing applied, nothing left pending
