"""CSV imports on PostgreSQL are read by COPY and checked in SQL. For every
kind of bad input they give what the Python check gives (read_table and
deliveries_validate, still used by forms, the API and XLSX): the same rows,
messages, message order and line numbers. Files COPY could read differently
fall back to the Python reader."""

import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from desk.models import Region
from desk.scope import Scope
from logistics import services
from logistics.importing import files, pgcopy
from logistics.models import Delivery, DeliveryEvent, ImportJob

KALTIM = Scope(False, ("64",))
MAHULU_ONLY = Scope(False, ("64.11",))
NATION = Scope(True, ())
HEADER = "kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n"


def python_check(data: bytes, scope: Scope, *, coded=False):
    """(rows, [(line, message)], kecamatan); with coded, each row's reasons
    (codes and parameters, as import jobs store them) instead of words."""
    total, rows = files.read_table(data, "berkas.csv")
    _clean, errors, districts = services.deliveries_validate(rows, scope=scope)
    listed = [(e.line, e.reasons if coded else e.message) for e in errors]
    return total, listed, None if errors else districts


def sql_check(data: bytes, scope: Scope, *, coded=False):
    with transaction.atomic():
        staged = pgcopy.csv_stage(data, scope=scope)
        transaction.set_rollback(True)
    assert staged is not None, "the file should be read by COPY"
    total, errors, districts = staged
    listed = [(e.line, e.reasons if coded else e.message) for e in errors]
    return total, listed, None if errors else districts


def body(codes) -> dict[str, str]:
    """Named files (after the header), each mixing one kind of input."""
    a, b, c, d = codes[:4]
    nbsp = "\xa0"
    return {
        "clean, written loosely": (
            f" {a} ;KOTAK-SUARA; KPPS ;{nbsp}4; 4 ;0;  salah input, diperbaiki  \n"
            f"{b};tinta;gudang;2;2;0;\n"
            f"{c};Segel;0;0;0;0;\n"
            f"{d};bilik-suara;tps;08;8;1;\n"
        ),
        "numbers that are not whole and ≥ 0": (
            f"{a};kotak-suara;4;-1;0;0;\n"
            f"{a};tinta;4;2,5;0;0;\n"
            f"{a};segel;4;2.5;0;0;\n"
            f"{b};kotak-suara;4;+5;1;0;\n"
            f"{b};tinta;4;123456789;1;0;\n"
            f"{b};segel;4;;;\u0663;\n"
            f"{c};kotak-suara;4;1e3;x;0x1;\n"
        ),
        "received above sent, damaged above received": (
            f"{a};kotak-suara;4;4;5;0;\n"
            f"{a};tinta;4;4;4;5;\n"
            f"{a};segel;4;4;9;10;\n"
            f"{b};kotak-suara;4;-4;5;9;\n"
            f"{b};tinta;4;4;5;x;\n"
        ),
        "desa codes": (
            "64.99.99.9999;kotak-suara;4;1;1;0;\n"
            "64.11.1.2001;kotak-suara;4;1;1;0;\n"
            "76.01.01.2001;kotak-suara;4;1;1;0;\n"
            ";kotak-suara;4;1;1;0;\n"
            "\u0666\u0664.11.01.2001;kotak-suara;4;1;1;0;\n"
            f"{a}x;kotak-suara;4;1;1;0;\n"
            "64;kotak-suara;4;1;1;0;\n"
        ),
        "items and stages": (
            f"{a};kotak;4;1;1;0;\n"
            f"{a};Kotak Suara;4;1;1;0;\n"
            f"{a};;4;1;1;0;\n"
            f"{a};KOTAK-SUARÁ;4;1;1;0;\n"
            f"{b};kotak-suara;5;1;1;0;\n"
            f"{b};tinta;;1;1;0;\n"
            f"{b};segel;kirim;1;1;0;\n"
            f"{b};sampul;4.0;1;1;0;\n"
        ),
        "repeated desa and item": (
            f"{a};kotak-suara;4;1;9;0;\n"  # bad, so the next one is not its repeat
            f"{a};kotak-suara;4;1;1;0;\n"  # the first clean one
            f"{a};kotak-suara;4;2;2;0;\n"  # repeat
            f"{a};KOTAK-SUARA;4;2;5;0;\n"  # repeat, and bad
            f"{b};nope;4;1;1;0;\n"
            f"{b};nope;4;1;1;0;\n"  # unknown item twice: not a repeat
        ),
        "blank rows keep their line numbers": (
            f"{a};kotak-suara;4;1;1;0;\n;;;;;;\n;;;;;;\n{b};kotak-suara;4;1;2;0;\n"
        ),
        "quoted cells": (
            f'"{a}";"kotak-suara";"4";"4";"4";"0";"koreksi; ""kata"" sopir"\n'
            f'{b};tinta;4;2;2;0;"dua\nbaris"\n'
            f'{c};"segel";"4";"1";"3";"0";""\n'
        ),
    }


