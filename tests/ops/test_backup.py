"""Backups that restore, end to end on the real PostgreSQL: the demo data
plus reports with evidence files, `manage.py backup`, `manage.py restore`
into a fresh database and an empty directory, then every table's row count
and every evidence file's hash compared with the original."""

import datetime
import hashlib
import io
from pathlib import Path

import psycopg
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from desk.backup import BackupError, Target, backup_create, table_counts
from desk.models import Region
from neutrality.models import Category, Evidence, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import Intake, report_submit
from tests.logistics.conftest import ensure_items


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def url_of(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def evidence_root(tmp_path):
    field = Evidence._meta.get_field("file")
    saved = field.storage
    field.storage = FileSystemStorage(location=tmp_path / "private")
    yield tmp_path / "private"
    field.storage = saved


@pytest.fixture
def seeded(live_db, evidence_root):
    """Three reports with evidence (a JPEG each, one also a PDF)."""
    ensure_reference_data(Category, ReferralTarget)
    today = datetime.date.today()
    for n in range(3):
        image = io.BytesIO()
        Image.new("RGB", (16, 16), (40 * n, 30, 30)).save(image, "JPEG")
        files = [SimpleUploadedFile(f"foto-{n}.jpg", image.getvalue(), "image/jpeg")]
        if n == 0:
            files.append(SimpleUploadedFile("surat.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))
        report_submit(
            intake=Intake(
                reporter_kind=Report.ReporterKind.VOTER,
                reporter_name=f"Pelapor {n}",
                reporter_nik="3528011503850001",
                reporter_address="Jl. Jokotole 12, Pamekasan",
                reporter_phone="+6281234567890",
                asn_name=f"ASN {n}",
                asn_nip="198503152010011002",
                asn_position="Kepala Bidang",
                asn_agency="Dinas Pendidikan",
                region=Region.objects.get(code="35.28.01"),
                occurred_on=today - datetime.timedelta(days=2),
                known_on=today - datetime.timedelta(days=1),
                category=Category.objects.get(code="foto-gestur"),
                description="Foto bersama calon dengan gestur dua jari.",
            ),
            channel=Report.Channel.PUBLIC,
            files=files,
        )
    assert Evidence.objects.filter(kind="file").count() == 4
    return evidence_root


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    name = connection.settings_dict["NAME"] + "_restore"
    admin = Target.from_settings({**connection.settings_dict, "NAME": "postgres"})
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts_of(name: str) -> dict[str, int]:
    with Target.from_settings({**connection.settings_dict, "NAME": name}).connect() as conn:
        return table_counts(conn)


def test_backup_restores_every_row_and_every_evidence_file(seeded, fresh_database, tmp_path):
    # The demo desks, meetings, reports and logistics besides the evidence
    # (the items first: a transactional test before this one flushed them).
    ensure_items()
    call_command("seed_demo", stdout=io.StringIO())
    backup_dir, restored_root = tmp_path / "backup", tmp_path / "restored"
    out = io.StringIO()
    call_command("backup", str(backup_dir), media_root=str(seeded), stdout=out)
    assert "4 evidence files" in out.getvalue()

    call_command(
        "restore",
        str(backup_dir),
        database_url=url_of(fresh_database),
        media_root=str(restored_root),
        stdout=io.StringIO(),
    )

    original = counts_of(connection.settings_dict["NAME"])
    assert counts_of(fresh_database) == original
    # The demo really is in it: not a comparison of two empty databases.
    assert original["public.meetings_meeting"] > 0
    assert original["public.neutrality_report"] >= 3 and original["public.logistics_delivery"] > 0
    # Every evidence file, byte for byte, where its row says it is, with the
    # hash the intake recorded.
    originals = sorted(p.relative_to(seeded) for p in seeded.rglob("*") if p.is_file())
    restored = sorted(p.relative_to(restored_root) for p in restored_root.rglob("*") if p.is_file())
    assert originals == restored and len(originals) == 4
    for relative in originals:
        assert sha256(restored_root / relative) == sha256(seeded / relative)
    with psycopg.connect(url_of(fresh_database)) as conn:
        rows = conn.execute(
            "SELECT file, sha256 FROM neutrality_evidence WHERE kind = 'file'"
        ).fetchall()
    assert len(rows) == 4
    for name, recorded in rows:
        assert sha256(restored_root / name) == recorded


def test_restore_refuses_a_target_that_is_not_empty_unless_forced(seeded, fresh_database, tmp_path):
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir), media_root=str(seeded), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not empty"):
        call_command(
            "restore",
            str(backup_dir),
            database_url=url_of(connection.settings_dict["NAME"]),
            media_root=str(tmp_path / "elsewhere"),
        )
    with pytest.raises(CommandError, match="is not empty"):  # the media root
        call_command(
            "restore", str(backup_dir), database_url=url_of(fresh_database), media_root=str(seeded)
        )
    assert counts_of(fresh_database) == {}  # nothing was written
    # Forced over the live database: the same rows, nothing added twice.
    before = counts_of(connection.settings_dict["NAME"])
    call_command(
        "restore",
        str(backup_dir),
        database_url=url_of(connection.settings_dict["NAME"]),
        media_root=str(seeded),
        force=True,
        stdout=io.StringIO(),
    )
    assert counts_of(connection.settings_dict["NAME"]) == before


def test_a_damaged_backup_restores_nothing(seeded, fresh_database, tmp_path):
    backup_dir, restored_root = tmp_path / "backup", tmp_path / "restored"
    call_command("backup", str(backup_dir), media_root=str(seeded), stdout=io.StringIO())
    victim = next(p for p in (backup_dir / "private").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CommandError, match="damaged, nothing was restored.*SHA-256 differs"):
        call_command(
            "restore",
            str(backup_dir),
            database_url=url_of(fresh_database),
            media_root=str(restored_root),
        )
    assert counts_of(fresh_database) == {}
    assert not restored_root.exists()


def test_backup_refuses_an_existing_directory_and_embedded_mode(tmp_path):
    seeded = tmp_path / "private"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(tmp_path / "used"), media_root=str(seeded))
    with pytest.raises(BackupError, match="embedded mode"):
        backup_create(
            destination=tmp_path / "b",
            database={"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"},
            media_root=seeded,
        )
