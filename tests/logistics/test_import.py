"""CSV/XLSX import: all or nothing, every bad row listed, no 500."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from desk.scope import Scope
from logistics import services
from logistics.importing import files
from logistics.models import Delivery, DeliveryEvent, ImportJob
from logistics.services import imports

HEADER = "kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n"


def upload(client, name, data: bytes):
    return client.post("/logistics/impor/", {"file": SimpleUploadedFile(name, data)}, follow=True)


def good_lines(codes, item="kotak-suara", sep=";"):
    return "".join(sep.join([c, item, "4", "4", "4", "0", ""]) + "\n" for c in codes)


def test_good_csv_is_applied(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    response = upload(client, "mahulu.csv", (HEADER + good_lines(mahulu[:3])).encode())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.changed_rows == 3
    assert "Berhasil" in response.content.decode()
    assert DeliveryEvent.objects.filter(source="import", job=job).count() == 3


def test_bad_rows_are_all_listed_and_nothing_is_written(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    lines = good_lines(mahulu[:2])
    lines += f"{mahulu[2]};kotak-suara;4;4;5;0;\n"  # line 4: received > sent
    lines += f"{mahulu[3]};kotak-suara;4;-1;0;0;\n"  # line 5: negative
    lines += f"{mahulu[4]};kotak-suara;4;2,5;0;0;\n"  # line 6: fractional
    lines += "99.99.99.9999;kotak-suara;4;1;1;0;\n"  # line 7: unknown desa
    lines += "76.01.01.2001;kotak-suara;4;1;1;0;\n"  # line 8: out of scope (Sulbar)
    lines += f"{mahulu[5]};kotak-suara;4;4;4;5;\n"  # line 9: damaged > received
    # Wrong only given the current state, listed in the same pass:
    lines += "64.99.99.9999;kotak-suara;4;1;1;0;\n"  # line 10: in scope, no such desa
    lines += f"{mahulu[6]};kotak-suara;2;4;4;0;\n"  # line 11: back from KPPS, no reason
    services.deliveries_update(
        [(1, mahulu[6], "kotak-suara", 4, 4, 4, 0, "")],
        user=kaltim_logistik,
        scope=Scope(True, ()),
        source="form",
    )
    DeliveryEvent.objects.all().delete()
    response = upload(client, "bad.csv", (HEADER + lines).encode())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert [line for line, _why in job.error_rows()] == [4, 5, 6, 7, 8, 9, 10, 11]
    assert job.errors[-1] == {"line": 11, "code": "stage_backward", "params": {}}
    assert "tahap mundur" in job.error_rows()[-1][1]
    # The Python path (XLSX, forms, API) lists the same rows.
    _total, rows = files.read_table((HEADER + lines).encode(), "bad.csv")
    with pytest.raises(services.RowsRejected) as rejected:
        services.deliveries_update(
            rows, user=kaltim_logistik, scope=Scope(False, ("64",)), source="import"
        )
    assert [e.line for e in rejected.value.rows] == [4, 5, 6, 7, 8, 9, 10, 11]
    body = response.content.decode()
    assert "diterima melebihi dikirim" in body and "tidak ada yang disimpan" in body
    assert DeliveryEvent.objects.count() == 0
    assert not Delivery.objects.filter(stage__gt=0).exclude(village_id=mahulu[6]).exists()


def test_windows_1252_semicolons_and_bom(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    text = HEADER + good_lines(mahulu[:1]) + f"{mahulu[1]};tinta;4;4;4;0;koreksi – Pak José\n"
    upload(client, "excel.csv", text.encode("cp1252"))
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    text = HEADER.replace(";", ",") + good_lines(mahulu[2:3], sep=",")
    upload(client, "bom.csv", b"\xef\xbb\xbf" + text.encode())
    assert ImportJob.objects.filter(status="done").count() == 2


def test_a_file_with_only_its_header_is_refused(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    for name in ("kosong.csv", "kosong.xlsx"):
        if name.endswith(".xlsx"):
            book = openpyxl.Workbook()
            book.active.append(HEADER.strip().split(";"))
            buffer = io.BytesIO()
            book.save(buffer)
            data = buffer.getvalue()
        else:
            data = HEADER.encode()
        response = upload(client, name, data)
        assert "Berkas tidak berisi baris data." in response.content.decode(), name
    assert not ImportJob.objects.filter(status=ImportJob.Status.DONE).exists()


def test_a_nul_byte_in_a_reason_is_no_500(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    line = f"{mahulu[0]};kotak-suara;1;4;4;0;koreksi\x00 petugas\n"
    response = upload(client, "nul.csv", (HEADER + line).encode())
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert DeliveryEvent.objects.get().reason == "koreksi petugas"


def test_wrong_columns_are_named(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    response = upload(client, "x.csv", b"desa_nama;jumlah\nfoo;1\n")
    assert "Kolom tidak sesuai" in response.content.decode()
    assert ImportJob.objects.get().status == ImportJob.Status.REJECTED


def test_fake_xlsx_and_other_types_are_refused(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    response = upload(client, "fake.xlsx", b"kode_desa;barang\n")
    assert "bukan XLSX yang sah" in response.content.decode()
    response = upload(client, "foto.pdf", b"%PDF-1.4")
    assert response.status_code == 200 and "tidak didukung" in response.content.decode()


def test_real_xlsx_is_imported(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["kode_desa", "barang", "tahap", "dikirim", "diterima", "rusak"])
    sheet.append([mahulu[0], "kotak-suara", 4, 4, 4, 0])
    sheet.append([mahulu[1], "kotak-suara", "kpps", 4.0, 4, 0])
    out = io.BytesIO()
    book.save(out)
    upload(client, "data.xlsx", out.getvalue())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.changed_rows == 2


def test_excel_unicode_text_and_wide_sheets_are_read(client, mahulu, kaltim_logistik):
    """UTF-16 ("Unicode Text"), and a sheet exported with 1,700 empty
    trailing columns (more than a PostgreSQL table may have)."""
    client.force_login(kaltim_logistik)
    text = HEADER.replace(";", "\t") + good_lines(mahulu[:1], sep="\t")
    upload(client, "unicode.txt", text.encode("utf-16"))
    wide = "".join(
        line + ";" * 1700 + "\n" for line in (HEADER + good_lines(mahulu[1:2])).split("\n")[:2]
    )
    response = upload(client, "wide.csv", wide.encode())
    assert response.status_code == 200
    assert list(ImportJob.objects.values_list("status", flat=True)) == ["done", "done"]
    assert DeliveryEvent.objects.count() == 2


def test_xlsx_data_on_a_later_sheet_and_empty_cells(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    book = openpyxl.Workbook()
    book.active.title = "Petunjuk"
    book.active.append(["Isi lembar Data lalu unggah."])
    sheet = book.create_sheet("Data")
    sheet.append(["kode_desa", "barang", "tahap", "dikirim", "diterima", "rusak"])
    sheet.append([mahulu[0], "kotak-suara", 4, 4, 4, 0])
    sheet.append([mahulu[1], "kotak-suara", 4, None, 4, 0])
    out = io.BytesIO()
    book.save(out)
    page = upload(client, "data.xlsx", out.getvalue()).content.decode()
    assert "None" not in page and "dikirim «»" in page
    assert "1 baris salah" in page
    assert not DeliveryEvent.objects.exists()


def test_a_refused_file_is_not_called_a_bad_row(client, mahulu, kaltim_logistik):
    client.force_login(kaltim_logistik)
    page = upload(client, "x.csv", b"desa_nama;jumlah\nfoo;1\n").content.decode()
    assert "Berkas ditolak" in page and "baris salah" not in page


def test_a_job_the_worker_could_not_run_says_so(client, mahulu, kaltim_logistik):
    """The stored file is gone when the worker starts: the job fails with a
    reason on its page, not a bare "failed"."""
    from logistics import tasks

    job = ImportJob.objects.create(created_by=kaltim_logistik, filename="hilang.csv")
    job.file.name = "logistics/imports/hilang.csv"  # never written
    job.save()
    tasks.run_import(job.pk)
    client.force_login(kaltim_logistik)
    page = client.get(f"/logistics/impor/{job.pk}/").content.decode()
    assert "kesalahan sistem" in page
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED


def test_file_over_the_cap_is_refused(client, mahulu, kaltim_logistik, settings):
    client.force_login(kaltim_logistik)
    big = HEADER.encode() + b"x" * (files.MAX_IMPORT_BYTES + 1)
    response = upload(client, "big.csv", big)
    assert "terlalu besar" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.worker
def test_large_import_runs_on_a_real_celery_worker_with_progress(live_db, make_user, settings):
    """Above the inline size the job is queued after commit and a real Celery
    worker (Redis broker, this test database) validates, applies and records
    the result; the page refreshes itself until then. A rejected file's
    reasons are stored as codes, read in the reader's language."""
    import os
    import subprocess
    import sys
    import time

    from django.db import connection

    from desk.models import Region, Role

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "needs REDIS_URL: a real broker"
    officer = make_user(Role.LOGISTICS_OFFICER, "64.11")
    codes = list(
        Region.objects.filter(code__startswith="64.11.", level="village").values_list(
            "code", flat=True
        )
    )
    services.villages_set_counts(dict.fromkeys(codes, (1, 100, 100)))
    data = (HEADER + good_lines(codes)).encode()
    imports.INLINE_IMPORT_BYTES, saved = 10, imports.INLINE_IMPORT_BYTES
    try:
        from django.db import transaction

        with transaction.atomic():
            job = services.import_create(user=officer, upload=SimpleUploadedFile("besar.csv", data))
            assert job.status == ImportJob.Status.PENDING
            bad = (HEADER + f"{codes[0]};kotak-suara;4;1;2;0;\n").encode()
            rejected = services.import_create(
                user=officer, upload=SimpleUploadedFile("salah.csv", bad)
            )
    finally:
        imports.INLINE_IMPORT_BYTES = saved
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "desk", "worker", "--pool=solo", "-l", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            job.refresh_from_db()
            rejected.refresh_from_db()
            if not {job.status, rejected.status} & {"pending", "running"}:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert job.status == ImportJob.Status.DONE, job.errors[:3]
    assert job.processed_rows == job.total_rows == len(codes)
    assert DeliveryEvent.objects.filter(job=job).count() == len(codes)
    assert rejected.errors == [{"line": 2, "code": "received_gt_sent", "params": {}}]
    with translation.override("en"):
        assert rejected.error_rows() == [(2, "received exceeds sent")]
    with translation.override("id"):
        assert rejected.error_rows() == [(2, "diterima melebihi dikirim")]
