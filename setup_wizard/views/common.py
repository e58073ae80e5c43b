"""Helpers the setup pages share."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HTMX_STOP_POLLING

from salesforce.access import get_for_org_or_404
from setup_wizard.models import Check, SetupRun


def get_run_or_404(request: HttpRequest, run_id: int) -> SetupRun:
    return get_for_org_or_404(request, SetupRun, pk=run_id)


def get_check_or_404(request: HttpRequest, check_id: int) -> Check:
    return get_for_org_or_404(request, Check, pk=check_id)


def run_url(run: SetupRun) -> str:
    """Where a run continues: its current step while a draft, else its progress."""
    if run.is_draft:
        return reverse("setup_wizard:%s" % run.step, args=[run.pk])
    return reverse("setup_wizard:progress", args=[run.pk])


def not_a_draft(run: SetupRun) -> HttpResponse | None:
    """A redirect to the progress page when the run's choices are settled."""
    if run.is_draft:
        return None
    return redirect("setup_wizard:progress", run.pk)


def partial_or_page(request: HttpRequest, template: str, partial: str) -> str:
    return "%s#%s" % (template, partial) if request.htmx else template


def polling_status(request: HttpRequest, final: bool) -> int:
    return HTMX_STOP_POLLING if request.htmx and final else 200


def wizard_steps(run: SetupRun, current: str) -> list[dict]:
    """The step list at the top of every wizard page."""
    reached = list(SetupRun.Step.values).index(run.step)
    return [
        {
            "number": index + 1,
            "label": label,
            "url": reverse("setup_wizard:%s" % value, args=[run.pk]),
            "current": value == current,
            "reachable": index <= reached and run.is_draft,
            "done": index < reached,
        }
        for index, (value, label) in enumerate(SetupRun.Step.choices)
    ]
