"""Pages: the public intake and tracking, the office's queue, a report's
handling, statistics and exports. Each view: a scoped fetch, one service
call, a response."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from desk.exports import csv_response, spreadsheet_view, xlsx_response
from desk.models import Agency, Region, Role
from meetings.links import decisions_about
from neutrality import access, selectors, services
from neutrality.forms import (
    EvidenceForm,
    FilterForm,
    PublicReportForm,
    ReportForm,
    RerouteForm,
    TrackForm,
    TransitionForm,
)
from neutrality.models import AuditEntry, Evidence, Report
from neutrality.ratelimit import client_ip, rate_limited


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            if field == "region":
                target = "district"
            form.add_error(target, errors)
    else:
        form.add_error(None, exc)


# --- Public -----------------------------------------------------------------


def public_form(request):
    form = PublicReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and "refresh" not in request.POST:
        if rate_limited(request, "report"):
            return render(request, "neutrality/public_limited.html", status=429)
        if services.honeypot_filled(request.POST.get("website")):
            # A bot filled the hidden field: answer like a refusal, store nothing.
            return render(request, "neutrality/public_limited.html", status=400)
        if form.is_valid():
            try:
                report = services.report_submit(
                    intake=form.intake(),
                    channel=Report.Channel.PUBLIC,
                    files=form.cleaned_data["files"],
                    links=form.cleaned_data["links"],
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                request.session["neutrality_code"] = report.tracking_code
                return redirect("neutrality:public_done")
    elif request.method == "POST":
        form.errors.clear()  # a region refresh is not a submission
    return render(
        request,
        "neutrality/public_form.html",
        {"form": form, "late_warning": form.late_warning() if form.is_bound else ""},
    )


def public_done(request):
    code = request.session.pop("neutrality_code", None)
    if not code:
        return redirect("neutrality:track")
    report = Report.objects.filter(tracking_code=code).only("time_barred").first()
    return render(
        request,
        "neutrality/public_done.html",
        {"code": code, "time_barred": bool(report and report.time_barred)},
    )


def track(request):
    """The reporter's view: status and dates, never notes or identities."""
    form = TrackForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "track"):
            return render(request, "neutrality/public_limited.html", status=429)
        code = services.tracking_code_normalise(form.cleaned_data["code"])
        report = (
            Report.objects.filter(tracking_code=code).select_related("office").first()
            if code
            else None
        )
        if report is None:
            form.add_error("code", _("Kode lacak tidak ditemukan. Periksa kembali penulisannya."))
    # Status changes only: assignment and re-routing notes stay internal.
    events = report.events.exclude(from_status=F("to_status")).order_by("at") if report else []
    return render(
        request, "neutrality/track.html", {"form": form, "report": report, "events": events}
    )


@require_POST
def track_withdraw(request):
    """The reporter withdraws a report not yet registered, with the code."""
    if rate_limited(request, "track"):
        return render(request, "neutrality/public_limited.html", status=429)
    form = TrackForm(request.POST)
    report = None
    if form.is_valid():
        code = services.tracking_code_normalise(form.cleaned_data["code"])
        try:
            report = services.report_withdraw_by_reporter(tracking_code=code, ip=client_ip(request))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Laporan dicabut."))
    if report is None:
        code = services.tracking_code_normalise(request.POST.get("code", ""))
        report = Report.objects.filter(tracking_code=code).select_related("office").first()
    events = report.events.exclude(from_status=F("to_status")).order_by("at") if report else []
    return render(
        request, "neutrality/track.html", {"form": form, "report": report, "events": events}
    )


@require_GET
@cache_control(public=True, max_age=3600)
def regions_json(request):
    """Children of a region for the intake form's cascade (public data)."""
    parent = request.GET.get("induk", "")
    if not parent:
        rows = Region.objects.filter(level="province")
    else:
        rows = Region.objects.filter(parent_id=parent)
    data = [{"code": r.code, "name": r.name} for r in rows.order_by("code").only("code", "name")]
    return JsonResponse({"results": data})


# --- Staff -------------------------------------------------------------------


def _require_reader(user):
    if access.read_scope(user).is_empty and not access.is_officer_anywhere(user):
        raise Http404


