"""Decisions as CSV/XLSX rows and the minutes as a PDF."""

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from desk.exports import pdf_paragraph as paragraph
from desk.templatetags.desk import localtime_in


def decision_header() -> list[str]:
    return [
        _("No."),
        _("Keputusan"),
        _("Instansi penanggung jawab"),
        _("Penanggung jawab"),
        _("Tenggat"),
        _("Status"),
        _("Terlambat"),
        pgettext("kolom", "Rapat"),
        _("Tanggal rapat"),
        _("Terkait"),
    ]


def decision_rows(decisions, region):
    today = region.local_now().date()
    for decision in decisions:
        yield [
            decision.pk,
            decision.text,
            str(decision.responsible_agency),
            decision.responsible_person.name if decision.responsible_person else "",
            decision.due_on.isoformat(),
            decision.get_status_display(),
            _("ya") if decision.is_overdue(today) else "",
            decision.meeting.title,
            decision.meeting.local_start.date().isoformat(),
            # Only the links the downloading user may see (meetings.links.attach).
            "; ".join(str(link) for link in getattr(decision, "links", [])),
        ]


# Column widths of the XLSX, in characters.
DECISION_WIDTHS = (6, 60, 30, 25, 12, 16, 10, 40, 14, 50)


def minutes_pdf(context) -> bytes:
    """The printable minutes as an A4 PDF: heading, attendance by agency,
    counts per group, minutes text and decisions."""
    meeting = context["meeting"]
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm)
    story = [
        paragraph(_("Notulen rapat"), styles["Title"]),
        paragraph(meeting.title, styles["Heading2"]),
        paragraph(
            f"{localtime_in(meeting.starts_at, meeting.region)} · {meeting.region.name}",
            styles["Normal"],
        ),
    ]
    if meeting.venue or meeting.online_url:
        place = " · ".join(x for x in (meeting.venue, meeting.online_url) if x)
        story.append(paragraph(f"{_('Tempat')}: {place}", styles["Normal"]))
    if meeting.chair:
        story.append(paragraph(f"{_('Pimpinan rapat')}: {meeting.chair}", styles["Normal"]))
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story += [Spacer(1, 12), paragraph(_("Daftar hadir"), styles["Heading3"])]
    rows = [[_("Instansi"), _("Nama"), _("Kehadiran")]]
    for inv in context["invitations"]:
        attendance = inv.get_attendance_display()
        if inv.represented_by:
            attendance += f" ({inv.represented_by})"
        rows.append(
            [
                paragraph(inv.agency, styles["Normal"]),
                paragraph(inv.person.name if inv.person else "", styles["Normal"]),
                paragraph(attendance, styles["Normal"]),
            ]
        )
    story.append(Table(rows, colWidths=[7 * cm, 5 * cm, 5 * cm], style=grid, repeatRows=1))
    counts = [[_("Kelompok"), _("Diundang"), _("Hadir"), _("Tidak hadir")]]
    counts += [[str(c["label"]), c["invited"], c["came"], c["absent"]] for c in context["counts"]]
    story += [Spacer(1, 8), Table(counts, style=grid)]
    if meeting.minutes:
        story += [Spacer(1, 12), paragraph(_("Notulen"), styles["Heading3"])]
        story += [paragraph(line, styles["Normal"]) for line in meeting.minutes.splitlines()]
    story += [Spacer(1, 12), paragraph(pgettext("daftar", "Keputusan"), styles["Heading3"])]
    rows = [[_("Keputusan"), _("Penanggung jawab"), _("Tenggat"), _("Status")]]
    for d in context["decisions"]:
        who = str(d.responsible_agency)
        if d.responsible_person:
            who += f" ({d.responsible_person.name})"
        rows.append(
            [
                paragraph(d.text, styles["Normal"]),
                paragraph(who, styles["Normal"]),
                d.due_on.strftime("%d/%m/%Y"),
                d.get_status_display(),
            ]
        )
    story.append(Table(rows, colWidths=[7 * cm, 5 * cm, 2.5 * cm, 2.5 * cm], style=grid))
    doc.build(story)
    return buffer.getvalue()
