"""Coordination meetings of a desk, their weekly series, invitations and
attendance, decisions followed up across meetings, and reminder deliveries."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from desk.models import Agency, Person, Region


class Kind(models.TextChoices):
    DESK = "rakor_desk", _("Rakor desk")
    WEEKLY = "rakor_mingguan", _("Rakor mingguan")
    NATIONAL = "rakornas", _("Rakornas")
    TECHNICAL = "rapat_teknis", _("Rapat teknis")
    OTHER = "lainnya", _("Lainnya")


class MeetingFields(models.Model):
    """What a meeting and a weekly series share: the series copies these onto
    each occurrence it creates."""

    region = models.ForeignKey(
        Region, verbose_name=_("desk (wilayah)"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("judul"), max_length=200)
    kind = models.CharField(_("jenis rapat"), max_length=20, choices=Kind.choices)
    venue = models.CharField(_("tempat"), max_length=200, blank=True)
    online_url = models.URLField(
        _("tautan daring"), blank=True, help_text=_("Zoom atau lainnya; hanya http(s).")
    )
    chair = models.ForeignKey(
        Person,
        verbose_name=_("pimpinan rapat"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organiser = models.ForeignKey(
        Agency,
        verbose_name=_("instansi penyelenggara"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("Satu butir per baris."))

    class Meta:
        abstract = True

    @property
    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]


class Series(MeetingFields):
    """A weekly rule ("every Monday 09:00 WITA until 4 December 2024") whose
    occurrences are created ahead as Meeting rows."""

    weekday = models.PositiveSmallIntegerField(
        _("hari"),
        choices=[
            (0, _("Senin")),
            (1, _("Selasa")),
            (2, _("Rabu")),
            (3, _("Kamis")),
            (4, _("Jumat")),
            (5, _("Sabtu")),
            (6, _("Minggu")),
        ],
        default=0,
    )
    start_time = models.TimeField(_("jam mulai (waktu setempat)"))
    duration = models.DurationField(_("durasi"), default=datetime.timedelta(hours=2))
    starts_on = models.DateField(_("mulai tanggal"))
    until = models.DateField(_("sampai tanggal"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("seri rapat mingguan")
        verbose_name_plural = _("seri rapat mingguan")
        ordering = ["region_id", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__gte=F("starts_on")), name="series_until_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_weekday_display()})"

    def get_absolute_url(self):
        return reverse("meetings:series_detail", args=[self.pk])


class Meeting(MeetingFields):
    """One meeting of a desk: on its own, or an occurrence of a series."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Terjadwal")
        CANCELLED = "cancelled", _("Dibatalkan")

    series = models.ForeignKey(
        Series,
        verbose_name=_("seri"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    # An occurrence moved or edited on its own: later series edits leave it be.
    detached = models.BooleanField(_("diubah tersendiri"), default=False)
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    minutes = models.TextField(_("notulen"), blank=True)
    remind_at = models.DateTimeField(_("pengingat dikirim pada"))
    # Set once the delivery rows exist (or were marked missed), so the
    # five-minute trigger stops looking at this meeting.
    reminders_dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        verbose_name = _("rapat")
        verbose_name_plural = _("rapat")
        ordering = ["starts_at"]
        indexes = [
            # The desk's meeting list and "earlier meetings of this desk".
            models.Index(fields=["region", "starts_at"], name="meeting_region_start"),
            # send_due_reminders: scheduled meetings whose reminder is due and
            # not yet dispatched; a small partial index, the rest is history.
            models.Index(
                fields=["remind_at"],
                name="meeting_reminder_due",
                condition=Q(reminders_dispatched_at__isnull=True, status="scheduled"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(online_url="")
                | Q(online_url__startswith="http://")
                | Q(online_url__startswith="https://"),
                name="meeting_online_url_http",
            ),
        ]

    def __str__(self):
        return f"{self.title} — {timezone.localtime(self.starts_at, self.region.tzinfo):%d/%m/%Y}"

    def get_absolute_url(self):
        return reverse("meetings:meeting_detail", args=[self.pk])

    @property
    def local_start(self) -> datetime.datetime:
        return timezone.localtime(self.starts_at, self.region.tzinfo)

    @property
    def local_end(self) -> datetime.datetime:
        return timezone.localtime(self.ends_at, self.region.tzinfo)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Invitation(models.Model):
    """An agency (optionally one person of it) invited to a meeting, and
    whether they came."""

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Belum dicatat")
        PRESENT = "present", _("Hadir")
        REPRESENTED = "represented", _("Diwakili")
        ABSENT = "absent", _("Tidak hadir")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="invitations"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.PROTECT)
    person = models.ForeignKey(
        Person, verbose_name=_("orang"), on_delete=models.PROTECT, null=True, blank=True
    )
    attendance = models.CharField(
        _("kehadiran"), max_length=12, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    represented_by = models.CharField(_("diwakili oleh"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("undangan")
        verbose_name_plural = _("undangan")
        ordering = ["agency__name", "person__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "agency", "person"],
                name="invitation_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(attendance="represented") | Q(represented_by=""),
                name="invitation_represented_by_only_when_represented",
            ),
        ]

    def __str__(self):
        return f"{self.person.name} ({self.agency})" if self.person_id else str(self.agency)

    @property
    def email(self) -> str:
        return (self.person.email if self.person_id else "") or self.agency.email

    @property
    def came(self) -> bool:
        return self.attendance in (self.Attendance.PRESENT, self.Attendance.REPRESENTED)


class Decision(models.Model):
    """A decision of a meeting, followed up until done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        IN_PROGRESS = "in_progress", _("Sedang dikerjakan")
        DONE = "done", pgettext_lazy("keputusan", "Selesai")
        DROPPED = "dropped", _("Dibatalkan")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.PROTECT, related_name="decisions"
    )
    text = models.TextField(_("keputusan"))
    responsible_agency = models.ForeignKey(
        Agency, verbose_name=_("instansi penanggung jawab"), on_delete=models.PROTECT
    )
    responsible_person = models.ForeignKey(
        Person,
        verbose_name=_("penanggung jawab"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    due_on = models.DateField(_("tenggat"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    # What the decision follows up, each optional (meetings/links.py says who
    # may set and who may see them): a neutrality report, a logistics
    # problem, an area ("KPU to resend ballots to Kecamatan X").
    report = models.ForeignKey(
        "neutrality.Report",
        verbose_name=_("laporan netralitas ASN"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    problem = models.ForeignKey(
        "logistics.Problem",
        verbose_name=_("masalah logistik"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    area = models.ForeignKey(
        Region,
        verbose_name=_("wilayah sasaran"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Denormalised from the meeting: the desk's open-decisions page and the
    # reminder digest filter on it without a join.
    region = models.ForeignKey(
        Region, verbose_name=_("desk (wilayah)"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        verbose_name = _("keputusan rapat")
        verbose_name_plural = _("keputusan rapat")
        ordering = ["due_on", "id"]
        indexes = [
            # The desk's open decisions (overdue first) and the reminder digest.
            models.Index(
                fields=["region", "due_on"],
                name="decision_open_by_due",
                condition=Q(status__in=["open", "in_progress"]),
            ),
        ]

    def __str__(self):
        return self.text[:80]

    def get_absolute_url(self):
        return reverse("meetings:meeting_detail", args=[self.meeting_id]) + f"#d{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open and self.due_on < today


class DecisionEvent(models.Model):
    """Append-only history of a decision's status (who, when, from → to, why)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="events")
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text=_("Rapat tempat status ini diperbarui."),
    )
    at = models.DateTimeField(_("waktu"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    from_status = models.CharField(max_length=12, choices=Decision.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Decision.Status.choices)
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("riwayat keputusan")
        verbose_name_plural = _("riwayat keputusan")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or '—'} → {self.to_status}"


class CalendarFeed(models.Model):
    """A desk's subscribable calendar: a secret token in the URL; revoking
    replaces it, so the old URL stops answering."""

    region = models.OneToOneField(
        Region, verbose_name=_("desk (wilayah)"), on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=43, unique=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now=True)

    class Meta:
        verbose_name = _("kalender langganan")
        verbose_name_plural = _("kalender langganan")

    def __str__(self):
        return str(self.region)

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class ReminderDelivery(models.Model):
    """One e-mail to one recipient about one meeting: a reminder, or the
    cancellation notice to someone already reminded.

    The unique key (meeting, kind, email) makes a second send impossible:
    duplicate beat ticks, task retries and redelivered tasks all find the row.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Pengingat")
        CANCELLATION = "cancellation", _("Pemberitahuan pembatalan")

    class State(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")
        MISSED = "missed", _("Terlewat")
        VOID = "void", _("Tidak dikirim (rapat dibatalkan)")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("rapat"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    email = models.EmailField(_("e-mail penerima"))
    name = models.CharField(_("nama penerima"), max_length=150)
    language = models.CharField(_("bahasa"), max_length=2, default="id")
    state = models.CharField(_("status"), max_length=8, choices=State.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengiriman pengingat")
        verbose_name_plural = _("pengiriman pengingat")
        ordering = ["meeting", "kind", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "email"], name="reminderdelivery_once_per_recipient"
            ),
        ]
        indexes = [
            # The sender's "next pending row of this meeting".
            models.Index(
                fields=["meeting", "id"],
                name="reminderdelivery_pending",
                condition=Q(state="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.email} ({self.get_state_display()})"
