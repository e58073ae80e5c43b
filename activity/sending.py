"""Sending submissions to Account Engagement, and settling those left unsure.

A task hands ``submission_send`` an id. The submission waits while an
identical one is being sent or looked up (and is a duplicate if that one
succeeded); it is claimed with a conditional update (queued to sending), so a
task delivered twice sends once; it is sent while holding one of its business
unit's slots; each HTTP exchange is kept as an ``Attempt``; and the error
class decides what happens next:

- transient errors (codes 66 and 183, 5xx, no connection) are sent again
  after a jittered, capped backoff, until ``ACTIVITY_MAX_ATTEMPTS``;
- the daily limit (122) holds back the whole business unit until the next
  midnight UTC, without spending attempts;
- a connection that must be reconnected holds back the submission until an
  admin reconnects;
- a lost answer is never sent blindly again: it is looked up in Account
  Engagement (``submission_reconcile``) and settled as succeeded, or left
  ``unknown`` for a person to decide;
- anything else fails at once with Salesforce's advice on the fix.

Each function returns a ``NextStep`` telling the task what to queue next.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from activity.backoff import daily_limit_until, retry_delay, slot_wait
from activity.models import Attempt, BusinessUnitQueue, Status, Submission
from activity.services import DUPLICATE_REASON
from activity.slots import slot_acquire, slot_release
from salesforce.client import SalesforceClient, external_activities_url
from salesforce.errors import (
    ConcurrencyLimited,
    DailyLimitReached,
    OrgApiLimitExceeded,
    OutcomeUnknown,
    RefreshTokenRevoked,
    SalesforceError,
    TransientError,
)
from salesforce.exchanges import Exchange
from salesforce.redaction import redact

logger = logging.getLogger(__name__)

RECONNECT_REASON = (
    "Salesforce no longer accepts the connection that sends activity. An admin "
    "must reconnect under Settings; sending resumes on its own after that."
)
RETRY_REASON = "Attempt %(number)s did not go through: %(why)s Trying again by %(at)s."
GAVE_UP_REASON = "Gave up after %(number)s attempts. The last one said: %(why)s"
DAILY_LIMIT_REASON = (
    "Account Engagement's daily API limit for this business unit is reached. "
    "Sending resumes on its own at %(at)s."
)
CONFIRMED_REASON = (
    "The answer to the request was lost, but Account Engagement has the "
    "activity: it was recorded."
)
NOT_FOUND_REASON = (
    "The answer to the request was lost and Account Engagement shows no such "
    "activity (checked %(at)s). It was probably not recorded; an admin can "
    "force a resend."
)
CHECK_FAILED_REASON = (
    "The answer to the request was lost, and looking the activity up failed "
    "too (%(why)s). The console looks again shortly."
)
CHECK_GAVE_UP_REASON = (
    "The answer to the request was lost, and looking the activity up failed "
    "%(number)s times. The console stops looking: a person must decide "
    "whether to force a resend or leave it as it is."
)
WORKER_LOST_MESSAGE = "No answer was recorded: the worker stopped during the request."
# The activity's creation time in Account Engagement comes from another clock.
CHECK_MARGIN = timedelta(minutes=10)
# A look-up that keeps failing is left to a person after this many.
MAX_LOOK_UPS = 5


@dataclass(frozen=True)
class NextStep:
    """What the task should queue after this run."""

    send_in: float | None = None
    check_in: float | None = None


DONE = NextStep()


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.get_current_timezone()).strftime(
        "%Y-%m-%d %H:%M:%S %Z"
    )


def _move(
    submission: Submission, current: str, *, where: dict | None = None, **fields
) -> bool:
    """Change the submission only if it is still in ``current`` (and still
    matches ``where``)."""
    fields.setdefault("updated_at", timezone.now())
    rows = Submission.objects.filter(pk=submission.pk, status=current, **where or {})
    moved = rows.update(**fields)
    if moved:
        for name, value in fields.items():
            setattr(submission, name, value)
    return bool(moved)


def _in_flight() -> Q:
    """An identical activity being sent, or waiting for the look-up that
    settles it: its outcome decides whether the other one is a duplicate."""
    return Q(status=Status.SENDING) | Q(status=Status.UNKNOWN, checked_at__isnull=True)


def _step_aside(submission: Submission, current: str) -> NextStep | None:
    """What to do instead of sending, when an identical activity stands in
    the way: one that succeeded makes this a duplicate, one in flight makes
    it wait. One query reads both, so a twin that moves from sending to
    succeeded meanwhile cannot slip past both checks."""
    if submission.force:
        return None
    twins = Submission.objects.filter(
        _in_flight() | Q(status=Status.SUCCEEDED),
        org_id=submission.org_id,
        fingerprint=submission.fingerprint,
    ).exclude(pk=submission.pk)
    rows = list(twins.order_by("created_at").values_list("pk", "status"))
    succeeded = [pk for pk, status in rows if status == Status.SUCCEEDED]
    if succeeded:
        _move(
            submission,
            current,
            status=Status.DUPLICATE,
            reason=DUPLICATE_REASON % {"twin": succeeded[0]},
            finished_at=timezone.now(),
        )
        return DONE
    if rows:
        if current != Status.QUEUED:
            _move(submission, current, status=Status.QUEUED)
        return NextStep(send_in=slot_wait())
    return None


def _hold_if_deferred(submission: Submission) -> bool:
    queue = BusinessUnitQueue.objects.filter(
        org_id=submission.org_id,
        business_unit_sf_id=submission.business_unit_sf_id,
        deferred_until__gt=timezone.now(),
    ).first()
    if queue is None:
        return False
    return _move(
        submission,
        Status.QUEUED,
        status=Status.DEFERRED,
        deferred_until=queue.deferred_until,
        reason=queue.reason,
        error_class=DailyLimitReached.__name__,
    )


def submission_send(*, submission_id: int, task_id: str = "") -> NextStep:
    """Send one queued submission; anything not queued is left alone."""
    submission = Submission.objects.select_related("org").filter(pk=submission_id)
    submission = submission.first()
    if submission is None or submission.status != Status.QUEUED:
        return DONE
    if step := _step_aside(submission, Status.QUEUED):
        return step
    if _hold_if_deferred(submission):
        return DONE

    slot = slot_acquire(
        submission.org_id,
        submission.business_unit_sf_id,
        wait=settings.ACTIVITY_SLOT_HOLD_SECONDS,
    )
    if slot is None:
        return NextStep(send_in=slot_wait())
    try:
        claimed = _move(
            submission,
            Status.QUEUED,
            status=Status.SENDING,
            claimed_at=timezone.now(),
            task_id=task_id or submission.task_id,
        )
        if not claimed:
            return DONE
        # Looked at again once claimed: of two identical submissions claimed
        # at once, at least one sees the other and steps back, and a twin
        # that succeeded while this one waited for its slot makes it a
        # duplicate.
        if step := _step_aside(submission, Status.SENDING):
            return step
        return _deliver(submission)
    finally:
        slot_release(slot)


def _deliver(submission: Submission) -> NextStep:
    try:
        client = SalesforceClient.for_org(submission.org)
    except SalesforceError as error:
        return _on_error(submission, error)
    attempt = _attempt_begin(submission)
    with client:
        try:
            client.submit_external_activity(
                business_unit_id=submission.business_unit_sf_id,
                extension=submission.extension_name,
                activity_type=submission.type_name,
                email=submission.email,
                value=submission.value,
                activity_date=submission.activity_date,
            )
        except SalesforceError as error:
            # The answer and the state it leads to are written together: a
            # worker lost in between leaves the attempt open, which the
            # sweeper settles by a look-up rather than a second send.
            with transaction.atomic():
                _attempts_record(submission, attempt, client.exchanges, error)
                return _on_error(submission, error)
        with transaction.atomic():
            _attempts_record(submission, attempt, client.exchanges, None)
            _move(
                submission,
                Status.SENDING,
                status=Status.SUCCEEDED,
                reason="",
                error_class="",
                error_code="",
                next_attempt_at=None,
                finished_at=timezone.now(),
            )
    logger.info("Submission %s succeeded", submission.pk)
    return DONE


def _attempt_begin(submission: Submission) -> Attempt:
    """Record the attempt before the request leaves: if the worker is lost
    during the call, the open attempt says the request may have been sent."""
    # Numbered from the attempts themselves: a worker lost mid-call leaves an
    # attempt that attempt_count never counted.
    last = submission.attempts.aggregate(last=Max("number"))["last"] or 0
    return Attempt.objects.create(
        submission=submission,
        number=last + 1,
        url=external_activities_url(submission.org),
    )


def _fill(attempt: Attempt, exchange: Exchange) -> None:
    """Copy the exchange; the client has already masked every token it held."""
    attempt.started_at = exchange.started_at or attempt.started_at
    attempt.duration_ms = exchange.duration_ms
    attempt.method = exchange.method
    attempt.url = exchange.url[:500]
    attempt.request_headers = exchange.request_headers
    attempt.request_body = exchange.request_body
    attempt.response_status = exchange.status
    attempt.response_headers = exchange.response_headers
    attempt.response_body = exchange.response_body
    attempt.error_class = exchange.error_class


def _attempts_record(
    submission: Submission,
    attempt: Attempt,
    exchanges: list[Exchange],
    error: SalesforceError | None,
) -> None:
    """Complete the open attempt with the call's first exchange and add one
    attempt for each further exchange (a resend after a token refresh); the
    error, if any, belongs to the last."""
    if not exchanges and error is not None and error.exchange is not None:
        exchanges = [error.exchange]
    now = timezone.now()
    attempts = [attempt]
    for index, exchange in enumerate(exchanges or [None]):
        if index:
            attempts.append(Attempt(submission=submission, number=attempt.number))
            attempts[-1].number += index
        current = attempts[-1]
        if exchange is not None:
            _fill(current, exchange)
        current.finished_at = now
    if error is not None:
        attempts[-1].error_class = type(error).__name__
        attempts[-1].error_message = redact(str(error))
    for current in attempts:
        if current.duration_ms is None:
            elapsed = (current.finished_at - current.started_at).total_seconds()
            current.duration_ms = max(int(elapsed * 1000), 0)
        current.save()
    submission.attempt_count = attempts[-1].number
    Submission.objects.filter(pk=submission.pk).update(
        attempt_count=submission.attempt_count
    )


def _error_fields(error: SalesforceError) -> dict:
    return {
        "error_class": type(error).__name__,
        "error_code": str(error.code or "")[:40],
    }


def _on_error(submission: Submission, error: SalesforceError) -> NextStep:
    logger.info(
        "Submission %s: %s (%s)", submission.pk, type(error).__name__, error.code
    )
    if isinstance(error, DailyLimitReached | OrgApiLimitExceeded):
        return _defer_for_daily_limit(submission, error)
    if isinstance(error, RefreshTokenRevoked):
        _move(
            submission,
            Status.SENDING,
            status=Status.DEFERRED,
            deferred_until=None,
            reason=RECONNECT_REASON,
            **_error_fields(error),
        )
        return DONE
    if isinstance(error, OutcomeUnknown):
        _move(
            submission,
            Status.SENDING,
            status=Status.UNKNOWN,
            reason=error.user_message,
            checked_at=None,
            look_ups=0,
            **_error_fields(error),
        )
        return NextStep(check_in=settings.ACTIVITY_CHECK_DELAY_SECONDS)
    if isinstance(error, ConcurrencyLimited | TransientError):
        return _retry_later(submission, error)
    _fail(submission, error.user_message, error)
    return DONE


def _fail(submission: Submission, reason: str, error: SalesforceError) -> None:
    _move(
        submission,
        Status.SENDING,
        status=Status.FAILED,
        reason=reason,
        next_attempt_at=None,
        finished_at=timezone.now(),
        **_error_fields(error),
    )
    logger.warning("Submission %s failed: %s", submission.pk, type(error).__name__)


def _retry_later(submission: Submission, error: SalesforceError) -> NextStep:
    used = submission.retries_used + 1
    if used >= settings.ACTIVITY_MAX_ATTEMPTS:
        why = error.user_message
        _fail(submission, GAVE_UP_REASON % {"number": used, "why": why}, error)
        return DONE
    delay = retry_delay(used - 1)
    at = timezone.now() + timedelta(seconds=delay)
    reason = RETRY_REASON % {
        "number": submission.attempt_count,
        "why": error.user_message,
        "at": _when(at),
    }
    moved = _move(
        submission,
        Status.SENDING,
        status=Status.QUEUED,
        retries_used=used,
        next_attempt_at=at,
        reason=reason,
        **_error_fields(error),
    )
    return NextStep(send_in=delay) if moved else DONE


def _defer_for_daily_limit(submission: Submission, error: SalesforceError) -> NextStep:
    now = timezone.now()
    queue, _ = BusinessUnitQueue.objects.get_or_create(
        org=submission.org, business_unit_sf_id=submission.business_unit_sf_id
    )
    until = daily_limit_until(now, queue.resumed_at)
    reason = DAILY_LIMIT_REASON % {"at": _when(until)}
    BusinessUnitQueue.objects.filter(pk=queue.pk).update(
        deferred_until=until, deferred_at=now, reason=reason
    )
    _move(
        submission,
        Status.SENDING,
        status=Status.DEFERRED,
        deferred_until=until,
        next_attempt_at=None,
        reason=reason,
        **_error_fields(error),
    )
    logger.warning(
        "Business unit %s of org %s met its daily limit; held back until %s",
        submission.business_unit_sf_id,
        submission.org_id,
        until.isoformat(),
    )
    return DONE


def matches(submission: Submission, activity: dict) -> bool:
    """Whether an activity found in Account Engagement is this submission."""
    try:
        moment = datetime.fromisoformat(str(activity.get("activityDate")))
    except ValueError:
        return False
    return (
        moment.tzinfo is not None
        and moment == submission.activity_date
        and activity.get("extension") == submission.extension_name
        and activity.get("type") == submission.type_name
        and str(activity.get("email", "")).lower() == submission.email
        and activity.get("value") == submission.value
    )


def _look_up(submission: Submission) -> bool:
    first = submission.attempts.order_by("number").first()
    since = first.started_at if first else submission.created_at
    with SalesforceClient.for_org(submission.org) as client:
        found = client.find_external_activities(
            business_unit_id=submission.business_unit_sf_id,
            email=submission.email,
            created_after=since - CHECK_MARGIN,
        )
    return any(matches(submission, activity) for activity in found)


def _unsettled_since_claim(submission: Submission) -> dict:
    """A look-up settles only the send it was started for: a Retry that sent
    again since (a new claim) makes its finding stale."""
    return {"checked_at__isnull": True, "claimed_at": submission.claimed_at}


def _look_up_failed(submission: Submission, why: str = "") -> None:
    where = _unsettled_since_claim(submission)
    if submission.look_ups < MAX_LOOK_UPS:
        reason = CHECK_FAILED_REASON % {"why": why}
        _move(submission, Status.UNKNOWN, where=where, reason=reason)
        return
    reason = CHECK_GAVE_UP_REASON % {"number": submission.look_ups}
    _move(
        submission,
        Status.UNKNOWN,
        where=where,
        reason=reason,
        checked_at=timezone.now(),
    )
    logger.warning(
        "Submission %s: gave up looking it up after %s tries",
        submission.pk,
        submission.look_ups,
    )


def submission_reconcile(*, submission_id: int) -> NextStep:
    """Settle a submission whose answer was lost by looking it up."""
    submission = Submission.objects.select_related("org").filter(pk=submission_id)
    submission = submission.first()
    if submission is None or submission.status != Status.UNKNOWN:
        return DONE
    if submission.look_ups >= MAX_LOOK_UPS:
        # The last look-up never finished (a lost worker, a time limit).
        _look_up_failed(submission)
        return DONE
    slot = slot_acquire(submission.org_id, submission.business_unit_sf_id)
    if slot is None:
        return NextStep(check_in=slot_wait())
    try:
        # Counted before it starts, so a look-up that never ends counts too.
        Submission.objects.filter(pk=submission.pk).update(look_ups=F("look_ups") + 1)
        submission.look_ups += 1
        found = _look_up(submission)
    except SalesforceError as error:
        _look_up_failed(submission, error.user_message)
        return DONE
    finally:
        slot_release(slot)

    now = timezone.now()
    where = _unsettled_since_claim(submission)
    if found:
        _move(
            submission,
            Status.UNKNOWN,
            where=where,
            status=Status.SUCCEEDED,
            reason=CONFIRMED_REASON,
            checked_at=now,
            finished_at=now,
        )
    else:
        reason = NOT_FOUND_REASON % {"at": _when(now)}
        _move(submission, Status.UNKNOWN, where=where, reason=reason, checked_at=now)
    logger.info("Submission %s checked: found=%s", submission.pk, found)
    return DONE
