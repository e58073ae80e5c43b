"""Pages of the setup wizard."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from salesforce.access import member_required


@member_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "setup_wizard/overview.html", {"org": request.org})
