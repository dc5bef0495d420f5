from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from desk.models import Agency, Person, Region, Role
from desk.scope import scope_for

MANAGER_ROLES = (Role.DESK_STAFF, Role.ADMINISTRATOR)


def region_choices_for(user):
    """Regions an agency can serve for this user: provinces and kab/kota of
    their scope (and kecamatan when the scope is one kab/kota or smaller)."""
    scope = scope_for(user, MANAGER_ROLES)
    levels = [Region.Level.PROVINCE, Region.Level.REGENCY]
    if not scope.nationwide and all(code.count(".") >= 1 for code in scope.codes):
        levels.append(Region.Level.DISTRICT)
    return scope.filter(Region.objects.filter(level__in=levels), "code").order_by("code")


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["region", "kind", "name", "short_name", "email", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices_for(user)


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["agency", "name", "position", "email", "phone", "language", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = scope_for(user, MANAGER_ROLES).filter(
            Agency.objects.select_related("region")
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone"):
            raise ValidationError(
                _("Isi e-mail atau nomor telepon agar orang ini dapat dihubungi.")
            )
        return cleaned
