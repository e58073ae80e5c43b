"""Applying one progress row in Salesforce, for the task that claimed it."""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F, Q
from django.utils import timezone

from salesforce.audit import audit_record
from salesforce.client import SalesforceClient
from salesforce.errors import (
    DuplicateApiName,
    OutcomeUnknown,
    RefreshTokenRevoked,
    SalesforceError,
    SetupLimitReached,
)
from salesforce.models import AuditEvent
from setup_wizard import operations
from setup_wizard.models import RecordProgress, SetupRun
from setup_wizard.services.runs import run_advance

logger = logging.getLogger(__name__)

Outcome = AuditEvent.Outcome
Kind = RecordProgress.Kind
State = RecordProgress.State


def record_claim(*, record_id: int, task_id: str) -> RecordProgress | None:
    """Take a waiting row for this task; None when another task has it, it is
    finished, or its run is not running."""
    takeable = Q(state=State.WAITING)
    if task_id:
        # The same message delivered again after its worker was lost.
        takeable |= Q(state=State.WORKING, task_id=task_id)
    running = SetupRun.objects.filter(
        records__pk=record_id, status=SetupRun.Status.RUNNING
    )
    if not running.exists():
        return None
    # The claim filters on this table alone: a condition on the run would
    # turn it into "UPDATE ... WHERE id IN (SELECT ...)", which PostgreSQL
    # lets two concurrent claims both pass.
    claimed = RecordProgress.objects.filter(takeable, pk=record_id).update(
        state=State.WORKING,
        task_id=task_id,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    related = ("run", "run__org", "run__extension", "run__created_by")
    return RecordProgress.objects.select_related(*related).get(pk=record_id)


def record_apply(*, record: RecordProgress) -> None:
    with SalesforceClient.for_org(record.run.org) as client:
        operations.apply(client, record)
    record.state = State.DONE
    record.reason = ""
    record.pending_key = None
    record.finished_at = timezone.now()
    record.save()
    _audit_record(record, Outcome.SUCCEEDED, record.get_result_display())
    logger.info(
        "Setup row %s (%s %s) of run %s in org %s done: %s",
        record.pk,
        record.action,
        record.kind,
        record.run_id,
        record.run.org_id,
        record.result,
    )
    run_advance(run_id=record.run_id)


def record_release(*, record: RecordProgress, error: Exception) -> None:
    """Give a row back after a passing failure; its task retries it shortly."""
    logger.warning("Setup row %s will be retried: %s", record.pk, error)
    record.state = State.WAITING
    record.reason = "Salesforce had a passing problem; trying again in a few seconds."
    record.save(update_fields=["state", "reason"])


def record_fail(*, record: RecordProgress, error: Exception) -> None:
    reason = failure_sentence(record, error)
    logger.warning(
        "Setup row %s (%s %s) of run %s in org %s failed: %s",
        record.pk,
        record.action,
        record.kind,
        record.run_id,
        record.run.org_id,
        error,
    )
    record.state = State.FAILED
    record.reason = reason
    record.pending_key = None
    record.finished_at = timezone.now()
    record.save()
    _audit_record(record, Outcome.FAILED, reason)
    run_advance(run_id=record.run_id)


def is_worth_retrying(error: Exception) -> bool:
    # Every row is find-or-create, so an unknown outcome is safe to repeat.
    return isinstance(error, OutcomeUnknown) or (
        isinstance(error, SalesforceError) and error.retryable
    )


def failure_sentence(record: RecordProgress, error: Exception) -> str:
    """What the admin reads on a failed row: the problem and what to do."""
    if isinstance(error, RefreshTokenRevoked):
        return (
            "Salesforce no longer accepts the org's connection. Reconnect under "
            "Settings, then click Retry."
        )
    if isinstance(error, SetupLimitReached):
        return _limit_sentence(record)
    if isinstance(error, DuplicateApiName) and record.kind == Kind.EXTENSION:
        return (
            "An extension with the API name %s already exists in Salesforce. Go "
            "back to the Extension step to adopt it, or choose another API name."
            % record.api_name
        )
    if isinstance(error, SalesforceError):
        return error.user_message
    if isinstance(error, SoftTimeLimitExceeded):
        return (
            "Salesforce took too long to answer. Click Retry: what already exists "
            "is found, never created twice."
        )
    return (
        "Something went wrong in the console (the log has the details). Click "
        "Retry: what already exists is found, never created twice."
    )


def _limit_sentence(record: RecordProgress) -> str:
    if record.kind == Kind.EXTENSION:
        return (
            "Salesforce allows no more extensions in this org. Adopt an existing "
            "extension in the Extension step instead; extensions cannot be "
            "deleted, only deactivated."
        )
    return (
        "The extension already has as many activity types as Salesforce allows, "
        "so %s was not created. Remove it from the plan (Change the choices) or "
        "reuse an existing type; activity types cannot be deleted, only "
        "deactivated." % record.label
    )


def _audit_record(record: RecordProgress, outcome: str, detail: str) -> None:
    run = record.run
    extension = run.extension
    ids = [record.sf_id]
    if extension and extension.sf_id and record.kind != Kind.EXTENSION:
        ids.append(extension.sf_id)
    if record.kind == Kind.ASSIGNMENT:
        ids.append(record.api_name)
    audit_record(
        org=run.org,
        actor=run.created_by,
        action="setup.%s.%s" % (record.kind, record.action),
        outcome=outcome,
        target=record.label or record.api_name,
        salesforce_ids=[i for i in ids if i],
        detail=detail,
    )
