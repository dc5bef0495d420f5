"""Writes: intake, routing, transitions, assignment, re-routing, duplicates.

Every function validates, changes, records a ReportEvent (status history) and
an AuditEntry (who did what) in one transaction, and raises Django
ValidationErrors with messages in the user's language on bad input. Texts it
stores (routing reasons, event notes, audit details) are written in the
site's language, Indonesian, whoever's UI wrote them: see ``stored_language``.
"""

import datetime
import re
import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from desk.models import Agency, Region
from neutrality import access
from neutrality.models import (
    EARLIEST_INCIDENT_ON,
    EXTENSION_DAYS,
    FOLLOW_UP_DAYS,
    REPORT_WINDOW_DAYS,
    AuditEntry,
    Category,
    Evidence,
    ReferralTarget,
    Report,
    ReportEvent,
)
from neutrality.validators import sniff_evidence, validate_nik, validate_nip

S = Report.Status
MAX_FILES = 5
MAX_LINKS = 10

# Human-typable: no 0/O, 1/I/L; 31^10 ≈ 8·10^14 codes, looked up behind a rate limit.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def stored_language():
    """Around the making of a text saved in a row. Without it a citizen on
    the English UI would store an English routing reason that Indonesian
    officers then read; messages shown to the user stay outside it."""
    return translation.override(settings.LANGUAGE_CODE)


def tracking_code_new() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def tracking_code_normalise(value: str) -> str:
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else ""


# --- Routing -----------------------------------------------------------------


def office_for(region: Region, *, provincial_matter: bool) -> tuple[Agency, str]:
    """The Bawaslu office competent for an incident in ``region``, and why.

    Kab/kota for a bupati/wali kota matter, the province for a provincial ASN
    or a governor election (docs/domain.md B, inferred from the hierarchy). Bawaslu
    is permanent in every kab/kota (MK 48/PUU-XVII/2019), so a missing office
    is created rather than leaving the report nowhere.
    """
    code = region.code[:2] if provincial_matter or region.level == "province" else region.code[:5]
    target = region if region.code == code else Region.objects.get(code=code)
    office = bawaslu_office(target)
    with stored_language():
        if provincial_matter:
            reason = _(
                "ASN tingkat provinsi atau pemilihan gubernur: ditangani Bawaslu provinsi "
                "(%(region)s)."
            ) % {"region": target.name}
        else:
            reason = _("Kejadian di %(place)s, %(region)s: ditangani Bawaslu kabupaten/kota.") % {
                "place": region.name,
                "region": target.name,
            }
    return office, reason


def bawaslu_office(region: Region) -> Agency:
    """The Bawaslu office of a province or kab/kota, created when the desk has
    no row for it yet (Bawaslu is permanent at both levels)."""
    office = (
        Agency.objects.filter(kind=Agency.Kind.BAWASLU, region=region, is_active=True)
        .order_by("pk")
        .first()
    )
    if office is None:
        office, _created = Agency.objects.get_or_create(
            region=region, name=bawaslu_office_name(region), defaults={"kind": Agency.Kind.BAWASLU}
        )
    return office


def bawaslu_office_name(region: Region) -> str:
    """An institution's name, the same in every language."""
    prefix = "Bawaslu Provinsi" if region.level == Region.Level.PROVINCE else "Bawaslu"
    return f"{prefix} {region.name}"


# --- Intake -----------------------------------------------------------------


@dataclass
class Intake:
    """What a reporter (or an officer for them) submits."""

    reporter_kind: str
    reporter_name: str
    reporter_nik: str
    reporter_address: str
    reporter_phone: str
    asn_name: str
    asn_agency: str
    region: Region
    occurred_on: datetime.date
    known_on: datetime.date
    category: Category
    description: str
    reporter_email: str = ""
    asn_nip: str = ""
    asn_position: str = ""
    asn_region: Region | None = None
    place_detail: str = ""
    witnesses: str = ""
    provincial_matter: bool = False


def honeypot_filled(value) -> bool:
    """Any value at all in the hidden field ("0", false, " ") is a bot's."""
    return value is not None and value != ""


def local_today(region: Region) -> datetime.date:
    return timezone.localdate(timezone.now(), region.tzinfo)