@login_required
def index(request):
    _require_reader(request.user)
    filters, values = _filters(request)
    reports = list(selectors.queue(request.user, filters=values)[:200])
    repeats = selectors.repeat_counts(request.user, reports)
    for report in reports:
        report.deadline_state = selectors.deadline_state(report)
        # Other reports in scope about the same ASN: a repeat offender shows.
        report.same_asn = repeats.get(report.pk, 0)
    query = request.GET.urlencode()
    return render(
        request,
        "neutrality/index.html",
        {
            "filters": filters,
            "reports": reports,
            "is_officer": access.is_officer_anywhere(request.user),
            "owns_any": bool(access.officer_office_ids(request.user)),
            "query": query,
        },
    )


def _filters(request) -> tuple[FilterForm, dict]:
    """The queue's filters. An invalid value drops only its own filter (the
    page says so): the others still apply, to the list and the export."""
    filters = FilterForm(request.GET or None)
    officers = _office_officers(access.officer_office_ids(request.user))
    filters.fields["assignee"].choices = [("", _("Semua")), ("none", _("Belum ditugaskan"))] + [
        (str(u.pk), u.get_full_name() or u.username) for u in officers
    ]
    if not filters.is_bound:
        return filters, {}
    filters.is_valid()
    return filters, filters.cleaned_data


