"""Thin views: a scoped fetch, one service or selector call, a response."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from desk.exports import csv_response, spreadsheet_view, xlsx_response
from desk.models import Region
from desk.scope import get_in_scope_or_404
from logistics import counts, selectors, services
from logistics.forms import CountsForm, CountsImportForm, ImportForm, ProblemForm, ProblemStatusForm
from logistics.models import Delivery, DeliveryEvent, ImportJob, Item, Problem, Stage, Village
from logistics.selectors import edit_scope, view_scope
from meetings.links import decisions_about


def _region_or_404(user, code: str, *, edit: bool = False) -> Region:
    scope = edit_scope(user) if edit else view_scope(user)
    if not scope.contains(code):
        raise Http404
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None


@login_required
def index(request):
    scope = view_scope(request.user)
    if scope.is_empty:
        raise Http404
    if scope.nationwide:
        return redirect("logistics:national")
    if len(scope.codes) == 1:
        return redirect("logistics:area", scope.codes[0])
    return redirect("logistics:national")


@login_required
def national(request):
    scope = view_scope(request.user)
    if scope.is_empty:
        raise Http404
    context = selectors.dashboard(scope=scope, region=None)
    context["can_edit"] = not edit_scope(request.user).is_empty
    context["nationwide"] = scope.nationwide
    return render(request, "logistics/dashboard.html", context)


@login_required
def area(request, code):
    region = _region_or_404(request.user, code)
    scope = view_scope(request.user)
    if region.level == Region.Level.VILLAGE:
        context = selectors.village_page(region=region)
        template = "logistics/village.html"
    else:
        context = selectors.dashboard(scope=scope, region=region)
        template = "logistics/dashboard.html"
    context["can_edit"] = edit_scope(request.user).contains(code)
    context["nationwide"] = scope.nationwide
    # Only the areas above this one that the user may open.
    context["breadcrumbs"] = [r for r in list(region.ancestors())[:-1] if scope.contains(r.code)]
    return render(request, template, context)


EXPORT_HEADER = ["kode", "nama", "jumlah_desa", "desa_lengkap", "persen", "masalah_terbuka"]


@spreadsheet_view
@login_required
def export(request, code=None, fmt="csv"):
    scope = view_scope(request.user)
    if scope.is_empty:
        raise Http404
    if fmt not in ("csv", "xlsx"):
        raise Http404
    region = _region_or_404(request.user, code) if code else None
    if region is not None and region.level == Region.Level.VILLAGE:
        return _village_export(region, fmt)
    data = selectors.dashboard(scope=scope, region=region)
    rows = [
        [c.code, c.name, c.desa_count, c.desa_complete, c.percent, c.open_problems]
        for c in data["children"]
    ]
    items = [
        [
            i["item"].code,
            i["item"].name,
            i["required"],
            i["sent"],
            i["received"],
            i["damaged"],
            i["desa_complete"],
        ]
        for i in data["items"]
    ]
    item_header = ["barang", "nama", "kebutuhan", "dikirim", "diterima", "rusak", "desa_lengkap"]
    name = f"logistik-{code or 'nasional'}"
    if fmt == "xlsx":
        return xlsx_response(
            f"{name}.xlsx", ("wilayah", EXPORT_HEADER, rows), ("barang", item_header, items)
        )
    return csv_response(f"{name}.csv", (EXPORT_HEADER, rows), (item_header, items), delimiter=";")


# The import's own columns first, in its words (an export can be corrected
# and imported again), then what the desa page shows besides. Column names and
# values are the same in every UI language, like the import's.
VILLAGE_HEADER = [
    *services.COLUMNS,
    "nama",
    "kebutuhan",
    "lengkap",
    "diperbarui",
]


def _village_export(region: Region, fmt: str):
    """One desa: its items, stage and quantities."""
    data = selectors.village_page(region=region)
    rows = [
        [
            region.code,
            d.item.code,
            services.STAGE_WORD[d.stage],
            d.sent,
            d.received,
            d.damaged,
            d.item.name,
            d.required,
            "ya" if d.complete else "tidak",
            d.updated_at.isoformat() if d.updated_at else "",
        ]
        for d in data["deliveries"]
    ]
    name = f"logistik-{region.code}"
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", ("barang", VILLAGE_HEADER, rows))
    return csv_response(f"{name}.csv", (VILLAGE_HEADER, rows), delimiter=";")


FIELDS = ("stage", "sent", "received", "damaged")


def _state(delivery: Delivery) -> str:
    """What a form row showed when the page was opened (its hidden ``-was``)."""
    return ",".join(str(getattr(delivery, name)) for name in FIELDS)


def _typed_int(value: str) -> int | str:
    """A typed quantity as a number to show again, else as typed ("²" is a
    digit to ``str.isdigit`` but not to ``int``)."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdecimal() else value


