"""Settings pages for the current org, and switching between orgs."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from salesforce.access import member_required, org_objects, switch_org
from salesforce.models import Connection


@member_required
def org_settings(request: HttpRequest) -> HttpResponse:
    connections = org_objects(request, Connection).order_by("sf_username")
    ctx = {"org": request.org, "connections": connections}
    return render(request, "salesforce/settings.html", ctx)


@member_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    org_id = request.POST.get("org", "")
    if not org_id.isdigit() or not switch_org(request, int(org_id)):
        messages.error(request, "You do not belong to that org.")
    return redirect("home")
