"""Submissions: the history, one submission's story, the test-submit form,
the export, and the admin's retry and resend.

Views never call Salesforce: they write rows and queue tasks. Every query is
scoped to the member's current org through ``salesforce.access``.
"""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from activity.filters import SubmissionFilter
from activity.forms import TestSubmissionForm
from activity.models import Source, Submission
from activity.selectors import email_summary, history_page, submission_history
from activity.services import (
    submission_create,
    submission_force_resend,
    submission_retry,
)
from salesforce.access import (
    admin_required,
    get_for_org_or_404,
    member_required,
    org_objects,
)
from salesforce.models import BusinessUnit

# htmx stops polling an element when its answer has this status.
STOP_POLLING = 286
EXPORT_CHUNK = 2000
EXPORT_LINES_PER_WRITE = 500
EXPORT_COLUMNS = [
    ("id", "id"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("reason", "reason"),
    ("business_unit_id", "business_unit_sf_id"),
    ("business_unit", "business_unit_id"),
    ("extension", "extension_name"),
    ("type", "type_name"),
    ("email", "email"),
    ("value", "value"),
    ("activity_date", "activity_date"),
    ("source", "source"),
    ("sent_by", "sent_by_label"),
    ("attempts", "attempt_count"),
    ("finished_at", "finished_at"),
]
_UNIT_COLUMN = 5
QUEUED_AGAIN = "Submission %s is queued again."
LOOKED_UP = (
    "Submission %s is being looked up in Account Engagement; nothing is sent "
    "again until that settles."
)
# Spreadsheets run cells that start with these as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _get_submission_for_org(request: HttpRequest, pk: int) -> Submission:
    return get_for_org_or_404(request, Submission, pk=pk)


def _filtered_history(request: HttpRequest) -> tuple[SubmissionFilter, QuerySet]:
    """The filters read from the URL, and the rows they select; an invalid
    filter shows its errors and selects nothing, never the whole log."""
    filters = SubmissionFilter(
        request.GET, queryset=submission_history(request.org), request=request
    )
    queryset = filters.qs if filters.is_valid() else filters.queryset.none()
    return filters, queryset


@member_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    filters, queryset = _filtered_history(request)
    page = history_page(
        queryset, before=request.GET.get("before"), after=request.GET.get("after")
    )

    ctx = {"filters": filters, "page": page, "org": request.org}
    if request.htmx:
        return render(
            request,
            "activity/history.html#rows",
            ctx,
            status=200 if page.moving else STOP_POLLING,
        )
    return render(request, "activity/history.html", ctx)


@member_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _get_submission_for_org(request, pk)
    attempts = submission.attempts.all()
    resends = submission.resends.order_by("-created_at")[:20]

    ctx = {"submission": submission, "attempts": attempts, "resends": resends}
    if request.htmx:
        status = 200 if submission.is_moving else STOP_POLLING
        return render(request, "activity/detail.html#story", ctx, status=status)
    return render(request, "activity/detail.html", ctx)


@member_required
@require_GET
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _get_submission_for_org(request, pk)
    last_attempt = submission.attempts.order_by("-number").first()

    ctx = {"submission": submission, "last_attempt": last_attempt}
    status = 200 if submission.is_moving else STOP_POLLING
    return render(request, "activity/detail.html#outcome", ctx, status=status)


@member_required
@require_GET
def email_history(request: HttpRequest) -> HttpResponse:
    email = request.GET.get("email", "").strip().lower()
    summary = email_summary(org=request.org, email=email) if email else None

    ctx = {"email": email, "summary": summary}
    return render(request, "activity/email.html", ctx)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = value if isinstance(value, str) else value.isoformat()
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write hands back the line it was given."""

    def write(self, line: str) -> str:
        return line


def _csv_lines(queryset, unit_names: dict[int, str]) -> Iterator[str]:
    """The CSV, a few hundred lines per piece: the rows are read from the
    database in chunks, so memory stays flat however long the export."""
    writer = csv.writer(_Echo())
    yield writer.writerow([title for title, _ in EXPORT_COLUMNS])
    fields = [name for _, name in EXPORT_COLUMNS]
    rows = queryset.order_by("-created_at", "-id").values_list(*fields)
    lines = []
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        cells = [_csv_cell(value) for value in row]
        cells[_UNIT_COLUMN] = unit_names.get(row[_UNIT_COLUMN], "")
        lines.append(writer.writerow(cells))
        if len(lines) >= EXPORT_LINES_PER_WRITE:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


@member_required
@require_GET
def export(request: HttpRequest) -> StreamingHttpResponse:
    _, queryset = _filtered_history(request)
    units = org_objects(request, BusinessUnit).values_list("pk", "name")

    filename = "submissions-%s.csv" % timezone.now().strftime("%Y%m%d-%H%M%S")
    lines = _csv_lines(queryset.select_related(None), dict(units))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="%s"' % filename
    return response


def _sent_submission(request: HttpRequest) -> Submission | None:
    pk = request.GET.get("sent", "")
    if not pk.isdigit():
        return None
    return _get_submission_for_org(request, int(pk))


def _initial_from(submission: Submission | None) -> dict:
    if submission is None:
        return {}
    return {
        "business_unit": submission.business_unit_id,
        "activity": "%s:%s" % (submission.extension_id, submission.activity_type_id),
    }


@admin_required
def submit(request: HttpRequest) -> HttpResponse:
    sent = None
    if request.method == "POST":
        form = TestSubmissionForm(request.POST, org=request.org)
        if form.is_valid():
            extension, activity_type = form.cleaned_data["activity"]
            try:
                submission = submission_create(
                    org=request.org,
                    business_unit=form.cleaned_data["business_unit"],
                    extension=extension,
                    activity_type=activity_type,
                    email=form.cleaned_data["email"],
                    value=form.cleaned_data["value"],
                    activity_date=form.cleaned_data["activity_date"],
                    source=Source.TEST_FORM,
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(
                    "%s?sent=%s" % (reverse("activity:submit"), submission.pk)
                )
    else:
        sent = _sent_submission(request)
        initial = _initial_from(sent)
        if request.GET.get("business_unit"):
            initial = {"business_unit": request.GET["business_unit"]}
        form = TestSubmissionForm(org=request.org, initial=initial)

    last_attempt = sent.attempts.order_by("-number").first() if sent else None
    ctx = {
        "form": form,
        "sent": sent,
        "last_attempt": last_attempt,
        "options": form.activity_choices(),
    }
    if request.htmx and request.method == "GET" and not sent:
        return render(request, "activity/submit.html#activity-field", ctx)
    return render(request, "activity/submit.html", ctx)


@admin_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _get_submission_for_org(request, pk)

    done = LOOKED_UP if submission.retry_looks_up else QUEUED_AGAIN
    try:
        submission_retry(submission=submission, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % submission.pk)
    return redirect("activity:detail", pk=submission.pk)


@admin_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _get_submission_for_org(request, pk)

    try:
        resent = submission_force_resend(submission=submission, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("activity:detail", pk=submission.pk)
    messages.success(
        request, "Sent again as submission %s, without the duplicate check." % resent.pk
    )
    return redirect("activity:detail", pk=resent.pk)