@pytest.mark.parametrize("scope", [KALTIM, NATION, MAHULU_ONLY], ids=["kaltim", "nation", "kab"])
def test_sql_check_matches_python_check(mahulu, scope):
    for name, rows in body(mahulu).items():
        data = (HEADER + rows).encode()
        assert sql_check(data, scope) == python_check(data, scope), name
        coded = sql_check(data, scope, coded=True)
        assert coded == python_check(data, scope, coded=True), name


def test_sql_check_reports_what_python_reports(mahulu):
    """Not only equal: the rules themselves (a few spelled out)."""
    rows = body(mahulu)
    total, errors, _ = sql_check(
        (HEADER + rows["numbers that are not whole and ≥ 0"]).encode(), KALTIM
    )
    assert total == 7 and [line for line, _ in errors] == [2, 3, 4, 5, 6, 7, 8]
    assert errors[0][1] == "dikirim «-1» harus bilangan bulat nol atau lebih"
    assert errors[5][1] == (
        "dikirim «» harus bilangan bulat nol atau lebih; "
        "diterima «» harus bilangan bulat nol atau lebih; "
        "rusak «\u0663» harus bilangan bulat nol atau lebih"
    )
    _, errors, _ = sql_check((HEADER + rows["repeated desa and item"]).encode(), KALTIM)
    repeat = "desa dan barang ini sudah ada di baris lain berkas ini"
    assert errors == [
        (2, "diterima melebihi dikirim"),
        (4, repeat),
        (5, f"diterima melebihi dikirim; {repeat}"),
        (6, "barang «nope» tidak dikenal"),
        (7, "barang «nope» tidak dikenal"),
    ]
    _, errors, _ = sql_check((HEADER + rows["desa codes"]).encode(), KALTIM)
    assert (4, "kode desa «76.01.01.2001» tidak dikenal atau di luar wilayah Anda") in errors
    assert 2 not in [line for line, _ in errors]  # well-formed, in scope: checked later
    total, errors, districts = sql_check(
        (HEADER + rows["blank rows keep their line numbers"]).encode(), KALTIM
    )
    assert total == 2 and errors == [(5, "diterima melebihi dikirim")]
    _, errors, districts = sql_check((HEADER + rows["clean, written loosely"]).encode(), KALTIM)
    assert errors == [] and districts == {code[:8] for code in mahulu[:4]}


@pytest.mark.parametrize(
    "header",
    [
        "kode;item;stage;dikirim;diterima;rusak\n",
        "barang;kode_desa;rusak;tahap;diterima;dikirim;alasan;catatan\n",
        "Kode Desa;Barang;Tahap;Dikirim;Diterima;Rusak;Alasan\n",
    ],
)
def test_header_aliases_order_and_extra_columns(mahulu, header):
    a, b = mahulu[:2]
    names = files.header_map(header.strip().split(";"))
    order = sorted(names, key=names.get)
    values = {
        "kode_desa": [a, b, ""],
        "barang": ["kotak-suara", "tinta", ""],
        "tahap": ["4", "9", ""],
        "dikirim": ["4", "2", ""],
        "diterima": ["4", "3", ""],
        "rusak": ["0", "0", ""],
        "alasan": ["", "", ""],
    }
    width = len(header.split(";"))
    lines = []
    for i in range(3):
        cells = [""] * width
        for name in order:
            cells[names[name]] = values[name][i]
        if i == 2 and width > len(order):
            cells[-1] = "hanya catatan"  # a row with only the extra column filled
        lines.append(";".join(cells))
    data = (header + "\n".join(lines) + "\n").encode()
    assert sql_check(data, KALTIM) == python_check(data, KALTIM)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace(";", ",").encode(),
        lambda text: text.replace(";", "\t").encode(),
        lambda text: text.encode("cp1252"),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.replace("\n", "\r\n").encode(),
    ],
    ids=["comma", "tab", "windows-1252", "bom", "crlf"],
)
def test_delimiters_encodings_and_line_ends(mahulu, encode):
    a, b = mahulu[:2]
    text = HEADER + f"{a};kotak-suara;4;4;4;0;koreksi – Pak José\n{b};tinta;4;2;3;0;\n"
    data = encode(text)
    assert sql_check(data, KALTIM) == python_check(data, KALTIM)
    assert sql_check(data, KALTIM)[1] == [(3, "diterima melebihi dikirim")]


