"""Reads of the submission log that need some thought.

The history pages with a keyset on (created_at, id): a page costs the same
whether it is the first or the ten-thousandth, and no page counts the whole
table. The cursor is the position of the last row shown, never an offset.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from activity.charts import daily_bars
from activity.models import MOVING, Status, Submission
from salesforce.models import BusinessUnit, Extension, Org

PAGE_SIZE = 50
_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")


def cursor_for(submission: Submission) -> str:
    """The position of a row in the history's order, for a link."""
    delta = submission.created_at - datetime(1970, 1, 1, tzinfo=UTC)
    micros = delta // timedelta(microseconds=1)
    return "%d.%d" % (micros, submission.pk)


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    match = _CURSOR.fullmatch(text or "")
    if match is None:
        return None
    micros, pk = int(match.group(1)), int(match.group(2))
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    except OverflowError:
        return None
    return moment, pk


@dataclass
class HistoryPage:
    rows: list[Submission]
    older: str | None = None
    newer: str | None = None

    @property
    def moving(self) -> bool:
        return any(row.status in MOVING for row in self.rows)


def _older_than(queryset: QuerySet, position: tuple[datetime, int]) -> QuerySet:
    moment, pk = position
    # The plain bound on created_at lets the database walk the index from
    # the cursor; the exclusion settles ties on the same instant.
    return queryset.filter(created_at__lte=moment).exclude(
        created_at=moment, pk__gte=pk
    )


def _newer_than(queryset: QuerySet, position: tuple[datetime, int]) -> QuerySet:
    moment, pk = position
    return queryset.filter(created_at__gte=moment).exclude(
        created_at=moment, pk__lte=pk
    )


def history_page(
    queryset: QuerySet,
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> HistoryPage:
    """One page of ``queryset``, newest first, older than ``before`` or newer
    than ``after`` (cursors from ``cursor_for``)."""
    newer_position = parse_cursor(after)
    if newer_position is not None:
        rows = list(
            _newer_than(queryset, newer_position).order_by("created_at", "id")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size][::-1]
            return HistoryPage(
                rows, older=cursor_for(rows[-1]), newer=cursor_for(rows[0])
            )
        # Back at the top: show the newest page in full.
        return history_page(queryset, size=size)

    older_position = parse_cursor(before)
    ordered = queryset.order_by("-created_at", "-id")
    if older_position is not None:
        ordered = _older_than(ordered, older_position)
    rows = list(ordered[: size + 1])
    page = HistoryPage(rows[:size])
    if len(rows) > size:
        page.older = cursor_for(page.rows[-1])
    if older_position is not None and page.rows:
        page.newer = cursor_for(page.rows[0])
    return page


def submission_history(org: Org) -> QuerySet:
    """The org's submissions, with what a history row shows."""
    return Submission.objects.filter(org=org).select_related("business_unit")


@dataclass(frozen=True)
class ActivityOption:
    value: str
    label: str
    reason: str = ""

    @property
    def disabled(self) -> bool:
        return bool(self.reason)


def activity_options(
    *, org: Org, business_unit: BusinessUnit | None
) -> list[ActivityOption]:
    """Each extension and type that may go to ``business_unit``; inactive
    ones carry the reason they cannot be chosen."""
    if business_unit is None:
        return []
    extensions = (
        Extension.objects.filter(org=org, assignments__business_unit=business_unit)
        .prefetch_related("activity_types")
        .order_by("label")
    )
    options = []
    for extension in extensions:
        for kind in extension.activity_types.all():
            reason = ""
            if not extension.is_active:
                reason = "extension inactive: activate it in Setup"
            elif not kind.is_active:
                reason = "type inactive: activate it in Setup"
            label = "%s · %s" % (extension.label, kind.label)
            options.append(
                ActivityOption("%s:%s" % (extension.pk, kind.pk), label, reason)
            )
    return options


@dataclass
class EmailSummary:
    email: str
    rows: list[Submission]
    by_business_unit: list[dict] = field(default_factory=list)


def email_summary(*, org: Org, email: str, limit: int = 200) -> EmailSummary:
    """Everything sent for one address across the org's business units."""
    submissions = submission_history(org).filter(email=email)
    rows = list(submissions.order_by("-created_at", "-id")[:limit])
    counts = (
        Submission.objects.filter(org=org, email=email)
        .values("business_unit_sf_id", "business_unit__name", "status")
        .annotate(n=Count("id"))
        .order_by("business_unit__name", "status")
    )
    grouped: dict[str, dict] = {}
    for row in counts:
        unit = grouped.setdefault(
            row["business_unit_sf_id"],
            {
                "sf_id": row["business_unit_sf_id"],
                "name": row["business_unit__name"] or row["business_unit_sf_id"],
                "statuses": [],
                "total": 0,
            },
        )
        unit["statuses"].append((row["status"], Status(row["status"]).label, row["n"]))
        unit["total"] += row["n"]
    return EmailSummary(email, rows, list(grouped.values()))


def daily_counts(*, org: Org, days: int = 14) -> tuple[list, list[dict]]:
    """Submissions per day (UTC) and status over the last ``days`` days, and
    the failures of that period grouped by their reason (the fix)."""
    today = timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    recent = Submission.objects.filter(org=org, created_at__gte=since)
    counts = (
        recent.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_day = {first + timedelta(days=i): {} for i in range(days)}
    for row in counts:
        by_day.setdefault(row["day"], {})[row["status"]] = row["n"]
    failures = list(
        recent.filter(status=Status.FAILED)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")[:10]
    )
    return sorted(by_day.items()), failures


def attention_counts(*, org: Org) -> dict[str, int]:
    """Submissions that wait on a person or on a hold, for the dashboard."""
    rows = (
        Submission.objects.filter(org=org, status__in=[Status.UNKNOWN, Status.DEFERRED])
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def dashboard(*, org: Org) -> dict:
    """What the dashboard home shows about sending."""
    days, failures = daily_counts(org=org)
    return {
        "chart": daily_bars(days),
        "failures": failures,
        "attention": attention_counts(org=org),
    }
