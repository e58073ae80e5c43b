"""The small endpoints behind the API-name fields: a live check of the rules,
a name suggested from the label, and a unique suffix. They answer a partial
and never call Salesforce."""

import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from salesforce.access import admin_required
from setup_wizard import naming

FIELD_NAME = re.compile(r"(?:(?:types|add-\d+)-(?:\d+-)?)?api_name")
TEMPLATE = "setup_wizard/api_name_field.html"


def field_context(name: str, value: str, suggested: str, show_hint: bool) -> dict:
    """What the API-name field partial needs to draw one field."""
    return {
        "name": name,
        "id": "id_%s" % name,
        "label_id": "id_%slabel" % name.removesuffix("api_name"),
        "value": value,
        "suggested": suggested,
        "problem": naming.api_name_problem(value) if value else None,
        "show_hint": show_hint and bool(value),
    }


def _field_name(request: HttpRequest) -> str | None:
    name = request.GET.get("field", "")
    return name if FIELD_NAME.fullmatch(name) else None


@admin_required
@require_GET
def api_name_check(request: HttpRequest) -> HttpResponse:
    name = _field_name(request)
    if name is None:
        return HttpResponseBadRequest("Unknown field.")
    ctx = field_context(name, request.GET.get(name, "").strip(), "", True)
    return render(request, TEMPLATE + "#hint", ctx)


@admin_required
@require_GET
def api_name_suggest(request: HttpRequest) -> HttpResponse:
    """The field again, following the label unless the admin changed the name."""
    name = _field_name(request)
    if name is None:
        return HttpResponseBadRequest("Unknown field.")
    label_name = name.removesuffix("api_name") + "label"
    current = request.GET.get(name, "").strip()
    suggested = request.GET.get(name + "_suggested", "")
    if not current or current == suggested:
        current = suggested = naming.suggest(request.GET.get(label_name, ""))
    ctx = field_context(name, current, suggested, True)
    return render(request, TEMPLATE + "#field", ctx)


@admin_required
@require_GET
def api_name_suffix(request: HttpRequest) -> HttpResponse:
    name = _field_name(request)
    if name is None:
        return HttpResponseBadRequest("Unknown field.")
    label_name = name.removesuffix("api_name") + "label"
    base = request.GET.get(name, "").strip() or naming.suggest(
        request.GET.get(label_name, "")
    )
    value = naming.with_unique_suffix(base)
    ctx = field_context(name, value, request.GET.get(name + "_suggested", ""), True)
    return render(request, TEMPLATE + "#field", ctx)
