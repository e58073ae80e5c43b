"""The Extensions page: the org's extensions, their activity types and
business units as a matrix, and the changes Salesforce allows after setup.
Every change is a one-row run whose progress the page polls."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from salesforce.access import admin_required, get_for_org_or_404, member_required
from salesforce.models import ActivityType, Assignment, Extension
from setup_wizard import naming, selectors, services
from setup_wizard.forms import AddActivityTypeForm, AssignForm
from setup_wizard.views.common import partial_or_page, polling_status
from setup_wizard.wording import CHANGE_STALLED

TEMPLATE = "setup_wizard/extensions.html"
ALREADY_PENDING = "A change to %s is already on its way; wait for it to finish."


def _render(request: HttpRequest, bound: dict | None = None, status: int = 200):
    # Polled every second while a change is on its way: each thing is read
    # once, whatever the number of extensions.
    stalled = selectors.stalled_changes(request.org, services.STALLED_AFTER)
    changes = list(selectors.pending_changes(request.org))
    units, rows = selectors.extension_matrix(request.org, stalled, changes)
    bound = bound or {}
    for row in rows:
        pk = row.extension.pk
        row.add_form = bound.get(("add", pk)) or AddActivityTypeForm(
            extension=row.extension, prefix="add-%s" % pk
        )
        row.assign_form = bound.get(("assign", pk)) or AssignForm(
            extension=row.extension,
            prefix="assign-%s" % pk,
            free_units=[unit for unit, assignment, _ in row.cells if not assignment],
        )
    # A stalled change is not waited for: its Retry button is shown instead.
    pending = any(change.run_id not in stalled for change in changes)
    ctx = {
        "org": request.org,
        "units": units,
        "rows": rows,
        "pending": pending,
        "recent": selectors.recent_changes(request.org),
        "stalled": stalled,
        "stalled_sentence": CHANGE_STALLED,
    }
    template = partial_or_page(request, TEMPLATE, "matrix")
    if request.htmx and status == 200:
        status = polling_status(request, not pending)
    return render(request, template, ctx, status=status)


def _after_change(request: HttpRequest, run, name: str) -> HttpResponse:
    if run is None:
        messages.info(request, ALREADY_PENDING % name)
    if request.htmx:
        return _render(request)
    return redirect("setup_wizard:extensions")


def _wants_active(request: HttpRequest) -> bool:
    return request.POST.get("active") == "on"


@member_required
@require_GET
def extensions(request: HttpRequest) -> HttpResponse:
    return _render(request)


@admin_required
@require_POST
def extension_active(request: HttpRequest, extension_id: int) -> HttpResponse:
    extension = get_for_org_or_404(request, Extension, pk=extension_id)
    run = services.extension_set_active(
        extension=extension, active=_wants_active(request), actor=request.user
    )
    return _after_change(request, run, extension.label)


@admin_required
@require_POST
def activity_type_active(request: HttpRequest, type_id: int) -> HttpResponse:
    activity_type = get_for_org_or_404(request, ActivityType, pk=type_id)
    run = services.activity_type_set_active(
        activity_type=activity_type,
        active=_wants_active(request),
        actor=request.user,
    )
    return _after_change(request, run, activity_type.label)


@admin_required
@require_POST
def activity_type_add(request: HttpRequest, extension_id: int) -> HttpResponse:
    extension = get_for_org_or_404(request, Extension, pk=extension_id)
    prefix = "add-%s" % extension.pk
    data = request.POST.copy()
    if "suffix" in data:
        field = "%s-api_name" % prefix
        base = data.get(field) or naming.suggest(data.get("%s-label" % prefix, ""))
        data[field] = naming.with_unique_suffix(base)
        form = AddActivityTypeForm(data, extension=extension, prefix=prefix)
        return _render(request, {("add", extension.pk): form})
    form = AddActivityTypeForm(data, extension=extension, prefix=prefix)
    if not form.is_valid():
        return _render(request, {("add", extension.pk): form}, status=400)

    run = services.activity_type_add(
        extension=extension,
        label=form.cleaned_data["label"],
        api_name=form.cleaned_data["api_name"],
        description=form.cleaned_data["description"],
        activate=form.cleaned_data["activate"],
        actor=request.user,
    )
    return _after_change(request, run, form.cleaned_data["label"])


@admin_required
@require_POST
def assignment_add(request: HttpRequest, extension_id: int) -> HttpResponse:
    extension = get_for_org_or_404(request, Extension, pk=extension_id)
    form = AssignForm(
        request.POST, extension=extension, prefix="assign-%s" % extension.pk
    )
    if not form.is_valid():
        return _render(request, {("assign", extension.pk): form}, status=400)

    unit = form.cleaned_data["business_unit"]
    run = services.assignment_add(
        extension=extension, business_unit=unit, actor=request.user
    )
    return _after_change(request, run, unit.name)


@admin_required
@require_POST
def assignment_remove(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_for_org_or_404(request, Assignment, pk=assignment_id)
    run = services.assignment_remove(assignment=assignment, actor=request.user)
    return _after_change(request, run, str(assignment))
