"""Checks (read-only looks at an org) and Verify."""

import logging
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from salesforce.audit import audit_record
from salesforce.client import SalesforceClient
from salesforce.errors import RefreshTokenRevoked, SalesforceError
from salesforce.models import AuditEvent, Extension, Org
from setup_wizard import alignment, inspection, queueing
from setup_wizard.models import Check, SetupRun
from setup_wizard.wording import QUEUE_DOWN

logger = logging.getLogger(__name__)

Outcome = AuditEvent.Outcome

DRIFT_KEPT_FOR = timedelta(days=14)


def check_start(
    *,
    org: Org,
    kind: str,
    actor: AbstractBaseUser | None = None,
    run: SetupRun | None = None,
    subject: str = "",
) -> Check:
    """Queue a check, or return the same one already on its way.

    The look and the create take turns on the org row, so two clicks at once
    queue one check. Nothing here calls out: the task is published only
    after commit, with the lock released.
    """
    with transaction.atomic():
        Org.objects.select_for_update(no_key=True).get(pk=org.pk)
        # Older than a check's patience, it lost its task: queue it again.
        recent = timezone.now() - Check.PATIENCE
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
        _enqueue_check(check)
    return check


def _enqueue_check(check: Check) -> None:
    from setup_wizard.tasks import perform_check

    queueing.enqueue(
        perform_check, check.pk, org_id=check.org_id, on_failure=_check_unqueued
    )


def _check_unqueued(check_id: int) -> None:
    """A check the broker did not take: failed, so the page offers it again."""
    Check.objects.filter(pk=check_id, state=Check.State.WAITING).update(
        state=Check.State.FAILED, reason=QUEUE_DOWN, finished_at=timezone.now()
    )


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