def test_reasons_are_kept_as_python_reads_them(mahulu, kaltim_logistik):
    a, b = mahulu[:2]
    text = HEADER + f'{a};tinta;4;4;4;0;" koreksi – Pak José; ""lihat"" "\n{b};tinta;4;2;2;0;x\n'
    result = services.deliveries_import(
        text.encode("cp1252"), "koreksi.csv", user=kaltim_logistik, scope=KALTIM
    )
    assert result.changed == 2
    reasons = dict(DeliveryEvent.objects.values_list("delivery__village_id", "reason"))
    assert reasons == {a: 'koreksi – Pak José; "lihat"', b: "x"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n64.11.01.2001;kotak-suara\n",
        b"desa_nama;jumlah\nfoo;1\n",
        b"kode_desa;barang\xff\xfe;tahap\n\x81\x8d\n",
    ],
    ids=["empty", "blank header", "wrong columns", "not text"],
)
def test_rejected_files_say_the_same(db, data):
    with pytest.raises(files.FileRejected) as python:
        files.read_table(data, "x.csv")
    with pytest.raises(files.FileRejected) as sql, transaction.atomic():
        pgcopy.csv_stage(data, scope=KALTIM)
    assert sql.value.messages == python.value.messages


def fallbacks(codes) -> dict[str, bytes]:
    a, b = codes[:2]
    return {
        # Python pads a short row; COPY refuses it.
        "short rows": (
            "kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n"
            f"{a};kotak-suara;4;4;4;0\n{b};tinta;4;2;2;0\n"
        ).encode(),
        "a blank line": (HEADER + f"{a};kotak-suara;4;4;4;0;\n\n{b};tinta;4;2;3;0;\n").encode(),
        # COPY would end its data at this line.
        "a line \\.": (HEADER + f"{a};kotak-suara;4;4;4;0;\n\\.\n{b};tinta;4;2;3;0;\n").encode(),
        # A quote inside a cell: COPY would read 42.
        "a quote inside a cell": (HEADER + f'{a};kotak-suara;4;4"2";4;0;\n').encode(),
        "a quoted cell followed by text": (HEADER + f'{a};kotak-suara;4;"4"2;4;0;\n').encode(),
    }


def outcome(run):
    """What an import says, its writes undone."""
    try:
        with transaction.atomic():
            changed = run().changed
            transaction.set_rollback(True)
        return "ok", changed
    except services.RowsRejected as exc:
        return "rows", [(r.line, r.message) for r in exc.rows]
    except files.FileRejected as exc:
        return "file", exc.messages


def test_files_copy_could_misread_take_the_python_path(mahulu, kaltim_logistik):
    for name, data in fallbacks(mahulu).items():
        with transaction.atomic():
            assert pgcopy.csv_stage(data, scope=KALTIM) is None, name
        python = outcome(
            lambda data=data: services.deliveries_update(
                files.read_table(data, "x.csv")[1],
                user=kaltim_logistik,
                scope=KALTIM,
                source="import",
            )
        )
        imported = outcome(
            lambda data=data: services.deliveries_import(
                data, "x.csv", user=kaltim_logistik, scope=KALTIM
            )
        )
        assert imported == python, name
    assert outcome(
        lambda: services.deliveries_import(
            fallbacks(mahulu)["short rows"], "x.csv", user=kaltim_logistik, scope=KALTIM
        )
    ) == ("ok", 2)


