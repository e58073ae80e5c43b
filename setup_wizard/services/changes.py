"""Changes after setup, from the Extensions page: each a one-off run whose
rows the same tasks apply, with the same live progress."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension
from setup_wizard.models import RecordProgress, SetupRun
from setup_wizard.services.runs import run_advance

Kind = RecordProgress.Kind
Action = RecordProgress.Action


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
