"""Workflows of the submission log: accepting, retrying and resending.

Every way of submitting (the test form, an admin's resend, later the API and
imports) goes through ``submission_create``: it checks the submission against
the org's mirror, writes the row and queues its task once the row is
committed. The sending itself lives in ``activity.sending``.
"""

import hashlib
import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activity.models import (
    RETRYABLE,
    BusinessUnitQueue,
    Source,
    Status,
    Submission,
)
from activity.validation import submission_check
from salesforce.audit import audit_record
from salesforce.models import ActivityType, BusinessUnit, Extension, Org
from salesforce.redaction import mask_email

logger = logging.getLogger(__name__)

ERROR_MESSAGES = {
    "not_retryable": (
        "Only a failed, deferred or unknown submission can be retried; this one "
        "is %(status)s."
    ),
    "still_moving": (
        "This submission is still on its way; wait for its outcome before resending it."
    ),
}
DUPLICATE_REASON = (
    "An identical activity (same extension, type, email, value and date) was "
    "already sent successfully as submission %(twin)s, so this one was not "
    "sent. An admin can force a resend."
)


def submission_fingerprint(
    *,
    org_id: int,
    extension_name: str,
    type_name: str,
    email: str,
    value: str,
    activity_date: datetime,
) -> str:
    """What makes two submissions the same activity, as one short hash."""
    parts = [
        str(org_id),
        extension_name,
        type_name,
        email,
        value,
        activity_date.isoformat(),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def succeeded_twin(submission: Submission) -> Submission | None:
    """An earlier, succeeded submission of the very same activity."""
    twins = Submission.objects.filter(
        fingerprint=submission.fingerprint,
        status=Status.SUCCEEDED,
        org_id=submission.org_id,
    )
    if submission.pk:
        twins = twins.exclude(pk=submission.pk)
    return twins.order_by("created_at").first()


def _actor_fields(actor: AbstractBaseUser | str | None) -> dict:
    if actor is None:
        return {"sent_by": None, "sent_by_label": "system"}
    if isinstance(actor, str):
        return {"sent_by": None, "sent_by_label": actor}
    label = getattr(actor, "email", "") or actor.get_username()
    return {"sent_by": actor, "sent_by_label": label}


def submission_enqueue(ids: list[int], *, countdown: float | None = None) -> None:
    """Queue the send task of each submission once the current transaction
    commits (at once outside one). A failed publish is logged and left to
    the sweeper, which queues submissions that never reached the broker."""
    from activity import tasks

    def publish() -> None:
        sent, lost = [], []
        for pk in ids:
            try:
                tasks.send_submission.apply_async((pk,), countdown=countdown)
            except Exception:
                logger.exception("Could not queue submission %s", pk)
                lost.append(pk)
            else:
                sent.append(pk)
        if sent and countdown is None:
            Submission.objects.filter(pk__in=sent).update(enqueued_at=timezone.now())
        if lost:
            # An empty enqueued_at is what the sweeper looks for.
            Submission.objects.filter(pk__in=lost).update(enqueued_at=None)

    transaction.on_commit(publish)


def submission_enqueue_reconcile(pk: int, *, countdown: float | None = None) -> None:
    """Queue a look-up of a submission whose outcome is unknown."""
    from activity import tasks

    def publish() -> None:
        try:
            tasks.reconcile_submission.apply_async((pk,), countdown=countdown)
        except Exception:
            logger.exception("Could not queue the check of submission %s", pk)

    transaction.on_commit(publish)


def submission_create(
    *,
    org: Org,
    business_unit: BusinessUnit | str | None,
    extension: Extension | str | None,
    activity_type: ActivityType | str | None,
    email: str | None,
    value: str | None,
    activity_date: datetime | None = None,
    source: str,
    actor: AbstractBaseUser | str | None = None,
    force: bool = False,
    resent_from: Submission | None = None,
) -> Submission:
    """Check a submission against the mirror, log it and queue its send.

    Raises ValidationError keyed by field when it cannot be sent. A
    submission identical to one that already succeeded is logged as a
    duplicate and not sent, unless ``force`` is set.
    """
    checked = submission_check(
        org=org,
        business_unit=business_unit,
        extension=extension,
        activity_type=activity_type,
        email=email,
        value=value,
        activity_date=activity_date,
    )
    submission = Submission(
        org=org,
        business_unit=checked.business_unit,
        extension=checked.extension,
        activity_type=checked.activity_type,
        business_unit_sf_id=checked.business_unit.sf_id,
        extension_name=checked.extension.api_name,
        type_name=checked.activity_type.api_name,
        email=checked.email,
        value=checked.value,
        activity_date=checked.activity_date,
        source=Source(source),
        force=force,
        resent_from=resent_from,
        **_actor_fields(actor),
    )
    submission.fingerprint = submission_fingerprint(
        org_id=org.pk,
        extension_name=submission.extension_name,
        type_name=submission.type_name,
        email=submission.email,
        value=submission.value,
        activity_date=submission.activity_date,
    )
    twin = None if force else succeeded_twin(submission)
    if twin is not None:
        submission.status = Status.DUPLICATE
        submission.reason = DUPLICATE_REASON % {"twin": twin.pk}
        submission.finished_at = timezone.now()

    with transaction.atomic():
        submission.save()
        if twin is None:
            submission_enqueue([submission.pk])
    logger.info(
        "Submission %s for %s logged as %s (org %s, source %s)",
        submission.pk,
        mask_email(submission.email),
        submission.status,
        org.pk,
        submission.source,
    )
    return submission


def _audit(submission: Submission, actor, action: str, detail: str) -> None:
    audit_record(
        org=submission.org,
        actor=actor,
        action=action,
        outcome="succeeded",
        target="Submission %s" % submission.pk,
        salesforce_ids=[submission.business_unit_sf_id],
        detail=detail,
    )


def _look_up_now(submission: Submission, actor: AbstractBaseUser) -> Submission:
    with transaction.atomic():
        asked = Submission.objects.filter(
            pk=submission.pk, status=Status.UNKNOWN, checked_at__isnull=True
        ).update(updated_at=timezone.now())
        if not asked:
            raise ValidationError(ERROR_MESSAGES["still_moving"], code="still_moving")
        _audit(
            submission,
            actor,
            "submission.retry",
            "Asked for a look-up of an unknown submission for %s; nothing was "
            "sent." % mask_email(submission.email),
        )
        submission_enqueue_reconcile(submission.pk)
    submission.refresh_from_db()
    logger.info("Submission %s looked up at user %s's retry", submission.pk, actor.pk)
    return submission


def submission_retry(*, submission: Submission, actor: AbstractBaseUser) -> Submission:
    """Send a failed, deferred or unknown submission again, now.

    An unknown submission no look-up has settled yet is looked up instead:
    the request may have been recorded, and the endpoint has no idempotency
    key. A retry of a submission held back by the daily limit also lifts the
    hold on its business unit: the send tells at once whether the limit
    still holds, and holds the unit again if it does.
    """
    previous = submission.status
    if previous not in RETRYABLE:
        raise ValidationError(
            ERROR_MESSAGES["not_retryable"],
            code="not_retryable",
            params={"status": submission.get_status_display().lower()},
        )
    if submission.retry_looks_up:
        return _look_up_now(submission, actor)
    now = timezone.now()
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission.pk, status=previous).update(
            status=Status.QUEUED,
            reason="",
            error_class="",
            error_code="",
            retries_used=0,
            next_attempt_at=now,
            deferred_until=None,
            claimed_at=None,
            finished_at=None,
            updated_at=now,
        )
        if not moved:
            raise ValidationError(ERROR_MESSAGES["still_moving"], code="still_moving")
        if previous == Status.DEFERRED:
            BusinessUnitQueue.objects.filter(
                org_id=submission.org_id,
                business_unit_sf_id=submission.business_unit_sf_id,
            ).update(deferred_until=None, reason="", resumed_at=now)
        _audit(
            submission,
            actor,
            "submission.retry",
            "Retried a %s submission for %s."
            % (previous, mask_email(submission.email)),
        )
        submission_enqueue([submission.pk])
    submission.refresh_from_db()
    logger.info("Submission %s retried by user %s", submission.pk, actor.pk)
    return submission


def submission_force_resend(
    *, submission: Submission, actor: AbstractBaseUser
) -> Submission:
    """Send the same activity again as a new submission, even if it already
    succeeded. It is checked against the mirror again; only the duplicate
    check is skipped."""
    if submission.is_moving:
        raise ValidationError(ERROR_MESSAGES["still_moving"], code="still_moving")
    with transaction.atomic():
        resend = submission_create(
            org=submission.org,
            business_unit=submission.business_unit or submission.business_unit_sf_id,
            extension=submission.extension or submission.extension_name,
            activity_type=submission.activity_type or submission.type_name,
            email=submission.email,
            value=submission.value,
            activity_date=submission.activity_date,
            source=Source.RETRY,
            actor=actor,
            force=True,
            resent_from=submission,
        )
        _audit(
            submission,
            actor,
            "submission.force_resend",
            "Forced a resend of a %s submission for %s as submission %s."
            % (submission.status, mask_email(submission.email), resend.pk),
        )
    return resend
