"""Workflows of the setup wizard, the Extensions page and Verify.

Views call these to record choices and queue work; tasks call them to claim
a row, do one piece of work in Salesforce and record the outcome. Nothing
here that a view calls talks to Salesforce.

A run moves draft → running → succeeded or failed (and back to running on
Retry). Its rows are applied one at a time, in order, each by its own task:
finishing one queues the next, and the first failure stops the run with the
rows after it still waiting, so Retry picks up exactly there.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
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
from salesforce.models import (
    ActivityType,
    Assignment,
    AuditEvent,
    BusinessUnit,
    Extension,
    Org,
)
from setup_wizard import alignment, inspection, operations, selectors
from setup_wizard.models import Check, RecordProgress, SetupRun

logger = logging.getLogger(__name__)

Outcome = AuditEvent.Outcome
Kind = RecordProgress.Kind
Action = RecordProgress.Action
State = RecordProgress.State

STEPS = list(SetupRun.Step.values)
DEFAULT_TYPES = [
    {"label": "Registered", "api_name": "Registered", "description": ""},
    {"label": "Attended", "api_name": "Attended", "description": ""},
]
#: A row working for longer than this lost its worker; Retry may take it back.
STALLED_AFTER = timedelta(minutes=5)
#: A check waiting or working for longer than this is not waited for again.
CHECK_PATIENCE = timedelta(minutes=3)
DRIFT_KEPT_FOR = timedelta(days=14)


# Filling in the wizard


def run_open(*, org: Org, actor: AbstractBaseUser) -> SetupRun:
    """The org's open wizard run, or a new one with its pre-flight checks queued."""
    run = selectors.open_wizard_run(org)
    if run is not None:
        return run
    try:
        with transaction.atomic():
            run = SetupRun.objects.create(
                org=org,
                created_by=actor,
                activity_types=[dict(t) for t in DEFAULT_TYPES],
            )
    except IntegrityError:
        # Opened a moment ago by another request (a double click).
        return selectors.open_wizard_run(org)
    check_start(org=org, kind=Check.Kind.PREFLIGHT, actor=actor, run=run)
    return run


def _reach(run: SetupRun, step: str) -> None:
    if STEPS.index(step) > STEPS.index(run.step):
        run.step = step


def run_reach_step(*, run: SetupRun, step: str) -> None:
    _reach(run, step)
    run.save(update_fields=["step", "updated_at"])


def run_save_extension(
    *, run: SetupRun, label: str, api_name: str, description: str
) -> None:
    """Keep the extension choices; look the API name up in Salesforce if the
    console does not know it yet."""
    if run.is_adopting and api_name.lower() != run.extension_api_name.lower():
        _forget_adoption(run)
    run.extension_label = label
    run.extension_api_name = api_name
    run.extension_description = description
    _reach(run, SetupRun.Step.TYPES)
    run.save()
    _look_up_name(run)


def _look_up_name(run: SetupRun) -> None:
    """Ask Salesforce about the extension's API name unless the console
    already knows the extension."""
    name = run.extension_api_name
    known = Extension.objects.filter(org=run.org, api_name__iexact=name)
    if name and not run.is_adopting and not known.exclude(sf_id="").exists():
        check_start(
            org=run.org,
            kind=Check.Kind.EXTENSION_LOOKUP,
            actor=run.created_by,
            run=run,
            subject=name,
        )


def run_adopt(*, run: SetupRun, entry: dict) -> None:
    """Use an extension found in Salesforce, with its types and assignments."""
    run.adopt_sf_id = entry["sf_id"]
    run.adopt_is_active = bool(entry.get("is_active"))
    run.extension_api_name = entry["api_name"]
    run.extension_label = (entry.get("label") or entry["api_name"])[:40]
    run.extension_description = entry.get("description") or ""
    existing = [
        {
            "label": (t.get("label") or t["api_name"])[:40],
            "api_name": t["api_name"],
            "description": t.get("description") or "",
            "sf_id": t["sf_id"],
            "is_active": bool(t.get("is_active")),
        }
        for t in entry.get("types", [])
    ]
    new = [t for t in run.activity_types if not t.get("sf_id")]
    run.activity_types = existing or new
    run.existing_assignments = list(entry.get("business_unit_ids", []))
    run.business_unit_ids = list(run.existing_assignments)
    _reach(run, SetupRun.Step.TYPES)
    run.save()


