"""The minutes PDF prints whatever anybody typed as text, never as markup.

Issue 11, point 4: a meeting titled ``<img src="/etc/passwd" …/>`` embedded
that file into the PDF; ``<img src=x onerror=…>`` failed it with a 500.
"""

import datetime
import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from desk.models import Agency, Person, Region
from meetings import services
from meetings.models import Decision, Invitation, Meeting

MARKUP = (
    '<img src="/etc/passwd" width="32" height="32"/>',
    "<img src=x onerror=alert(1)>",
    '<font size="40" color="red">besar</font> &amp; &nbsp;',
    '<para><a href="javascript:alert(1)">klik</a></b>',
    "<b>tebal <i>miring</b>",
    '<img src="http://evil.example/x.png"/>',
)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (ReportLab wraps lines)."""
    assert shutil.which("pdftotext"), "pdftotext is needed: apt-get install poppler-utils"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", "", text)


@pytest.fixture
def marked_up_meeting(kaltim_desk, kaltim_directory, make_meeting):
    """A held meeting with an attendee, a representative, minutes and a
    decision; then markup in every text field the minutes print, each field
    with its own tag so the test can find it."""
    people = kaltim_directory["people"]
    starts = timezone.now() - datetime.timedelta(days=1)
    meeting = make_meeting(
        Region.objects.get(code="64"),
        starts,
        people=[people["sekda"], people["kpu"]],
        agencies=[kaltim_directory["polda"]],
        chair=people["sekda"],
        user=kaltim_desk,
    )
    for invitation in meeting.invitations.all():
        services.attendance_record(
            invitation=invitation,
            attendance=Invitation.Attendance.REPRESENTED,
            represented_by="Wakil",
        )
    services.minutes_save(meeting=meeting, user=kaltim_desk, minutes="Baris satu\nBaris dua")
    services.decision_record(
        meeting=meeting,
        user=kaltim_desk,
        text="Kirim ulang",
        responsible_agency=kaltim_directory["dishub"],
        responsible_person=people["sekda"],
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    fields = {}

    def mark(model, name, prefix=""):
        values = fields[f"{model.__name__}.{name}"] = []
        for pk in model.objects.values_list("pk", flat=True):
            values.append(f"{prefix}{MARKUP[len(fields) % len(MARKUP)]} F{len(fields)}#{pk}")
            model.objects.filter(pk=pk).update(**{name: values[-1]})

    mark(Meeting, "title")
    mark(Meeting, "venue")
    mark(Meeting, "online_url", prefix="https://rapat.example/")
    mark(Meeting, "minutes")
    mark(Region, "name")
    mark(Agency, "name")
    mark(Agency, "short_name")
    mark(Person, "name")
    mark(Person, "position")
    mark(Invitation, "represented_by")
    mark(Decision, "text")
    return meeting, fields


def test_markup_in_every_field_is_printed_as_text(client, kaltim_desk, marked_up_meeting):
    meeting, fields = marked_up_meeting
    client.force_login(kaltim_desk)
    response = client.get(f"/meetings/{meeting.pk}/notulen.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    # Nothing was embedded: no image of any kind.
    assert not re.search(rb"/Subtype\s*/Image\b", pdf) and b"/XObject" not in pdf
    text = pdf_text(pdf)
    # Every field the minutes print, as typed (str(agency) is its short
    # name when it has one; a person's position shows with the chair).
    for field, values in fields.items():
        if field != "Agency.name":
            assert any(re.sub(r"\s+", "", value) in text for value in values), field


def test_every_paragraph_of_every_pdf_is_escaped():
    """The class, not the instance: no module of the product builds a
    ReportLab Paragraph itself; desk.exports.pdf_paragraph escapes."""
    import ast
    from pathlib import Path

    from django.conf import settings

    found = []
    for app in ("desk", "meetings", "neutrality", "logistics"):
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if path.match("desk/exports.py") or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reportlab"):
                    names = [a.name for a in node.names]
                if isinstance(node, ast.Attribute):
                    names = [node.attr]
                if {"Paragraph", "XPreformatted", "Preformatted"} & set(names):
                    found.append(f"{path}:{node.lineno}")
    assert not found
