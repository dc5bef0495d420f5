"""Observability: the request id on every log line of a request and in the
response; failed deliveries and failed tasks on one administrators' page,
scoped like every admin page. The propagation into a Celery task through a
real worker is in test_worker_logs.py."""

import io
import json
import logging
import uuid

import pytest
from django.utils import timezone

from desk.logging import JsonFormatter, request_id
from desk.models import FailedTask, Region, Role, RoleAssignment
from desk.operations import failure_sources
from desk.tasksignals import ids_only, record_failure
from meetings import services
from meetings.models import ReminderDelivery


@pytest.fixture
def console():
    """The configured console handler, writing JSON into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    old_stream, old_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter())
    yield buffer
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def lines(buffer):
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_callers_request_id_is_logged_and_returned(client, console):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "kpu-sys.42:abc"})
    assert response.status_code == 404
    assert response["X-Request-ID"] == "kpu-sys.42:abc"
    logged = [e for e in lines(console) if e["logger"] == "django.request"]
    assert logged and all(e["request_id"] == "kpu-sys.42:abc" for e in logged)
    assert logged[0]["message"] == "Not Found: /no-such-page/"
    assert logged[0]["level"] == "WARNING" and logged[0]["time"].endswith("+00:00")


@pytest.mark.django_db
def test_log_lines_name_the_request_without_its_query_string(client, console):
    client.get("/no-such-page/", {"code": "NTR-SECRET-123"})
    entry = next(e for e in lines(console) if e["logger"] == "django.request")
    assert entry["request"] == "GET /no-such-page/" and entry["status_code"] == 404
    assert "NTR-SECRET-123" not in json.dumps(entry)


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "new\nline", "<script>"])
def test_missing_or_invalid_request_id_is_replaced_by_a_fresh_one(client, console, sent):
    headers = {"X-Request-ID": sent} if sent is not None else {}
    first = client.get("/no-such-page/", headers=headers)["X-Request-ID"]
    second = client.get("/no-such-page/", headers=headers)["X-Request-ID"]
    assert first != second and uuid.UUID(hex=first) and uuid.UUID(hex=second)
    assert [e["request_id"] for e in lines(console)] == [first, second]
    assert request_id.get() == ""  # nothing leaks past the request


@pytest.mark.django_db
def test_every_kind_of_response_carries_the_request_id(client, kaltim_desk):
    # The middleware is first in the chain: redirects, pages, API errors and
    # the admin all answer with the header.
    urls = ["/", "/login/", "/api/v1/regions/", "/admin/", "/admin/operasi/", "/healthz"]
    for url in urls:
        assert client.get(url).has_header("X-Request-ID"), url
    client.force_login(kaltim_desk)
    for url in ["/", "/meetings/", "/api/v1/regions/", "/api/v1/meetings/999999/"]:
        assert client.get(url).has_header("X-Request-ID"), url


def test_text_format_carries_the_request_id_too():
    from desk.logging import RequestIdFilter, TextFormatter

    record = logging.makeLogRecord({"msg": "hello %s", "args": ("world",), "levelname": "INFO"})
    token = request_id.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    assert "[abc123] hello world" in TextFormatter().format(record)


def test_recorded_arguments_keep_ids_only():
    assert ids_only([12, "64.11", None, True, "Budi Santoso <budi@x.id>", {"a": 1}]) == [
        12,
        "64.11",
        None,
        True,
        "…",
        "…",
    ]


# --- The operations page ---------------------------------------------------


@pytest.fixture
def failing(db):
    """A failed delivery in Kalimantan Timur, one retrying in Sulawesi Barat,
    one sent (not a failure) and a failed task."""
    now = timezone.now()

    def meeting(code, title):
        return services.meeting_schedule(
            user=None,
            region=Region.objects.get(code=code),
            title=title,
            kind="rakor_mingguan",
            starts_at=now + timezone.timedelta(days=1),
            ends_at=now + timezone.timedelta(days=1, hours=2),
            venue="Kantor",
        )

    kaltim, sulbar = meeting("64", "Rakor Kaltim"), meeting("76", "Rakor Sulbar")
    ReminderDelivery.objects.create(
        meeting=kaltim,
        kind="reminder",
        email="gagal@kaltim.example.id",
        name="A",
        state="failed",
        attempts=5,
        last_error="550 5.1.1 mailbox unavailable",
    )
    ReminderDelivery.objects.create(
        meeting=sulbar,
        kind="reminder",
        email="coba@sulbar.example.id",
        name="B",
        state="pending",
        attempts=2,
        next_attempt_at=now + timezone.timedelta(minutes=4),
        last_error="451 4.3.0 try later",
    )
    ReminderDelivery.objects.create(
        meeting=kaltim, kind="reminder", email="ok@kaltim.example.id", name="C", state="sent"
    )
    record_failure(
        sender=type("T", (), {"name": "logistics.tasks.run_import"}),
        task_id="0f1e",
        exception=RuntimeError("disk full"),
        args=[77],
        kwargs={},
    )


def admin_of(make_user, code, username):
    user = make_user(username=username, is_staff=True)
    RoleAssignment.objects.create(
        user=user, role=Role.ADMINISTRATOR, region=Region.objects.get(code=code) if code else None
    )
    return user


def test_region_administrator_sees_only_their_regions_failures(client, make_user, failing):
    client.force_login(admin_of(make_user, "64", "admin.kaltim"))
    page = client.get("/admin/operasi/").content.decode()
    assert "gagal@kaltim.example.id" in page and "550 5.1.1 mailbox unavailable" in page
    assert "coba@sulbar.example.id" not in page  # another province
    assert "ok@kaltim.example.id" not in page  # sent: not a failure
    assert "disk full" not in page  # tasks have no region: nationwide only


def test_nationwide_administrator_sees_every_failure_with_error_and_next_attempt(
    client, make_user, failing
):
    client.force_login(admin_of(make_user, None, "admin.pusat"))
    page = client.get("/admin/operasi/").content.decode()
    assert "gagal@kaltim.example.id" in page
    assert "coba@sulbar.example.id" in page and "451 4.3.0 try later" in page
    # The next attempt, in the zone of the Sulawesi Barat desk.
    assert "WITA" in page
    assert "logistics.tasks.run_import" in page and "RuntimeError: disk full" in page
    task = FailedTask.objects.get()
    assert task.args == [77] and "disk full" in task.traceback


def test_operations_page_is_for_staff_only(client, kaltim_desk, failing):
    assert client.get("/admin/operasi/").status_code == 302  # to the admin login
    client.force_login(kaltim_desk)  # not staff
    assert client.get("/admin/operasi/").status_code == 302
    page = client.get("/admin/operasi/", follow=True).content.decode()
    assert "gagal@kaltim.example.id" not in page


def test_every_failure_source_is_scoped(make_user, failing):
    """Each registered source (the apps register theirs) answers nothing to a
    staff member without an administrator role, and its rows to the nation."""
    from desk.scope import scope_for

    nobody = scope_for(make_user(username="staff.norole", is_staff=True), Role.ADMINISTRATOR)
    nation = scope_for(admin_of(make_user, None, "admin.nation"), Role.ADMINISTRATOR)
    assert failure_sources()
    for source in failure_sources():
        assert source.section(nobody).rows == [], source.key
        assert source.section(nation).total >= 0, source.key


def test_failed_task_admin_list_is_nationwide_only(client, make_user, failing):
    client.force_login(admin_of(make_user, "64", "admin.kaltim"))
    assert client.get("/admin/desk/failedtask/").status_code == 403
    client.force_login(admin_of(make_user, None, "admin.pusat"))
    assert "disk full" in client.get("/admin/desk/failedtask/").content.decode()