def _form_rows(request, deliveries: list[Delivery], label) -> tuple[list, list, list[str]]:
    """The rows of a desa or kecamatan form the user changed, their labels,
    and conflicts: rows someone else changed since the page was opened (the
    form would silently undo their change). Unchanged rows are not sent, so
    they cannot overwrite anything. Typed values are kept on the deliveries
    for the re-rendered form."""
    post = request.POST
    rows, labels, conflicts = [], [], []
    for d in deliveries:
        key = f"{d.village_id}-{d.item.code}"
        if f"{key}-stage" not in post:
            continue
        typed = [post.get(f"{key}-{name}", "") for name in FIELDS]
        reason = post.get(f"{key}-reason", "")
        was = post.get(f"{key}-was", _state(d))
        shown = ",".join(v.strip() for v in typed)
        # Untouched, or already saved as typed (a second click on Simpan).
        if shown in (was, _state(d)) and not reason.strip():
            continue
        if was != _state(d):
            conflicts.append(
                _("%(what)s diubah orang lain sejak halaman ini dibuka; periksa lalu simpan lagi.")
                % {"what": label(d)}
            )
        rows.append((len(rows) + 1, d.village_id, d.item.code, *typed, reason))
        labels.append(label(d))
        d.was = _state(d)
        d.reason = reason
        for name, value in zip(FIELDS, typed, strict=True):
            setattr(d, name, _typed_int(value))
    return rows, labels, conflicts


def _apply_form(request, deliveries: list[Delivery], label) -> bool:
    """Save the changed rows of a form, all or none; messages say what happened."""
    rows, labels, conflicts = _form_rows(request, deliveries, label)
    for conflict in conflicts:
        messages.error(request, conflict)
    if conflicts:
        return False
    if not rows:
        messages.info(request, _("Tidak ada yang berubah."))
        return True
    try:
        services.deliveries_update(
            rows,
            user=request.user,
            scope=edit_scope(request.user),
            source=DeliveryEvent.Source.FORM,
        )
    except services.RowsRejected as exc:
        for err in exc.rows:
            messages.error(request, f"{labels[err.line - 1]}: {err.message}")
        return False
    messages.success(request, _("Distribusi disimpan (%(n)s baris berubah).") % {"n": len(rows)})
    return True


@login_required
def village_edit(request, code):
    region = _region_or_404(request.user, code, edit=True)
    if region.level != Region.Level.VILLAGE:
        raise Http404
    village = Village.objects.filter(pk=code).first()
    initial = (
        {"tps": village.tps, "dpt_governor": village.dpt_governor, "dpt_local": village.dpt_local}
        if village
        else None
    )
    counts = CountsForm(request.POST if "tps" in request.POST else None, initial=initial, code=code)
    deliveries = list(
        Delivery.objects.filter(village_id=code).select_related("item").order_by("item__order")
    )
    for d in deliveries:
        d.was = _state(d)
    if request.method == "POST":
        if "tps" in request.POST:
            if counts.is_valid():
                d = counts.cleaned_data
                services.villages_set_counts(
                    {code: (d["tps"], d["dpt_governor"], d["dpt_local"])},
                    user=request.user,
                    source=DeliveryEvent.Source.FORM,
                )
                messages.success(request, _("Jumlah TPS dan DPT disimpan."))
                return redirect("logistics:village_edit", code)
        elif _apply_form(request, deliveries, lambda d: d.item.label):
            return redirect("logistics:area", code)
    return render(
        request,
        "logistics/village_edit.html",
        {"region": region, "counts": counts, "deliveries": deliveries, "stages": Stage.choices},
    )


