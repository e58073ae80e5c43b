"""The periodic work that keeps the log moving when nothing else will.

``submissions_resume`` sends again what was held back: business units past
their daily-limit hold, and orgs whose connection was reconnected.
``submissions_sweep`` finds submissions a lost worker or a lost message left
behind: one stuck in ``sending`` is looked up if its request may have left
(an attempt of its claim, answered or not), settled as succeeded if that
answer was a success, and queued again otherwise; a look-up that
never ran is queued again; a submission whose task never reached the broker
is queued. Both run from Celery beat every minute and handle a bounded batch
per run.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from activity.models import Attempt, BusinessUnitQueue, Status, Submission
from activity.sending import WORKER_LOST_MESSAGE
from activity.services import submission_enqueue, submission_enqueue_reconcile
from salesforce.models import ConnectionStatus

logger = logging.getLogger(__name__)

BATCH = 500
WORKER_LOST_REASON = (
    "The worker stopped while the request was in flight, so it is not known "
    "whether Account Engagement recorded it. The console looks it up before "
    "anything is sent again."
)
UNRECORDED_REASON = (
    "The worker stopped before it recorded Account Engagement's answer, so it "
    "is not known whether the activity was recorded. The console looks it up "
    "before anything is sent again."
)


def submissions_resume(*, limit: int = 2000) -> int:
    """Queue deferred submissions whose time has come; returns how many."""
    now = timezone.now()
    BusinessUnitQueue.objects.filter(deferred_until__lte=now).update(
        deferred_until=None, reason="", resumed_at=now
    )
    reconnected = Q(
        deferred_until__isnull=True,
        org__execution_connection__status=ConnectionStatus.ACTIVE,
    )
    # A daily-limit hold ends with its business unit's hold, whether its time
    # came or a Retry lifted it early: the unit's queue row decides.
    unit_held = BusinessUnitQueue.objects.filter(
        org_id=OuterRef("org_id"),
        business_unit_sf_id=OuterRef("business_unit_sf_id"),
        deferred_until__gt=now,
    )
    hold_ended = Q(deferred_until__isnull=False) & ~Exists(unit_held)
    due = Submission.objects.filter(status=Status.DEFERRED).filter(
        hold_ended | reconnected
    )
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        Submission.objects.filter(pk__in=chunk, status=Status.DEFERRED).update(
            status=Status.QUEUED,
            deferred_until=None,
            next_attempt_at=now,
            reason="",
            updated_at=now,
        )
        submission_enqueue(chunk)
    if ids:
        logger.info("Resumed %s deferred submissions", len(ids))
    return len(ids)


def _still_stuck(submission: Submission):
    """The row, if it is still in the claim the sweep found stuck (a sweep
    running beside this one may have moved it on, and a worker claimed it)."""
    return Submission.objects.filter(
        pk=submission.pk, status=Status.SENDING, claimed_at=submission.claimed_at
    )


def _look_up_instead(submission: Submission, now, reason: str) -> str:
    last = Attempt.objects.filter(submission=submission).aggregate(Max("number"))
    moved = _still_stuck(submission).update(
        attempt_count=last["number__max"] or 0,
        status=Status.UNKNOWN,
        reason=reason,
        error_class="WorkerLost",
        checked_at=None,
        look_ups=0,
        updated_at=now,
    )
    if moved:
        submission_enqueue_reconcile(submission.pk)
    return "unknown"


def _settle_stuck(submission: Submission, now) -> str:
    attempts = Attempt.objects.filter(submission=submission)
    open_attempts = attempts.filter(finished_at__isnull=True)
    closed = open_attempts.update(
        finished_at=now, error_class="WorkerLost", error_message=WORKER_LOST_MESSAGE
    )
    if closed:
        return _look_up_instead(submission, now, WORKER_LOST_REASON)
    # An attempt of this claim that finished means the request left; its
    # answer was not acted on, so the row is never simply queued again.
    latest = (
        attempts.filter(started_at__gte=submission.claimed_at)
        .order_by("-number")
        .first()
    )
    if latest is None:
        moved = _still_stuck(submission).update(
            status=Status.QUEUED, next_attempt_at=now, updated_at=now
        )
        if moved:
            submission_enqueue([submission.pk])
        return "queued"
    if latest.accepted:
        _still_stuck(submission).update(
            attempt_count=latest.number,
            status=Status.SUCCEEDED,
            reason="",
            error_class="",
            error_code="",
            next_attempt_at=None,
            finished_at=now,
            updated_at=now,
        )
        return "succeeded"
    return _look_up_instead(submission, now, UNRECORDED_REASON)


def submissions_sweep() -> dict[str, int]:
    """Put back on their way the submissions nothing else will move."""
    now = timezone.now()
    counts = {
        "unknown": 0,
        "queued": 0,
        "succeeded": 0,
        "reconciled": 0,
        "published": 0,
    }
    lease = timedelta(seconds=settings.ACTIVITY_SLOT_LEASE_SECONDS + 30)
    stuck = Submission.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease)
    for submission in stuck.order_by("claimed_at")[:BATCH]:
        counts[_settle_stuck(submission, now)] += 1

    wait = timedelta(seconds=settings.ACTIVITY_CHECK_DELAY_SECONDS + 60)
    unchecked = Submission.objects.filter(
        status=Status.UNKNOWN, checked_at__isnull=True, updated_at__lt=now - wait
    )
    pks = list(unchecked.values_list("pk", flat=True)[:BATCH])
    Submission.objects.filter(pk__in=pks).update(updated_at=now)
    for pk in pks:
        submission_enqueue_reconcile(pk)
    counts["reconciled"] += len(pks)

    # A message still in the broker after the visibility timeout is lost; a
    # second one for a row already handled is harmless (the claim decides).
    lost = Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(minutes=1))
    lost |= Q(
        enqueued_at__lt=now - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    )
    unpublished = Submission.objects.filter(lost, status=Status.QUEUED)
    ids = list(unpublished.values_list("pk", flat=True)[:BATCH])
    if ids:
        submission_enqueue(ids)
        counts["published"] = len(ids)
    if any(counts.values()):
        logger.info("Sweep: %s", counts)
    return counts
