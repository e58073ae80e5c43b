"""Verify (drift between Salesforce and the console) and the audit trail."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from salesforce.access import admin_required, member_required, org_objects
from salesforce.models import AuditEvent
from setup_wizard import selectors, services
from setup_wizard.models import Check
from setup_wizard.views.common import get_check_or_404

AUDIT_PAGE_SIZE = 50


@member_required
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    ctx = {
        "org": request.org,
        "check": selectors.latest_check(request.org, Check.Kind.DRIFT),
    }
    return render(request, "setup_wizard/verify.html", ctx)


@admin_required
@require_POST
def verify_start(request: HttpRequest) -> HttpResponse:
    services.check_start(org=request.org, kind=Check.Kind.DRIFT, actor=request.user)
    return redirect("setup_wizard:verify")


@admin_required
@require_POST
def verify_resolve(request: HttpRequest, check_id: int) -> HttpResponse:
    check = get_check_or_404(request, check_id)
    applied = services.drift_resolve(check=check, actor=request.user)
    if applied is None:
        messages.info(request, "These differences were already dealt with.")
    else:
        messages.success(
            request,
            "The console now matches Salesforce (%s change%s)."
            % (applied, "" if applied == 1 else "s"),
        )
    return redirect("setup_wizard:verify")


@admin_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    events = org_objects(request, AuditEvent).select_related("actor").order_by("-id")
    if not show_all:
        events = events.filter(action__startswith="setup.")
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(pk__lt=int(before))
    page = list(events[: AUDIT_PAGE_SIZE + 1])

    ctx = {
        "org": request.org,
        "events": page[:AUDIT_PAGE_SIZE],
        "next_before": page[AUDIT_PAGE_SIZE - 1].pk
        if len(page) > AUDIT_PAGE_SIZE
        else None,
        "show_all": show_all,
    }
    return render(request, "setup_wizard/audit.html", ctx)
