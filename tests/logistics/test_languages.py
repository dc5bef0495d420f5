"""Why a row or a file is refused reads in the language of whoever reads it:
an import job stores codes and parameters (a background import runs with no
user's language), put into words on the page; the synchronous paths (the
bulk API, the TPS/DPT upload and API) answer in the requester's language."""

import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from desk.scope import Scope
from logistics import services, tasks
from logistics.models import ImportJob
from logistics.services import imports

HEADER = "kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n"


def speaking(client, language: str | None):
    """The client of a user who chose this language in the header's
    switcher (None: never chose, so Indonesian)."""
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    else:
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    return client


def queue_import(user, name: str, data: bytes, monkeypatch) -> ImportJob:
    """A file above the inline size: stored and left for the worker."""
    monkeypatch.setattr(imports, "INLINE_IMPORT_BYTES", 10)
    with transaction.atomic():
        job = services.import_create(user=user, upload=SimpleUploadedFile(name, data))
    assert job.status == ImportJob.Status.PENDING
    return job


def run_on_worker(job: ImportJob) -> ImportJob:
    # What a Celery worker does: the task, in no user's language.
    with translation.override("id"):
        tasks.run_import(job.pk)
    job.refresh_from_db()
    return job


def bad_file(codes) -> bytes:
    a, b, c = codes[:3]
    return (
        HEADER
        + f"{a};kotak-suara;4;4;5;0;\n"  # line 2: received > sent
        + f"{b};nope;4;-1;0;0;\n"  # line 3: unknown item, sent not whole
        + f"{c};tinta;4;1;1;0;\n"
    ).encode()


@pytest.mark.parametrize("filename", ["bad.csv", "bad.xlsx"])
def test_a_background_import_is_read_in_the_readers_language(
    client, mahulu, kaltim_logistik, monkeypatch, filename
):
    data = bad_file(mahulu)
    if filename.endswith(".xlsx"):
        data = xlsx(data.decode())
    job = run_on_worker(queue_import(kaltim_logistik, filename, data, monkeypatch))
    assert job.status == ImportJob.Status.REJECTED
    # Codes and parameters, no text in any language.
    assert job.errors == [
        {"line": 2, "code": "received_gt_sent", "params": {}},
        {"line": 3, "code": "item_unknown", "params": {"code": "nope"}},
        {"line": 3, "code": "not_whole", "params": {"field": "sent", "value": "-1"}},
    ]
    client.force_login(kaltim_logistik)
    english = speaking(client, "en").get(job.get_absolute_url()).content.decode()
    assert "received exceeds sent" in english
    assert "item «nope» is unknown; sent «-1» must be a whole number, zero or more" in english
    assert "diterima melebihi dikirim" not in english
    indonesian = speaking(client, "id").get(job.get_absolute_url()).content.decode()
    assert "diterima melebihi dikirim" in indonesian
    assert (
        "barang «nope» tidak dikenal; dikirim «-1» harus bilangan bulat nol atau lebih"
        in indonesian
    )
    assert "received exceeds sent" not in indonesian
    never_chose = speaking(client, None).get(job.get_absolute_url()).content.decode()
    assert "diterima melebihi dikirim" in never_chose


