"""The demo organisation, drawn from the five seed reports (shared/seeds).

Positions are as in the reports; every name is invented. Idempotent: a second
run finds everything by natural keys and changes nothing.
"""

import base64
import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from desk.elections import load_spec, round_load
from desk.models import Agency, ElectionRound, Person, Region, Role, RoleAssignment

SIMULATION_NAME = "Simulasi Pilkada (latihan desk)"
SIMULATION_LEAD_DAYS = 24

K = Agency.Kind


@dataclass
class DemoDesk:
    key: str
    region: Region
    agencies: dict[str, Agency] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)


# (key, region code, {agency key: (kind, name, short[, region code])}, people)
# people: (agency key, invented name, position from the seed, role or None, username suffix)
DESKS = [
    (
        "sulbar",
        "76",
        {
            "kesbangpol": (
                K.KESBANGPOL,
                "Badan Kesbangpol Provinsi Sulawesi Barat",
                "Kesbangpol Sulbar",
            ),
            "kpu": (K.KPU, "KPU Provinsi Sulawesi Barat", "KPU Sulbar"),
            "bawaslu": (K.BAWASLU, "Bawaslu Provinsi Sulawesi Barat", "Bawaslu Sulbar"),
            "setda": (K.SETDA, "Sekretariat Daerah Provinsi Sulawesi Barat", "Setda Sulbar"),
            "polda": (K.POLRI, "Polda Sulawesi Barat", "Polda Sulbar"),
            "kejati": (K.KEJAKSAAN, "Kejaksaan Tinggi Sulawesi Barat", "Kejati Sulbar"),
            "korem": (K.TNI, "Korem 142/Tatag", "Korem 142"),
            "diskominfo": (K.OPD, "Dinas Kominfo Provinsi Sulawesi Barat", "Diskominfo Sulbar"),
        },
        [
            ("kesbangpol", "Hendra Saputra", "Plt Kepala Kesbangpol", Role.DESK_STAFF, "desk"),
            (
                "bawaslu",
                "Rahmawati Said",
                "Koordinator Divisi Penanganan Pelanggaran",
                Role.BAWASLU_OFFICER,
                "bawaslu",
            ),
            (
                "kpu",
                "Andi Firmansyah",
                "Kepala Bagian Logistik",
                Role.LOGISTICS_OFFICER,
                "logistik",
            ),
            ("setda", "Muhammad Yusran", "Sekretaris Daerah", Role.VIEWER, "sekda"),
            ("polda", "Agus Prasetyo", "Karo Ops", None, ""),
            ("kejati", "Nurul Hidayah", "Asisten Intelijen", None, ""),
            ("korem", "Bambang Wijaya", "Kasrem", None, ""),
            ("diskominfo", "Siti Aminah", "Kepala Dinas", None, ""),
        ],
    ),
    (
        "kaltim",
        "64",
        {
            "kesbangpol": (
                K.KESBANGPOL,
                "Badan Kesbangpol Provinsi Kalimantan Timur",
                "Kesbangpol Kaltim",
            ),
            "kpu": (K.KPU, "KPU Provinsi Kalimantan Timur", "KPU Kaltim"),
            "bawaslu": (K.BAWASLU, "Bawaslu Provinsi Kalimantan Timur", "Bawaslu Kaltim"),
            "setda": (K.SETDA, "Sekretariat Daerah Provinsi Kalimantan Timur", "Setda Kaltim"),
            "polda": (K.POLRI, "Polda Kalimantan Timur", "Polda Kaltim"),
            "kejati": (K.KEJAKSAAN, "Kejaksaan Tinggi Kalimantan Timur", "Kejati Kaltim"),
            "kodam": (K.TNI, "Kodam VI/Mulawarman", "Kodam VI"),
            "dprd": (K.DPRD, "DPRD Provinsi Kalimantan Timur", "DPRD Kaltim"),
            "dishub": (K.OPD, "Dinas Perhubungan Provinsi Kalimantan Timur", "Dishub Kaltim"),
            "kpu_mahulu": (K.KPU, "KPU Kabupaten Mahakam Ulu", "KPU Mahulu", "64.11"),
        },
        [
            ("setda", "Dewi Lestari", "Sekretaris Daerah Provinsi", Role.VIEWER, "sekda"),
            (
                "kesbangpol",
                "Yohanes Kristianto",
                "Kepala Bidang Politik Dalam Negeri",
                Role.DESK_STAFF,
                "desk",
            ),
            (
                "kpu",
                "Fajar Nugroho",
                "Kepala Subbagian Logistik",
                Role.LOGISTICS_OFFICER,
                "logistik",
            ),
            ("bawaslu", "Ratna Sari", "Anggota Bawaslu Provinsi", Role.BAWASLU_OFFICER, "bawaslu"),
            ("polda", "Hendro Susilo", "Kabag Ops", None, ""),
            ("kodam", "Yusuf Hamzah", "Asintel Kasdam", None, ""),
            ("kejati", "Maria Ulfa", "Asisten Intelijen", None, ""),
            ("dprd", "Budi Santoso", "Ketua Komisi I", None, ""),
            ("dishub", "Lukas Wenda", "Kepala Dinas", None, ""),
            ("kpu_mahulu", "Paulus Ding", "Sekretaris KPU Kabupaten", None, ""),
        ],
    ),
    (
        "makassar",
        "73.71",
        {
            "kesbangpol": (K.KESBANGPOL, "Badan Kesbangpol Kota Makassar", "Kesbangpol Makassar"),
            "kpu": (K.KPU, "KPU Kota Makassar", "KPU Makassar"),
            "bawaslu": (K.BAWASLU, "Bawaslu Kota Makassar", "Bawaslu Makassar"),
            "setda": (K.SETDA, "Sekretariat Daerah Kota Makassar", "Setda Makassar"),
            "bkpsdm": (K.OPD, "BKPSDM Kota Makassar", "BKPSDM Makassar"),
            "polrestabes": (K.POLRI, "Polrestabes Makassar", "Polrestabes"),
        },
        [
            ("setda", "Arif Rahman", "Penjabat Sekretaris Daerah", Role.VIEWER, "sekda"),
            ("kesbangpol", "Irma Yanti", "Kepala Badan Kesbangpol", Role.DESK_STAFF, "desk"),
            (
                "bawaslu",
                "Syamsul Bahri",
                "Koordinator Divisi Hukum",
                Role.BAWASLU_OFFICER,
                "bawaslu",
            ),
            ("kpu", "Nur Aisyah", "Kepala Subbagian Logistik", Role.LOGISTICS_OFFICER, "logistik"),
            ("bkpsdm", "Ahmad Fauzi", "Kepala BKPSDM", None, ""),
            ("polrestabes", "Rudi Hartono", "Kasat Intelkam", None, ""),
        ],
    ),
    (
        "bangkep",
        "72.07",
        {
            "bawaslu": (K.BAWASLU, "Bawaslu Kabupaten Banggai Kepulauan", "Bawaslu Bangkep"),
            "kesbangpol": (
                K.KESBANGPOL,
                "Badan Kesbangpol Kabupaten Banggai Kepulauan",
                "Kesbangpol Bangkep",
            ),
            "kpu": (K.KPU, "KPU Kabupaten Banggai Kepulauan", "KPU Bangkep"),
            "bpkad": (K.OPD, "BPKAD Kabupaten Banggai Kepulauan", "BPKAD"),
            "satpolpp": (K.OPD, "Satpol PP Kabupaten Banggai Kepulauan", "Satpol PP"),
            "bkpsdm": (K.OPD, "BKPSDM Kabupaten Banggai Kepulauan", "BKPSDM"),
            "diskominfo": (K.OPD, "Dinas Kominfo Kabupaten Banggai Kepulauan", "Diskominfo"),
        },
        [
            ("bawaslu", "Jefri Lamadi", "Ketua Bawaslu Kabupaten", Role.BAWASLU_OFFICER, "bawaslu"),
            ("kesbangpol", "Sarpin Labaso", "Kepala Kesbangpol", Role.DESK_STAFF, "desk"),
            (
                "kpu",
                "Wahyuni Tobondo",
                "Kepala Subbagian Logistik",
                Role.LOGISTICS_OFFICER,
                "logistik",
            ),
            ("bpkad", "Imran Laode", "Kepala BPKAD", None, ""),
            ("satpolpp", "Darwis Mahmud", "Kepala Satpol PP", None, ""),
            ("bkpsdm", "Herlina Lapanda", "Kepala BKPSDM", None, ""),
            ("diskominfo", "Risal Tamin", "Kepala Dinas", None, ""),
        ],
    ),
    (
        "pamekasan",
        "35.28",
        {
            "kesbangpol": (K.KESBANGPOL, "Bakesbangpol Kabupaten Pamekasan", "Bakesbangpol"),
            "kpu": (K.KPU, "KPU Kabupaten Pamekasan", "KPU Pamekasan"),
            "bawaslu": (K.BAWASLU, "Bawaslu Kabupaten Pamekasan", "Bawaslu Pamekasan"),
            "setda": (K.SETDA, "Sekretariat Daerah Kabupaten Pamekasan", "Setda Pamekasan"),
            "polres": (K.POLRI, "Polres Pamekasan", "Polres"),
            "kodim": (K.TNI, "Kodim 0826/Pamekasan", "Kodim 0826"),
            "kejari": (K.KEJAKSAAN, "Kejaksaan Negeri Pamekasan", "Kejari"),
        },
        [
            ("kesbangpol", "Moh. Hasan Basri", "Kepala Bakesbangpol", Role.DESK_STAFF, "desk"),
            ("kpu", "Abdul Karim", "Ketua KPU Kabupaten", Role.LOGISTICS_OFFICER, "logistik"),
            (
                "bawaslu",
                "Fathor Rahman",
                "Ketua Bawaslu Kabupaten",
                Role.BAWASLU_OFFICER,
                "bawaslu",
            ),
            ("setda", "Sri Wulandari", "Sekretaris Daerah", Role.VIEWER, "sekda"),
            ("polres", "Eko Yulianto", "Kapolres", None, ""),
            ("kodim", "Taufik Hidayat", "Dandim", None, ""),
            ("kejari", "Lilik Suryani", "Kepala Kejaksaan Negeri", None, ""),
        ],
    ),
]