def initial_study_days() -> int:
    """Days for the initial study before registration (unconfirmed for
    Pilkada, docs/domain.md B: a setting, 2 by default)."""
    return settings.NEUTRALITY_INITIAL_STUDY_DAYS


def is_time_barred(known_on: datetime.date, filed_on: datetime.date) -> bool:
    """More than 7 calendar days after the day it became known (UU Pilkada 134(4))."""
    return (filed_on - known_on).days > REPORT_WINDOW_DAYS


def intake_clean(intake: Intake) -> None:
    """Domain checks beyond field types; raises one ValidationError per field."""
    errors: dict[str, list[str]] = {}
    today = local_today(intake.region)
    if intake.region.level not in ("district", "village"):
        errors.setdefault("region", []).append(
            _("Pilih tempat kejadian sampai kecamatan atau desa/kelurahan.")
        )
    if intake.occurred_on > today:
        errors.setdefault("occurred_on", []).append(_("Tanggal kejadian ada di masa depan."))
    elif intake.occurred_on < EARLIEST_INCIDENT_ON:
        errors.setdefault("occurred_on", []).append(
            _("Tanggal kejadian paling awal %(date)s: periksa tahunnya.")
            % {"date": EARLIEST_INCIDENT_ON.strftime("%d/%m/%Y")}
        )
    if intake.asn_region is not None and intake.asn_region.level not in (
        Region.Level.PROVINCE,
        Region.Level.REGENCY,
    ):
        # The employing government: the province or a kab/kota (it decides
        # whether the provincial Bawaslu handles the report).
        errors.setdefault("asn_region", []).append(
            _("Wilayah kerja ASN adalah provinsi atau kabupaten/kota (pemerintah daerahnya).")
        )
    if intake.known_on > today:
        errors.setdefault("known_on", []).append(_("Tanggal diketahui ada di masa depan."))
    if intake.known_on < intake.occurred_on:
        errors.setdefault("known_on", []).append(
            _("Tanggal diketahui tidak boleh sebelum tanggal kejadian.")
        )
    for field, limit in (("description", 5000), ("witnesses", 2000)):
        if len(getattr(intake, field) or "") > limit:
            errors.setdefault(field, []).append(_("Paling panjang %(n)s karakter.") % {"n": limit})
    if not intake.category.is_active:
        errors.setdefault("category", []).append(_("Kategori ini tidak berlaku lagi."))
    for field, check in (("asn_nip", validate_nip), ("reporter_nik", validate_nik)):
        value = getattr(intake, field)
        if value or field == "reporter_nik":
            try:
                setattr(intake, field, check(value))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def report_submit(
    *,
    intake: Intake,
    channel: str,
    files=(),
    links=(),
    user=None,
    ip: str | None = None,
) -> Report:
    """File a report: validate, route, store evidence privately, start the
    initial study's clock (the 3-day follow-up starts at registration). A
    late report is kept but flagged time-barred."""
    intake_clean(intake)
    files, links, sniffed = evidence_clean(files, links)
    if intake.asn_region is not None and intake.asn_region.level == "province":
        intake.provincial_matter = True  # an ASN of the provincial government

    now = timezone.now()
    received_on = local_today(intake.region)
    office, reason = office_for(intake.region, provincial_matter=intake.provincial_matter)
    stored: list = []
    try:
        with transaction.atomic():
            report = Report(
                **intake.__dict__,
                tracking_code=tracking_code_new(),
                channel=channel,
                status=S.RECEIVED,
                received_at=now,
                received_on=received_on,
                due_on=received_on + datetime.timedelta(days=initial_study_days()),
                time_barred=is_time_barred(intake.known_on, received_on),
                office=office,
                routing_reason=reason,
            )
            report.full_clean(exclude=["tracking_code"])
            report.save()
            _evidence_store(report, sniffed, links, stored)
            with stored_language():
                note = _("Laporan diterima melalui %(channel)s.") % {
                    "channel": report.get_channel_display()
                }
                if report.time_barred:
                    note += " " + _("Lewat 7 hari sejak diketahui: kedaluwarsa.")
            ReportEvent.objects.create(report=report, actor=user, to_status=S.RECEIVED, note=note)
            audit_log(user=user, action=AuditEntry.Action.CREATE, report=report, ip=ip)
    except ValidationError as exc:
        _remove(stored)
        if hasattr(exc, "error_dict") and "url" in exc.error_dict:
            raise ValidationError({"links": exc.error_dict["url"]}) from None
        raise
    except BaseException:
        _remove(stored)
        raise
    return report


