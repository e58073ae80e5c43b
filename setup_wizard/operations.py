"""What each progress row does in Salesforce, one function per kind of row.

Every operation is find-or-create (or read-then-change), so running one again,
after a retry, a redelivered task or a second click, finds what the first run
made instead of making it twice. Each sets ``record.sf_id`` and
``record.result`` and writes the mirror; the caller saves the row.
"""

from collections.abc import Callable
from dataclasses import replace

from django.utils import timezone

from salesforce import tooling
from salesforce.errors import DuplicateApiName, NotFound
from salesforce.models import Extension
from setup_wizard import mirroring
from setup_wizard.models import RecordProgress, SetupRun

Action = RecordProgress.Action
Kind = RecordProgress.Kind
Result = RecordProgress.Result


def apply(client, record: RecordProgress) -> None:
    operation = OPERATIONS[(record.kind, record.action)]
    operation(client, record)


# Extensions


def _extension_create(client, record: RecordProgress) -> None:
    existing = tooling.find_extension(client, record.api_name)
    if existing and record.create_sent_at is None:
        raise DuplicateApiName(
            "MarketingAppExtension %s exists" % record.api_name,
            code="DUPLICATE_DEVELOPER_NAME",
            user_message=(
                "An extension with the API name %s already exists in Salesforce. "
                "Go back to the Extension step to adopt it, or choose another API "
                "name." % record.api_name
            ),
        )
    if existing is None:
        _mark_create_sent(record)
        existing = _extension_send_create(client, record)
    # Otherwise found with a create already sent: an earlier attempt of this
    # row made it.
    _extension_done(record, existing, Result.CREATED)


def _extension_send_create(client, record: RecordProgress) -> tooling.RemoteExtension:
    """Create the extension whose API name was just found free."""
    mapping = tooling.EXTENSION
    fields = mapping.salesforce_fields(
        api_name=record.api_name,
        label=record.label,
        description=record.description,
        is_active=False,
    )
    try:
        new_id = client.tooling_create(mapping.sobject, fields)
    except DuplicateApiName:
        # Refused, so nothing was made: the name is held by someone else's
        # extension, which a retry must not take for this row's.
        record.create_sent_at = None
        record.save(update_fields=["create_sent_at"])
        raise
    return tooling.RemoteExtension(
        new_id, record.api_name, record.label, record.description, False
    )


def _extension_adopt(client, record: RecordProgress) -> None:
    remote = tooling.find_extension(client, record.api_name)
    if remote is None:
        raise NotFound(
            "MarketingAppExtension %s not found" % record.api_name,
            user_message=(
                "The extension %s is no longer in Salesforce. Go back to the "
                "Extension step and choose another." % record.api_name
            ),
        )
    _extension_done(record, remote, Result.EXISTING)


def _extension_ensure(client, record: RecordProgress) -> None:
    remote, created = tooling.find_or_create_extension(
        client,
        api_name=record.api_name,
        label=record.label,
        description=record.description,
    )
    _extension_done(record, remote, Result.CREATED if created else Result.EXISTING)


def _extension_done(record: RecordProgress, remote, result: str) -> None:
    run = record.run
    run.extension = mirroring.extension_save(
        org=run.org, remote=remote, actor=run.created_by
    )
    run.save(update_fields=["extension", "updated_at"])
    record.sf_id, record.result = remote.sf_id, result


def _extension_set_active(client, record: RecordProgress) -> None:
    wanted = record.action == Action.ACTIVATE
    remote = tooling.find_extension(client, record.api_name)
    if remote is None:
        raise NotFound(
            "MarketingAppExtension %s not found" % record.api_name,
            user_message="The extension %s is no longer in Salesforce; run Verify "
            "to bring the console in line." % record.api_name,
        )
    result = Result.UNCHANGED
    if remote.is_active != wanted:
        tooling.set_extension_active(client, remote.sf_id, wanted)
        result = Result.CHANGED
    mirrored = _run_extension(record)
    if mirrored is not None:
        mirrored.is_active = wanted
        mirrored.save(update_fields=["is_active", "updated_at"])
    record.sf_id, record.result = remote.sf_id, result


# Activity types


