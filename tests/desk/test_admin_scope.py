"""The admin writes only within the administrator's reach (issue 11, point 1).

Every registered ModelAdmin and inline is walked, every relation on its form
(select, raw id, autocomplete, M2M, inline rows): an administrator of
Sulawesi Barat (76) holding every Django permission posts a Kalimantan Timur
(64) object and is refused, with nothing saved; the choices, the raw-id
labels and the autocomplete name no Kaltim object. A new admin or a new
relation is walked without editing this file; a relation without a reach
rule fails (its form refuses to build), and a relation to a model this file
has no Kaltim sample of fails with a message asking for one.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.forms import CheckboxInput, ModelMultipleChoiceField, MultiWidget
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from desk.admin import TARGET_RULES, RelationScopeMixin, users_in_scope
from desk.models import Agency, Person, Region, Role, RoleAssignment
from logistics import services as logistics_services
from logistics.models import Problem
from meetings import services as meeting_services
from meetings.models import Meeting, Series
from neutrality.models import Category, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import Intake, report_submit


def _report(region_code: str, witness: str) -> Report:
    today = datetime.date.today()
    intake = Intake(
        reporter_kind=Report.ReporterKind.VOTER,
        reporter_name="Ahmad Rofiqi",
        reporter_nik="3528011503850001",
        reporter_address="Jl. Jokotole 12",
        reporter_phone="+6281234567890",
        asn_name="Drs. Hasanuddin",
        asn_agency="Dinas Pendidikan",
        region=Region.objects.filter(
            code__startswith=region_code + ".", level=Region.Level.DISTRICT
        ).order_by("code")[0],
        occurred_on=today - datetime.timedelta(days=2),
        known_on=today - datetime.timedelta(days=1),
        category=Category.objects.get(code="foto-gestur"),
        description="Mengunggah foto bersama calon dengan gestur dua jari.",
        witnesses=witness,
    )
    return report_submit(intake=intake, channel=Report.Channel.PUBLIC)


def _world(code: str, make_user, tag: str) -> dict:
    """A province's directory, desk, meetings, decision, report and problem."""
    region = Region.objects.get(code=code)
    desk = make_user(Role.DESK_STAFF, code, username=f"{tag}.desk")
    agency = Agency.objects.create(
        region=region, kind=Agency.Kind.KESBANGPOL, name=f"Kesbangpol {tag}"
    )
    person = Person.objects.create(agency=agency, name=f"Kepala {tag}", position="Kepala")
    start = timezone.now() + datetime.timedelta(days=3)
    meeting = meeting_services.meeting_schedule(
        user=desk,
        region=region,
        title=f"Rakor {tag}",
        kind="rakor_mingguan",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        venue="Aula",
        chair=person,
        organiser=agency,
        agencies=[agency],
    )
    series = meeting_services.series_create(
        user=desk,
        region=region,
        title=f"Seri {tag}",
        kind="rakor_mingguan",
        weekday=0,
        start_time=datetime.time(9, 0),
        duration=datetime.timedelta(hours=2),
        starts_on=datetime.date.today(),
        until=datetime.date.today() + datetime.timedelta(days=14),
        venue="Aula",
    )
    meeting_services.decision_record(
        meeting=meeting,
        user=desk,
        text=f"Keputusan {tag}",
        responsible_agency=agency,
        due_on=meeting.local_start.date() + datetime.timedelta(days=7),
    )
    problem = logistics_services.problem_report(
        user=desk,
        region=Region.objects.filter(code__startswith=code + ".").order_by("code")[0],
        kind=Problem.Kind.LATE,
        description=f"Terlambat {tag}",
    )
    return {
        Region: region,
        Agency: agency,
        Person: person,
        desk._meta.model: desk,
        RoleAssignment: desk.role_assignments.get(),
        Meeting: meeting,
        Series: series,
        Report: _report(code, f"Saksi {tag}"),
        Problem: problem,
    }


@pytest.fixture
def worlds(db, make_user):
    ensure_reference_data(Category, ReferralTarget)
    sulbar = _world("76", make_user, "sulbar")
    kaltim = _world("64", make_user, "kaltim")
    # Granted nationwide, so only superusers hand them out: any one is out of reach.
    kaltim[Group] = Group.objects.create(name="Operator nasional")
    kaltim[Permission] = Permission.objects.get(codename="change_region")
    return sulbar, kaltim


