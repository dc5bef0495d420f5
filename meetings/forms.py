"""Forms: they read and check input; the services decide and write."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import Agency, Person
from meetings import links
from meetings.models import Decision, Invitation, Kind, Meeting, Series
from meetings.selectors import agencies_in_reach, desk_regions_for, people_in_reach


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def in_zone(value: datetime.datetime | None, tz) -> datetime.datetime | None:
    """The wall-clock time the user typed, read in the desk's zone (the form
    field read it in the server's zone; WIB has no DST, so this is exact)."""
    if value is None:
        return None
    return timezone.make_naive(value).replace(tzinfo=tz)


class DirectoryFieldsMixin:
    """Agency and person choices: the directory of the desk's region, the
    regions above it and below it."""

    def limit_to(self, region):
        agencies = agencies_in_reach(region).order_by("region_id", "name")
        people = people_in_reach(region).select_related("agency").order_by("agency__name", "name")
        for name in ("organiser", "agencies", "responsible_agency", "agency"):
            if name in self.fields:
                self.fields[name].queryset = agencies
        for name in ("chair", "people", "responsible_person", "person"):
            if name in self.fields:
                self.fields[name].queryset = people


def online_url_field():
    return forms.URLField(
        label=_("Tautan daring"),
        required=False,
        assume_scheme="https",
        help_text=_("Zoom atau lainnya; hanya http(s)."),
    )


class MeetingForm(DirectoryFieldsMixin, forms.ModelForm):
    online_url = online_url_field()
    agencies = forms.ModelMultipleChoiceField(
        Agency.objects.none(),
        label=_("Undang instansi"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    people = forms.ModelMultipleChoiceField(
        Person.objects.none(),
        label=_("Undang orang"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Meeting
        fields = [
            "region",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "venue",
            "online_url",
            "chair",
            "organiser",
            "agenda",
        ]
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "agenda": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "starts_at": _("Mulai (waktu setempat desk)"),
            "ends_at": _("Selesai (waktu setempat desk)"),
        }

    def __init__(self, *args, user, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = desk_regions_for(user)
        self.fields["online_url"].widget.attrs["placeholder"] = "https://"
        region = region or (self.instance.region if self.instance.pk else None)
        if region is None and self.is_bound:
            region = self.fields["region"].queryset.filter(code=self.data.get("region")).first()
        if region is None:
            region = self.fields["region"].queryset.first()
        if region is not None:
            self.limit_to(region)
        if self.instance.pk:
            del self.fields["region"]
            del self.fields["agencies"]
            del self.fields["people"]
            self.initial["starts_at"] = self.instance.local_start.replace(tzinfo=None)
            self.initial["ends_at"] = self.instance.local_end.replace(tzinfo=None)
        self.region = region

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region") or self.region
        if region is not None:
            cleaned["starts_at"] = in_zone(cleaned.get("starts_at"), region.tzinfo)
            cleaned["ends_at"] = in_zone(cleaned.get("ends_at"), region.tzinfo)
        return cleaned

    def _post_clean(self):
        # The service validates and writes; skip the ModelForm's instance
        # construction and model validation.
        pass


class SeriesForm(DirectoryFieldsMixin, forms.ModelForm):
    online_url = online_url_field()
    agencies = MeetingForm.base_fields["agencies"]
    people = MeetingForm.base_fields["people"]
    until = forms.DateField(
        label=_("Sampai tanggal"),
        required=True,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Seri mingguan harus punya tanggal akhir.")},
    )

    class Meta:
        model = Series
        fields = [
            "region",
            "title",
            "kind",
            "weekday",
            "start_time",
            "duration",
            "starts_on",
            "until",
            "venue",
            "online_url",
            "chair",
            "organiser",
            "agenda",
        ]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "agenda": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"duration": _("Jam:menit, misalnya 02:00.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = desk_regions_for(user)
        self.fields["kind"].initial = Kind.WEEKLY
        self.fields["online_url"].widget.attrs["placeholder"] = "https://"
        region = self.instance.region if self.instance.pk else None
        if region is None and self.is_bound:
            region = self.fields["region"].queryset.filter(code=self.data.get("region")).first()
        if region is None:
            region = self.fields["region"].queryset.first()
        if region is not None:
            self.limit_to(region)
        if self.instance.pk:
            for name in ("region", "agencies", "people"):
                del self.fields[name]
            self.initial["until"] = self.instance.until

    def _post_clean(self):
        pass


class InviteForm(DirectoryFieldsMixin, forms.Form):
    agencies = MeetingForm.base_fields["agencies"]
    people = MeetingForm.base_fields["people"]

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the meeting's reach may be posted: an id outside it gets the
        # same "invalid choice" as an id that does not exist, never a name.
        self.choices_agencies = agencies_in_reach(meeting.region).order_by("region_id", "name")
        self.choices_people = (
            people_in_reach(meeting.region).select_related("agency").order_by("agency__name")
        )
        self.fields["agencies"].queryset = self.choices_agencies
        self.fields["people"].queryset = self.choices_people
        self.fields["agencies"].widget.choices = [(a.pk, str(a)) for a in self.choices_agencies]
        self.fields["people"].widget.choices = [
            (p.pk, f"{p.name} — {p.agency}") for p in self.choices_people
        ]


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(label=_("Kehadiran"), choices=Invitation.Attendance.choices)
    represented_by = forms.CharField(label=_("Diwakili oleh"), required=False, max_length=150)


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Notulen"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )


class DecisionForm(DirectoryFieldsMixin, forms.ModelForm):
    class Meta:
        model = Decision
        fields = [
            "text",
            "responsible_agency",
            "responsible_person",
            "due_on",
            "report",
            "problem",
            "area",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "report": _("Opsional: laporan yang ditindaklanjuti keputusan ini."),
            "problem": _("Opsional: masalah logistik yang ditindaklanjuti."),
            "area": _("Opsional: kabupaten/kota atau kecamatan sasaran."),
        }

    def __init__(self, *args, meeting, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_to(meeting.region)
        region = meeting.region_id
        # Only what this user may see in the desk's region; a field with
        # nothing to offer is left out.
        choices = {
            "report": (links.linkable_reports(user, region), links.report_text),
            "problem": (
                links.linkable_problems(user, region, open_only=True),
                links.problem_text,
            ),
            "area": (links.linkable_areas(region, links.FORM_AREA_LEVELS), str),
        }
        for name, (queryset, label) in choices.items():
            if not queryset.exists():
                del self.fields[name]
                continue
            self.fields[name].queryset = queryset
            self.fields[name].label_from_instance = label

    def _post_clean(self):
        pass


class DecisionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Decision.Status.choices)
    note = forms.CharField(label=_("Catatan"), required=False, max_length=300)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Alasan pembatalan"), required=False, max_length=300)
