"""The submission history."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from salesforce.access import member_required


@member_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "activity/history.html", {"org": request.org})