def links_clean(links) -> list[str]:
    """The links as they will be stored: a link typed without a scheme
    (``facebook.com/post/1``) gets ``https://``; every invalid one is named."""
    to_url = forms.URLField(max_length=500, assume_scheme="https").clean
    cleaned, errors = [], []
    for link in links:
        link = (link or "").strip()
        if not link:
            continue
        try:
            cleaned.append(to_url(link))
        except ValidationError:
            errors.append(_("Bukan tautan yang valid: %(link)s") % {"link": link[:80]})
    if errors:
        raise ValidationError(errors)
    return cleaned


def evidence_clean(files, links):
    """Checks evidence before anything is stored: counts, links, and every
    file's type (by content), size and hash. Returns (files, links, sniffed)."""
    files = [f for f in files if f is not None]
    try:
        links = links_clean(links)
    except ValidationError as exc:
        raise ValidationError({"links": exc.messages}) from None
    if len(files) > MAX_FILES:
        raise ValidationError({"files": [_("Paling banyak %(n)s berkas.") % {"n": MAX_FILES}]})
    if len(links) > MAX_LINKS:
        raise ValidationError({"links": [_("Paling banyak %(n)s tautan.") % {"n": MAX_LINKS}]})
    file_errors, sniffed = [], []
    for upload in files:
        try:
            sniffed.append((upload, sniff_evidence(upload)))
        except ValidationError as exc:
            file_errors.extend(exc.messages)
    if file_errors:
        raise ValidationError({"files": file_errors})
    return files, links, sniffed


def _evidence_store(report: Report, sniffed, links, stored: list) -> None:
    """Write files to private storage under random names (``stored`` collects
    them so a failed transaction can remove them) and the link rows."""
    for upload, info in sniffed:
        evidence = Evidence(
            report=report,
            kind=Evidence.Kind.FILE,
            original_name=(upload.name or "")[-200:],
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
        )
        evidence.file.save(secrets.token_hex(16) + info.extension, upload, save=False)
        stored.append(evidence.file.name)
        evidence.save()
    for url in links:
        evidence = Evidence(report=report, kind=Evidence.Kind.LINK, url=url)
        evidence.full_clean(exclude=["report"])
        evidence.save()


def _refuse_evidence_when_handled(report: Report) -> None:
    if not report.is_open:
        raise ValidationError(
            {
                "files": [
                    _("Laporan berstatus «%(status)s» tidak menerima bukti tambahan.")
                    % {"status": report.get_status_display()}
                ]
            }
        )


def report_add_evidence(*, report: Report, user, files=(), links=(), ip=None) -> Report:
    """More evidence from the reporter (typically after "more information
    requested"), entered by an officer of the owning office, while the
    report is still being handled (an open status)."""
    if not access.can_act(user, report, "add_evidence"):
        raise ValidationError(
            _("Hanya petugas Bawaslu kantor pemilik laporan yang dapat mengubahnya.")
        )
    _refuse_evidence_when_handled(report)
    files, links, sniffed = evidence_clean(files, links)
    if not files and not links:
        raise ValidationError({"files": [_("Pilih berkas atau isi tautan.")]})
    existing = report.evidence.count()
    if existing + len(files) + len(links) > MAX_FILES + MAX_LINKS:
        raise ValidationError({"files": [_("Bukti laporan ini sudah terlalu banyak.")]})
    stored: list = []
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            _refuse_evidence_when_handled(locked)  # closed meanwhile
            _evidence_store(locked, sniffed, links, stored)
            with stored_language():
                note = _("Bukti tambahan: %(files)s berkas, %(links)s tautan.") % {
                    "files": len(files),
                    "links": len(links),
                }
            ReportEvent.objects.create(
                report=locked,
                actor=user,
                from_status=locked.status,
                to_status=locked.status,
                note=note,
            )
            audit_log(
                user=user, action=AuditEntry.Action.ADD_EVIDENCE, report=locked, detail=note, ip=ip
            )
    except ValidationError as exc:
        _remove(stored)
        if hasattr(exc, "error_dict") and "url" in exc.error_dict:
            raise ValidationError({"links": exc.error_dict["url"]}) from None
        raise
    except BaseException:
        _remove(stored)
        raise
    return locked