@login_required
def district_edit(request, code):
    region = _region_or_404(request.user, code, edit=True)
    if region.level != Region.Level.DISTRICT:
        raise Http404
    items = list(Item.objects.filter(is_active=True))
    item = next((i for i in items if i.code == request.GET.get("item")), items[0])
    deliveries = list(
        Delivery.objects.filter(village__district_id=code, item=item)
        .select_related("village__region", "item")
        .order_by("village_id")
    )
    for d in deliveries:
        d.was = _state(d)
    if request.method == "POST" and _apply_form(
        request, deliveries, lambda d: d.village.region.name
    ):
        return redirect("logistics:area", code)
    return render(
        request,
        "logistics/district_edit.html",
        {
            "region": region,
            "items": items,
            "item": item,
            "deliveries": deliveries,
            "stages": Stage.choices,
        },
    )


@login_required
def import_new(request):
    if edit_scope(request.user).is_empty:
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_create(user=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect(job)
    jobs = ImportJob.objects.filter(created_by=request.user)[:10]
    return render(request, "logistics/import.html", {"form": form, "jobs": jobs})


@login_required
def import_counts(request):
    """TPS and DPT of many desa from a CSV/XLSX (a kabupaten's or a
    province's list from KPU), all or nothing, every bad row listed."""
    scope = edit_scope(request.user)
    if scope.is_empty:
        raise Http404
    form = CountsImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = counts.read(upload.read(), upload.name)
            written = counts.update(
                rows, user=request.user, scope=scope, source=DeliveryEvent.Source.IMPORT
            )
        except services.RowsRejected as exc:
            errors = exc.rows[: services.MAX_LISTED_ERRORS]
            messages.error(
                request,
                _("%(n)s baris salah; tidak ada yang disimpan.") % {"n": len(exc.rows)},
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("TPS dan DPT %(n)s desa disimpan.") % {"n": written})
            return redirect("logistics:import_counts")
    return render(
        request,
        "logistics/import_counts.html",
        {"form": form, "errors": errors},
        status=400 if (errors or form.errors) else 200,
    )


@login_required
def import_detail(request, pk):
    try:
        job = ImportJob.objects.get(pk=pk, created_by=request.user)
    except ImportJob.DoesNotExist:
        raise Http404 from None
    return render(request, "logistics/import_detail.html", {"job": job})


@login_required
def problem_list(request):
    scope = view_scope(request.user)
    if scope.is_empty:
        raise Http404
    problems = scope.filter(Problem.objects.select_related("region", "item"))
    status = request.GET.get("status", "open")
    if status == "open":
        problems = problems.exclude(status=Problem.Status.RESOLVED)
    within = request.GET.get("area", "").strip()
    if within:
        problems = problems.filter(region__code__startswith=within)
    return render(
        request,
        "logistics/problem_list.html",
        {"problems": problems[:200], "status": status, "area": within},
    )


@login_required
def problem_new(request, code):
    region = _region_or_404(request.user, code, edit=True)
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        problem = services.problem_report(
            user=request.user,
            region=region,
            kind=d["kind"],
            item=d["item"],
            quantity=d["quantity"],
            description=d["description"],
        )
        messages.success(request, _("Masalah dicatat."))
        return redirect(problem)
    return render(
        request,
        "form.html",
        {"form": form, "title": _("Laporkan masalah: %(name)s") % {"name": region.name}},
    )


def _labelled(events):
    """Problem events with their statuses in words."""
    labels = dict(Problem.Status.choices)
    events = list(events)
    for event in events:
        event.before_label = labels.get(event.status_before, "—")
        event.after_label = labels.get(event.status_after, event.status_after)
    return events


@login_required
def problem_detail(request, pk):
    problem = get_in_scope_or_404(
        Problem.objects.select_related("region", "item", "reported_by"),
        request.user,
        roles=selectors.VIEW_ROLES,
        pk=pk,
    )
    can_edit = edit_scope(request.user).contains(problem.region_id)
    form = ProblemStatusForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.problem_set_status(
                    problem=problem,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for msg in exc.messages:
                    form.add_error(None, msg)
            else:
                messages.success(request, _("Status masalah diperbarui."))
                return redirect(problem)
    return render(
        request,
        "logistics/problem_detail.html",
        {
            "problem": problem,
            "events": _labelled(problem.events.select_related("user")),
            "form": form,
            "can_edit": can_edit,
            "related_decisions": decisions_about(request.user, problem=problem, handler=can_edit),
        },
    )
