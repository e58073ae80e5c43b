"""Writing what Salesforce holds into the console's mirror.

Rows are matched on their Salesforce id first and their API name second, so a
record renamed in Salesforce updates its row instead of adding a second one.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from salesforce.models import (
    ActivityType,
    Assignment,
    BusinessUnit,
    Extension,
    Org,
)
from salesforce.tooling import (
    RemoteActivityType,
    RemoteAssignment,
    RemoteBusinessUnit,
    RemoteExtension,
)


def business_unit_save(*, org: Org, remote: RemoteBusinessUnit) -> BusinessUnit:
    unit, _ = BusinessUnit.objects.update_or_create(
        org=org,
        sf_id=remote.sf_id,
        defaults={
            "name": remote.name,
            "creation_status": remote.creation_status or "",
            "seen_at": timezone.now(),
        },
    )
    return unit


def business_unit_for(*, org: Org, sf_id: str, name: str = "") -> BusinessUnit:
    unit, _ = BusinessUnit.objects.get_or_create(
        org=org, sf_id=sf_id, defaults={"name": name or sf_id}
    )
    return unit


def extension_save(
    *, org: Org, remote: RemoteExtension, actor: AbstractBaseUser | None = None
) -> Extension:
    values = {
        "sf_id": remote.sf_id,
        "api_name": remote.api_name,
        "label": remote.label[:40],
        "description": remote.description or "",
        "is_active": remote.is_active,
    }
    row = (
        Extension.objects.filter(org=org, sf_id=remote.sf_id).first()
        or Extension.objects.filter(org=org, api_name__iexact=remote.api_name).first()
    )
    if row is None:
        return Extension.objects.create(org=org, created_by=actor, **values)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def activity_type_save(
    *, extension: Extension, remote: RemoteActivityType
) -> ActivityType:
    values = {
        "sf_id": remote.sf_id,
        "api_name": remote.api_name,
        "label": remote.label[:40],
        "description": remote.description or "",
        "is_active": remote.is_active,
    }
    types = ActivityType.objects.filter(extension=extension)
    row = (
        types.filter(sf_id=remote.sf_id).first()
        or types.filter(api_name__iexact=remote.api_name).first()
    )
    if row is None:
        return ActivityType.objects.create(
            org=extension.org, extension=extension, **values
        )
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def assignment_save(
    *, extension: Extension, remote: RemoteAssignment, unit_name: str = ""
) -> Assignment:
    unit = business_unit_for(
        org=extension.org, sf_id=remote.business_unit_sf_id, name=unit_name
    )
    row, _ = Assignment.objects.update_or_create(
        extension=extension,
        business_unit=unit,
        defaults={"org": extension.org, "sf_id": remote.sf_id},
    )
    return row


def assignment_forget(*, extension: Extension, business_unit_sf_id: str) -> None:
    Assignment.objects.filter(
        extension=extension, business_unit__sf_id=business_unit_sf_id
    ).delete()
