"""Forms: the public and staff intake, the handling steps on a report."""

import datetime
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import Region
from neutrality.models import REPORT_WINDOW_DAYS, Category, Report
from neutrality.services import (
    MAX_FILES,
    Intake,
    bawaslu_office_name,
    is_time_barred,
    links_clean,
    local_today,
)
from neutrality.validators import ALLOWED_KINDS, validate_region_code


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django docs, "Uploading multiple files")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(ALLOWED_KINDS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _options(parent_code: str | None, level: str) -> list[tuple[str, str]]:
    if level == "province":
        rows = Region.objects.filter(level="province")
    elif parent_code:
        rows = Region.objects.filter(parent_id=parent_code, level=level)
    else:
        return [("", "—")]
    return [("", "—")] + [(r.code, r.name) for r in rows.order_by("code").only("code", "name")]


class ReportForm(forms.Form):
    """The intake form. The place is a cascade province → kab/kota →
    kecamatan → desa: with JavaScript the next list fills on change; without,
    the "Pilih wilayah" button reloads the form with the next list."""

    reporter_kind = forms.ChoiceField(
        label=_("Kedudukan pelapor"), choices=Report.ReporterKind.choices
    )
    reporter_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    reporter_nik = forms.CharField(label=_("NIK"), max_length=20, help_text=_("16 angka (KTP)."))
    reporter_address = forms.CharField(label=_("Alamat"), max_length=300)
    reporter_phone = forms.CharField(label=_("Telepon/WhatsApp"), max_length=20)
    reporter_email = forms.EmailField(label=_("E-mail"), required=False)

    asn_name = forms.CharField(label=_("Nama ASN terlapor"), max_length=150)
    asn_nip = forms.CharField(
        label=_("NIP"), max_length=21, required=False, help_text=_("18 angka, bila diketahui.")
    )
    asn_position = forms.CharField(label=_("Jabatan"), max_length=150, required=False)
    asn_agency = forms.CharField(label=_("Instansi/OPD"), max_length=200)
    asn_region = forms.ChoiceField(label=_("Wilayah kerja ASN"), required=False)
    provincial_matter = forms.BooleanField(
        label=_("ASN pemerintah provinsi, atau terkait pemilihan gubernur"), required=False
    )

    province = forms.ChoiceField(label=_("Provinsi"))
    regency = forms.ChoiceField(label=_("Kabupaten/Kota"), required=False)
    district = forms.ChoiceField(label=_("Kecamatan"), required=False)
    village = forms.ChoiceField(label=_("Desa/Kelurahan"), required=False)
    place_detail = forms.CharField(
        label=_("Detail tempat"),
        max_length=200,
        required=False,
        help_text=_("Jalan, gedung, akun."),
    )
    occurred_on = forms.DateField(
        label=_("Tanggal kejadian"), widget=forms.DateInput(attrs={"type": "date"})
    )
    known_on = forms.DateField(
        label=_("Tanggal diketahui"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Laporan disampaikan paling lambat 7 hari sejak kejadian diketahui."),
    )
    category = forms.ModelChoiceField(
        label=_("Jenis pelanggaran (SKB 2022)"), queryset=Category.objects.filter(is_active=True)
    )
    description = forms.CharField(
        label=_("Uraian kejadian"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    witnesses = forms.CharField(
        label=_("Saksi (nama, alamat, telepon)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    files = MultipleFileField(
        label=_("Bukti berkas"),
        required=False,
        help_text=_("JPEG, PNG, PDF atau MP4; paling banyak %(n)s berkas.") % {"n": MAX_FILES},
    )
    links = forms.CharField(
        label=_("Tautan bukti"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Satu tautan per baris."),
    )

    FIELDSETS = [
        (
            _("Pelapor"),
            [
                "reporter_kind",
                "reporter_name",
                "reporter_nik",
                "reporter_address",
                "reporter_phone",
                "reporter_email",
            ],
        ),
        (
            _("ASN terlapor"),
            [
                "asn_name",
                "asn_nip",
                "asn_position",
                "asn_agency",
                "asn_region",
                "provincial_matter",
            ],
        ),
        (
            _("Kejadian"),
            [
                "province",
                "regency",
                "district",
                "village",
                "place_detail",
                "occurred_on",
                "known_on",
                "category",
                "description",
                "witnesses",
            ],
        ),
        (_("Bukti"), ["files", "links"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else {}
        province = data.get("province") or ""
        regency = data.get("regency") or ""
        district = data.get("district") or ""
        self.fields["province"].choices = _options(None, "province")
        self.fields["regency"].choices = _options(province, "regency")
        self.fields["district"].choices = _options(regency, "district")
        self.fields["village"].choices = _options(district, "village")
        self.fields["asn_region"].choices = [("", "—")] + (
            [(province, _("Pemerintah provinsi"))] + _options(province, "regency")[1:]
            if province
            else []
        )
        for name in ("province", "regency", "district", "village"):
            self.fields[name].widget.attrs["data-cascade"] = name

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in self.FIELDSETS]

    def clean_links(self):
        return links_clean(self.cleaned_data["links"].splitlines())

    def clean(self):
        cleaned = super().clean()
        code = next(
            (
                cleaned.get(name)
                for name in ("village", "district", "regency", "province")
                if cleaned.get(name)
            ),
            None,
        )
        region = Region.objects.filter(code=code).first() if code else None
        if region is None or region.level not in ("district", "village"):
            self.add_error("district", _("Pilih tempat kejadian sampai kecamatan atau desa."))
        cleaned["region"] = region
        asn_region = cleaned.get("asn_region")
        cleaned["asn_region"] = (
            Region.objects.filter(code=asn_region).first() if asn_region else None
        )
        return cleaned

    def late_warning(self) -> str:
        """Shown before submitting: a known date more than 7 days back,
        counted to today in the chosen place's zone, as the time-barred flag
        is (WIT's day starts two hours before WIB's)."""
        raw = self.data.get("known_on") if self.is_bound else None
        try:
            known = datetime.date.fromisoformat(raw) if raw else None
        except ValueError:
            return ""
        if known and is_time_barred(known, self._chosen_place_today()):
            return _(
                "Kejadian diketahui lebih dari %(n)s hari yang lalu: laporan tetap diterima, "
                "tetapi kedaluwarsa dan tidak dapat diregistrasi."
            ) % {"n": REPORT_WINDOW_DAYS}
        return ""

    def _chosen_place_today(self) -> datetime.date:
        codes = [self.data.get(name) for name in ("village", "district", "regency", "province")]
        code = next((c for c in codes if c), None)
        region = Region.objects.filter(code=code).only("timezone").first() if code else None
        return local_today(region) if region else timezone.localdate()

    def today_by_province(self) -> dict[str, str]:
        """Today's date in each province's zone, for the form's script: it
        warns with the chosen province's date, not the browser's clock."""
        return {
            code: timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(zone)).isoformat()
            for code, zone in Region.objects.filter(level="province").values_list(
                "code", "timezone"
            )
        }

    def intake(self) -> Intake:
        c = self.cleaned_data
        return Intake(
            **{name: c[name] for name in Intake.__dataclass_fields__ if name in c},
        )


class EvidenceForm(forms.Form):
    """Evidence added later (after more information was requested)."""

    files = ReportForm.base_fields["files"]
    links = ReportForm.base_fields["links"]

    clean_links = ReportForm.clean_links


class PublicReportForm(ReportForm):
    # Hidden from people by CSS; bots fill every field. Out of the tab order
    # and of autofill, or a browser could fill it for a real reporter.
    website = forms.CharField(
        label=_("Situs web"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Kode lacak"), max_length=20)


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    expected_status = forms.CharField(max_length=16, required=False)
    note = forms.CharField(
        label=_("Catatan"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.ChoiceField(
        label=_("Alasan"),
        choices=[("", "—"), *Report.NotRegisteredReason.choices],
        required=False,
    )
    outcome = forms.ChoiceField(
        label=_("Hasil kajian"), choices=[("", "—"), *Report.Outcome.choices], required=False
    )
    letter_number = forms.CharField(
        label=_("Nomor surat rekomendasi"), max_length=100, required=False
    )
    letter_on = forms.DateField(
        label=_("Tanggal surat"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sanction = forms.ChoiceField(
        label=_("Sanksi"), choices=[("", "—"), *Report.Sanction.choices], required=False
    )
    sanction_reference = forms.CharField(
        label=_("Nomor keputusan PPK"), max_length=100, required=False
    )

    # Which fields each action shows.
    ACTION_FIELDS = {
        "not_register": ["reason"],
        "decide": ["outcome"],
        "refer": ["letter_number", "letter_on"],
        "record_sanction": ["sanction", "sanction_reference"],
    }


class OfficeRegionField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        return f"{bawaslu_office_name(region)} ({region.code})"


class RerouteForm(forms.Form):
    """Any province's or kab/kota's Bawaslu, by region: the office row is
    created on demand (services.bawaslu_office), as intake routing does."""

    region = OfficeRegionField(
        label=_("Kantor Bawaslu tujuan"),
        queryset=Region.objects.filter(
            level__in=[Region.Level.PROVINCE, Region.Level.REGENCY]
        ).order_by("code"),
        to_field_name="code",
    )
    reason = forms.CharField(label=_("Alasan"), max_length=250)


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Semua")), *Report.Status.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Kategori"), queryset=Category.objects.all(), required=False
    )
    region = forms.CharField(label=_("Kode wilayah"), max_length=13, required=False)
    assignee = forms.ChoiceField(label=_("Petugas"), required=False)
    q = forms.CharField(label=_("Cari (nama/NIP/kode)"), max_length=100, required=False)

    def clean_region(self):
        value = self.cleaned_data["region"]
        return validate_region_code(value) if value.strip() else ""