@transaction.atomic
def report_withdraw_by_reporter(*, tracking_code: str, ip=None) -> Report:
    """The reporter withdraws with the tracking code; only before registration
    (Perbawaslu 8/2020: a registered report cannot be withdrawn)."""
    locked = Report.objects.select_for_update().filter(tracking_code=tracking_code).first()
    if locked is None:
        raise ValidationError({"code": [_("Kode lacak tidak ditemukan.")]})
    if locked.status != S.RECEIVED:
        raise ValidationError(
            {
                "code": [
                    _("Laporan berstatus «%(status)s» tidak dapat dicabut.")
                    % {"status": locked.get_status_display()}
                ]
            }
        )
    locked.status = S.WITHDRAWN
    locked.save(update_fields=["status", "updated_at"])
    with stored_language():
        note = _("Dicabut pelapor dengan kode lacak.")
    ReportEvent.objects.create(
        report=locked, actor=None, from_status=S.RECEIVED, to_status=S.WITHDRAWN, note=note
    )
    audit_log(
        user=None,
        action=AuditEntry.Action.TRANSITION,
        report=locked,
        detail="withdrawn by reporter",
        ip=ip,
    )
    return locked


def _remove(names) -> None:
    from django.core.files.storage import storages

    for name in names:
        storages["private"].delete(name)


def audit_log(
    *,
    user,
    action: str,
    report: Report | None = None,
    region_code: str | None = None,
    detail: str = "",
    ip=None,
):
    """An audit entry, in the region of the report's office at this moment
    unless ``region_code`` says otherwise (administrators read their region's)."""
    if region_code is None and report is not None:
        region_code = Agency.objects.values_list("region_id", flat=True).get(pk=report.office_id)
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        report=report,
        region_id=region_code,
        detail=detail[:500],
        ip=ip,
    )


