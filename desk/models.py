"""The organisation every app shares: regions, agencies, people, roles, elections."""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.phone import normalise_phone

# The three zones of Keppres 41/1987; no daylight saving (docs/domain.md section D).
TIMEZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
TIMEZONE_CHOICES = list(TIMEZONE_LABELS.items())


class Region(models.Model):
    """A Kemendagri region. The dotted code is the identity, never the name.

    Subtrees are a prefix match on the code (``64.11`` → ``64.11.%``); on
    PostgreSQL migration 0002 adds a ``varchar_pattern_ops`` index so that
    LIKE 'prefix%' is an index range scan whatever the database collation.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Provinsi")
        REGENCY = "regency", _("Kabupaten/Kota")
        DISTRICT = "district", _("Kecamatan")
        VILLAGE = "village", _("Desa/Kelurahan")

    class Kind(models.TextChoices):
        PROVINCE = "provinsi", _("Provinsi")
        KABUPATEN = "kabupaten", _("Kabupaten")
        KOTA = "kota", _("Kota")
        KABUPATEN_ADM = "kabupaten_adm", _("Kabupaten administrasi")
        KOTA_ADM = "kota_adm", _("Kota administrasi")
        KECAMATAN = "kecamatan", _("Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA = "desa", _("Desa")
        DESA_ADAT = "desa_adat", _("Desa adat")

    code = models.CharField(_("kode"), max_length=13, primary_key=True)
    level = models.CharField(_("tingkat"), max_length=8, choices=Level.choices)
    kind = models.CharField(_("jenis"), max_length=13, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(_("nama"), max_length=100)
    timezone = models.CharField(
        _("zona waktu"), max_length=16, choices=TIMEZONE_CHOICES, default="Asia/Jakarta"
    )
    # How many desa/kelurahan lie under it (set by import_regions): the
    # denominator of "every desa", whether or not a desa has any data yet.
    villages = models.PositiveIntegerField(_("jumlah desa/kelurahan"), default=0, db_default=0)

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]
        indexes = [
            # Children lists (a kecamatan's desa) and level counts.
            models.Index(fields=["parent", "code"], name="region_parent_code"),
            models.Index(fields=["level"], name="region_level"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True)
                | Q(~Q(level="province"), parent__isnull=False),
                name="region_parent_matches_level",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def timezone_label(self) -> str:
        return TIMEZONE_LABELS.get(self.timezone, self.timezone)

    @property
    def province_code(self) -> str:
        return self.code[:2]

    def ancestor_codes(self) -> list[str]:
        """Codes from the province down to this region, itself included."""
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]

    def ancestors(self):
        return Region.objects.filter(code__in=self.ancestor_codes()).order_by("code")

    def descendants(self, *, include_self: bool = False):
        qs = Region.objects.filter(code__startswith=self.code + ".")
        if include_self:
            qs = Region.objects.filter(Q(code=self.code) | Q(code__startswith=self.code + "."))
        return qs

    def local_now(self) -> datetime.datetime:
        return timezone.localtime(timezone.now(), self.tzinfo)


class Agency(models.Model):
    """An institution serving a region: KPU, Bawaslu, Kesbangpol, an OPD, Polres…"""

    class Kind(models.TextChoices):
        KPU = "kpu", _("KPU")
        BAWASLU = "bawaslu", _("Bawaslu")
        KESBANGPOL = "kesbangpol", _("Kesbangpol")
        SETDA = "setda", _("Sekretariat Daerah")
        OPD = "opd", _("Perangkat daerah (OPD)")
        TNI = "tni", _("TNI")
        POLRI = "polri", _("Polri")
        KEJAKSAAN = "kejaksaan", _("Kejaksaan")
        DPRD = "dprd", _("DPRD")
        BIN = "bin", _("BIN")
        BKN = "bkn", _("BKN")
        KASN = "kasn", _("KASN")
        KEMENDAGRI = "kemendagri", _("Kemendagri")
        OTHER = "other", _("Lainnya")

    class Group(models.TextChoices):
        """How attendance is counted in the minutes."""

        ORGANISER = "penyelenggara", _("Penyelenggara (KPU, Bawaslu)")
        FORKOPIMDA = "forkopimda", _("Forkopimda")
        GOVERNMENT = "pemda", _("Pemerintah daerah (OPD)")
        OTHER = "lainnya", _("Lainnya")

    GROUP_OF_KIND = {
        Kind.KPU: Group.ORGANISER,
        Kind.BAWASLU: Group.ORGANISER,
        Kind.TNI: Group.FORKOPIMDA,
        Kind.POLRI: Group.FORKOPIMDA,
        Kind.KEJAKSAAN: Group.FORKOPIMDA,
        Kind.DPRD: Group.FORKOPIMDA,
        Kind.KESBANGPOL: Group.GOVERNMENT,
        Kind.SETDA: Group.GOVERNMENT,
        Kind.OPD: Group.GOVERNMENT,
    }

    region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah"),
        on_delete=models.PROTECT,
        related_name="agencies",
        null=True,
        blank=True,
        help_text=_("Kosong untuk instansi pusat (BKN, Bawaslu RI, Kemendagri)."),
    )
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("nama"), max_length=150)
    short_name = models.CharField(_("singkatan"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")
        ordering = ["region_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"], name="agency_unique_name_in_region", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("agency_detail", args=[self.pk])

    @property
    def group(self) -> str:
        return self.GROUP_OF_KIND.get(self.kind, self.Group.OTHER)


class Person(models.Model):
    """A contact in an agency; optionally the person behind a user account."""

    class Language(models.TextChoices):
        INDONESIAN = "id", _("Bahasa Indonesia")
        ENGLISH = "en", _("English")

    agency = models.ForeignKey(
        Agency, verbose_name=_("instansi"), on_delete=models.PROTECT, related_name="people"
    )
    name = models.CharField(_("nama"), max_length=150)
    position = models.CharField(_("jabatan"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(
        _("telepon"), max_length=20, blank=True, help_text=_("Disimpan dalam format +62…")
    )
    language = models.CharField(
        _("bahasa"), max_length=2, choices=Language.choices, default=Language.INDONESIAN
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("akun"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("orang")
        verbose_name_plural = _("orang")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} — {self.position}" if self.position else self.name

    def get_absolute_url(self):
        return reverse("person_edit", args=[self.pk])

    def clean(self):
        if self.phone:
            try:
                self.phone = normalise_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None


class Role(models.TextChoices):
    DESK_STAFF = "desk_staff", _("Staf desk (Kesbangpol)")
    BAWASLU_OFFICER = "bawaslu_officer", _("Petugas Bawaslu")
    LOGISTICS_OFFICER = "logistics_officer", _("Petugas logistik (KPU)")
    VIEWER = "viewer", _("Pemantau (Sekda, pimpinan)")
    ADMINISTRATOR = "administrator", _("Administrator")


class RoleAssignment(models.Model):
    """User × role × region (× agency). A role at a region covers its subtree;
    no region means the whole country (Bawaslu RI, Kemendagri)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Kosong berarti seluruh Indonesia."),
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("instansi"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("penugasan peran")
        verbose_name_plural = _("penugasan peran")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                name="roleassignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else _("Seluruh Indonesia")
        return f"{self.user} · {self.get_role_display()} · {where}"


class ElectionRound(models.Model):
    """A Pilkada round (2024, a training simulation, 2029): voting day and stages."""

    name = models.CharField(_("nama"), max_length=100, unique=True)
    voting_day = models.DateField(_("hari pemungutan suara"))
    is_simulation = models.BooleanField(_("simulasi/latihan"), default=False)

    class Meta:
        verbose_name = _("putaran pilkada")
        verbose_name_plural = _("putaran pilkada")
        ordering = ["-voting_day"]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "ElectionRound | None":
        """The next round to vote, else the latest (a handful of rows)."""
        today = timezone.localdate()
        rounds = list(cls.objects.order_by("voting_day"))
        upcoming = [r for r in rounds if r.voting_day >= today]
        return upcoming[0] if upcoming else (rounds[-1] if rounds else None)

    @property
    def logistics_deadline(self) -> datetime.date:
        """H-1: every item must be at the TPS a day before voting (UU Pilkada 78(4))."""
        return self.voting_day - datetime.timedelta(days=1)


class Stage(models.Model):
    """A stage (tahapan) of a round's national schedule."""

    round = models.ForeignKey(
        ElectionRound, verbose_name=_("putaran"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("tahapan"), max_length=150)
    starts_on = models.DateField(_("mulai"))
    ends_on = models.DateField(_("selesai"))

    class Meta:
        verbose_name = _("tahapan")
        verbose_name_plural = _("tahapan")
        ordering = ["round", "starts_on", "ends_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="stage_ends_after_start"
            ),
            models.UniqueConstraint(fields=["round", "name"], name="stage_unique_name"),
        ]

    def __str__(self):
        return self.name


class Election(models.Model):
    """One contest: the governor of a province, or the bupati / wali kota of a
    kabupaten / kota, in a round."""

    class Office(models.TextChoices):
        GOVERNOR = "governor", _("Gubernur dan Wakil Gubernur")
        REGENT = "regent", _("Bupati dan Wakil Bupati")
        MAYOR = "mayor", _("Wali Kota dan Wakil Wali Kota")

    round = models.ForeignKey(
        ElectionRound,
        verbose_name=_("putaran"),
        on_delete=models.CASCADE,
        related_name="elections",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="elections"
    )
    office = models.CharField(_("jabatan"), max_length=8, choices=Office.choices)

    class Meta:
        verbose_name = _("pemilihan")
        verbose_name_plural = _("pemilihan")
        ordering = ["round", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "region", "office"], name="election_unique_contest"
            ),
        ]

    def __str__(self):
        return f"{self.get_office_display()} — {self.region.name} ({self.round})"

    @property
    def voting_day(self) -> datetime.date:
        return self.round.voting_day