NATIONAL_AGENCIES = {
    "bkn": (K.BKN, "Badan Kepegawaian Negara", "BKN"),
    "bawaslu_ri": (K.BAWASLU, "Badan Pengawas Pemilihan Umum RI", "Bawaslu RI"),
    "kemendagri": (K.KEMENDAGRI, "Ditjen Otonomi Daerah Kemendagri", "Ditjen Otda"),
}


def _slug(name: str) -> str:
    return name.split()[0].lower().strip(".")


def _user(username: str, full_name: str, email: str, *, staff: bool = False):
    User = get_user_model()
    first, _, last = full_name.partition(" ")
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": email, "is_staff": staff},
    )
    if created:
        user.set_password(settings.DESK_DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_organisation() -> dict[str, DemoDesk]:
    desks: dict[str, DemoDesk] = {}
    national = {
        key: Agency.objects.get_or_create(
            region=None, name=name, defaults={"kind": kind, "short_name": short}
        )[0]
        for key, (kind, name, short) in NATIONAL_AGENCIES.items()
    }
    for key, code, agencies, people in DESKS:
        desk = DemoDesk(key=key, region=Region.objects.get(code=code))
        for akey, (kind, name, short, *where) in agencies.items():
            region = Region.objects.get(code=where[0]) if where else desk.region
            desk.agencies[akey], _ = Agency.objects.get_or_create(
                region=region, name=name, defaults={"kind": kind, "short_name": short}
            )
        for akey, name, position, role, suffix in people:
            email = f"{_slug(name)}.{key}@desk.example.id"
            person, _ = Person.objects.get_or_create(
                agency=desk.agencies[akey],
                name=name,
                defaults={
                    "position": position,
                    "email": email,
                    "phone": "+62811000" + str(len(desk.people) + 100),
                },
            )
            desk.people[akey] = person
            if role:
                user = _user(f"{key}.{suffix}", name, email)
                if person.user_id is None:
                    person.user = user
                    person.save(update_fields=["user"])
                RoleAssignment.objects.get_or_create(
                    user=user,
                    role=role,
                    region=desk.region,
                    defaults={"agency": desk.agencies[akey]},
                )
                desk.users[role] = user
        desk.agencies.update({f"national_{k}": v for k, v in national.items()})
        desks[key] = desk

    officer = _user("ri.bawaslu", "Lestari Handayani", "lestari.ri@desk.example.id")
    RoleAssignment.objects.get_or_create(
        user=officer,
        role=Role.BAWASLU_OFFICER,
        region=None,
        defaults={"agency": national["bawaslu_ri"]},
    )
    admin = _user("admin", "Administrator Desk", "admin@desk.example.id", staff=True)
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
    # A provincial administrator who manages Kaltim's directory in the admin.
    kaltim_admin = _user("kaltim.admin", "Rina Marlina", "rina.kaltim@desk.example.id", staff=True)
    RoleAssignment.objects.get_or_create(
        user=kaltim_admin, role=Role.ADMINISTRATOR, region=desks["kaltim"].region
    )
    kaltim_admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="desk", codename__regex=r"_(agency|person)$"
        )
    )
    return desks