@pytest.fixture
def sulbar_admin(make_user):
    """An administrator of Sulawesi Barat holding every Django permission."""
    user = make_user(Role.ADMINISTRATOR, "76", username="sulbar.admin", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _field_data(form, name) -> dict:
    """What a browser would post for this field of an unbound form."""
    bound = form[name]
    field, key = bound.field, form.add_prefix(name)
    value = bound.value()
    if isinstance(field.widget, MultiWidget):
        parts = field.widget.decompress(value)
        return {f"{key}_{i}": "" if part is None else str(part) for i, part in enumerate(parts)}
    if isinstance(field, ModelMultipleChoiceField):
        return {key: [str(field.prepare_value(item)) for item in value or []]}
    if isinstance(field.widget, CheckboxInput):
        return {key: "on"} if value else {}
    if value is None:
        return {}
    return {key: str(field.prepare_value(value))}


def _form_data(form) -> dict:
    data = {}
    for name in form.fields:
        data.update(_field_data(form, name))
    return data


def _relations(model, form, skip=()):
    """(name, model field) of every relation the form sets."""
    for name in form.fields:
        if name in skip:
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # a form-only field (a password, a search box)
            continue
        if field.is_relation and (field.many_to_one or field.one_to_one or field.many_to_many):
            yield name, field


def _outside(kaltim, field):
    target = field.related_model
    if target not in kaltim:
        rule = TARGET_RULES.get(target)
        assert getattr(rule, "national", False), (
            f"{field.model._meta.label}.{field.name}: add a Kaltim {target._meta.label} to "
            "_world(), or declare the model national data (desk.admin.everything)"
        )
        return None
    return kaltim[target]


def _post_value(field, obj):
    value = str(getattr(obj, field.target_field.attname))
    return [value] if field.many_to_many else value


def _admin_forms(model_admin, request, obj):
    """The change form's class and bound data, with every inline's rows."""
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = _form_data(form)
    inlines = []
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, obj):
        prefix = formset_class.get_default_prefix()
        formset = formset_class(instance=obj, prefix=prefix, queryset=inline.get_queryset(request))
        data.update(_form_data(formset.management_form))
        for row in formset.forms:
            data.update(_form_data(row))
        inlines.append((inline, formset))
    data["_save"] = "Simpan"
    return form, data, inlines


def _changed(obj, name) -> bool:
    field = obj._meta.get_field(name)
    before = (
        set(getattr(obj, name).values_list("pk", flat=True))
        if field.many_to_many
        else getattr(obj, field.attname)
    )
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    after = (
        set(getattr(fresh, name).values_list("pk", flat=True))
        if field.many_to_many
        else getattr(fresh, field.attname)
    )
    return before != after


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _has_relations(model) -> bool:
    return any(
        f.is_relation and f.concrete and f.editable and not f.auto_created
        for f in model._meta.get_fields()
    )


def test_every_admin_and_inline_with_relations_applies_the_reach_rules():
    """The rules live in one mixin: an admin or inline without it would let
    any id through (axes' logs have no relation to set)."""
    for model, model_admin in _registered():
        if _has_relations(model):
            assert isinstance(model_admin, RelationScopeMixin), model._meta.label
        for inline in model_admin.inlines:
            assert issubclass(inline, RelationScopeMixin), inline.__name__


def test_every_relation_of_every_admin_has_a_reach_rule(sulbar_admin):
    """Read-only admins too: Django still builds their forms (a change page
    posted with NUL built the history admins' form and found no rule for
    Delivery, a 500)."""
    request = _request(sulbar_admin)
    for model, model_admin in _registered():
        holders = [(model, model_admin)] + [
            (inline.model, inline(model, admin.site)) for inline in model_admin.inlines
        ]
        for holder_model, holder in holders:
            if not isinstance(holder, RelationScopeMixin):
                continue
            for field in holder_model._meta.get_fields():
                if not (field.is_relation and field.concrete and not field.auto_created):
                    continue
                if (field.many_to_one or field.one_to_one) and holder._is_parent_link(field):
                    continue
                holder.relation_queryset(request, field)  # raises without a rule


