"""ASN neutrality reports: intake, routing to a Bawaslu office, triage against
the legal deadlines, referral onward, with the reporter protected.

Legal facts (docs/domain.md B, C): the report window is 7 calendar days from the
day the incident became known; a report counts as received once registered,
and Bawaslu follows up within 3 calendar days of that, +2 when more
information is requested; before registration the deadline is the initial
study's (settings.NEUTRALITY_INITIAL_STUDY_DAYS, unconfirmed for Pilkada).
Violations go to the referral target of the day (KASN until 23 Aug 2024,
BKN since 24 Aug 2024), then the PPK records the sanction.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import Agency, AppendOnly, Region

FOLLOW_UP_DAYS = 3
EXTENSION_DAYS = 2
REPORT_WINDOW_DAYS = 7
# Incidents before this are refused as typing errors (0001-01-01): regional
# heads have been elected directly since June 2005 (UU 32/2004), and a
# report is time-barred 7 days after it becomes known anyway.
EARLIEST_INCIDENT_ON = datetime.date(2005, 1, 1)


class Category(models.Model):
    """A violation type of the SKB 2022 (Lampiran II); data, edited in the admin."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("kategori pelanggaran")
        verbose_name_plural = _("kategori pelanggaran")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ReferralTarget(models.Model):
    """Where violations are referred, with the period it was competent.

    KASN until 23 Aug 2024, BKN since 24 Aug 2024 (docs/domain.md B); MK
    121/PUU-XXII/2024 will move it again, so this is data, not code.
    """

    name = models.CharField(_("nama"), max_length=150)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("instansi"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("berlaku sejak"), null=True, blank=True)
    valid_until = models.DateField(_("berlaku sampai"), null=True, blank=True)

    class Meta:
        verbose_name = _("tujuan rekomendasi")
        verbose_name_plural = _("tujuan rekomendasi")
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="referraltarget_period_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def on(cls, day: datetime.date) -> "ReferralTarget | None":
        """The target competent on ``day`` (the latest one starting by then)."""
        return (
            cls.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
            .order_by(models.F("valid_from").desc(nulls_last=True))
            .first()
        )