def run_forget_adoption(*, run: SetupRun) -> None:
    _forget_adoption(run)
    run.save()


def _forget_adoption(run: SetupRun) -> None:
    run.adopt_sf_id = ""
    run.adopt_is_active = False
    run.existing_assignments = []
    run.business_unit_ids = []
    new = [t for t in run.activity_types if not t.get("sf_id")]
    run.activity_types = new or [dict(t) for t in DEFAULT_TYPES]


def run_save_types(*, run: SetupRun, new_types: list[dict]) -> None:
    existing = [t for t in run.activity_types if t.get("sf_id")]
    taken = {t["api_name"].lower() for t in existing}
    fresh = [
        {
            "label": t["label"],
            "api_name": t["api_name"],
            "description": t.get("description", ""),
        }
        for t in new_types
        if t["api_name"].lower() not in taken
    ]
    run.activity_types = existing + fresh
    _reach(run, SetupRun.Step.BUSINESS_UNITS)
    run.save()


def run_save_business_units(*, run: SetupRun, unit_ids: list[str]) -> None:
    run.business_unit_ids = list(dict.fromkeys(unit_ids))
    _reach(run, SetupRun.Step.REVIEW)
    run.save()


# Running the plan


def run_start(*, run: SetupRun, actor: AbstractBaseUser, activate: bool) -> bool:
    """Turn the reviewed choices into progress rows and start applying them.

    False when the run was already started (a second click).
    """
    with transaction.atomic():
        started = SetupRun.objects.filter(pk=run.pk, status=SetupRun.Status.DRAFT)
        if not started.update(
            status=SetupRun.Status.RUNNING,
            activate=activate,
            started_at=timezone.now(),
            finished_at=None,
            summary="",
        ):
            return False
        run.refresh_from_db()
        plan = _plan_records(run)
        audit_record(
            org=run.org,
            actor=actor,
            action="setup.started",
            outcome=Outcome.STARTED,
            target=run.extension_api_name,
            detail="\n".join(p.sentence for p in plan),
        )
        run_advance(run_id=run.pk)
    return True


def _purpose(action: str) -> str:
    ensuring = (Action.CREATE, Action.ADOPT, Action.EXISTS, Action.ASSIGN)
    return "ensure" if action in ensuring else action


def _plan_records(run: SetupRun) -> list[selectors.PlannedRecord]:
    plan = selectors.run_plan(run)
    done = {
        (r.kind, _purpose(r.action), r.api_name.lower()): r
        for r in run.records.filter(state=State.DONE)
    }
    for position, planned in enumerate(plan):
        key = (planned.kind, _purpose(planned.action), planned.api_name.lower())
        if key in done:
            done[key].position = position
            done[key].save(update_fields=["position"])
            continue
        RecordProgress.objects.get_or_create(
            run=run,
            kind=planned.kind,
            action=planned.action,
            api_name=planned.api_name,
            defaults={
                "position": position,
                "label": planned.label,
                "description": planned.description,
            },
        )
    return plan


def run_retry(*, run: SetupRun, actor: AbstractBaseUser) -> bool:
    """Put the failed (or stalled) rows back in line; done rows stay done."""
    with transaction.atomic():
        stalled = run.records.filter(
            state=State.WORKING, started_at__lt=timezone.now() - STALLED_AFTER
        )
        retried = SetupRun.objects.filter(pk=run.pk, status=SetupRun.Status.FAILED)
        if retried.update(status=SetupRun.Status.RUNNING, finished_at=None):
            run.records.filter(state=State.FAILED).update(
                state=State.WAITING, task_id=""
            )
        elif run.status == SetupRun.Status.RUNNING and stalled.exists():
            stalled.update(state=State.WAITING, task_id="")
        else:
            return False
        audit_record(
            org=run.org,
            actor=actor,
            action="setup.retried",
            outcome=Outcome.STARTED,
            target=run.extension_api_name,
        )
        run_advance(run_id=run.pk)
    return True


