"""The setup wizard's pages: the Setup landing page, the five steps and the
live progress of a run. Views record choices and queue tasks; the tasks
talk to Salesforce."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from salesforce.access import admin_required, member_required
from salesforce.models import BusinessUnit
from setup_wizard import naming, selectors, services
from setup_wizard.forms import ActivityTypeFormSet, BusinessUnitsForm, ExtensionForm
from setup_wizard.models import Check, SetupRun
from setup_wizard.views.common import (
    get_check_or_404,
    get_run_or_404,
    not_a_draft,
    partial_or_page,
    polling_status,
    run_url,
    wizard_steps,
)
from setup_wizard.wording import CHANGE_STALLED

Step = SetupRun.Step
# Marks the extension page loaded right after Save and continue.
JUST_SAVED = "saved"


@member_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    org = request.org
    finished = SetupRun.objects.filter(
        org=org, kind=SetupRun.Kind.WIZARD, status=SetupRun.Status.SUCCEEDED
    )
    run = selectors.open_wizard_run(org)
    ctx = {
        "org": org,
        "run": run,
        "last_success": finished.first(),
        "health": selectors.setup_health(org, run),
        "extension_count": org.extensions.count(),
    }
    return render(request, "setup_wizard/overview.html", ctx)


@admin_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    run = services.run_open(org=request.org, actor=request.user)
    return redirect(run_url(run))


@admin_required
@require_GET
def resume(request: HttpRequest, run_id: int) -> HttpResponse:
    return redirect(run_url(get_run_or_404(request, run_id)))


# Step 1: the connection


@admin_required
def connect(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response

    if request.method == "POST":
        if request.POST.get("action") == "continue" and selectors.preflight_passed(run):
            services.run_reach_step(run=run, step=Step.EXTENSION)
            return redirect("setup_wizard:extension", run.pk)
        services.check_start(
            org=run.org, kind=Check.Kind.PREFLIGHT, actor=request.user, run=run
        )
        return redirect("setup_wizard:connect", run.pk)

    ctx = {
        "run": run,
        "steps": wizard_steps(run, Step.CONNECT),
        "check": selectors.latest_check(run.org, Check.Kind.PREFLIGHT, run),
    }
    return render(request, "setup_wizard/connect.html", ctx)


# Step 2: the extension


def _extension_context(request: HttpRequest, run: SetupRun, form) -> dict:
    state, lookup = selectors.extension_state(run)
    return {
        "run": run,
        "steps": wizard_steps(run, Step.EXTENSION),
        "form": form,
        "state": state,
        "lookup": lookup,
        "existing": selectors.latest_check(run.org, Check.Kind.EXTENSION_LIST, run),
        "suggested": naming.suggest(form["label"].value() or ""),
    }


@admin_required
def extension(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response

    if request.method == "POST":
        data = request.POST.copy()
        if "suffix" in data:
            base = data.get("api_name") or naming.suggest(data.get("label", ""))
            data["api_name"] = naming.with_unique_suffix(base)
            form = ExtensionForm(data)
            return render(
                request,
                "setup_wizard/extension.html",
                _extension_context(request, run, form),
            )
        form = ExtensionForm(data)
        if form.is_valid():
            services.run_save_extension(run=run, **form.cleaned_data)
            state, _ = selectors.extension_state(run)
            if state in ("known", "adopting"):
                return redirect("setup_wizard:types", run.pk)
            page = reverse("setup_wizard:extension", args=[run.pk])
            return redirect(page + "?" + urlencode({JUST_SAVED: "1"}))
    else:
        form = ExtensionForm(
            initial={
                "label": run.extension_label,
                "api_name": run.extension_api_name,
                "description": run.extension_description,
            }
        )

    ctx = _extension_context(request, run, form)
    # The look-up may have found the name free before this page loads: right
    # after Save and continue that goes on to step 3, as the polling page
    # would. The page's own reading decides, so the two cannot disagree.
    lookup = ctx["lookup"]
    just_saved = request.method == "GET" and request.GET.get(JUST_SAVED)
    if just_saved and lookup and _moves_on(lookup, ctx["state"]):
        return redirect("setup_wizard:types", run.pk)
    return render(request, "setup_wizard/extension.html", ctx)


@admin_required
@require_POST
def extension_find_existing(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    services.check_start(
        org=run.org, kind=Check.Kind.EXTENSION_LIST, actor=request.user, run=run
    )
    return redirect(reverse("setup_wizard:extension", args=[run.pk]) + "#existing")


def _found_extension(check: Check, sf_id: str) -> dict | None:
    if check.kind == Check.Kind.EXTENSION_LOOKUP:
        entries = [check.result.get("extension") or {}]
    else:
        entries = check.result.get("extensions", [])
    return next((e for e in entries if e.get("sf_id") == sf_id), None)


@admin_required
@require_POST
def extension_adopt(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    check_id = request.POST.get("check", "")
    check = get_check_or_404(request, int(check_id)) if check_id.isdigit() else None
    entry = check and _found_extension(check, request.POST.get("sf_id", ""))
    if entry is None:
        raise Http404("No such extension in that check.")

    services.run_adopt(run=run, entry=entry)
    messages.success(
        request,
        "The console will use the existing extension %s, with its activity types "
        "and business units." % entry["api_name"],
    )
    return redirect("setup_wizard:types", run.pk)


@admin_required
@require_POST
def extension_create_new(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    services.run_forget_adoption(run=run)
    return redirect("setup_wizard:extension", run.pk)


# Step 3: activity types


def _edited_rows(request: HttpRequest, formset) -> list[dict] | None:
    """The rows after an add, remove or suffix button; None for a save."""
    rows = formset.rows()
    if "add" in request.POST:
        return [*rows, {"label": "", "api_name": "", "description": ""}]
    removed = request.POST.get("remove", "")
    if removed.isdigit():
        return [row for index, row in enumerate(rows) if index != int(removed)]
    field = request.POST.get("suffix", "")
    for index, row in enumerate(rows):
        if field == "types-%s-api_name" % index:
            base = row["api_name"] or naming.suggest(row["label"])
            row["api_name"] = naming.with_unique_suffix(base)
            return rows
    return None


@admin_required
def activity_types(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    if not run.extension_api_name:
        return redirect("setup_wizard:extension", run.pk)
    existing = [t for t in run.activity_types if t.get("sf_id")]
    names = tuple(t["api_name"] for t in existing)

    if request.method == "POST":
        posted = ActivityTypeFormSet(request.POST, prefix="types")
        rows = _edited_rows(request, posted)
        if rows is not None:
            formset = ActivityTypeFormSet(
                initial=rows, prefix="types", existing_names=names
            )
        else:
            data = ActivityTypeFormSet.without_blank_rows(request.POST)
            formset = ActivityTypeFormSet(data, prefix="types", existing_names=names)
            if formset.is_valid():
                new_types = [f.cleaned_data for f in formset.forms]
                services.run_save_types(run=run, new_types=new_types)
                return redirect("setup_wizard:business_units", run.pk)
    else:
        new = [t for t in run.activity_types if not t.get("sf_id")]
        if not new and not existing:
            new = [{"label": "", "api_name": "", "description": ""}]
        formset = ActivityTypeFormSet(initial=new, prefix="types", existing_names=names)

    for form in formset:
        form.suggested = naming.suggest(form["label"].value() or "")
    ctx = {
        "run": run,
        "steps": wizard_steps(run, Step.TYPES),
        "existing": existing,
        "formset": formset,
    }
    return render(request, "setup_wizard/types.html", ctx)


# Step 4: business units


@admin_required
def business_units(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    if not run.activity_types:
        return redirect("setup_wizard:types", run.pk)
    units = list(BusinessUnit.objects.filter(org=run.org))

    if request.method == "POST":
        form = BusinessUnitsForm(request.POST, units=units)
        if form.is_valid():
            unit_ids = form.cleaned_data["business_units"]
            services.run_save_business_units(run=run, unit_ids=unit_ids)
            return redirect("setup_wizard:review", run.pk)
    else:
        chosen = run.business_unit_ids or [u.sf_id for u in units if len(units) == 1]
        form = BusinessUnitsForm(initial={"business_units": chosen}, units=units)

    ctx = {
        "run": run,
        "steps": wizard_steps(run, Step.BUSINESS_UNITS),
        "form": form,
        "units": units,
        "existing": set(run.existing_assignments),
    }
    return render(request, "setup_wizard/business_units.html", ctx)


# Step 5: review and activate


def _blockers(run: SetupRun) -> list[tuple[str, str]]:
    """What must be fixed before the run can start: (sentence, step)."""
    found = []
    if not selectors.preflight_passed(run):
        found.append(("The connection checks have not passed.", Step.CONNECT))
    state, _ = selectors.extension_state(run)
    if state == "empty":
        found.append(("Name the extension.", Step.EXTENSION))
    elif state == "taken":
        found.append(
            (
                "An extension with the API name %s already exists in Salesforce: "
                "adopt it or choose another name." % run.extension_api_name,
                Step.EXTENSION,
            )
        )
    elif state == "checking":
        found.append(
            ("Salesforce is still being checked for the API name.", Step.EXTENSION)
        )
    if not run.activity_types:
        found.append(("Add at least one activity type.", Step.TYPES))
    if not run.business_unit_ids:
        found.append(("Pick at least one business unit.", Step.BUSINESS_UNITS))
    return found


@admin_required
def review(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if response := not_a_draft(run):
        return response
    blockers = _blockers(run)

    if request.method == "POST" and not blockers:
        activate = request.POST.get("activate") != "later"
        services.run_start(run=run, actor=request.user, activate=activate)
        return redirect("setup_wizard:progress", run.pk)

    plan = selectors.run_plan(run, activate=True)
    ctx = {
        "run": run,
        "steps": wizard_steps(run, Step.REVIEW),
        "blockers": [
            (sentence, reverse("setup_wizard:%s" % step, args=[run.pk]))
            for sentence, step in blockers
        ],
        "plan": plan,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "setup_wizard/review.html", ctx, status=status)


# Progress


@member_required
@require_GET
def progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if run.is_draft and request.membership.is_admin and not request.htmx:
        return redirect(run_url(run))

    # Read once per poll: the list, the count and stalled-ness all come from it.
    records = list(run.records.all())
    stalled = selectors.run_is_stalled(run, services.STALLED_AFTER, records)
    ctx = {
        "run": run,
        "records": records,
        "progress": selectors.run_progress(records),
        "stalled": stalled,
        "stalled_sentence": CHANGE_STALLED,
    }
    template = partial_or_page(request, "setup_wizard/progress.html", "progress")
    # A stalled run is not waited for: its Retry button is shown instead.
    final = run.status != SetupRun.Status.RUNNING or stalled
    return render(request, template, ctx, status=polling_status(request, final))


@admin_required
@require_POST
def retry(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if not services.run_retry(run=run, actor=request.user):
        messages.info(request, "Nothing to retry: the run is not stopped.")
    return redirect("setup_wizard:progress", run.pk)


@admin_required
@require_POST
def edit(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    step = services.run_edit(run=run)
    if step is None:
        return redirect(run_url(run))
    return redirect("setup_wizard:%s" % step, run.pk)


@admin_required
@require_POST
def discard(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_or_404(request, run_id)
    if services.run_abandon(run=run, actor=request.user):
        messages.info(
            request,
            "The setup was discarded. Anything already done in Salesforce stays "
            "there and on the Extensions page.",
        )
    return redirect("setup_wizard:overview")


# Checks, polled by the pages


CHECK_PARTIALS = {
    Check.Kind.PREFLIGHT: "setup_wizard/connect.html#checks",
    Check.Kind.EXTENSION_LOOKUP: "setup_wizard/extension.html#lookup",
    Check.Kind.EXTENSION_LIST: "setup_wizard/extension.html#existing",
    Check.Kind.DRIFT: "setup_wizard/verify.html#drift",
}


@member_required
@require_GET
def check_status(request: HttpRequest, check_id: int) -> HttpResponse:
    check = get_check_or_404(request, check_id)
    if not request.htmx:
        return redirect(_check_page(check))

    ctx = {"check": check, "run": check.run, "lookup": check, "existing": check}
    settled = check.is_settled
    if check.kind == Check.Kind.EXTENSION_LOOKUP and check.run:
        # The run's current look-up, read once for both the state and the
        # partial: the name may have changed since this one was polled.
        ctx["state"], ctx["lookup"] = selectors.extension_state(check.run)
        settled = ctx["lookup"] is None or ctx["lookup"].is_settled
    response = render(
        request,
        CHECK_PARTIALS[check.kind],
        ctx,
        status=polling_status(request, settled),
    )
    lookup = ctx["lookup"]
    if lookup is not None and _moves_on(lookup, ctx.get("state")):
        response["HX-Redirect"] = reverse("setup_wizard:types", args=[check.run.pk])
    return response


def _moves_on(check: Check, state: str | None) -> bool:
    """A name found free right after Save and continue goes on to step 3."""
    return (
        check.kind == Check.Kind.EXTENSION_LOOKUP
        and state == "free"
        and check.run is not None
        and check.run.is_draft
    )


def _check_page(check: Check) -> str:
    if check.kind == Check.Kind.DRIFT or check.run is None:
        return reverse("setup_wizard:verify")
    if check.kind == Check.Kind.PREFLIGHT:
        return reverse("setup_wizard:connect", args=[check.run.pk])
    return reverse("setup_wizard:extension", args=[check.run.pk])