def _type_ensure(client, record: RecordProgress) -> None:
    extension = _required_extension(record)
    remote, created = tooling.find_or_create_activity_type(
        client,
        extension_sf_id=extension.sf_id,
        api_name=record.api_name,
        label=record.label,
        description=record.description,
    )
    mirroring.activity_type_save(extension=extension, remote=remote)
    record.sf_id = remote.sf_id
    record.result = Result.CREATED if created else Result.EXISTING


def _type_set_active(client, record: RecordProgress) -> None:
    wanted = record.action == Action.ACTIVATE
    extension = _required_extension(record)
    remote = _find_type(client, extension, record.api_name)
    if remote is None:
        raise NotFound(
            "MarketingAppExtActivity %s not found" % record.api_name,
            user_message="The activity type %s is not in Salesforce; add it on the "
            "Extensions page first." % record.api_name,
        )
    result = Result.UNCHANGED
    if remote.is_active != wanted:
        tooling.set_activity_type_active(client, remote.sf_id, wanted)
        remote, result = replace(remote, is_active=wanted), Result.CHANGED
    mirroring.activity_type_save(extension=extension, remote=remote)
    record.sf_id, record.result = remote.sf_id, result


def _find_type(client, extension: Extension, api_name: str):
    return tooling.find_activity_type(
        client, extension_sf_id=extension.sf_id, api_name=api_name
    )


# Assignments


def _assignment_ensure(client, record: RecordProgress) -> None:
    extension = _required_extension(record)
    remote, created = tooling.assign_extension(
        client, extension_sf_id=extension.sf_id, business_unit_sf_id=record.api_name
    )
    mirroring.assignment_save(
        extension=extension, remote=remote, unit_name=record.label
    )
    record.sf_id = remote.sf_id
    record.result = Result.CREATED if created else Result.EXISTING


def _assignment_remove(client, record: RecordProgress) -> None:
    extension = _required_extension(record)
    assignments = tooling.list_assignments(client, extension.sf_id)
    found = [a for a in assignments if a.business_unit_sf_id == record.api_name]
    result = Result.UNCHANGED
    for assignment in found:
        # An assignment already gone counts as removed.
        tooling.remove_assignment(client, assignment.sf_id)
        record.sf_id, result = assignment.sf_id, Result.REMOVED
    mirroring.assignment_forget(
        extension=extension, business_unit_sf_id=record.api_name
    )
    record.result = result


# Helpers


def _mark_create_sent(record: RecordProgress) -> None:
    if record.create_sent_at is None:
        record.create_sent_at = timezone.now()
        record.save(update_fields=["create_sent_at"])


def _run_extension(record: RecordProgress) -> Extension | None:
    run: SetupRun = record.run
    if run.extension_id:
        return run.extension
    return Extension.objects.filter(
        org=run.org, api_name__iexact=record.api_name
    ).first()


def _required_extension(record: RecordProgress) -> Extension:
    extension = record.run.extension
    if extension is None or not extension.sf_id:
        raise NotFound(
            "No extension for run %s" % record.run_id,
            user_message="The extension is not set up yet, so this cannot be done. "
            "Retry once the extension is created.",
        )
    return extension


OPERATIONS: dict[tuple[str, str], Callable] = {
    (Kind.EXTENSION, Action.CREATE): _extension_create,
    (Kind.EXTENSION, Action.ADOPT): _extension_adopt,
    (Kind.EXTENSION, Action.EXISTS): _extension_ensure,
    (Kind.EXTENSION, Action.ACTIVATE): _extension_set_active,
    (Kind.EXTENSION, Action.DEACTIVATE): _extension_set_active,
    (Kind.ACTIVITY_TYPE, Action.CREATE): _type_ensure,
    (Kind.ACTIVITY_TYPE, Action.EXISTS): _type_ensure,
    (Kind.ACTIVITY_TYPE, Action.ACTIVATE): _type_set_active,
    (Kind.ACTIVITY_TYPE, Action.DEACTIVATE): _type_set_active,
    (Kind.ASSIGNMENT, Action.ASSIGN): _assignment_ensure,
    (Kind.ASSIGNMENT, Action.EXISTS): _assignment_ensure,
    (Kind.ASSIGNMENT, Action.UNASSIGN): _assignment_remove,
}