FAILURE_STEPS = {
    Kind.EXTENSION: SetupRun.Step.EXTENSION,
    Kind.ACTIVITY_TYPE: SetupRun.Step.TYPES,
    Kind.ASSIGNMENT: SetupRun.Step.BUSINESS_UNITS,
}


def run_edit(*, run: SetupRun) -> str | None:
    """Reopen a stopped run's choices; what was done in Salesforce stays done.

    The step to change, where the run stopped; None if it was not stopped.
    """
    with transaction.atomic():
        reopened = SetupRun.objects.filter(pk=run.pk, status=SetupRun.Status.FAILED)
        if not reopened.update(status=SetupRun.Status.DRAFT, finished_at=None):
            return None
        failed = run.records.filter(state=State.FAILED).first()
        run.records.exclude(state=State.DONE).delete()
        run.refresh_from_db()
        _look_up_name(run)
    return FAILURE_STEPS.get(failed.kind) if failed else SetupRun.Step.REVIEW


def run_abandon(*, run: SetupRun, actor: AbstractBaseUser) -> bool:
    open_ = [SetupRun.Status.DRAFT, SetupRun.Status.FAILED]
    abandoned = SetupRun.objects.filter(pk=run.pk, status__in=open_).update(
        status=SetupRun.Status.ABANDONED, finished_at=timezone.now()
    )
    if abandoned and run.started_at:
        audit_record(
            org=run.org,
            actor=actor,
            action="setup.discarded",
            outcome=Outcome.FAILED,
            target=run.extension_api_name,
            detail="Discarded after it stopped; what was done in Salesforce stays.",
        )
    return bool(abandoned)


def run_advance(*, run_id: int) -> None:
    """Queue the run's next waiting row, or finish the run."""
    with transaction.atomic():
        run = SetupRun.objects.select_for_update().get(pk=run_id)
        if run.status != SetupRun.Status.RUNNING:
            return
        records = list(run.records.all())
        if any(r.state == State.WORKING for r in records):
            return
        if any(r.state == State.FAILED for r in records):
            _run_finish(run, SetupRun.Status.FAILED)
            return
        waiting = next((r for r in records if r.state == State.WAITING), None)
        if waiting is None:
            _run_finish(run, SetupRun.Status.SUCCEEDED)
            return
        _enqueue_record(waiting.pk)


def _enqueue_record(record_id: int) -> None:
    from setup_wizard.tasks import apply_record

    transaction.on_commit(lambda: apply_record.delay(record_id))