def test_every_relation_refuses_an_object_out_of_reach(client, worlds, sulbar_admin):
    sulbar, kaltim = worlds
    client.force_login(sulbar_admin)
    request = _request(sulbar_admin)
    walked = []
    for model, model_admin in _registered():
        url_name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None or not model_admin.has_change_permission(request, obj):
            # Not writable here (read-only history, national data, accounts'
            # secrets): a post is refused whatever it carries.
            if obj is None:
                obj = model._default_manager.order_by("pk").first()
            if obj is not None and model_admin.has_view_permission(request, obj):
                response = client.post(reverse(url_name, args=[obj.pk]), {})
                assert response.status_code == 403, model._meta.label
            continue
        assert obj in (model_admin.get_queryset(request)), model._meta.label
        url = reverse(url_name, args=[obj.pk])
        form, data, inlines = _admin_forms(model_admin, request, obj)

        # The harness posts a valid form: unchanged, it saves.
        response = client.post(url, data)
        assert response.status_code == 302, (model._meta.label, _errors(response))

        for name, field in _relations(model, form):
            outside = _outside(kaltim, field)
            if outside is None:
                continue
            walked.append(f"{model._meta.label}.{name}")
            response = client.post(url, {**data, name: _post_value(field, outside)})
            assert response.status_code == 200, f"{model._meta.label}.{name} accepted Kaltim"
            assert name in response.context["adminform"].form.errors, (model, name)
            assert not _changed(obj, name), f"{model._meta.label}.{name} saved"

        for inline, formset in inlines:
            for row in formset.forms:
                for name, field in _relations(inline.model, row, skip={formset.fk.name}):
                    outside = _outside(kaltim, field)
                    if outside is None:
                        continue
                    walked.append(f"{inline.model._meta.label}.{name} (inline)")
                    key = row.add_prefix(name)
                    response = client.post(url, {**data, key: _post_value(field, outside)})
                    assert response.status_code == 200, f"inline {inline.model} {name} accepted"
                    row_errors = [
                        f.errors
                        for admin_formset in response.context["inline_admin_formsets"]
                        for f in admin_formset.formset.forms
                    ]
                    assert any(name in errors for errors in row_errors), (inline, name)
                    assert not _changed(row.instance, name), f"inline {name} saved"
    # The audit's four cases are among the relations walked.
    for expected in (
        "meetings.Decision.meeting",
        "meetings.Meeting.series",
        "meetings.Meeting.chair",
        "meetings.Invitation.agency (inline)",
        "meetings.Invitation.person (inline)",
    ):
        assert expected in walked


def _errors(response):
    context = getattr(response, "context", None)
    if not context or "adminform" not in context:
        return response.status_code
    return context["adminform"].form.errors, [
        f.errors for fs in context["inline_admin_formsets"] for f in fs.formset.forms
    ]


def test_no_choice_label_or_autocomplete_names_an_object_out_of_reach(
    client, worlds, sulbar_admin, django_user_model
):
    sulbar, kaltim = worlds
    root = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    request = _request(sulbar_admin)
    seen = 0
    for model, model_admin in _registered():
        forms = []
        if model_admin.has_add_permission(request):
            forms.append((model_admin, model_admin.get_form(request, None, change=False)(), set()))
        for formset_class, inline in model_admin.get_formsets_with_inlines(request, None):
            formset = formset_class(prefix=formset_class.get_default_prefix())
            forms.append((inline, formset.empty_form, {formset.fk.name}))
        for owner, form, skip in forms:
            for name, field in _relations(owner.model, form, skip):
                outside = _outside(kaltim, field)
                if outside is None:
                    continue
                seen += 1
                label = f"{owner.model._meta.label}.{name}"
                form_field = form.fields[name]
                assert not form_field.queryset.filter(pk=outside.pk).exists(), label
                widget = getattr(form_field.widget, "widget", form_field.widget)
                if hasattr(widget, "label_and_url_for_value") and not field.many_to_many:
                    value = getattr(outside, field.target_field.attname)
                    assert widget.label_and_url_for_value(value) == ("", ""), label
                if name in owner.autocomplete_fields:
                    _assert_autocomplete_hides(client, root, sulbar_admin, field, outside)
                if owner is model_admin and name in [
                    *owner.raw_id_fields,
                    *owner.autocomplete_fields,
                ]:
                    # The add page takes initial values from the query string.
                    add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
                    client.force_login(sulbar_admin)
                    value = _post_value(field, outside)
                    page = client.get(add, {name: value}).content.decode()
                    assert str(outside) not in page, label
    assert seen > 10


