"""Indonesian phone numbers, normalised to E.164 (+62…)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(raw: str) -> str:
    """`0812-3456-7890`, `62812…` and `+62 812…` all become `+6281234567890`.

    A number that cannot be an Indonesian (or explicit international) number
    raises a ValidationError in the user's language.
    """
    text = raw.strip()
    if text.startswith("62"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Nomor telepon tidak dikenali: %(raw)s"), params={"raw": raw}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Nomor telepon tidak valid: %(raw)s"), params={"raw": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