def _run_finish(run: SetupRun, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.summary = _run_summary(run)[:255]
    run.save(update_fields=["status", "finished_at", "summary", "updated_at"])
    if run.kind == SetupRun.Kind.WIZARD:
        audit_record(
            org=run.org,
            actor=run.created_by,
            action="setup.finished",
            outcome=(
                Outcome.SUCCEEDED
                if status == SetupRun.Status.SUCCEEDED
                else Outcome.FAILED
            ),
            target=run.extension_api_name,
            salesforce_ids=[r.sf_id for r in run.records.exclude(sf_id="")],
            detail=run.summary,
        )


def _run_summary(run: SetupRun) -> str:
    if run.status == SetupRun.Status.FAILED:
        failed = run.records.filter(state=State.FAILED).first()
        return "Stopped: %s" % (failed.reason if failed else "a step failed.")
    extension = run.extension
    if extension is None or run.kind == SetupRun.Kind.CHANGE:
        return "Done."
    extension.refresh_from_db()
    types = list(extension.activity_types.values_list("label", flat=True))
    units = list(extension.assignments.values_list("business_unit__name", flat=True))
    state = "active" if extension.is_active else "created but inactive"
    return "%s is %s with %s activity type%s (%s), assigned to %s." % (
        extension.label,
        state,
        len(types),
        "" if len(types) == 1 else "s",
        ", ".join(types),
        ", ".join(units),
    )


# Applying one row (called by the task)


def record_claim(*, record_id: int, task_id: str) -> RecordProgress | None:
    """Take a waiting row for this task; None when another task has it, it is
    finished, or its run is not running."""
    takeable = Q(state=State.WAITING)
    if task_id:
        # The same message delivered again after its worker was lost.
        takeable |= Q(state=State.WORKING, task_id=task_id)
    claimed = RecordProgress.objects.filter(
        takeable, pk=record_id, run__status=SetupRun.Status.RUNNING
    ).update(
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
        "Setup row %s (%s %s) done: %s",
        record.pk,
        record.action,
        record.kind,
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
        "Setup row %s (%s %s) failed: %s", record.pk, record.action, record.kind, error
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


# Changes after setup (the Extensions page)


def _pending_key(extension: Extension, kind: str, name: str) -> str:
    return "%s:%s:%s:%s" % (extension.org_id, extension.pk, kind, name.lower())


def _change_start(
    *, extension: Extension, actor: AbstractBaseUser, rows: list[dict]
) -> SetupRun | None:
    """A one-off run for changes to ``extension``; None when the same change
    is already waiting or working."""
    try:
        with transaction.atomic():
            run = SetupRun.objects.create(
                org=extension.org,
                kind=SetupRun.Kind.CHANGE,
                created_by=actor,
                status=SetupRun.Status.RUNNING,
                extension=extension,
                extension_api_name=extension.api_name,
                extension_label=extension.label,
                started_at=timezone.now(),
            )
            for position, row in enumerate(rows):
                RecordProgress.objects.create(run=run, position=position, **row)
            run_advance(run_id=run.pk)
    except IntegrityError:
        return None
    return run


def extension_set_active(
    *, extension: Extension, active: bool, actor: AbstractBaseUser
) -> SetupRun | None:
    row = {
        "kind": Kind.EXTENSION,
        "action": Action.ACTIVATE if active else Action.DEACTIVATE,
        "api_name": extension.api_name,
        "label": extension.label,
        "pending_key": _pending_key(extension, Kind.EXTENSION, extension.api_name),
    }
    return _change_start(extension=extension, actor=actor, rows=[row])


def activity_type_set_active(
    *, activity_type: ActivityType, active: bool, actor: AbstractBaseUser
) -> SetupRun | None:
    extension = activity_type.extension
    row = {
        "kind": Kind.ACTIVITY_TYPE,
        "action": Action.ACTIVATE if active else Action.DEACTIVATE,
        "api_name": activity_type.api_name,
        "label": activity_type.label,
        "pending_key": _pending_key(
            extension, Kind.ACTIVITY_TYPE, activity_type.api_name
        ),
    }
    return _change_start(extension=extension, actor=actor, rows=[row])


def activity_type_add(
    *,
    extension: Extension,
    label: str,
    api_name: str,
    description: str,
    activate: bool,
    actor: AbstractBaseUser,
) -> SetupRun | None:
    rows = [
        {
            "kind": Kind.ACTIVITY_TYPE,
            "action": Action.CREATE,
            "api_name": api_name,
            "label": label,
            "description": description,
            "pending_key": _pending_key(extension, Kind.ACTIVITY_TYPE, api_name),
        }
    ]
    if activate:
        rows.append(
            {
                "kind": Kind.ACTIVITY_TYPE,
                "action": Action.ACTIVATE,
                "api_name": api_name,
                "label": label,
            }
        )
    return _change_start(extension=extension, actor=actor, rows=rows)


def assignment_add(
    *, extension: Extension, business_unit: BusinessUnit, actor: AbstractBaseUser
) -> SetupRun | None:
    row = {
        "kind": Kind.ASSIGNMENT,
        "action": Action.ASSIGN,
        "api_name": business_unit.sf_id,
        "label": business_unit.name,
        "pending_key": _pending_key(extension, Kind.ASSIGNMENT, business_unit.sf_id),
    }
    return _change_start(extension=extension, actor=actor, rows=[row])


def assignment_remove(
    *, assignment: Assignment, actor: AbstractBaseUser
) -> SetupRun | None:
    extension, unit = assignment.extension, assignment.business_unit
    row = {
        "kind": Kind.ASSIGNMENT,
        "action": Action.UNASSIGN,
        "api_name": unit.sf_id,
        "label": unit.name,
        "pending_key": _pending_key(extension, Kind.ASSIGNMENT, unit.sf_id),
    }
    return _change_start(extension=extension, actor=actor, rows=[row])


# Checks (read-only looks at the org)


def check_start(
    *,
    org: Org,
    kind: str,
    actor: AbstractBaseUser | None = None,
    run: SetupRun | None = None,
    subject: str = "",
) -> Check:
    """Queue a check, or return the same one already on its way."""
    recent = timezone.now() - CHECK_PATIENCE
    pending = Check.objects.filter(
        org=org,
        kind=kind,
        run=run,
        subject=subject,
        state__in=[Check.State.WAITING, Check.State.WORKING],
        created_at__gte=recent,
    ).first()
    if pending is not None:
        return pending
    check = Check.objects.create(
        org=org, kind=kind, run=run, subject=subject, requested_by=actor
    )
    _enqueue_check(check.pk)
    return check


def _enqueue_check(check_id: int) -> None:
    from setup_wizard.tasks import perform_check

    transaction.on_commit(lambda: perform_check.delay(check_id))


def check_claim(*, check_id: int, task_id: str) -> Check | None:
    takeable = Q(state=Check.State.WAITING)
    if task_id:
        takeable |= Q(state=Check.State.WORKING, task_id=task_id)
    claimed = Check.objects.filter(takeable, pk=check_id).update(
        state=Check.State.WORKING, task_id=task_id, started_at=timezone.now()
    )
    if not claimed:
        return None
    return Check.objects.select_related("org", "run").get(pk=check_id)


def check_perform(*, check: Check) -> None:
    org = check.org
    if check.kind == Check.Kind.PREFLIGHT:
        result = inspection.preflight(lambda: SalesforceClient.for_org(org), org)
    else:
        with SalesforceClient.for_org(org) as client:
            result = _CHECKS[check.kind](client, check)
    check.result = result
    check.state = Check.State.DONE
    check.reason = ""
    check.finished_at = timezone.now()
    check.save()
    logger.info("Check %s (%s) for org %s done", check.pk, check.kind, org.pk)


_CHECKS = {
    Check.Kind.EXTENSION_LOOKUP: lambda c, check: inspection.extension_lookup(
        c, check.subject
    ),
    Check.Kind.EXTENSION_LIST: lambda c, check: inspection.extension_list(c),
    Check.Kind.DRIFT: lambda c, check: inspection.drift(c, check.org),
}


def check_fail(*, check: Check, error: Exception) -> None:
    logger.warning("Check %s (%s) failed: %s", check.pk, check.kind, error)
    if isinstance(error, RefreshTokenRevoked):
        reason = (
            "Salesforce no longer accepts the org's connection. Reconnect under "
            "Settings, then try again."
        )
    elif isinstance(error, SalesforceError):
        reason = error.user_message
    else:
        reason = (
            "The console could not finish this check (the log has the details). "
            "Try again in a moment."
        )
    check.state = Check.State.FAILED
    check.reason = reason
    check.finished_at = timezone.now()
    check.save()


# Verify


def drift_resolve(*, check: Check, actor: AbstractBaseUser) -> int | None:
    """Bring the mirror in line with a drift check's findings, once.

    None when this check was already applied (a second click).
    """
    with transaction.atomic():
        resolved = Check.objects.filter(
            pk=check.pk,
            kind=Check.Kind.DRIFT,
            state=Check.State.DONE,
            resolved_at__isnull=True,
        ).update(resolved_at=timezone.now())
        if not resolved:
            return None
        differences = check.result.get("differences", [])
        applied = alignment.apply(check.org, differences)
        audit_record(
            org=check.org,
            actor=actor,
            action="setup.mirror_aligned",
            outcome=Outcome.SUCCEEDED,
            target="%s difference%s" % (applied, "" if applied == 1 else "s"),
            salesforce_ids=[d["sf_id"] for d in differences if d.get("sf_id")],
            detail="\n".join(d["sentence"] for d in differences),
        )
    return applied


def verify_all_orgs() -> int:
    """Queue a drift check for every org that has a usable connection."""
    Check.objects.filter(
        kind=Check.Kind.DRIFT, created_at__lt=timezone.now() - DRIFT_KEPT_FOR
    ).delete()
    queued = 0
    orgs = Org.objects.filter(execution_connection__isnull=False).select_related(
        "execution_connection"
    )
    for org in orgs:
        if not org.execution_connection.is_usable:
            continue
        if not Extension.objects.filter(org=org).exists():
            continue
        check_start(org=org, kind=Check.Kind.DRIFT)
        queued += 1
    return queued
