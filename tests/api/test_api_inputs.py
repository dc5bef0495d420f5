"""Inputs that used to crash the API (a 500) now get an answer: a series
without weekday or duration takes sensible defaults, a meeting created with
its minutes keeps them, an unknown problem status is a 400, and a path
under /api/v1/ that matches nothing is the API's JSON 404."""

import pytest

from desk.models import Role

SERIES = {
    "region": "64",
    "title": "Rapat mingguan",
    "kind": "rakor_mingguan",
    "start_time": "09:00",
    "starts_on": "2024-11-06",
    "until": "2024-11-27",
    "venue": "Kantor Kesbangpol",
}


def test_series_without_weekday_or_duration_meets_on_its_first_day_for_two_hours(
    client, kaltim_desk
):
    client.force_login(kaltim_desk)
    created = client.post("/api/v1/meeting-series/", SERIES, content_type="application/json")
    assert created.status_code == 201, created.content
    series = created.json()
    assert series["weekday"] == 2  # 6 November 2024 is a Wednesday
    assert series["duration"] == "02:00:00"
    meetings = client.get(f"/api/v1/meetings/?series={series['id']}").json()["results"]
    assert [m["local_start"][:16] for m in meetings] == [
        "2024-11-06T09:00",
        "2024-11-13T09:00",
        "2024-11-20T09:00",
        "2024-11-27T09:00",
    ]
    assert meetings[0]["local_end"][:16] == "2024-11-06T11:00"


def test_meeting_created_with_minutes_keeps_them(client, kaltim_desk):
    client.force_login(kaltim_desk)
    body = {
        "region": "64",
        "title": "Rakor desk",
        "kind": "rakor_mingguan",
        "starts_at": "2024-11-04T09:00:00+08:00",
        "ends_at": "2024-11-04T11:00:00+08:00",
        "venue": "Kantor Kesbangpol",
        "minutes": "Rapat dibuka pukul 09.00.",
    }
    created = client.post("/api/v1/meetings/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["minutes"] == "Rapat dibuka pukul 09.00."


def test_unknown_problem_status_is_refused(client, make_user):
    client.force_login(make_user(Role.LOGISTICS_OFFICER, "64"))
    response = client.get("/api/v1/logistics/problems/?status=bogus")
    assert response.status_code == 400
    assert response.json() == {"status": ["Status masalah tidak dikenal."]}


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_unmatched_api_path_is_a_json_404(client, kaltim_desk, method):
    client.force_login(kaltim_desk)
    response = getattr(client, method)("/api/v1/meetings/0.4/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Data tidak ditemukan."}