def xlsx(text: str) -> bytes:
    book = openpyxl.Workbook()
    for line in text.strip().split("\n"):
        book.active.append(line.split(";"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_state_problems_a_rejected_file_and_the_count_left_out_follow_the_reader(
    client, mahulu, kaltim_logistik, monkeypatch
):
    a, b = mahulu[:2]
    services.deliveries_update(
        [(1, a, "tinta", 4, 4, 4, 0, "")],
        user=kaltim_logistik,
        scope=Scope(False, ("64",)),
        source="form",
    )
    monkeypatch.setattr(imports, "MAX_LISTED_ERRORS", 1)
    data = (HEADER + f"{a};tinta;2;4;4;0;\n{b};tinta;4;500;0;0;\n").encode()
    rows = run_on_worker(queue_import(kaltim_logistik, "state.csv", data, monkeypatch))
    columns = run_on_worker(
        queue_import(kaltim_logistik, "columns.csv", b"desa_nama;jumlah\nfoo;1\n", monkeypatch)
    )
    assert rows.errors == [
        {"line": 2, "code": "stage_backward", "params": {}},
        {"line": 0, "code": "more_rows", "params": {"n": 1}},
    ]
    assert columns.errors[0]["code"] == "file_columns"
    client.force_login(kaltim_logistik)
    speaking(client, "en")
    page = client.get(rows.get_absolute_url()).content.decode()
    assert "stage moves back; fill in the reason column for a correction" in page
    assert "… and 1 more bad rows." in page
    assert "Wrong columns: kode_desa, barang, tahap, dikirim, diterima, rusak missing." in (
        client.get(columns.get_absolute_url()).content.decode()
    )
    speaking(client, "id")
    page = client.get(rows.get_absolute_url()).content.decode()
    assert "tahap mundur; isi kolom alasan untuk koreksi" in page
    assert "… dan 1 baris salah lainnya." in page
    assert "Kolom tidak sesuai: tidak ada kode_desa" in (
        client.get(columns.get_absolute_url()).content.decode()
    )


def test_jobs_stored_with_text_before_codes_still_show(client, kaltim_logistik):
    """Jobs written before reasons were codes hold their text, in the
    language they ran in: shown as they are."""
    job = ImportJob.objects.create(
        created_by=kaltim_logistik,
        filename="lama.csv",
        status=ImportJob.Status.REJECTED,
        errors=[
            {"line": 4, "message": "diterima melebihi dikirim"},
            {"line": 0, "message": "… dan 7 baris salah lainnya."},
        ],
    )
    client.force_login(kaltim_logistik)
    for language in ("en", "id"):
        page = speaking(client, language).get(job.get_absolute_url()).content.decode()
        assert "diterima melebihi dikirim" in page and "… dan 7 baris salah lainnya." in page
    assert job.error_rows() == [
        (4, "diterima melebihi dikirim"),
        (0, "… dan 7 baris salah lainnya."),
    ]


def test_a_small_import_run_in_indonesian_reads_in_english_later(client, mahulu, kaltim_logistik):
    """Inline (small files) the job runs in the uploader's language; a
    reader in another language still reads it in theirs."""
    client.force_login(kaltim_logistik)
    speaking(client, "id").post(
        "/logistics/impor/", {"file": SimpleUploadedFile("bad.csv", bad_file(mahulu))}
    )
    job = ImportJob.objects.get()
    page = speaking(client, "en").get(job.get_absolute_url()).content.decode()
    assert "received exceeds sent" in page and "diterima melebihi dikirim" not in page


def test_a_waiting_job_and_the_problem_list_read_right_in_english(
    client, mahulu, kaltim_logistik, monkeypatch
):
    """Words Indonesian uses for two things read right here: a job in the
    queue is "Waiting" (a reminder not yet sent is "Pending"), the problem
    list's area is "Area" (an agency's is "Region")."""
    job = queue_import(kaltim_logistik, "antre.csv", bad_file(mahulu), monkeypatch)
    client.force_login(kaltim_logistik)
    speaking(client, "en")
    page = client.get(job.get_absolute_url()).content.decode()
    assert ">Waiting</p>" in page and "Pending" not in page
    page = client.get("/logistics/masalah/").content.decode()
    assert "<th>Type</th><th>Area</th><th>Item</th>" in page


def test_the_admin_shows_a_jobs_reasons_in_the_readers_language(
    client, mahulu, kaltim_logistik, make_user, monkeypatch
):
    job = run_on_worker(queue_import(kaltim_logistik, "bad.csv", bad_file(mahulu), monkeypatch))
    admin = make_user(username="admin.desk", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = speaking(client, "en").get(f"/admin/logistics/importjob/{job.pk}/change/")
    assert "2: received exceeds sent" in page.content.decode()


BULK = "/api/v1/logistics/updates/"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["received exceeds sent", "item «nope» is unknown; sent «-1» must be"]),
        ("id", ["diterima melebihi dikirim", "barang «nope» tidak dikenal; dikirim «-1» harus"]),
    ],
)
def test_the_bulk_api_answers_in_the_requesters_language(
    client, mahulu, kaltim_logistik, language, expected
):
    a, b = mahulu[:2]
    rows = [
        {"desa": a, "item": "kotak-suara", "stage": 4, "sent": 4, "received": 5},
        {"desa": b, "item": "nope", "stage": 4, "sent": -1, "received": 0},
    ]
    client.force_login(kaltim_logistik)
    response = speaking(client, language).post(BULK, rows, content_type="application/json")
    assert response.status_code == 400
    listed = response.json()["rows"]
    assert [row["index"] for row in listed] == [1, 2]
    assert listed[0]["errors"] == [expected[0]]
    assert listed[1]["errors"][0].startswith(expected[1])


def test_an_api_client_without_a_cookie_asks_by_accept_language(client, mahulu, kaltim_logistik):
    """A KPU system has no language cookie; the header chooses on /api/ only."""
    row = [{"desa": mahulu[0], "item": "kotak-suara", "stage": 4, "sent": 4, "received": 5}]
    client.force_login(kaltim_logistik)
    response = client.post(
        BULK, row, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    assert response.json()["rows"][0]["errors"] == ["received exceeds sent"]
    assert "Accept-Language" in response["Vary"]
    response = client.post(BULK, row, content_type="application/json")
    assert response.json()["rows"][0]["errors"] == ["diterima melebihi dikirim"]
    # A page keeps Indonesian whatever the browser's header says.
    page = client.get("/logistics/wilayah/64.11/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Per barang" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "A DPT of 5000 is impossible for 1 TPS (at most 800 voters per TPS).; "
            "this village is already on another row",
        ),
        (
            "id",
            "DPT 5000 tidak mungkin untuk 1 TPS (paling banyak 800 pemilih per TPS).; "
            "desa ini sudah ada di baris lain",
        ),
    ],
)
def test_tps_and_dpt_answer_in_the_requesters_language(
    client, mahulu, kaltim_logistik, language, expected
):
    a = mahulu[0]
    client.force_login(kaltim_logistik)
    speaking(client, language)
    rows = [
        {"desa": a, "tps": 1, "dpt_governor": 100, "dpt_local": 100},
        {"desa": a, "tps": 1, "dpt_governor": 5000, "dpt_local": 5000},
    ]
    response = client.post("/api/v1/logistics/villages/", rows, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["rows"] == [{"index": 2, "errors": [expected]}]
    text = "kode_desa;tps;dpt_gubernur;dpt_bupati\n" + f"{a};1;100;100\n{a};1;5000;5000\n"
    response = client.post(
        "/logistics/impor/tps-dpt/", {"file": SimpleUploadedFile("tps.csv", text.encode())}
    )
    assert response.status_code == 400
    assert f"3: {expected}" in response.content.decode()