class FailedTask(models.Model):
    """A Celery task that failed for good (its retries, if any, spent),
    recorded by the worker's ``task_failure`` signal for the administrators'
    operations page. Arguments are kept only where they are ids: a task's
    other arguments may carry personal data."""

    task_name = models.CharField(_("tugas"), max_length=200)
    task_id = models.CharField(_("id tugas"), max_length=64)
    args = models.JSONField(_("argumen"), default=list, blank=True)
    error = models.TextField(_("galat"))
    traceback = models.TextField(_("jejak galat"), blank=True)
    request_id = models.CharField(_("id permintaan"), max_length=128, blank=True)
    failed_at = models.DateTimeField(_("gagal pada"), default=timezone.now)

    class Meta:
        verbose_name = _("tugas gagal")
        verbose_name_plural = _("tugas gagal")
        ordering = ["-failed_at"]
        indexes = [
            # The operations page: the latest failures first.
            models.Index(fields=["-failed_at"], name="failedtask_latest"),
        ]

    def __str__(self):
        return f"{self.task_name} ({self.failed_at:%Y-%m-%d %H:%M})"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes that would rewrite history are refused, like single ones."""

    def update(self, **kwargs):
        raise ValidationError(_("Riwayat tidak dapat diubah."))

    def delete(self):
        raise ValidationError(_("Riwayat tidak dapat dihapus."))


class AppendOnly(models.Model):
    """A history row: written once, never changed or deleted (every trail of
    the product: grants here, neutrality's reports and audit)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Riwayat tidak dapat diubah."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Riwayat tidak dapat dihapus."))


class AccessAudit(AppendOnly):
    """One grant, change or revoke of a role, or of an account's staff,
    superuser or active flag: who did it, when, before → after.

    Append-only: the model, the admin and, on PostgreSQL, a trigger refuse
    UPDATE and DELETE. The account it concerns is kept by id and username,
    not a foreign key, so deleting the account keeps its trail.
    """

    class Action(models.TextChoices):
        GRANT = "grant", _("Memberi peran")
        CHANGE = "change", _("Mengubah peran")
        REVOKE = "revoke", _("Mencabut peran")
        ACCOUNT = "account", _("Mengubah status akun")

    at = models.DateTimeField(_("waktu"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Kosong: perintah server (shell, seed), bukan dari aplikasi."),
    )
    action = models.CharField(_("tindakan"), max_length=8, choices=Action.choices)
    subject_id = models.PositiveBigIntegerField(_("ID akun"))
    subject = models.CharField(_("akun"), max_length=150)
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    # Whose trail it is, for administrators of those regions: the region
    # after the change and the one before (both null: nationwide
    # administrators only).
    region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    previous_region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah sebelumnya"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    before = models.CharField(_("sebelum"), max_length=300, blank=True)
    after = models.CharField(_("sesudah"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("alamat IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("jejak pemberian akses")
        verbose_name_plural = _("jejak pemberian akses")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or '-'} {self.action} {self.subject}"
