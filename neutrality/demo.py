"""This app's part of `manage.py seed_demo`: ASN neutrality reports drawn from
the seed news (social-media support, partisan gestures, a declaration), in
each demo desk, at different points of their handling. Names are invented."""

import datetime

from django.db import transaction
from django.utils import timezone

from desk.models import Region, Role
from neutrality.models import Category, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import Intake, local_today, report_submit, report_transition

# (desk, incident region: first village under this code, provincial matter,
#  category, ASN name, position, agency, what happened, days since known,
#  the handling steps to replay)
REPORTS = [
    (
        "pamekasan",
        "35.28.01",
        False,
        "foto-gestur",
        "Abd. Rasyid",
        "Kepala Sekolah",
        "SDN Tlanakan 3",
        "Mengunggah foto bersama pasangan calon bupati dengan gestur dua jari di Facebook.",
        1,
        [],
    ),
    (
        "pamekasan",
        "35.28.02",
        False,
        "interaksi-medsos",
        "Siti Maimunah",
        "Staf Kecamatan",
        "Kecamatan Pademawu",
        "Menyukai dan membagikan unggahan akun tim pemenangan calon.",
        2,
        [("register", {}), ("study", {}), ("request_info", {"note": "Minta tautan asli."})],
    ),
    (
        "pamekasan",
        "35.28.03",
        False,
        "hadir-deklarasi",
        "Moh. Hafidz",
        "Kepala Bidang",
        "Dinas PUPR Kabupaten Pamekasan",
        "Hadir dan berorasi pada deklarasi dukungan pasangan calon di lapangan desa.",
        3,
        [
            ("register", {}),
            ("study", {}),
            ("decide", {"outcome": "other_law"}),
            ("refer", {"letter_number": "012/PP.01.02/K.JI-21/2024"}),
        ],
    ),
    (
        "pamekasan",
        "35.28.01",
        False,
        "sosialisasi-medsos",
        "Nur Aini",
        "Guru",
        "SMPN 2 Tlanakan",
        "Mengajak warga memilih calon tertentu lewat grup WhatsApp sekolah.",
        12,
        [],
    ),
    (
        "bangkep",
        "72.07",
        False,
        "kegiatan-keberpihakan",
        "Ridwan Tamalate",
        "Kepala Desa",
        "Pemerintah Desa",
        "Membagikan bantuan desa dengan atribut pasangan calon.",
        1,
        [("register", {})],
    ),
    (
        "makassar",
        "73.71",
        False,
        "foto-gestur",
        "Andi Nurhalim",
        "Lurah",
        "Pemerintah Kota Makassar",
        "Berfoto dengan calon wali kota sambil mengacungkan satu jari.",
        2,
        [("register", {}), ("study", {}), ("decide", {"outcome": "not_violation"})],
    ),
    (
        "sulbar",
        "76",
        True,
        "keputusan-menguntungkan",
        "Hasbullah Rahim",
        "Kepala Dinas",
        "Dinas Sosial Provinsi Sulawesi Barat",
        "Menerbitkan edaran kegiatan yang menguntungkan salah satu calon gubernur.",
        1,
        [],
    ),
    (
        "kaltim",
        "64",
        True,
        "tim-pemenangan",
        "Yosef Lawing",
        "Kepala Seksi",
        "Dinas Perhubungan Provinsi Kalimantan Timur",
        "Tercatat sebagai anggota tim pemenangan calon gubernur.",
        2,
        [("register", {})],
    ),
]


def _place(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region and region.level in ("district", "village"):
        return region
    return (
        Region.objects.filter(code__startswith=code + ".", level__in=["village", "district"])
        .order_by("level", "code")
        .first()
    )


@transaction.atomic
def seed(*, desks: dict, election_round) -> str:
    """Idempotent: a report already seeded (same ASN, same account) is kept."""
    ensure_reference_data(Category, ReferralTarget)
    created = 0
    for number, (
        key,
        code,
        provincial,
        category,
        name,
        position,
        agency,
        what,
        days,
        steps,
    ) in enumerate(REPORTS, start=1):
        desk = desks.get(key)
        region = _place(code)
        if desk is None or region is None:
            continue
        if Report.objects.filter(asn_name=name, asn_agency=agency).exists():
            continue
        today = local_today(region)
        known = today - datetime.timedelta(days=days)
        report = report_submit(
            intake=Intake(
                reporter_kind=Report.ReporterKind.VOTER,
                reporter_name=f"Pelapor Demo {number}",
                reporter_nik=f"{region.code[:2]}{region.code[3:5]}01{number:02d}0190000{number}",
                reporter_address=f"Alamat demo {number}, {region.name}",
                reporter_phone=f"+62812000000{number:02d}",
                asn_name=name,
                asn_nip=f"1985031520100110{number:02d}",
                asn_position=position,
                asn_agency=agency,
                region=region,
                provincial_matter=provincial,
                occurred_on=known - datetime.timedelta(days=1),
                known_on=known,
                category=Category.objects.get(code=category),
                description=what,
            ),
            channel=Report.Channel.PUBLIC,
            links=["https://www.facebook.com/contoh/posts/1"],
        )
        officer = desk.users.get(Role.BAWASLU_OFFICER)
        for action, params in steps:
            if officer is None:
                break
            if action == "refer":
                params = {**params, "letter_on": timezone.localdate()}
            report = report_transition(report=report, user=officer, action=action, **params)
        created += 1
    return f"neutrality: {created} laporan netralitas ASN"
