"""Reference data the app starts with (migration 0002, demo seed, tests):
the SKB 2022 violation types (Lampiran II) and the referral targets with
their periods. Both stay editable in the admin afterwards."""

import datetime

CATEGORIES = [
    ("alat-peraga", "Memasang spanduk/baliho/alat peraga calon"),
    ("sosialisasi-medsos", "Sosialisasi/kampanye calon di media sosial atau daring"),
    ("hadir-deklarasi", "Menghadiri deklarasi/kampanye dan memberi dukungan aktif"),
    (
        "interaksi-medsos",
        "Membuat posting, komentar, membagikan, menyukai atau bergabung/mengikuti akun "
        "atau grup pemenangan calon",
    ),
    (
        "foto-gestur",
        "Mengunggah foto bersama calon/tim/alat peraga partai, termasuk gestur tangan keberpihakan",
    ),
    ("ikut-kampanye", "Ikut sebagai peserta kampanye, sosialisasi atau pengenalan calon"),
    (
        "kampanye-pasangan",
        "Menghadiri kampanye pasangan (suami/istri) calon tanpa cuti di luar tanggungan negara",
    ),
    ("mendekati-parpol", "Melakukan pendekatan ke partai politik atau masyarakat untuk dicalonkan"),
    ("anggota-parpol", "Menjadi anggota atau pengurus partai politik"),
    ("kegiatan-keberpihakan", "Mengadakan kegiatan yang mengarah pada keberpihakan"),
    ("tim-pemenangan", "Menjadi tim ahli, tim pemenangan atau konsultan calon"),
    ("surat-dukungan", "Memberikan surat dukungan atau fotokopi KTP"),
    (
        "keputusan-menguntungkan",
        "Membuat keputusan atau tindakan yang menguntungkan atau merugikan calon",
    ),
]

# KASN stopped acting on 24 Aug 2024; Bawaslu forwards to BKN since (docs/domain.md B).
REFERRAL_TARGETS = [
    ("KASN (Komisi Aparatur Sipil Negara)", None, datetime.date(2024, 8, 23)),
    ("BKN (Badan Kepegawaian Negara)", datetime.date(2024, 8, 24), None),
]


def ensure_reference_data(Category, ReferralTarget) -> None:
    """Idempotent; takes the model classes so a migration can pass its own."""
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for name, valid_from, valid_until in REFERRAL_TARGETS:
        ReferralTarget.objects.get_or_create(
            name=name, defaults={"valid_from": valid_from, "valid_until": valid_until}
        )
