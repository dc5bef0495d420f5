"""Checks on what reporters type and upload: NIP, NIK, evidence files."""

import datetime
import hashlib
import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# A NIP of a civil servant born before this is not plausible any more.
NIP_EARLIEST_BIRTH_YEAR = 1940

# A Kemendagri code at any level: 35, 35.28, 35.28.01, 35.28.01.2001.
REGION_CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")


def validate_region_code(value: str) -> str:
    """A region filter's code, trailing dots dropped ("35.28." → "35.28")."""
    code = (value or "").strip().rstrip(".")
    if not REGION_CODE.fullmatch(code):
        raise ValidationError(
            _("Kode wilayah tidak dikenali: tulis kode Kemendagri, misalnya 35.28 atau 35.28.01."),
            code="region_code",
        )
    return code


def validate_nip(value: str, *, today: datetime.date | None = None) -> str:
    """An 18-digit NIP: birth date YYYYMMDD, appointment (TMT CPNS) YYYYMM,
    sex digit 1/2, a 3-digit serial. Dates must be real and plausible."""
    nip = "".join(value.split())
    today = today or timezone.localdate()
    if len(nip) != 18 or not nip.isdigit():
        raise ValidationError(_("NIP harus 18 angka."), code="nip_format")
    try:
        born = datetime.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValidationError(
            _("Delapan angka pertama NIP (tanggal lahir) bukan tanggal yang ada."),
            code="nip_birth",
        ) from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise ValidationError(
            _("Angka ke-9 sampai ke-14 NIP (TMT CPNS) bukan bulan yang ada."), code="nip_tmt"
        )
    if born.year < NIP_EARLIEST_BIRTH_YEAR or born > today:
        raise ValidationError(_("Tanggal lahir dalam NIP tidak masuk akal."), code="nip_birth")
    if (year, month) > (today.year, today.month):
        raise ValidationError(_("TMT CPNS dalam NIP ada di masa depan."), code="nip_tmt")
    if (year, month) < (born.year + 18, born.month):
        raise ValidationError(
            _("TMT CPNS dalam NIP sebelum pegawai berusia 18 tahun."), code="nip_tmt"
        )
    if nip[14] not in "12":
        raise ValidationError(_("Angka ke-15 NIP (jenis kelamin) harus 1 atau 2."), code="nip_sex")
    return nip


def validate_nik(value: str) -> str:
    nik = "".join(value.split())
    if len(nik) != 16 or not nik.isdigit():
        raise ValidationError(_("NIK harus 16 angka."), code="nik_format")
    return nik


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    sha256: str
    size: int


ALLOWED_KINDS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
}
# ISO base-media brands that browsers and phones write for MP4; QuickTime
# ("qt  ") is a different container and is refused.
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
}


def evidence_max_bytes() -> int:
    return getattr(settings, "NEUTRALITY_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def _kind_of(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "video/mp4"
    return None


def sniff_evidence(upload) -> Sniffed:
    """The file's real type from its bytes (never the name or the browser's
    type), its size against the cap, and its SHA-256."""
    name = getattr(upload, "name", "") or ""
    size = upload.size
    if not size:
        raise ValidationError(_("Berkas %(name)s kosong.") % {"name": name}, code="empty")
    cap = evidence_max_bytes()
    if size > cap:
        raise ValidationError(
            _("Berkas %(name)s terlalu besar (maksimal %(mb)s MB).")
            % {"name": name, "mb": cap // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    kind = _kind_of(head)
    if kind is None:
        raise ValidationError(
            _("Berkas %(name)s bukan JPEG, PNG, PDF atau MP4 (diperiksa dari isinya).")
            % {"name": name},
            code="type",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    if kind.startswith("image/"):
        _check_image(upload, name)
    upload.seek(0)
    return Sniffed(kind, ALLOWED_KINDS[kind], digest.hexdigest(), size)


def _check_image(upload, name: str) -> None:
    # A JPEG/PNG header on a broken body is still a spoof; Pillow parses it.
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(io.BytesIO(upload.read())) as image:
            image.verify()
    except Exception:
        raise ValidationError(
            _("Berkas %(name)s bukan gambar yang dapat dibaca.") % {"name": name}, code="type"
        ) from None
