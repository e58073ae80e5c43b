"""Celery tasks of the submission side.

Each task takes an id (or nothing), calls one service and queues what the
service says comes next. None of them relies on Celery's own retries: the
submission row records attempts and decides when to send again, and every
wait is a new message with a countdown far below the broker's visibility
timeout (long holds, like the daily limit, live in the database and are
picked up by the periodic tasks).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from activity import sending, upkeep
from activity.models import WorkerHeartbeat
from activity.services import submission_enqueue, submission_enqueue_reconcile

logger = logging.getLogger(__name__)

SEND_SOFT_LIMIT = settings.ACTIVITY_SEND_TIME_LIMIT
SEND_HARD_LIMIT = settings.ACTIVITY_SEND_TIME_LIMIT + 15
UPKEEP_SOFT_LIMIT = 50
UPKEEP_HARD_LIMIT = 55


def _queue_next(submission_id: int, step: sending.NextStep) -> None:
    if step.send_in is not None:
        submission_enqueue([submission_id], countdown=step.send_in)
    if step.check_in is not None:
        submission_enqueue_reconcile(submission_id, countdown=step.check_in)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=0,
    soft_time_limit=SEND_SOFT_LIMIT,
    time_limit=SEND_HARD_LIMIT,
)
def send_submission(self, submission_id: int) -> None:
    """Send one queued submission (a second delivery does nothing)."""
    step = sending.submission_send(
        submission_id=submission_id, task_id=self.request.id or ""
    )
    _queue_next(submission_id, step)


@shared_task(
    acks_late=True,
    max_retries=0,
    soft_time_limit=SEND_SOFT_LIMIT,
    time_limit=SEND_HARD_LIMIT,
)
def reconcile_submission(submission_id: int) -> None:
    """Look up a submission whose answer was lost, and settle it if found."""
    step = sending.submission_reconcile(submission_id=submission_id)
    _queue_next(submission_id, step)


@shared_task(
    acks_late=True,
    max_retries=0,
    soft_time_limit=UPKEEP_SOFT_LIMIT,
    time_limit=UPKEEP_HARD_LIMIT,
)
def resume_deferred() -> None:
    """Queue deferred submissions whose hold has ended (beat, every minute)."""
    upkeep.submissions_resume()


@shared_task(
    acks_late=True,
    max_retries=0,
    soft_time_limit=UPKEEP_SOFT_LIMIT,
    time_limit=UPKEEP_HARD_LIMIT,
)
def sweep() -> None:
    """Move on submissions left behind by a lost worker (beat, every minute)."""
    upkeep.submissions_sweep()


@shared_task(bind=True, soft_time_limit=10, time_limit=15, max_retries=0)
def heartbeat(self) -> None:
    """Record that a worker is alive and consuming from the broker."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    logger.debug("Heartbeat from %s", hostname)
