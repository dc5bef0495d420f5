from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from desk.models import Role
from desk.scope import user_roles

# (url name, label, roles that see it). A domain app's landing page is named
# "<app>:index"; the link appears once the app serves it.
NAVIGATION = [
    ("home", _("Beranda"), set(Role.values)),
    ("meetings:index", _("Rapat"), {Role.DESK_STAFF, Role.VIEWER, Role.ADMINISTRATOR}),
    (
        "neutrality:index",
        _("Netralitas ASN"),
        {Role.BAWASLU_OFFICER, Role.DESK_STAFF, Role.VIEWER, Role.ADMINISTRATOR},
    ),
    (
        "logistics:index",
        _("Logistik"),
        {Role.LOGISTICS_OFFICER, Role.VIEWER, Role.DESK_STAFF, Role.ADMINISTRATOR},
    ),
    ("agency_list", _("Direktori"), {Role.DESK_STAFF, Role.ADMINISTRATOR}),
]


def desk(request):
    roles = user_roles(request.user)
    nav = []
    for name, label, allowed in NAVIGATION:
        if roles & allowed:
            try:
                nav.append({"url": reverse(name), "label": label, "name": name})
            except NoReverseMatch:
                continue
    return {"nav": nav}