class Report(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Diterima")
        REGISTERED = "registered", _("Diregistrasi")
        NOT_REGISTERED = "not_registered", _("Tidak diregistrasi")
        WITHDRAWN = "withdrawn", _("Dicabut pelapor")
        UNDER_STUDY = "under_study", _("Dalam kajian (klarifikasi)")
        INFO_REQUESTED = "info_requested", _("Meminta keterangan tambahan")
        DECIDED = "decided", _("Diputus")
        REFERRED = "referred", _("Direkomendasikan")
        SANCTIONED = "sanctioned", _("Sanksi dijatuhkan")
        CLOSED = "closed", _("Selesai")

    # Statuses in which the 3(+2)-day follow-up clock still runs.
    OPEN_STATUSES = (
        Status.RECEIVED,
        Status.REGISTERED,
        Status.UNDER_STUDY,
        Status.INFO_REQUESTED,
    )

    class Channel(models.TextChoices):
        PUBLIC = "public", _("Formulir publik")
        STAFF = "staff", _("Diinput petugas")

    class ReporterKind(models.TextChoices):
        VOTER = "voter", _("Pemilih")
        MONITOR = "monitor", _("Pemantau pemilihan")
        PARTICIPANT = "participant", _("Peserta pemilihan")

    class NotRegisteredReason(models.TextChoices):
        TIME_BARRED = "time_barred", _("Kedaluwarsa (lewat 7 hari)")
        FORMAL = "formal", _("Syarat formal tidak terpenuhi")
        MATERIAL = "material", _("Syarat materiel tidak terpenuhi")

    class Outcome(models.TextChoices):
        OTHER_LAW = "other_law", _("Pelanggaran peraturan perundang-undangan lainnya (ASN)")
        ELECTION_CRIME = "election_crime", _("Tindak pidana pemilihan (ke Sentra Gakkumdu)")
        NOT_VIOLATION = "not_violation", _("Bukan pelanggaran")

    class Sanction(models.TextChoices):
        MORAL_PRIVATE = "moral_private", _("Sanksi moral tertutup")
        MORAL_PUBLIC = "moral_public", _("Sanksi moral terbuka")
        LIGHT = "light", _("Hukuman disiplin ringan")
        MODERATE = "moderate", _("Hukuman disiplin sedang")
        SEVERE = "severe", _("Hukuman disiplin berat")

    tracking_code = models.CharField(_("kode lacak"), max_length=14, unique=True)
    register_number = models.CharField(_("nomor registrasi"), max_length=60, blank=True)
    channel = models.CharField(_("saluran"), max_length=6, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    received_at = models.DateTimeField(_("diterima pada"))
    received_on = models.DateField(_("tanggal diterima"), help_text=_("Tanggal lokal wilayah."))
    registered_on = models.DateField(
        _("tanggal registrasi"), null=True, blank=True, help_text=_("Tanggal lokal wilayah.")
    )
    # The initial study's deadline until registration, then registration + 3
    # days (+2 when more information is requested).
    due_on = models.DateField(_("batas tindak lanjut"), null=True, blank=True)
    time_barred = models.BooleanField(_("kedaluwarsa"), default=False)

    office = models.ForeignKey(
        Agency,
        verbose_name=_("kantor Bawaslu"),
        on_delete=models.PROTECT,
        related_name="neutrality_reports",
    )
    routing_reason = models.CharField(_("alasan penanganan"), max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("petugas"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    provincial_matter = models.BooleanField(
        _("ASN tingkat provinsi / pemilihan gubernur"), default=False
    )

    # The reporter: visible only to officers of the owning office.
    reporter_kind = models.CharField(
        _("kedudukan pelapor"), max_length=12, choices=ReporterKind.choices
    )
    reporter_name = models.CharField(_("nama pelapor"), max_length=150)
    reporter_nik = models.CharField(_("NIK pelapor"), max_length=16)
    reporter_address = models.CharField(_("alamat pelapor"), max_length=300)
    reporter_phone = models.CharField(_("telepon pelapor"), max_length=20)
    reporter_email = models.EmailField(_("e-mail pelapor"), blank=True)

    # The reported civil servant.
    asn_name = models.CharField(_("nama ASN terlapor"), max_length=150)
    asn_nip = models.CharField(_("NIP"), max_length=18, blank=True)
    asn_position = models.CharField(_("jabatan"), max_length=150, blank=True)
    asn_agency = models.CharField(_("instansi ASN"), max_length=200)
    asn_region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah kerja ASN"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The incident.
    region = models.ForeignKey(
        Region,
        verbose_name=_("tempat kejadian"),
        on_delete=models.PROTECT,
        related_name="neutrality_reports",
    )
    place_detail = models.CharField(_("detail tempat"), max_length=200, blank=True)
    occurred_on = models.DateField(_("tanggal kejadian"))
    known_on = models.DateField(_("tanggal diketahui"))
    category = models.ForeignKey(
        Category, verbose_name=_("kategori"), on_delete=models.PROTECT, related_name="reports"
    )
    description = models.TextField(_("uraian kejadian"), max_length=5000)
    witnesses = models.TextField(_("saksi"), max_length=2000, blank=True)

    # Outcome of the handling.
    not_registered_reason = models.CharField(
        _("alasan tidak diregistrasi"),
        max_length=12,
        choices=NotRegisteredReason.choices,
        blank=True,
    )
    outcome = models.CharField(
        _("hasil kajian"), max_length=16, choices=Outcome.choices, blank=True
    )
    referral_target = models.ForeignKey(
        ReferralTarget,
        verbose_name=_("tujuan rekomendasi"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    referral_letter_number = models.CharField(
        _("nomor surat rekomendasi"), max_length=100, blank=True
    )
    referral_letter_on = models.DateField(_("tanggal surat rekomendasi"), null=True, blank=True)
    sanction = models.CharField(_("sanksi"), max_length=14, choices=Sanction.choices, blank=True)
    sanction_reference = models.CharField(_("nomor keputusan sanksi"), max_length=100, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplikat dari"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        verbose_name = _("laporan netralitas ASN")
        verbose_name_plural = _("laporan netralitas ASN")
        ordering = ["-received_at"]
        indexes = [
            # The office's triage queue: open reports by legal deadline.
            models.Index(fields=["office", "status", "due_on"], name="report_queue"),
            # Repeat offenders: other reports about the same NIP.
            models.Index(fields=["asn_nip"], name="report_nip", condition=~Q(asn_nip="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(known_on__gte=models.F("occurred_on")),
                name="report_known_after_incident",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="report_not_own_duplicate"
            ),
            models.CheckConstraint(
                condition=~Q(status="registered", time_barred=True),
                name="report_time_barred_not_registered",
            ),
            models.UniqueConstraint(
                fields=["register_number"],
                condition=~Q(register_number=""),
                name="report_unique_register_number",
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("neutrality:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """The name everyone may read: the register number, or the id before
        registration. Never the tracking code: whoever holds it may withdraw
        the report while it is only received, so only the reporter and the
        owning office's officers see it."""
        return self.register_number or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def window_ends_on(self) -> datetime.date:
        return self.known_on + datetime.timedelta(days=REPORT_WINDOW_DAYS)

    @property
    def extended(self) -> bool:
        """The +2 days for more information have been given."""
        if not (self.due_on and self.registered_on):
            return False
        return self.due_on > self.registered_on + datetime.timedelta(days=FOLLOW_UP_DAYS)


def evidence_path(instance, filename):
    # The name is random (set by the service); the date keeps directories small.
    return f"neutrality/{timezone.now():%Y/%m}/{filename}"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Evidence(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", _("Berkas")
        LINK = "link", _("Tautan")

    report = models.ForeignKey(
        Report, verbose_name=_("laporan"), on_delete=models.PROTECT, related_name="evidence"
    )
    kind = models.CharField(_("jenis"), max_length=4, choices=Kind.choices)
    file = models.FileField(
        _("berkas"), storage=private_storage, upload_to=evidence_path, blank=True, max_length=200
    )
    original_name = models.CharField(_("nama asli"), max_length=200, blank=True)
    content_type = models.CharField(_("tipe isi"), max_length=40, blank=True)
    size = models.PositiveBigIntegerField(_("ukuran"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("tautan"), max_length=500, blank=True)
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now_add=True)

    class Meta:
        verbose_name = _("bukti")
        verbose_name_plural = _("bukti")
        ordering = ["report", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="file", url="", sha256__regex=r"^[0-9a-f]{64}$")
                | Q(kind="link", file="", url__gt=""),
                name="evidence_file_or_link",
            ),
        ]

    def __str__(self):
        return self.original_name or self.url


class ReportEvent(AppendOnly):
    """One status change or handling step: who, when, from → to, note."""

    report = models.ForeignKey(
        Report, verbose_name=_("laporan"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("waktu"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("dari"), max_length=16, choices=Report.Status.choices, blank=True
    )
    to_status = models.CharField(_("ke"), max_length=16, choices=Report.Status.choices)
    note = models.TextField(_("catatan"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("riwayat status")
        verbose_name_plural = _("riwayat status")
        ordering = ["report", "at", "pk"]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"


class AuditEntry(AppendOnly):
    """Who saw the reporter's identity and who changed what; nobody edits it
    (model, admin and, on PostgreSQL, a trigger refuse UPDATE and DELETE)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Membuat laporan")
        VIEW_IDENTITY = "view_identity", _("Melihat identitas pelapor")
        # The code shown once to the officer who filed for a reporter.
        HAND_OVER_CODE = "hand_over_code", _("Menerima kode lacak untuk pelapor")
        EXPORT_IDENTITY = "export_identity", _("Mengekspor identitas pelapor")
        DOWNLOAD = "download", _("Mengunduh bukti")
        TRANSITION = "transition", _("Mengubah status")
        ASSIGN = "assign", _("Menugaskan petugas")
        REROUTE = "reroute", _("Memindahkan kantor")
        DUPLICATE = "duplicate", _("Menandai duplikat")
        ADD_EVIDENCE = "add_evidence", _("Menambah bukti")

    at = models.DateTimeField(_("waktu"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("tindakan"), max_length=16, choices=Action.choices)
    report = models.ForeignKey(
        Report,
        verbose_name=_("laporan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit",
    )
    # Whose trail it is, for administrators of that region: the office's
    # region when the entry is written (an export without a report: the
    # region holding every office whose reporters it carried). Null: only
    # nationwide administrators read it.
    region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.CharField(_("rincian"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("alamat IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("jejak audit")
        verbose_name_plural = _("jejak audit")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action}"
