"""Election logistics: items, per-desa requirements and distribution, problems,
append-only history, and the rollups the dashboards read.

Rows per desa (``Village``, ``Delivery``) are the truth; ``AreaRollup`` and
``ItemRollup`` hold the same numbers summed per kecamatan, kabupaten/kota and
province, kept in step in the same transaction as every change
(logistics.rollups). Dashboards above the kecamatan read only the rollups.
"""

import dataclasses
import math

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from desk.models import Election, ElectionRound, Region


def private_storage():
    # Uploaded files may hold a whole province's figures: never under MEDIA_URL.
    return storages["private"]


class Stage(models.IntegerChoices):
    """Where an item is along the chain (docs/domain.md E); it only moves forward
    unless an officer corrects it with a reason."""

    NONE = 0, _("Belum dikirim")
    WAREHOUSE = 1, _("Gudang KPU kab/kota")
    PPK = 2, _("PPK (kecamatan)")
    PPS = 3, _("PPS (desa/kelurahan)")
    KPPS = 4, _("KPPS (TPS)")


def _english() -> bool:
    return (get_language() or "").startswith("en")


class Item(models.Model):
    """A kind of supply, and how much of it a desa needs. Data, not code: a
    new form or a changed reserve is an edit in the admin."""

    class Basis(models.TextChoices):
        BALLOTS_GOVERNOR = "ballots_governor", _("Surat suara gubernur: DPT + cadangan per TPS")
        BALLOTS_LOCAL = "ballots_local", _("Surat suara bupati/wali kota: DPT + cadangan per TPS")
        PER_TPS = "per_tps", _("Per TPS")
        PER_VOTER = "per_voter", _("Per pemilih (DPT)")
        PER_DESA = "per_desa", _("Per desa/kelurahan")

    code = models.SlugField(_("kode"), max_length=30, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    unit = models.CharField(_("satuan"), max_length=20)
    # Data, like the name: the English UI shows these when set.
    name_en = models.CharField(_("nama (Inggris)"), max_length=100, blank=True)
    unit_en = models.CharField(_("satuan (Inggris)"), max_length=20, blank=True)
    basis = models.CharField(_("dasar kebutuhan"), max_length=20, choices=Basis.choices)
    factor = models.DecimalField(
        _("jumlah per dasar"),
        max_digits=8,
        decimal_places=3,
        default=1,
        help_text=_("Mis. 2 kotak suara per TPS bila ada dua pemilihan."),
    )
    reserve_percent = models.DecimalField(
        _("cadangan (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("Surat suara: 2,5% dari DPT, dihitung per TPS (UU 10/2016 Pasal 80)."),
    )
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("barang logistik")
        verbose_name_plural = _("barang logistik")
        ordering = ["order", "code"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the active UI language (Indonesian unless English is set)."""
        return self.name_en if self.name_en and _english() else self.name

    @property
    def unit_label(self) -> str:
        return self.unit_en if self.unit_en and _english() else self.unit

    def required_for(self, *, tps: int, dpt_governor: int, dpt_local: int) -> int:
        """The quantity a desa needs. Ballots: each TPS gets its voters plus
        the reserve rounded up, with the desa's DPT spread evenly over its TPS
        (the desa row does not carry per-TPS DPT)."""
        factor = float(self.factor)
        if self.basis in (self.Basis.BALLOTS_GOVERNOR, self.Basis.BALLOTS_LOCAL):
            dpt = dpt_governor if self.basis == self.Basis.BALLOTS_GOVERNOR else dpt_local
            if not dpt or not tps:
                return 0
            base, extra = divmod(dpt, tps)
            pct = float(self.reserve_percent) / 100
            per_tps = [base + 1] * extra + [base] * (tps - extra)
            return sum(math.ceil(round(n * factor * (1 + pct), 6)) for n in per_tps)
        if self.basis == self.Basis.PER_TPS:
            return math.ceil(tps * factor)
        if self.basis == self.Basis.PER_VOTER:
            return math.ceil(max(dpt_governor, dpt_local) * factor)
        return math.ceil(factor) if tps else 0


# Why a row of an import or of the bulk API, or a whole file, is refused: a
# code and its parameters. Import jobs store these, not text: a background
# import runs with no user's language, and whoever reads the job may use
# another. The Indonesian texts are the msgids.
REASONS = {
    # A row of deliveries (services.deliveries_validate and its SQL twin).
    "village_unknown": _("kode desa «%(code)s» tidak dikenal atau di luar wilayah Anda"),
    "item_unknown": _("barang «%(code)s» tidak dikenal"),
    "stage_unknown": _("tahap «%(value)s» tidak dikenal (0–4, gudang, ppk, pps, kpps)"),
    "not_whole": _("%(field)s «%(value)s» harus bilangan bulat nol atau lebih"),
    "received_gt_sent": _("diterima melebihi dikirim"),
    "damaged_gt_received": _("rusak melebihi diterima"),
    "repeated_item": _("desa dan barang ini sudah ada di baris lain berkas ini"),
    # ... given the current state of its delivery row.
    "village_not_ready": _("kode desa tidak dikenal, belum disiapkan, atau di luar wilayah Anda"),
    "stage_backward": _("tahap mundur; isi kolom alasan untuk koreksi"),
    "sent_implausible": _("jumlah dikirim tidak wajar (lebih dari dua kali kebutuhan)"),
    # A desa's TPS and DPT (counts_problem, logistics.counts).
    "dpt_over_limit": _(
        "DPT %(dpt)s tidak mungkin untuk %(tps)s TPS (paling banyak %(limit)s pemilih per TPS)."
    ),
    "dpt_missing": _("Desa dengan TPS harus memiliki DPT."),
    "dpt_governor_missing": _(
        "Wilayah ini memilih gubernur: DPT pemilihan gubernur tidak boleh 0."
    ),
    "dpt_local_missing": _(
        "Wilayah ini memilih bupati/wali kota: DPT pemilihan itu tidak boleh 0."
    ),
    "repeated_village": _("desa ini sudah ada di baris lain"),
    # The file as a whole (logistics.importing.files.FileRejected).
    "file_too_large": _(
        "Berkas terlalu besar (%(size)d MB); batasnya %(max)d MB. Bagi per kabupaten."
    ),
    "file_type": _("Jenis berkas tidak didukung: unggah .csv atau .xlsx."),
    "file_not_xlsx": _(
        "Berkas ini bukan XLSX yang sah. Simpan ulang dari Excel (.xlsx atau .csv)."
    ),
    "file_encoding": _("Pengodean berkas tidak dikenali; simpan sebagai CSV UTF-8."),
    "file_empty": _("Berkas kosong."),
    "file_broken_csv": _("CSV rusak: %(error)s"),
    "file_columns": _(
        "Kolom tidak sesuai: tidak ada %(missing)s. Baris pertama harus: %(expected)s."
    ),
    "file_no_rows": _("Berkas tidak berisi baris data."),
    "file_too_many_rows": _(
        "Berkas ini berisi lebih dari %(max)s baris data, batas satu impor; bagi menjadi "
        "beberapa berkas (per kabupaten atau per provinsi)."
    ),
    "file_unpacked_too_large": _(
        "Berkas XLSX ini terurai menjadi %(size)s MB atau lebih (batas %(max)s MB), atau "
        "dimampatkan secara tidak wajar. Simpan ulang dari Excel, atau unggah CSV."
    ),
    # After the most bad rows a job lists.
    "more_rows": _("… dan %(n)d baris salah lainnya."),
    # The worker stopped on an error of its own (logged).
    "import_failed": _(
        "Impor berhenti karena kesalahan sistem; tidak ada yang disimpan. Unggah lagi; "
        "bila terulang, hubungi admin."
    ),
}
# The ``field`` of "not_whole": a quantity of a delivery row, in words; any
# other value (a TPS/DPT column name) is shown as it is.
QUANTITY_LABELS = {"sent": _("dikirim"), "received": _("diterima"), "damaged": _("rusak")}


@dataclasses.dataclass(frozen=True)
class Reason:
    """One reason a row or a file is refused (a code of REASONS and its
    parameters, all JSON); str() puts it into words in the active language."""

    code: str
    params: dict = dataclasses.field(default_factory=dict)

    def __str__(self):
        template = REASONS.get(self.code)
        if template is None:
            return self.code
        params = dict(self.params)
        if "field" in params:
            params["field"] = QUANTITY_LABELS.get(params["field"], params["field"])
        return str(template) % params if params else str(template)

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params}


# The law's ceiling of voters per TPS (UU Pilkada allows 800; KPU's policy
# for 2024 was 600): a DPT above TPS × this is a typing error.
MAX_VOTERS_PER_TPS = 800


def contests_held(codes) -> dict[str, tuple[bool, bool]]:
    """Per desa code: whether the current round holds a governor contest in
    its province and a bupati/wali kota contest in its kabupaten/kota (one
    query). Empty when the round has no contests on record: then nothing can
    be said (Jakarta has no local contest, Yogyakarta no governor contest)."""
    round_ = ElectionRound.current()
    if round_ is None:
        return {}
    held = set(Election.objects.filter(round=round_).values_list("region_id", flat=True))
    if not held:
        return {}
    return {code: (code[:2] in held, code[:5] in held) for code in codes}


def counts_problem(tps, dpt_governor, dpt_local, held=None) -> Reason | None:
    """Why a desa's TPS and DPT cannot be right, or None. ``held``: the
    desa's (governor, bupati/wali kota) contests, from ``contests_held``."""
    if None in (tps, dpt_governor, dpt_local):
        return None
    limit = getattr(settings, "LOGISTICS_MAX_VOTERS_PER_TPS", MAX_VOTERS_PER_TPS)
    if max(dpt_governor, dpt_local) > tps * limit:
        return Reason(
            "dpt_over_limit", {"dpt": max(dpt_governor, dpt_local), "tps": tps, "limit": limit}
        )
    if tps and not (dpt_governor or dpt_local):
        return Reason("dpt_missing")
    if tps and held and held[0] and not dpt_governor:
        return Reason("dpt_governor_missing")
    if tps and held and held[1] and not dpt_local:
        return Reason("dpt_local_missing")
    return None


class Village(models.Model):
    """A desa/kelurahan's TPS and voters, and whether all its items arrived."""

    region = models.OneToOneField(
        Region,
        verbose_name=_("desa/kelurahan"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="logistics",
    )
    # The kecamatan, denormalised: rollups group by it (an index, not a join).
    district = models.ForeignKey(
        Region, verbose_name=_("kecamatan"), on_delete=models.PROTECT, related_name="+"
    )
    tps = models.PositiveIntegerField(_("jumlah TPS"), default=0)
    dpt_governor = models.PositiveIntegerField(_("DPT pemilihan gubernur"), default=0)
    dpt_local = models.PositiveIntegerField(_("DPT pemilihan bupati/wali kota"), default=0)
    complete = models.BooleanField(_("lengkap"), default=False)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        verbose_name = _("logistik desa")
        verbose_name_plural = _("logistik desa")
        indexes = [
            # Rollup refresh of one kecamatan; the kecamatan dashboard's list.
            models.Index(fields=["district", "region"], name="lgx_village_district"),
        ]

    def __str__(self):
        return str(self.region)

    def get_absolute_url(self):
        return reverse("logistics:area", args=[self.region_id])


class Delivery(models.Model):
    """One item for one desa: required, where it is, and the quantities."""

    # No separate index on village: lgx_delivery_unique (village, item) serves it.
    village = models.ForeignKey(
        Village,
        verbose_name=_("desa"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    item = models.ForeignKey(Item, verbose_name=_("barang"), on_delete=models.PROTECT)
    required = models.PositiveIntegerField(_("kebutuhan"), default=0)
    stage = models.PositiveSmallIntegerField(_("tahap"), choices=Stage.choices, default=Stage.NONE)
    sent = models.PositiveIntegerField(_("dikirim"), default=0)
    received = models.PositiveIntegerField(_("diterima"), default=0)
    damaged = models.PositiveIntegerField(_("rusak"), default=0)
    complete = models.BooleanField(_("lengkap"), default=False)
    updated_at = models.DateTimeField(_("diperbarui"), null=True, blank=True)
    # Not indexed: an import rewrites the columns of a delivery row, and when
    # none of them is indexed PostgreSQL updates the row in place (HOT, with
    # the fillfactor of migration 0004) instead of touching every index. No
    # database constraint either: a national import would run one referential
    # check per row at commit (Django still nulls it when a user is deleted).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("distribusi")
        verbose_name_plural = _("distribusi")
        ordering = ["village", "item__order"]
        constraints = [
            # Also the idempotency key of imports and the bulk API.
            models.UniqueConstraint(fields=["village", "item"], name="lgx_delivery_unique"),
            models.CheckConstraint(
                condition=Q(received__lte=F("sent")), name="lgx_delivery_received_lte_sent"
            ),
            models.CheckConstraint(
                condition=Q(damaged__lte=F("received")), name="lgx_delivery_damaged_lte_received"
            ),
        ]

    def __str__(self):
        return f"{self.item} · {self.village_id}"


class DeliveryEvent(models.Model):
    """Append-only: every change of a delivery, who, when, before → after.

    Written in bulk (INSERT … SELECT from the delivery rows being changed, in
    the same transaction), so the foreign keys carry no database constraint:
    a per-row referential check at commit doubled a national import's time.
    Django still cascades / nulls them on delete."""

    class Source(models.TextChoices):
        FORM = "form", _("Formulir")
        IMPORT = "import", _("Impor berkas")
        API = "api", _("API")

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("distribusi"),
        on_delete=models.CASCADE,
        related_name="events",
        db_constraint=False,
    )
    at = models.DateTimeField(_("waktu"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    source = models.CharField(_("sumber"), max_length=6, choices=Source.choices)
    job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("impor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
    )
    stage_before = models.PositiveSmallIntegerField(_("tahap sebelum"), choices=Stage.choices)
    stage_after = models.PositiveSmallIntegerField(_("tahap sesudah"), choices=Stage.choices)
    sent_before = models.PositiveIntegerField(_("dikirim sebelum"))
    sent_after = models.PositiveIntegerField(_("dikirim sesudah"))
    received_before = models.PositiveIntegerField(_("diterima sebelum"))
    received_after = models.PositiveIntegerField(_("diterima sesudah"))
    damaged_before = models.PositiveIntegerField(_("rusak sebelum"))
    damaged_after = models.PositiveIntegerField(_("rusak sesudah"))
    reason = models.CharField(_("alasan koreksi"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("riwayat distribusi")
        verbose_name_plural = _("riwayat distribusi")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.delivery} {self.stage_before}→{self.stage_after}"


class VillageEvent(models.Model):
    """Append-only: every change of a desa's TPS or DPT (which changes what it
    needs of every item), who, when, before → after; ``*_before`` are null
    when the desa's counts were first entered."""

    village = models.ForeignKey(
        Village, verbose_name=_("desa"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("waktu"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("sumber"), max_length=6, choices=DeliveryEvent.Source.choices)
    tps_before = models.PositiveIntegerField(_("TPS sebelum"), null=True, blank=True)
    tps_after = models.PositiveIntegerField(_("TPS sesudah"))
    dpt_governor_before = models.PositiveIntegerField(
        _("DPT gubernur sebelum"), null=True, blank=True
    )
    dpt_governor_after = models.PositiveIntegerField(_("DPT gubernur sesudah"))
    dpt_local_before = models.PositiveIntegerField(
        _("DPT bupati/wali kota sebelum"), null=True, blank=True
    )
    dpt_local_after = models.PositiveIntegerField(_("DPT bupati/wali kota sesudah"))

    class Meta:
        verbose_name = _("riwayat TPS/DPT")
        verbose_name_plural = _("riwayat TPS/DPT")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.village_id} TPS {self.tps_before}→{self.tps_after}"


class AreaRollup(models.Model):
    """Per kecamatan, kabupaten/kota and province: desa counts and problems.
    Its row is also the lock every writer of that area takes first, in code
    order (logistics.rollups.lock_areas)."""

    region = models.OneToOneField(
        Region, verbose_name=_("wilayah"), primary_key=True, on_delete=models.CASCADE
    )
    parent = models.ForeignKey(
        Region, verbose_name=_("induk"), null=True, on_delete=models.CASCADE, related_name="+"
    )
    desa_count = models.PositiveIntegerField(_("jumlah desa"), default=0)
    desa_complete = models.PositiveIntegerField(_("desa lengkap"), default=0)
    tps = models.PositiveIntegerField(_("TPS"), default=0)
    dpt = models.PositiveIntegerField(_("DPT"), default=0)
    open_problems = models.PositiveIntegerField(_("masalah terbuka"), default=0)

    class Meta:
        verbose_name = _("rekap wilayah")
        verbose_name_plural = _("rekap wilayah")
        indexes = [
            # A dashboard's children: the provinces (parent NULL), a province's
            # kabupaten/kota, a kabupaten's kecamatan.
            models.Index(fields=["parent", "region"], name="lgx_arearollup_parent"),
        ]

    def __str__(self):
        return self.region_id

    @property
    def share(self) -> float:
        return self.desa_complete / self.desa_count if self.desa_count else 0.0


class ItemRollup(models.Model):
    """Per area and item: required, sent, received, damaged."""

    region = models.ForeignKey(Region, verbose_name=_("wilayah"), on_delete=models.CASCADE)
    item = models.ForeignKey(Item, verbose_name=_("barang"), on_delete=models.CASCADE)
    required = models.BigIntegerField(_("kebutuhan"), default=0)
    sent = models.BigIntegerField(_("dikirim"), default=0)
    received = models.BigIntegerField(_("diterima"), default=0)
    damaged = models.BigIntegerField(_("rusak"), default=0)
    desa_complete = models.PositiveIntegerField(_("desa lengkap untuk barang ini"), default=0)

    class Meta:
        verbose_name = _("rekap barang")
        verbose_name_plural = _("rekap barang")
        constraints = [
            models.UniqueConstraint(fields=["region", "item"], name="lgx_itemrollup_unique"),
        ]

    def __str__(self):
        return f"{self.region_id} · {self.item_id}"


class ProgressPoint(models.Model):
    """The share complete of an area at the end of a day (the chart)."""

    region = models.ForeignKey(Region, verbose_name=_("wilayah"), on_delete=models.CASCADE)
    day = models.DateField(_("tanggal"))
    desa_count = models.PositiveIntegerField(_("jumlah desa"))
    desa_complete = models.PositiveIntegerField(_("desa lengkap"))

    class Meta:
        verbose_name = _("titik kemajuan")
        verbose_name_plural = _("titik kemajuan")
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="lgx_progress_unique"),
        ]

    def __str__(self):
        return f"{self.region_id} {self.day}"


class Problem(models.Model):
    """A logistics problem in an area: open → handled → resolved."""

    class Kind(models.TextChoices):
        SHORTAGE = "shortage", _("Kekurangan")
        DAMAGE = "damage", _("Kerusakan")
        WRONG_AREA = "wrong_area", _("Surat suara tertukar antardaerah")
        LATE = "late", _("Terlambat tiba")
        ACCESS = "access", _("Akses (banjir, laut, udara)")
        OTHER = "other", _("Lainnya")

    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        HANDLED = "handled", _("Sedang ditangani")
        RESOLVED = "resolved", pgettext_lazy("masalah", "Selesai")

    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("barang"), on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("jumlah"), null=True, blank=True)
    description = models.TextField(_("uraian"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("penyelesaian"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dilaporkan oleh"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("dilaporkan"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("diselesaikan"), null=True, blank=True)

    class Meta:
        verbose_name = _("masalah logistik")
        verbose_name_plural = _("masalah logistik")
        ordering = ["-created_at"]
        indexes = [
            # Open problems under an area (the dashboards' list).
            models.Index(fields=["status", "region"], name="lgx_problem_status_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(resolution=""),
                name="lgx_problem_resolved_has_resolution",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.region.name}"

    def get_absolute_url(self):
        return reverse("logistics:problem", args=[self.pk])


class ProblemEvent(models.Model):
    """Append-only: every status change of a problem."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("masalah"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("waktu"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oleh"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    status_before = models.CharField(_("status sebelum"), max_length=10, blank=True)
    status_after = models.CharField(_("status sesudah"), max_length=10)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        verbose_name = _("riwayat masalah")
        verbose_name_plural = _("riwayat masalah")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.problem_id} {self.status_before}→{self.status_after}"


class ImportJob(models.Model):
    """An uploaded CSV/XLSX file and what became of it. All-or-nothing: a file
    with any bad row writes nothing and lists every bad row."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("impor", "Menunggu")
        RUNNING = "running", _("Diproses")
        DONE = "done", _("Berhasil")
        REJECTED = "rejected", _("Ditolak (tidak ada yang disimpan)")
        FAILED = "failed", _("Gagal (tidak ada yang disimpan)")

    file = models.FileField(
        _("berkas"), storage=private_storage, upload_to="logistics/imports/%Y/%m/"
    )
    filename = models.CharField(_("nama berkas"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("jumlah baris"), default=0)
    processed_rows = models.PositiveIntegerField(_("baris diperiksa"), default=0)
    changed_rows = models.PositiveIntegerField(_("baris berubah"), default=0)
    errors = models.JSONField(_("kesalahan"), default=list, blank=True)
    finished_at = models.DateTimeField(pgettext_lazy("impor", "selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("impor logistik")
        verbose_name_plural = _("impor logistik")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename

    def get_absolute_url(self):
        return reverse("logistics:import_detail", args=[self.pk])

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def bad_rows(self) -> int:
        """How many rows of the file were refused (0: the file as a whole)."""
        lines = {e.get("line") for e in self.errors if e.get("line")}
        more = sum(
            (e.get("params") or {}).get("n", 0) for e in self.errors if e.get("code") == "more_rows"
        )
        return len(lines) + more

    def error_rows(self) -> list[tuple[int, str]]:
        """What is wrong, in the reader's (active) language: (line, why) per
        bad row, its reasons joined; line 0 is the file as a whole or the
        count of bad rows not listed. ``errors`` holds one entry per reason,
        {"line", "code", "params"}; jobs stored before codes hold
        {"line", "message"}, shown as written (in the language they ran in)."""
        rows: list[tuple[int, str]] = []
        for error in self.errors:
            line = error.get("line") or 0
            if "code" in error:
                text = str(Reason(error["code"], error.get("params") or {}))
            else:
                text = str(error.get("message", ""))
            if line and rows and rows[-1][0] == line:
                rows[-1] = (line, f"{rows[-1][1]}; {text}")
            else:
                rows.append((line, text))
        return rows