def _office_officers(office_ids):
    if not office_ids:
        return []
    regions = list(Agency.objects.filter(pk__in=office_ids).values_list("region_id", flat=True))
    return list(
        get_user_model()
        .objects.filter(
            Q(role_assignments__agency_id__in=office_ids)
            | Q(role_assignments__agency__isnull=True, role_assignments__region_id__in=regions),
            role_assignments__role=Role.BAWASLU_OFFICER,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


@login_required
def create(request):
    if not access.is_officer_anywhere(request.user):
        raise Http404
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and "refresh" not in request.POST:
        if form.is_valid():
            try:
                report = services.report_submit(
                    intake=form.intake(),
                    channel=Report.Channel.STAFF,
                    files=form.cleaned_data["files"],
                    links=form.cleaned_data["links"],
                    user=request.user,
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                # The officer filing for a reporter hands the code over, even
                # when another office handles the report: once, on the next
                # page (the session holds only the report's id).
                request.session["neutrality_handover"] = report.pk
                return redirect("neutrality:create_done")
    elif request.method == "POST":
        form.errors.clear()
    return render(
        request,
        "neutrality/public_form.html",
        {"form": form, "staff": True, "late_warning": form.late_warning() if form.is_bound else ""},
    )


@login_required
def create_done(request):
    """The code for the reporter, shown once to the officer who just filed
    (an audit entry says so); a reload shows the queue."""
    pk = request.session.pop("neutrality_handover", None)
    report = (
        Report.objects.select_related("office").filter(pk=pk).first()
        if pk is not None and access.is_officer_anywhere(request.user)
        else None
    )
    if report is None:
        return redirect("neutrality:index")
    services.audit_log(
        user=request.user,
        action=AuditEntry.Action.HAND_OVER_CODE,
        report=report,
        ip=client_ip(request),
    )
    return render(
        request,
        "neutrality/create_done.html",
        {"report": report, "may_act": access.can_act(request.user, report)},
    )


def _detail_queryset():
    return Report.objects.select_related(
        "office__region",
        "category",
        "region",
        "asn_region",
        "assignee",
        "duplicate_of",
        "referral_target",
    )


@login_required
def detail(request, pk):
    report = access.get_report_or_404(request.user, _detail_queryset(), pk=pk)
    may_act = access.can_act(request.user, report)
    show_identity = may_act and request.GET.get("identitas") == "1"
    if show_identity:
        services.audit_log(
            user=request.user,
            action=AuditEntry.Action.VIEW_IDENTITY,
            report=report,
            ip=client_ip(request),
        )
    actions = services.allowed_actions(report) if may_act else []
    transition_forms = [
        {
            "action": action,
            "label": services.ACTION_LABELS[action],
            "fields": [
                TransitionForm()[name] for name in TransitionForm.ACTION_FIELDS.get(action, [])
            ],
            "note": TransitionForm()["note"],
        }
        for action in actions
    ]
    return render(
        request,
        "neutrality/detail.html",
        {
            "report": report,
            "may_act": may_act,
            "show_identity": show_identity,
            "transition_forms": transition_forms,
            "events": report.events.select_related("actor").order_by("at", "pk"),
            "evidence": report.evidence.all() if may_act else [],
            "evidence_count": report.evidence.count(),
            "related": selectors.related_reports(request.user, report),
            # Only those the user may read (a duplicate may sit in another office).
            "duplicates": access.reports_for(request.user, report.duplicates.all()).order_by(
                "received_at"
            ),
            "reroute_form": RerouteForm() if may_act else None,
            "evidence_form": EvidenceForm() if may_act else None,
            "officers": _office_officers({report.office_id}) if may_act else [],
            "related_decisions": decisions_about(request.user, report=report, handler=may_act),
        },
    )


def _acting(request, pk):
    report = access.get_report_or_404(request.user, Report.objects.select_related("office"), pk=pk)
    if not access.can_act(request.user, report):
        raise Http404
    return report


@login_required
@require_POST
def transition(request, pk):
    report = _acting(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(report)
    c = form.cleaned_data
    try:
        report = services.report_transition(
            report=report,
            user=request.user,
            action=c["action"],
            expected_status=c["expected_status"],
            note=c["note"],
            reason=c["reason"],
            outcome=c["outcome"],
            letter_number=c["letter_number"],
            letter_on=c["letter_on"],
            sanction=c["sanction"],
            sanction_reference=c["sanction_reference"],
            ip=client_ip(request),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Status laporan: %(status)s.") % {"status": report.get_status_display()}
        )
    return redirect(report)


@login_required
@require_POST
def assign(request, pk):
    report = _acting(request, pk)
    assignee_id = request.POST.get("assignee") or None
    assignee = None
    if assignee_id:
        assignee = (
            get_user_model().objects.filter(pk=assignee_id if assignee_id.isdigit() else 0).first()
        )
        if assignee is None:
            messages.error(request, _("Petugas itu bukan petugas kantor ini."))
            return redirect(report)
    try:
        services.report_assign(
            report=report, user=request.user, assignee=assignee, ip=client_ip(request)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Penugasan disimpan."))
    return redirect(report)


@login_required
@require_POST
def reroute(request, pk):
    report = _acting(request, pk)
    form = RerouteForm(request.POST)
    if form.is_valid():
        try:
            report = services.report_reroute(
                report=report,
                user=request.user,
                region=form.cleaned_data["region"],
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(report)
        messages.success(
            request, _("Laporan dipindahkan ke %(office)s.") % {"office": report.office.name}
        )
        if access.can_act(request.user, report):
            return redirect(report)
        return redirect("neutrality:index")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(report)


@login_required
@require_POST
def duplicate(request, pk):
    report = _acting(request, pk)
    code = (request.POST.get("original") or "").strip()
    original = None
    if code:
        offices = access.officer_office_ids(request.user)
        original = access.reports_for(request.user).filter(_code_q(code, offices)).first()
        if original is None:
            messages.error(request, _("Laporan asal tidak ditemukan."))
            return redirect(report)
    try:
        services.report_mark_duplicate(
            report=report, user=request.user, original=original, ip=client_ip(request)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Tautan duplikat disimpan."))
    return redirect(report)


def _code_q(code: str, offices) -> Q:
    """The report named by register number, reference (#id), or tracking
    code for a report of the user's own offices (the code is secret to
    everyone else)."""
    normalised = services.tracking_code_normalise(code)
    q = Q(register_number=code)
    if (pk := selectors.reference_pk(code)) is not None:
        q |= Q(pk=pk)
    if normalised:
        q |= Q(tracking_code=normalised, office_id__in=offices)
    return q


@login_required
@require_POST
def evidence_add(request, pk):
    report = _acting(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.report_add_evidence(
                report=report,
                user=request.user,
                files=form.cleaned_data["files"],
                links=form.cleaned_data["links"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Bukti tambahan disimpan."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(report)


@login_required
def evidence_download(request, pk, evidence_pk):
    report = _acting(request, pk)
    evidence = report.evidence.filter(pk=evidence_pk, kind=Evidence.Kind.FILE).first()
    if evidence is None:
        raise Http404
    services.audit_log(
        user=request.user,
        action=AuditEntry.Action.DOWNLOAD,
        report=report,
        detail=evidence.sha256,
        ip=client_ip(request),
    )
    handle = evidence.file.open("rb")
    filename = f"bukti-{report.pk}-{evidence.pk}{evidence.file.name[-4:]}"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=evidence.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def stats(request):
    _require_reader(request.user)
    return render(request, "neutrality/stats.html", {"tables": selectors.statistics(request.user)})


EXPORT_COLUMNS = [
    ("reference", _("Referensi")),
    ("register_number", _("Nomor registrasi")),
    ("received_on", _("Tanggal diterima")),
    ("status", _("Status")),
    ("due_on", _("Batas tindak lanjut")),
    ("time_barred", _("Kedaluwarsa")),
    ("office", _("Kantor Bawaslu")),
    ("category", _("Kategori")),
    ("region", _("Tempat kejadian")),
    ("occurred_on", _("Tanggal kejadian")),
    ("known_on", _("Tanggal diketahui")),
    ("asn_name", _("Nama ASN")),
    ("asn_nip", _("NIP")),
    ("asn_position", _("Jabatan")),
    ("asn_agency", _("Instansi ASN")),
    ("outcome", _("Hasil kajian")),
    ("referral", _("Rekomendasi")),
    ("sanction", _("Sanksi")),
]
# Only for officers of the owning office who ask (``?identitas=1``; empty in
# other offices' rows; audited): the tracking code, which lets its bearer
# withdraw the report, and the reporter.
OWNER_COLUMNS = [
    ("tracking_code", _("Kode lacak")),
    ("reporter_name", _("Nama pelapor")),
    ("reporter_nik", _("NIK pelapor")),
    ("reporter_address", _("Alamat pelapor")),
    ("reporter_phone", _("Telepon pelapor")),
    ("reporter_email", _("E-mail pelapor")),
]


def _export_row(report: Report, owner: bool) -> list:
    row = [
        report.reference,
        report.register_number,
        report.received_on.isoformat(),
        report.get_status_display(),
        report.due_on.isoformat() if report.due_on else "",
        _("ya") if report.time_barred else _("tidak"),
        report.office.name,
        report.category.name,
        f"{report.region.name} ({report.region_id})",
        report.occurred_on.isoformat(),
        report.known_on.isoformat(),
        report.asn_name,
        report.asn_nip,
        report.asn_position,
        report.asn_agency,
        report.get_outcome_display(),
        (
            f"{report.referral_target} {report.referral_letter_number} "
            f"{report.referral_letter_on.isoformat()}"
            if report.referral_target_id
            else ""
        ),
        report.get_sanction_display(),
    ]
    row += [getattr(report, name) if owner else "" for name, _label in OWNER_COLUMNS]
    return row


@spreadsheet_view
@login_required
def export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _require_reader(request.user)
    _form, values = _filters(request)
    reports = selectors.queue(request.user, filters=values).select_related("referral_target")
    # The reporter columns (tracking code, identity) only when asked for, like
    # the detail page's ?identitas=1, and only in the owning office's rows.
    offices = access.officer_office_ids(request.user) if request.GET.get("identitas") == "1" else ()
    header = [str(label) for _n, label in EXPORT_COLUMNS]
    if offices:
        header += [str(label) for _n, label in OWNER_COLUMNS]
    rows, identities, regions = [], 0, set()
    for report in reports.iterator(chunk_size=500):
        owner = report.office_id in offices
        if owner:
            identities += 1
            regions.add(report.office.region_id)
        row = _export_row(report, owner)
        rows.append(row if offices else row[: len(EXPORT_COLUMNS)])
    if identities:
        with services.stored_language():
            detail = _("%(n)s laporan dengan identitas pelapor (%(fmt)s)") % {
                "n": identities,
                "fmt": fmt,
            }
        services.audit_log(
            user=request.user,
            action=AuditEntry.Action.EXPORT_IDENTITY,
            region_code=services.common_region(regions),
            detail=detail,
            ip=client_ip(request),
        )
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"netralitas-asn-{stamp}.csv", (header, rows))
    return xlsx_response(
        f"netralitas-asn-{stamp}.xlsx", (pgettext("daftar", "Laporan"), header, rows)
    )