def test_a_nul_byte_is_not_given_to_copy(mahulu):
    data = (HEADER + f"{mahulu[0]};kotak-suara;4;4;4;0;\x00\n").encode()
    with transaction.atomic():
        assert pgcopy.csv_stage(data, scope=KALTIM) is None


def test_quoted_cells_are_read_by_copy_only_when_well_formed():
    ok = b'a;"b;c";"d ""e"""\r\n"";x;"\n"\n'
    assert pgcopy._copy_reads_as_python(ok, ";")
    assert not pgcopy._copy_reads_as_python(b'a;b"c";d\n', ";")
    assert not pgcopy._copy_reads_as_python(b'a;"b"c;d\n', ";")
    assert not pgcopy._copy_reads_as_python(b'a;"b;d\n', ";")
    assert not pgcopy._copy_reads_as_python(b"a;b\n\\.\n", ";")


def test_whitespace_is_what_python_strips():
    stripped = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert stripped == pgcopy.WHITESPACE


def test_csv_import_through_the_page_uses_sql_and_writes_history(client, mahulu, kaltim_logistik):
    """The upload path end to end: one history row per changed (desa, item)
    with who, when, before → after, source and job; unchanged rows none."""
    client.force_login(kaltim_logistik)
    a, b = mahulu[:2]
    text = HEADER + f"{a};kotak-suara;4;4;4;0;\n{b};kotak-suara;0;0;0;0;\n"
    response = client.post(
        "/logistics/impor/", {"file": SimpleUploadedFile("m.csv", text.encode())}, follow=True
    )
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert (job.status, job.total_rows, job.processed_rows, job.changed_rows) == ("done", 2, 2, 1)
    event = DeliveryEvent.objects.get()
    assert (event.delivery.village_id, event.source, event.job, event.user) == (
        a,
        "import",
        job,
        kaltim_logistik,
    )
    assert (event.stage_before, event.stage_after, event.sent_before, event.sent_after) == (
        0,
        4,
        0,
        4,
    )
    assert (event.received_before, event.received_after, event.damaged_after) == (0, 4, 0)


def test_rows_wrong_for_the_current_state_are_listed_and_nothing_is_written(
    mahulu, kaltim_logistik
):
    a, b = mahulu[:2]
    services.deliveries_import(
        (HEADER + f"{a};tinta;4;4;4;0;\n").encode(), "a.csv", user=kaltim_logistik, scope=KALTIM
    )
    elsewhere = Region.objects.filter(code__startswith="64.01.", level="village").first().code
    data = (
        HEADER
        + f"{a};tinta;2;4;4;0;\n"  # back to PPK without a reason
        + f"{elsewhere};tinta;4;1;1;0;\n"  # a desa without logistics rows
        + f"{b};tinta;4;500;0;0;\n"  # 4 needed
        + f"{b};segel;4;2;2;0;\n"
    ).encode()
    before = list(Delivery.objects.order_by("pk").values_list("stage", "sent", "received"))
    events = DeliveryEvent.objects.count()
    with pytest.raises(services.RowsRejected) as sql:
        services.deliveries_import(data, "b.csv", user=kaltim_logistik, scope=KALTIM)
    with pytest.raises(services.RowsRejected) as python:
        services.deliveries_update(
            files.read_table(data, "b.csv")[1],
            user=kaltim_logistik,
            scope=KALTIM,
            source="import",
        )
    listed = [(r.line, r.message) for r in sql.value.rows]
    assert listed == [(r.line, r.message) for r in python.value.rows]
    assert listed == [
        (2, "tahap mundur; isi kolom alasan untuk koreksi"),
        (3, "kode desa tidak dikenal, belum disiapkan, atau di luar wilayah Anda"),
        (4, "jumlah dikirim tidak wajar (lebih dari dua kali kebutuhan)"),
    ]
    assert list(Delivery.objects.order_by("pk").values_list("stage", "sent", "received")) == before
    assert DeliveryEvent.objects.count() == events
