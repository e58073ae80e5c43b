"""Wizard runs: the admin's choices step by step, then the plan applied.

A run moves draft → running → succeeded or failed (and back to running on
Retry). Its rows are applied one at a time, in order, each by its own task:
finishing one queues the next, and the first failure stops the run with the
rows after it still waiting, so Retry picks up exactly there.
"""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from salesforce.audit import audit_record
from salesforce.models import AuditEvent, Org
from setup_wizard import queueing, selectors
from setup_wizard.models import Check, RecordProgress, SetupRun
from setup_wizard.services.checks import check_start
from setup_wizard.wording import QUEUE_DOWN

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


# What the steps choose; saved only while the run is a draft, so a page
# submitted from a stale tab cannot undo a start made meanwhile.
CHOICE_FIELDS = (
    "step",
    "extension_label",
    "extension_api_name",
    "extension_description",
    "adopt_sf_id",
    "adopt_is_active",
    "activity_types",
    "business_unit_ids",
    "existing_assignments",
)


def _save_choices(run: SetupRun) -> bool:
    """Write the run's choices if it is still a draft; False when it is not."""
    choices = {name: getattr(run, name) for name in CHOICE_FIELDS}
    drafts = SetupRun.objects.filter(pk=run.pk, status=SetupRun.Status.DRAFT)
    return bool(drafts.update(**choices, updated_at=timezone.now()))


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
    if _save_choices(run):
        _look_up_name(run)


def _look_up_name(run: SetupRun) -> None:
    """Ask Salesforce about the extension's API name unless the console
    already knows the extension."""
    name = run.extension_api_name
    if (
        name
        and not run.is_adopting
        and selectors.known_extension(run.org, name) is None
    ):
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
    _save_choices(run)


def run_forget_adoption(*, run: SetupRun) -> None:
    _forget_adoption(run)
    _save_choices(run)


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
    _save_choices(run)


def run_save_business_units(*, run: SetupRun, unit_ids: list[str]) -> None:
    run.business_unit_ids = list(dict.fromkeys(unit_ids))
    _reach(run, SetupRun.Step.REVIEW)
    _save_choices(run)


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
        retried = SetupRun.objects.filter(pk=run.pk, status=SetupRun.Status.FAILED)
        if retried.update(status=SetupRun.Status.RUNNING, finished_at=None):
            run.records.filter(state=State.FAILED).update(
                state=State.WAITING, task_id=""
            )
        elif selectors.run_is_stalled(run, STALLED_AFTER):
            # Its task was lost with a worker or the broker: queue it again.
            run.records.filter(state=State.WORKING).update(
                state=State.WAITING, task_id=""
            )
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
        _enqueue_record(waiting.pk, run.org_id)


def _enqueue_record(record_id: int, org_id: int) -> None:
    from setup_wizard.tasks import apply_record

    queueing.enqueue(
        apply_record, record_id, org_id=org_id, on_failure=_record_unqueued
    )


def _record_unqueued(record_id: int) -> None:
    """A row the broker did not take: failed, which stops its run for Retry."""
    rows = RecordProgress.objects.filter(pk=record_id, state=State.WAITING)
    run_id = rows.values_list("run_id", flat=True).first()
    failed = rows.update(
        state=State.FAILED,
        reason=QUEUE_DOWN,
        pending_key=None,
        finished_at=timezone.now(),
    )
    if failed:
        run_advance(run_id=run_id)


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