def common_region(codes) -> str | None:
    """The deepest region holding every one of ``codes`` (None: the nation).
    ``35.28.01`` and ``35.28.02`` → ``35.28``; ``35.28`` and ``64.11`` → None."""
    codes = [code.split(".") for code in codes if code]
    if not codes:
        return None
    common = []
    for parts in zip(*codes, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return ".".join(common) or None


# --- Transitions ------------------------------------------------------------

# action → (allowed from, to). Who may take each: access.ACTION_ROLES.
TRANSITIONS = {
    "register": ((S.RECEIVED,), S.REGISTERED),
    "not_register": ((S.RECEIVED,), S.NOT_REGISTERED),
    "withdraw": ((S.RECEIVED,), S.WITHDRAWN),
    "study": ((S.REGISTERED, S.INFO_REQUESTED), S.UNDER_STUDY),
    "request_info": ((S.UNDER_STUDY,), S.INFO_REQUESTED),
    "decide": ((S.UNDER_STUDY, S.INFO_REQUESTED), S.DECIDED),
    "refer": ((S.DECIDED,), S.REFERRED),
    "record_sanction": ((S.REFERRED,), S.SANCTIONED),
    "close": ((S.NOT_REGISTERED, S.DECIDED, S.REFERRED, S.SANCTIONED), S.CLOSED),
}

# Lazy: built at import, read in each user's language.
ACTION_LABELS = {
    "register": gettext_lazy("Registrasi"),
    "not_register": gettext_lazy("Tidak diregistrasi"),
    "withdraw": gettext_lazy("Dicabut pelapor"),
    "study": gettext_lazy("Mulai kajian / klarifikasi"),
    "request_info": gettext_lazy("Minta keterangan tambahan (+2 hari)"),
    "decide": gettext_lazy("Putuskan"),
    "refer": gettext_lazy("Rekomendasikan"),
    "record_sanction": gettext_lazy("Catat sanksi PPK"),
    "close": gettext_lazy("Tutup"),
}


def allowed_actions(report: Report) -> list[str]:
    """The transitions open from the report's current state (for the buttons)."""
    actions = []
    for action, (sources, _target) in TRANSITIONS.items():
        if report.status not in sources:
            continue
        if action == "register" and report.time_barred:
            continue
        if action == "request_info" and report.extended:
            continue
        if action == "refer" and report.outcome != Report.Outcome.OTHER_LAW:
            continue
        if (
            action == "close"
            and report.status == S.DECIDED
            and (report.outcome == Report.Outcome.OTHER_LAW)
        ):
            continue
        actions.append(action)
    return actions


def _register_number(report: Report, registered_on: datetime.date) -> str:
    """The office's next number of the year of registration. Counted over
    the numbers themselves (they carry the office's region), not over the
    reports the office holds now, so a report re-routed away never frees its
    number. The office row is locked so two registrations never take the
    same one."""
    office = Agency.objects.select_for_update().get(pk=report.office_id)
    year = registered_on.year
    pattern = rf"^[0-9]+/Reg/LP/PW/{re.escape(office.region_id)}/[0-9]{{2}}/{year}$"
    count = Report.objects.filter(register_number__regex=pattern).count()
    return f"{count + 1:03d}/Reg/LP/PW/{office.region_id}/{registered_on:%m}/{year}"


def report_transition(
    *,
    report: Report,
    user,
    action: str,
    expected_status: str | None = None,
    note: str = "",
    reason: str = "",
    outcome: str = "",
    letter_number: str = "",
    letter_on: datetime.date | None = None,
    sanction: str = "",
    sanction_reference: str = "",
    ip: str | None = None,
) -> Report:
    """Move a report along its path; refuse anything not allowed from its
    current state, or by this user, with a clear message."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": [_("Tindakan tidak dikenal.")]})
    if not access.can_act(user, report, action):
        raise ValidationError(
            {"action": [_("Hanya petugas Bawaslu kantor pemilik laporan yang dapat mengubahnya.")]}
        )
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": [_("Catatan paling panjang 2000 karakter.")]})
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if expected_status and locked.status != expected_status:
            raise ValidationError(
                {
                    "action": [
                        _(
                            "Laporan ini sudah dipindahkan ke status «%(status)s» oleh petugas "
                            "lain. Muat ulang halaman."
                        )
                        % {"status": locked.get_status_display()}
                    ]
                }
            )
        if action == "register" and locked.status == S.RECEIVED and locked.time_barred:
            raise ValidationError(
                {
                    "action": [
                        _(
                            "Laporan ini kedaluwarsa (disampaikan lewat %(n)s hari sejak "
                            "diketahui): tidak dapat diregistrasi, hanya «Tidak diregistrasi» "
                            "dengan alasan kedaluwarsa."
                        )
                        % {"n": REPORT_WINDOW_DAYS}
                    ]
                }
            )
        if locked.status not in sources or action not in allowed_actions(locked):
            raise ValidationError(
                {
                    "action": [
                        _("«%(action)s» tidak dapat dilakukan dari status «%(status)s».")
                        % {
                            "action": ACTION_LABELS[action],
                            "status": locked.get_status_display(),
                        }
                    ]
                }
            )
        detail = _apply(
            locked,
            action,
            reason=reason,
            outcome=outcome,
            letter_number=(letter_number or "").strip(),
            letter_on=letter_on,
            sanction=sanction,
            sanction_reference=(sanction_reference or "").strip(),
        )
        from_status = locked.status
        locked.status = target
        locked.save()
        ReportEvent.objects.create(
            report=locked,
            actor=user,
            from_status=from_status,
            to_status=target,
            note=" ".join(part for part in (detail, note) if part),
        )
        audit_log(
            user=user,
            action=AuditEntry.Action.TRANSITION,
            report=locked,
            detail=f"{from_status} → {target}",
            ip=ip,
        )
    return locked


def _apply(report: Report, action: str, **p) -> str:
    """Set the fields an action carries; returns a line for the event note."""
    if action == "register":
        # Received, in law, from now: the 3-day follow-up starts today.
        report.registered_on = local_today(report.region)
        report.due_on = report.registered_on + datetime.timedelta(days=FOLLOW_UP_DAYS)
        report.register_number = _register_number(report, report.registered_on)
        with stored_language():
            return _("Nomor registrasi %(number)s.") % {"number": report.register_number}
    if action == "not_register":
        reasons = Report.NotRegisteredReason
        if p["reason"] not in reasons.values:
            raise ValidationError({"reason": [_("Pilih alasan tidak diregistrasi.")]})
        report.not_registered_reason = p["reason"]
        with stored_language():
            return str(reasons(p["reason"]).label) + "."
    if action == "request_info":
        report.due_on = report.due_on + datetime.timedelta(days=EXTENSION_DAYS)
        with stored_language():
            return _("Batas tindak lanjut diperpanjang 2 hari.")
    if action == "decide":
        if p["outcome"] not in Report.Outcome.values:
            raise ValidationError({"outcome": [_("Pilih hasil kajian.")]})
        report.outcome = p["outcome"]
        with stored_language():
            return str(Report.Outcome(p["outcome"]).label) + "."
    if action == "refer":
        errors = {}
        if not p["letter_number"]:
            errors["letter_number"] = [_("Isi nomor surat rekomendasi.")]
        elif len(p["letter_number"]) > 100:
            errors["letter_number"] = [_("Nomor surat paling panjang 100 karakter.")]
        letter_on = p["letter_on"]
        if not letter_on:
            errors["letter_on"] = [_("Isi tanggal surat rekomendasi.")]
        elif letter_on > local_today(report.region) or letter_on < report.received_on:
            errors["letter_on"] = [
                _("Tanggal surat harus antara tanggal laporan diterima dan hari ini.")
            ]
        target = ReferralTarget.on(letter_on) if letter_on else None
        if letter_on and not errors and target is None:
            errors["letter_on"] = [
                _("Tidak ada tujuan rekomendasi yang berlaku pada tanggal itu (atur di admin).")
            ]
        if errors:
            raise ValidationError(errors)
        report.referral_target = target
        report.referral_letter_number = p["letter_number"]
        report.referral_letter_on = letter_on
        with stored_language():
            return _("Rekomendasi ke %(target)s, surat %(number)s.") % {
                "target": target.name,
                "number": p["letter_number"],
            }
    if action == "record_sanction":
        errors = {}
        if p["sanction"] not in Report.Sanction.values:
            errors["sanction"] = [_("Pilih jenis sanksi.")]
        if not p["sanction_reference"]:
            errors["sanction_reference"] = [_("Isi nomor keputusan PPK.")]
        elif len(p["sanction_reference"]) > 100:
            errors["sanction_reference"] = [_("Nomor keputusan paling panjang 100 karakter.")]
        if errors:
            raise ValidationError(errors)
        report.sanction = p["sanction"]
        report.sanction_reference = p["sanction_reference"]
        with stored_language():
            return _("%(sanction)s, keputusan %(ref)s.") % {
                "sanction": Report.Sanction(p["sanction"]).label,
                "ref": p["sanction_reference"],
            }
    return ""


# --- Handling steps that keep the status -----------------------------------


def _locked_for(report: Report, user, action: str) -> Report:
    if not access.can_act(user, report, action):
        raise ValidationError(
            _("Hanya petugas Bawaslu kantor pemilik laporan yang dapat mengubahnya.")
        )
    return Report.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def report_assign(*, report: Report, user, assignee, ip=None) -> Report:
    locked = _locked_for(report, user, "assign")
    if assignee is not None and locked.office_id not in access.officer_office_ids(assignee):
        raise ValidationError({"assignee": [_("Petugas itu bukan petugas kantor ini.")]})
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    name = (assignee.get_full_name() or assignee.username) if assignee else "—"
    with stored_language():
        note = _("Ditugaskan kepada %(name)s.") % {"name": name}
    ReportEvent.objects.create(
        report=locked, actor=user, from_status=locked.status, to_status=locked.status, note=note
    )
    audit_log(user=user, action=AuditEntry.Action.ASSIGN, report=locked, detail=name, ip=ip)
    return locked


@transaction.atomic
def report_reroute(*, report: Report, user, region: Region, reason: str, ip=None) -> Report:
    """Hand the report to the Bawaslu office of another province or kab/kota,
    chosen by region; the office is created on demand, as routing does. The
    reason is kept."""
    locked = _locked_for(report, user, "reroute")
    reason = (reason or "").strip()
    errors = {}
    if region is None or region.level not in (Region.Level.PROVINCE, Region.Level.REGENCY):
        errors["region"] = [_("Pilih provinsi atau kabupaten/kota kantor Bawaslu tujuan.")]
    elif locked.office.region_id == region.code:
        errors["region"] = [_("Laporan sudah ditangani kantor ini.")]
    if not reason:
        errors["reason"] = [_("Tuliskan alasan pemindahan.")]
    elif len(reason) > 250:
        errors["reason"] = [_("Alasan paling panjang 250 karakter.")]
    if errors:
        raise ValidationError(errors)
    office = bawaslu_office(region)
    if not office.is_active:  # only a deactivated row of that name exists
        raise ValidationError({"region": [_("Kantor Bawaslu wilayah itu dinonaktifkan di admin.")]})
    old = locked.office
    locked.office = office
    locked.assignee = None
    with stored_language():
        locked.routing_reason = _("Dipindahkan dari %(old)s: %(reason)s") % {
            "old": old.name,
            "reason": reason,
        }
        note = _("Dipindahkan dari %(old)s ke %(new)s: %(reason)s") % {
            "old": old.name,
            "new": office.name,
            "reason": reason,
        }
    locked.save()
    ReportEvent.objects.create(
        report=locked, actor=user, from_status=locked.status, to_status=locked.status, note=note
    )
    audit_log(
        user=user,
        action=AuditEntry.Action.REROUTE,
        report=locked,
        region_code=old.region_id,  # the office that acted (the new one has the report)
        detail=f"{old.pk} → {office.pk}",
        ip=ip,
    )
    return locked


# Any constant: the key of the PostgreSQL advisory lock that takes duplicate
# links one at a time ("NDUP").
DUPLICATE_LOCK_KEY = 0x4E445550


@transaction.atomic
def report_mark_duplicate(*, report: Report, user, original: Report | None, ip=None) -> Report:
    """Link ``report`` as a duplicate of ``original`` (None unlinks).

    The link goes to the end of the original's chain (the report the others
    duplicate), and is refused when that chain passes through ``report``:
    a cycle (a → b → c → a) would leave no original. Links are taken one at
    a time, so two officers linking at once cannot close a cycle between
    them either (each walk sees the other's committed link).
    """
    if connection.vendor == "postgresql":  # SQLite writes one at a time anyway
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DUPLICATE_LOCK_KEY])
    locked = _locked_for(report, user, "duplicate")
    if original is not None:
        if original.pk == locked.pk:
            raise ValidationError(
                {"original": [_("Laporan tidak dapat menjadi duplikat dirinya.")]}
            )
        original = Report.objects.get(pk=original.pk)  # the caller's copy may be stale
        seen = {original.pk}
        while original.duplicate_of_id is not None:
            if original.duplicate_of_id == locked.pk or original.duplicate_of_id in seen:
                raise ValidationError(
                    {
                        "original": [
                            _(
                                "Laporan itu (langsung atau lewat laporan lain) sudah ditandai "
                                "duplikat dari laporan ini: tautan ini akan membuat lingkaran."
                            )
                        ]
                    }
                )
            seen.add(original.duplicate_of_id)
            original = Report.objects.get(pk=original.duplicate_of_id)
    locked.duplicate_of = original
    locked.save(update_fields=["duplicate_of", "updated_at"])
    with stored_language():
        note = (
            _("Ditandai duplikat dari %(other)s.") % {"other": original}
            if original
            else _("Tanda duplikat dihapus.")
        )
    ReportEvent.objects.create(
        report=locked, actor=user, from_status=locked.status, to_status=locked.status, note=note
    )
    audit_log(user=user, action=AuditEntry.Action.DUPLICATE, report=locked, detail=note, ip=ip)
    return locked
