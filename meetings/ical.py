"""iCalendar files: one meeting (.ics download and e-mail attachment) and a
desk's subscribable feed."""

from icalendar import Calendar, Event

from meetings.models import Meeting

PRODID = "-//Desk Pilkada//Rapat//ID"


def _calendar(name: str | None = None, method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def meeting_event(meeting: Meeting, *, sequence: int = 0) -> Event:
    event = Event()
    # Stable across edits and across the download, the feed and the e-mail,
    # so a calendar updates the same entry instead of adding another.
    event.add("uid", f"meeting-{meeting.pk}@desk-pilkada")
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.local_start)
    event.add("dtend", meeting.local_end)
    event.add("dtstamp", meeting.updated_at)
    event.add("sequence", sequence)
    location = ", ".join(x for x in (meeting.venue, meeting.online_url) if x)
    if location:
        event.add("location", location)
    if meeting.online_url:
        event.add("url", meeting.online_url)
    description = "\n".join(f"{i}. {item}" for i, item in enumerate(meeting.agenda_items, 1))
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    return event


def meeting_ics(meeting: Meeting) -> bytes:
    cal = _calendar(method="CANCEL" if meeting.is_cancelled else "PUBLISH")
    cal.add_component(meeting_event(meeting, sequence=1 if meeting.is_cancelled else 0))
    return cal.to_ical()


def feed_ics(meetings, *, name: str) -> bytes:
    cal = _calendar(name=name)
    for meeting in meetings:
        cal.add_component(meeting_event(meeting))
    return cal.to_ical()