def _assert_autocomplete_hides(client, root, administrator, field, outside):
    query = {
        "app_label": field.model._meta.app_label,
        "model_name": field.model._meta.model_name,
        "field_name": field.name,
        "term": str(outside).split(" (")[0],
    }
    url = reverse("admin:autocomplete")
    client.force_login(root)
    found = {r["id"] for r in client.get(url, query).json()["results"]}
    # The query finds the object for a superuser, so its absence below means something.
    assert str(getattr(outside, field.target_field.attname)) in found, query
    client.force_login(administrator)
    response = client.get(url, query)
    if response.status_code == 200:
        found = {r["id"] for r in response.json()["results"]}
        assert str(getattr(outside, field.target_field.attname)) not in found, query
    else:
        assert response.status_code == 403, query


def _post_change(client, user, obj, **changes):
    model_admin = admin.site._registry[type(obj)]
    _form, data, _inlines = _admin_forms(model_admin, _request(user), obj)
    client.force_login(user)
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return client.post(url, {**data, **changes})


def test_a_superuser_is_held_to_the_services_rules_too(client, worlds, django_user_model):
    """Superusers see every object, but a Sulbar meeting still takes no
    Kaltim chair, organiser or invitee, nor its decision a Kaltim report:
    the checks are the services' own (meetings.services, meetings.links)."""
    sulbar, kaltim = worlds
    root = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    meeting = sulbar[Meeting]
    response = _post_change(client, root, meeting, chair=str(kaltim[Person].pk))
    assert response.context["adminform"].form.errors["chair"] == [
        "Pimpinan rapat berada di luar jangkauan desk ini."
    ]
    response = _post_change(client, root, meeting, organiser=str(kaltim[Agency].pk))
    assert "organiser" in response.context["adminform"].form.errors
    response = _post_change(client, root, meeting, series=str(kaltim[Series].pk))
    assert response.context["adminform"].form.errors["series"] == [
        "Seri rapat ini milik desk lain."
    ]
    response = _post_change(client, root, meeting, **{"invitations-0-agency": kaltim[Agency].pk})
    (formset,) = response.context["inline_admin_formsets"]
    assert formset.formset.forms[0].errors["agency"] == [
        "Instansi ini berada di luar jangkauan desk."
    ]
    decision = meeting.decisions.get()
    response = _post_change(client, root, decision, report=str(kaltim[Report].pk))
    assert response.context["adminform"].form.errors["report"] == [
        "Laporan tidak ditemukan di wilayah desk ini."
    ]
    response = _post_change(client, root, decision, meeting=str(kaltim[Meeting].pk))
    assert "region" in response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.chair == sulbar[Person] and meeting.series is None
    assert meeting.invitations.get().agency == sulbar[Agency]
    decision.refresh_from_db()
    assert decision.report is None and decision.meeting == meeting


def test_within_the_province_a_kabupaten_meeting_reaches_only_its_own_tree(
    client, worlds, sulbar_admin
):
    """The administrator reaches all of Sulbar, a Mamuju (76.02) meeting
    only Mamuju's, the province's and national offices (``in_reach``)."""
    sulbar, _kaltim = worlds
    desk = sulbar[RoleAssignment].user
    mamuju, majene = Region.objects.get(code="76.02"), Region.objects.get(code="76.05")
    majene_office = Agency.objects.create(region=majene, kind=Agency.Kind.KPU, name="KPU Majene")
    majene_head = Person.objects.create(agency=majene_office, name="Ketua KPU Majene")
    start = timezone.now() + datetime.timedelta(days=5)
    meeting = meeting_services.meeting_schedule(
        user=desk,
        region=mamuju,
        title="Rakor Mamuju",
        kind="rakor_mingguan",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        venue="Kantor bupati",
        agencies=[sulbar[Agency]],
    )
    response = _post_change(
        client,
        sulbar_admin,
        meeting,
        chair=str(majene_head.pk),
        **{"invitations-0-agency": majene_office.pk, "invitations-0-person": majene_head.pk},
    )
    assert "chair" in response.context["adminform"].form.errors
    (formset,) = response.context["inline_admin_formsets"]
    assert set(formset.formset.forms[0].errors) == {"agency", "person"}
    # The province's own office is within a kabupaten meeting's reach.
    response = _post_change(client, sulbar_admin, meeting, chair=str(sulbar[Person].pk))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.chair == sulbar[Person]
    assert meeting.invitations.get().agency == sulbar[Agency]