# The authenticator key of every demo account that signs in with a second
# factor (identity readers and administrators), so the demo stays usable:
# add it to an authenticator app, or print the current code with
# `manage.py demo_code`. Only seed_demo uses it; real accounts enrol their own.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode("ascii")


def demo_totp_code() -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"


@transaction.atomic
def seed_two_factor() -> list[str]:
    """Give each demo account that must use a second factor the demo key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from desk.twofactor import requires_two_factor

    usernames = [username for username, _what in demo_logins()]
    enrolled = []
    for user in get_user_model().objects.filter(username__in=usernames).order_by("username"):
        if not requires_two_factor(user):
            continue
        TOTPDevice.objects.get_or_create(
            user=user, name="demo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
        enrolled.append(user.username)
    return enrolled


def seed_simulation_round() -> ElectionRound:
    """A training round whose voting day lies a few weeks ahead of the day the
    demo is loaded, so countdowns, deadlines and reminders are live."""
    spec = load_spec()
    voting_day = timezone.localdate() + datetime.timedelta(days=SIMULATION_LEAD_DAYS)
    existing = ElectionRound.objects.filter(name=SIMULATION_NAME).first()
    if existing and existing.voting_day >= timezone.localdate():
        return existing  # already live: loading again changes nothing
    shift = (voting_day - datetime.date.fromisoformat(spec["voting_day"])).days
    return round_load(spec=spec, shift_days=shift, name=SIMULATION_NAME, simulation=True)


def demo_logins() -> list[tuple[str, str]]:
    """(username, what it is) for every demo account; all share one password."""
    logins = [
        ("admin", "superuser"),
        ("kaltim.admin", "administrator, Kalimantan Timur"),
        ("ri.bawaslu", "Bawaslu RI officer, nationwide"),
    ]
    for key, code, _agencies, people in DESKS:
        for _agency, _name, _position, role, suffix in people:
            if role:
                logins.append((f"{key}.{suffix}", f"{role.label}, {code}"))
    return logins
