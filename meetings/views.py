"""Pages: a scoped fetch, one service call, a response."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from desk.exports import csv_response, spreadsheet_view, xlsx_response
from desk.models import Region
from desk.scope import get_in_scope_or_404, scope_for
from meetings import exports, links, services
from meetings.forms import (
    AttendanceForm,
    CancelForm,
    DecisionForm,
    DecisionStatusForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    SeriesForm,
)
from meetings.ical import feed_ics, meeting_ics
from meetings.models import CalendarFeed, Decision, Invitation, Meeting, Series
from meetings.selectors import (
    READ_ROLES,
    WRITE_ROLES,
    attendance_counts,
    decisions_for,
    desk_regions_for,
    meetings_for,
    open_decisions,
)


def _meeting(request, pk, *, write=False) -> Meeting:
    roles = WRITE_ROLES if write else READ_ROLES
    return get_in_scope_or_404(
        Meeting.objects.select_related("region", "chair__agency", "organiser", "series"),
        request.user,
        roles=roles,
        pk=pk,
    )


def _desk(request, code, *, write=False) -> Region:
    roles = WRITE_ROLES if write else READ_ROLES
    return get_in_scope_or_404(Region.objects, request.user, roles=roles, field="code", code=code)


def _can_write(user, region_code: str) -> bool:
    return scope_for(user, WRITE_ROLES).contains(region_code)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal onto the form. The service's own atomic block has
    already rolled back everything it wrote: nothing is saved half."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def index(request):
    scope = scope_for(request.user, READ_ROLES)
    if scope.is_empty:
        raise Http404
    now = timezone.now()
    meetings = meetings_for(request.user)
    desk = request.GET.get("desk", "")
    if desk:
        meetings = meetings.filter(region_id=desk)
    upcoming = meetings.filter(ends_at__gte=now).order_by("starts_at")[:50]
    recent = meetings.filter(ends_at__lt=now).order_by("-starts_at")[:20]
    desks = scope.filter(
        Region.objects.filter(level__in=[Region.Level.PROVINCE, Region.Level.REGENCY]), "code"
    ).filter(code__in=meetings_for(request.user).values("region_id").distinct())
    return render(
        request,
        "meetings/index.html",
        {
            "upcoming": upcoming,
            "recent": recent,
            "desks": desks,
            "desk": desk,
            "can_write": desk_regions_for(request.user).exists(),
        },
    )


@login_required
def meeting_create(request):
    if not desk_regions_for(request.user).exists():
        raise Http404
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Rapat dijadwalkan."))
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "title": _("Rapat baru")})


@login_required
def meeting_edit(request, pk):
    meeting = _meeting(request, pk, write=True)
    if meeting.is_cancelled:
        messages.error(request, _("Rapat ini sudah dibatalkan dan tidak dapat diubah lagi."))
        return redirect(meeting)
    form = MeetingForm(request.POST or None, instance=meeting, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_update(
                meeting=meeting, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Rapat diperbarui."))
            return redirect(meeting)
    return render(
        request,
        "meetings/meeting_form.html",
        {"form": form, "title": _("Ubah rapat"), "meeting": meeting},
    )


@login_required
def meeting_cancel(request, pk):
    meeting = _meeting(request, pk, write=True)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(
                meeting=meeting, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Rapat dibatalkan."))
        return redirect(meeting)
    return render(request, "meetings/meeting_cancel.html", {"form": form, "meeting": meeting})


@login_required
def meeting_detail(request, pk):
    meeting = _meeting(request, pk)
    invitations = list(
        meeting.invitations.select_related("agency__region", "person").order_by(
            "agency__region_id", "agency__name", "person__name"
        )
    )
    today = meeting.region.local_now().date()
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "invitations": invitations,
            "counts": attendance_counts(meeting),
            "decisions": links.attach(
                request.user,
                meeting.decisions.select_related(
                    "responsible_agency", "responsible_person"
                ).order_by("id"),
            ),
            "carried": links.attach(
                request.user,
                open_decisions(meeting.region, before=meeting.starts_at).exclude(meeting=meeting),
            ),
            "today": today,
            "can_write": _can_write(request.user, meeting.region_id),
            "invite_form": InviteForm(meeting=meeting),
            "decision_form": DecisionForm(meeting=meeting, user=request.user),
            "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
            "attendance_choices": Invitation.Attendance.choices,
            "status_choices": Decision.Status.choices,
        },
    )


@login_required
@require_POST
def meeting_invite(request, pk):
    meeting = _meeting(request, pk, write=True)
    form = InviteForm(request.POST, meeting=meeting)
    if form.is_valid():
        try:
            services.invitations_add(
                meeting=meeting,
                agencies=form.cleaned_data["agencies"],
                people=form.cleaned_data["people"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Undangan ditambahkan."))
    else:
        messages.error(request, _("Pilihan undangan tidak sah."))
    return redirect(meeting)


@login_required
@require_POST
def meeting_attendance(request, pk):
    """One form for the whole list: every row is checked, and if one is
    refused nothing is saved (ATOMIC_REQUESTS plus an explicit rollback)."""
    meeting = _meeting(request, pk, write=True)
    problems = []
    for invitation in meeting.invitations.select_related("agency", "person", "meeting"):
        form = AttendanceForm(
            {
                "attendance": request.POST.get(f"att-{invitation.pk}", invitation.attendance),
                "represented_by": request.POST.get(f"rep-{invitation.pk}", ""),
            }
        )
        try:
            if not form.is_valid():
                raise ValidationError(list(form.errors.values())[0])
            services.attendance_record(invitation=invitation, **form.cleaned_data)
        except ValidationError as exc:
            problems.append(f"{invitation}: {' '.join(exc.messages)}")
    if problems:
        transaction.set_rollback(True)
        messages.error(request, _("Kehadiran tidak disimpan. ") + " ".join(problems))
    else:
        messages.success(request, _("Kehadiran disimpan."))
    return redirect(meeting.get_absolute_url() + "#hadir")


@login_required
@require_POST
def meeting_minutes(request, pk):
    meeting = _meeting(request, pk, write=True)
    form = MinutesForm(request.POST)
    if form.is_valid():
        services.minutes_save(meeting=meeting, user=request.user, **form.cleaned_data)
        messages.success(request, _("Notulen disimpan."))
    return redirect(meeting.get_absolute_url() + "#notulen")


@login_required
def decision_create(request, pk):
    meeting = _meeting(request, pk, write=True)
    form = DecisionForm(request.POST or None, meeting=meeting, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_record(meeting=meeting, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Keputusan dicatat."))
            return redirect(meeting.get_absolute_url() + "#keputusan")
    return render(
        request,
        "meetings/decision_form.html",
        {"form": form, "meeting": meeting, "title": _("Keputusan baru")},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def decision_status(request, pk):
    decision = get_in_scope_or_404(
        Decision.objects.select_related("meeting"), request.user, roles=WRITE_ROLES, pk=pk
    )
    at_meeting = None
    if request.POST.get("meeting"):
        at_meeting = _meeting(request, request.POST["meeting"], write=True)
    form = DecisionStatusForm(request.POST)
    if form.is_valid():
        try:
            services.decision_update(
                decision=decision, user=request.user, at_meeting=at_meeting, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Status keputusan diperbarui."))
    else:
        messages.error(request, _("Status keputusan tidak dikenal."))
    target = at_meeting or decision.meeting
    nxt = request.POST.get("next", "")
    if nxt.startswith("/meetings/"):
        return redirect(nxt)
    return redirect(target.get_absolute_url() + "#keputusan")


@login_required
def series_create(request):
    if not desk_regions_for(request.user).exists():
        raise Http404
    form = SeriesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            count = series.occurrences.count()
            messages.success(
                request, _("Seri dibuat: %(count)d pertemuan dijadwalkan.") % {"count": count}
            )
            return redirect(series)
    return render(
        request, "meetings/meeting_form.html", {"form": form, "title": _("Seri rapat mingguan")}
    )


@login_required
def series_detail(request, pk):
    series = get_in_scope_or_404(
        Series.objects.select_related("region"), request.user, roles=READ_ROLES, pk=pk
    )
    return render(
        request,
        "meetings/series_detail.html",
        {
            "series": series,
            "occurrences": series.occurrences.select_related("region").order_by("starts_at"),
            "can_write": _can_write(request.user, series.region_id),
        },
    )


@login_required
def series_edit(request, pk):
    series = get_in_scope_or_404(
        Series.objects.select_related("region"), request.user, roles=WRITE_ROLES, pk=pk
    )
    form = SeriesForm(request.POST or None, instance=series, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.series_update(series=series, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Seri diperbarui; pertemuan mendatang ikut berubah."))
            return redirect(series)
    return render(
        request, "meetings/meeting_form.html", {"form": form, "title": _("Ubah seri mingguan")}
    )


@login_required
def desk_decisions(request, code):
    region = _desk(request, code)
    decisions = links.attach(request.user, open_decisions(region))
    return render(
        request,
        "meetings/desk_decisions.html",
        {
            "region": region,
            "decisions": decisions,
            "today": region.local_now().date(),
            "can_write": _can_write(request.user, region.code),
            "feed": CalendarFeed.objects.filter(region=region).first(),
            "status_choices": Decision.Status.choices,
        },
    )


def _decision_rows(request, code):
    region = _desk(request, code)
    status = request.GET.get("status", "open")
    decisions = decisions_for(request.user).filter(region=region).order_by("due_on", "id")
    if status == "open":
        decisions = decisions.filter(status__in=Decision.OPEN_STATUSES)
    return region, links.attach(request.user, decisions.select_related("meeting"))


@spreadsheet_view
@login_required
def decisions_csv(request, code):
    region, decisions = _decision_rows(request, code)
    return csv_response(
        f"keputusan-{region.code}.csv",
        (exports.decision_header(), exports.decision_rows(decisions, region)),
    )


@spreadsheet_view
@login_required
def decisions_xlsx(request, code):
    region, decisions = _decision_rows(request, code)
    return xlsx_response(
        f"keputusan-{region.code}.xlsx",
        (
            pgettext("daftar", "Keputusan"),
            exports.decision_header(),
            exports.decision_rows(decisions, region),
        ),
        widths=exports.DECISION_WIDTHS,
    )


@login_required
def meeting_ics_view(request, pk):
    meeting = _meeting(request, pk)
    response = HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rapat-{meeting.pk}.ics"'
    return response


def _minutes_context(meeting):
    return {
        "meeting": meeting,
        "invitations": meeting.invitations.select_related("agency", "person").order_by(
            "agency__kind", "agency__name", "person__name"
        ),
        "counts": attendance_counts(meeting),
        "decisions": meeting.decisions.select_related(
            "responsible_agency", "responsible_person"
        ).order_by("id"),
    }


@login_required
def meeting_minutes_print(request, pk):
    meeting = _meeting(request, pk)
    return render(request, "meetings/minutes_print.html", _minutes_context(meeting))


@login_required
def meeting_minutes_pdf(request, pk):
    meeting = _meeting(request, pk)
    response = HttpResponse(
        exports.minutes_pdf(_minutes_context(meeting)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="notulen-{meeting.pk}.pdf"'
    return response


@login_required
@require_POST
def feed_manage(request, code):
    region = _desk(request, code, write=True)
    if request.POST.get("action") == "revoke":
        services.feed_revoke(region=region)
        messages.success(request, _("Tautan kalender dicabut."))
    else:
        services.feed_rotate(region=region)
        messages.success(request, _("Tautan kalender baru dibuat; tautan lama tidak berlaku."))
    return redirect("meetings:desk_decisions", code=region.code)


def feed(request, token):
    """The subscribable calendar: no login (calendar apps cannot log in); the
    secret token is the key, and revoking it ends access."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("region"), token=token)
    meetings = Meeting.objects.filter(
        region=feed.region, starts_at__gte=timezone.now() - datetime.timedelta(days=90)
    ).select_related("region")
    body = feed_ics(meetings, name=f"Desk Pilkada — {feed.region.name}")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