def test_no_admin_page_of_an_administrator_names_another_province(
    client, worlds, sulbar_admin, django_user_model
):
    """Lists (their filters and search), add and change pages: the Sulbar
    administrator reads no Kaltim object's name anywhere in the admin."""
    _sulbar, kaltim = worlds
    names = {str(obj) for model, obj in kaltim.items() if model not in (Group, Permission)}
    names.add("Kalimantan Timur")
    # A superuser reads them on these very pages: the search below finds something.
    root = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    client.force_login(root)
    meetings = client.get(reverse("admin:meetings_meeting_changelist")).content.decode()
    assert str(kaltim[Meeting]) in meetings
    client.force_login(sulbar_admin)
    request = _request(sulbar_admin)
    pages = [reverse("admin:index")]
    for model, model_admin in _registered():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [reverse(f"{info}_changelist"), reverse(f"{info}_changelist") + "?q=kaltim"]
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{info}_add"))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            pages.append(reverse(f"{info}_change", args=[obj.pk]))
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code == 403, url
            continue
        html = response.content.decode()
        for name in names:
            assert name not in html, (url, name)


def test_an_administrator_reaches_the_accounts_whose_every_role_is_in_scope(
    make_user, sulbar_admin, django_user_model
):
    inside = make_user(Role.DESK_STAFF, "76.02", username="mamuju.desk")
    newcomer = make_user(username="belum.berperan")
    kaltim = make_user(Role.DESK_STAFF, "64", username="kaltim.desk")
    both = make_user(Role.VIEWER, "76", username="dua.provinsi")
    RoleAssignment.objects.create(user=both, role=Role.VIEWER, region=Region.objects.get(code="64"))
    nationwide = make_user(Role.VIEWER, None, username="kemendagri")
    root = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    reached = set(users_in_scope(_request(sulbar_admin)))
    assert {inside, newcomer, sulbar_admin} <= reached
    assert not {kaltim, both, nationwide, root} & reached
    assert {inside, kaltim, both, nationwide, root} <= set(users_in_scope(_request(root)))


def test_on_the_add_page_invitees_are_checked_against_the_posted_desk(client, worlds, sulbar_admin):
    """A new Mamuju (76.02) meeting cannot invite Majene's (76.05) KPU: the
    inline rows are checked against the meeting as posted."""
    sulbar, _kaltim = worlds
    majene = Agency.objects.create(
        region=Region.objects.get(code="76.05"), kind=Agency.Kind.KPU, name="KPU Majene"
    )
    model_admin = admin.site._registry[Meeting]
    _form, data, _inlines = _admin_forms(model_admin, _request(sulbar_admin), sulbar[Meeting])
    data = {key: value for key, value in data.items() if key not in ("invitations-0-id",)}
    data.pop("invitations-0-meeting", None)
    data.update(
        {
            "region": "76.02",
            "chair": "",
            "organiser": "",
            "invitations-INITIAL_FORMS": "0",
            "invitations-0-agency": str(majene.pk),
        }
    )
    client.force_login(sulbar_admin)
    before = Meeting.objects.count()
    response = client.post(reverse("admin:meetings_meeting_add"), data)
    (formset,) = response.context["inline_admin_formsets"]
    assert formset.formset.forms[0].errors["agency"] == [
        "Instansi ini berada di luar jangkauan desk."
    ]
    assert Meeting.objects.count() == before
    # The same row for a Majene meeting is accepted.
    response = client.post(reverse("admin:meetings_meeting_add"), {**data, "region": "76.05"})
    assert response.status_code == 302, _errors(response)
    added = Meeting.objects.get(region_id="76.05")
    assert added.invitations.get().agency == majene
    # Saved with its reminder time, as the services save a meeting.
    assert added.remind_at == meeting_services.remind_at_for(added.region, added.starts_at)


def test_every_add_page_saves_or_refuses_and_never_fails(client, worlds, sulbar_admin):
    """The add page of every admin the administrator may add to, posted a
    copy of an object in reach (its inline rows as new rows)."""
    client.force_login(sulbar_admin)
    request = _request(sulbar_admin)
    tried = []
    for model, model_admin in _registered():
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None or not model_admin.has_add_permission(request):
            continue
        _form, data, inlines = _admin_forms(model_admin, request, obj)
        for _inline, formset in inlines:
            data[f"{formset.prefix}-INITIAL_FORMS"] = "0"
            for row in formset.forms:
                data.pop(row.add_prefix(row._meta.model._meta.pk.name), None)
                data.pop(row.add_prefix(formset.fk.name), None)
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        response = client.post(url, data)
        assert response.status_code in (200, 302), model._meta.label
        tried.append(model._meta.label)
    assert "meetings.Meeting" in tried
