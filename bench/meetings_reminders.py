"""Reminder fan-out: 545 desks × 30 invitees (16,350 e-mails, locmem backend)
through the real services (dispatch, then one delivery run per meeting: lock
row, render, send, mark sent), beside a bare loop that renders and sends the
same e-mails with no database at all. Also SQL queries per e-mail."""

import datetime
import os

from bench.common import row, setup_bench_db, timed

DESKS = 545
INVITEES = 30


def main():
    os.environ["EMAIL_URL"] = "memorymail://"  # Django's locmem backend
    setup_bench_db()
    from django.core import mail
    from django.core.mail import EmailMultiAlternatives
    from django.db import connection
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    from desk.models import Agency, Person, Region
    from desk.regions import import_regions
    from meetings import reminders
    from meetings.ical import meeting_ics
    from meetings.models import Decision, Invitation, Meeting

    import_regions(villages_under=())
    mail.outbox = []
    desks = list(Region.objects.filter(level__in=["province", "regency"]).order_by("code")[:DESKS])
    assert len(desks) == DESKS
    agencies = Agency.objects.bulk_create(
        [Agency(region=r, kind="opd", name=f"Kesbangpol {r.name}") for r in desks]
    )
    people = Person.objects.bulk_create(
        [
            Person(agency=a, name=f"Peserta {i} {a.region_id}", email=f"p{i}.{a.pk}@bench.id")
            for a in agencies
            for i in range(INVITEES)
        ]
    )
    now = timezone.now()
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                region=r,
                title="Rapat mingguan desk",
                kind="rakor_mingguan",
                starts_at=now + datetime.timedelta(hours=2),
                ends_at=now + datetime.timedelta(hours=4),
                online_url="https://zoom.us/j/81234567890",
                agenda="Logistik\nPengamanan\nTindak lanjut keputusan",
                remind_at=now - datetime.timedelta(minutes=1),
            )
            for r in desks
        ]
    )
    Invitation.objects.bulk_create(
        [
            Invitation(meeting=m, agency_id=p.agency_id, person=p)
            for m, chunk in zip(
                meetings,
                (people[i : i + INVITEES] for i in range(0, len(people), INVITEES)),
                strict=True,
            )
            for p in chunk
        ],
        batch_size=5000,
    )
    Decision.objects.bulk_create(
        [
            Decision(
                meeting=m,
                region_id=m.region_id,
                text=f"Tindak lanjut {k}",
                responsible_agency=a,
                due_on=timezone.localdate(),
            )
            for m, a in zip(meetings, agencies, strict=True)
            for k in range(2)
        ]
    )
    emails = DESKS * INVITEES

    results: dict[str, float] = {}
    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), timed(results, "service"):
        meeting_ids = reminders.reminders_dispatch()
        dispatch_queries = counted[0]
        for meeting_id in meeting_ids:
            reminders.reminders_deliver(meeting_id=meeting_id)
    sent = len(mail.outbox)
    assert sent == emails, sent
    total_queries = counted[0]

    # Baseline: the same templates, context and attachment, no database.
    meetings = list(Meeting.objects.select_related("region").order_by("pk"))
    decisions = {}
    for d in Decision.objects.select_related("responsible_agency", "responsible_person"):
        decisions.setdefault(d.region_id, []).append(d)
    names = {}
    for inv in Invitation.objects.select_related("person"):
        names.setdefault(inv.meeting_id, []).append((inv.person.email, inv.person.name))
    mail.outbox = []
    connection_ = mail.get_connection()
    with timed(results, "bare"):
        for meeting in meetings:
            ics = meeting_ics(meeting)
            for email, name in names[meeting.pk]:
                context = {
                    "meeting": meeting,
                    "region": meeting.region,
                    "name": name,
                    "decisions": decisions.get(meeting.region_id, []),
                    "today": meeting.local_start.date(),
                }
                with translation.override("id"):
                    subject = render_to_string("meetings/email/reminder_subject.txt", context)
                    text = render_to_string("meetings/email/reminder.txt", context)
                    html = render_to_string("meetings/email/reminder.html", context)
                message = EmailMultiAlternatives(
                    " ".join(subject.split()), text, to=[email], connection=connection_
                )
                message.attach_alternative(html, "text/html")
                message.attach("rapat.ics", ics, "text/calendar")
                message.send()
    assert len(mail.outbox) == emails

    per_email = (total_queries - dispatch_queries) / emails
    print(f"meetings reminders: {DESKS} desks × {INVITEES} invitees = {emails:,} e-mails (locmem)")
    print(row("dispatch + deliver through the services", results["service"], results["bare"]))
    print(row("baseline: bare loop rendering and sending the same e-mails", results["bare"]))
    print(row("e-mails per second through the services", emails / results["service"], unit="/s"))
    print(
        f"  SQL queries: dispatch {dispatch_queries} (whatever the number of desks), "
        f"delivery {total_queries - dispatch_queries} = {per_email:.2f} per e-mail "
        f"(2 per e-mail, 3 per meeting, 2 per run for the commit setting)"
    )


if __name__ == "__main__":
    main()
