"""Bringing the mirror in line with what a drift check found in Salesforce."""

from salesforce.models import ActivityType, Assignment, Extension, Org
from salesforce.tooling import RemoteActivityType, RemoteAssignment
from setup_wizard import mirroring

MODELS = {"extension": Extension, "activity_type": ActivityType}


def apply(org: Org, differences: list[dict]) -> int:
    """Apply each difference to the mirror; the number applied."""
    applied = 0
    for difference in differences:
        handler = _HANDLERS.get((difference["object"], difference["change"]))
        if handler is not None and handler(org, difference):
            applied += 1
    return applied


def _set_active(org: Org, difference: dict) -> bool:
    model = MODELS[difference["object"]]
    rows = model.objects.filter(org=org, sf_id=difference["sf_id"])
    return bool(rows.update(is_active=difference["is_active"]))


def _rename(org: Org, difference: dict) -> bool:
    model = MODELS[difference["object"]]
    row = model.objects.filter(org=org, sf_id=difference["sf_id"]).first()
    if row is None:
        return False
    row.label = difference["label"][:40]
    row.api_name = difference["api_name"]
    row.save(update_fields=["label", "api_name", "updated_at"])
    return True


def _forget(org: Org, difference: dict) -> bool:
    model = MODELS[difference["object"]]
    rows = model.objects.filter(org=org, sf_id=difference["sf_id"])
    # Submissions keep the names they were sent with; their link is cleared.
    return bool(rows.delete()[0])


def _type_add(org: Org, difference: dict) -> bool:
    extension = Extension.objects.filter(org=org, sf_id=difference["extension"])
    extension = extension.first()
    if extension is None:
        return False
    remote = RemoteActivityType(**difference["record"])
    mirroring.activity_type_save(extension=extension, remote=remote)
    return True


def _assignment_forget(org: Org, difference: dict) -> bool:
    rows = Assignment.objects.filter(
        org=org,
        extension__sf_id=difference["extension"],
        business_unit__sf_id=difference["business_unit"],
    )
    return bool(rows.delete()[0])


def _assignment_add(org: Org, difference: dict) -> bool:
    extension = Extension.objects.filter(org=org, sf_id=difference["extension"])
    extension = extension.first()
    if extension is None:
        return False
    remote = RemoteAssignment(
        sf_id=difference["sf_id"],
        extension_sf_id=difference["extension"],
        business_unit_sf_id=difference["business_unit"],
    )
    mirroring.assignment_save(extension=extension, remote=remote)
    return True


_HANDLERS = {
    ("extension", "activated"): _set_active,
    ("extension", "deactivated"): _set_active,
    ("extension", "renamed"): _rename,
    ("extension", "missing"): _forget,
    ("activity_type", "activated"): _set_active,
    ("activity_type", "deactivated"): _set_active,
    ("activity_type", "renamed"): _rename,
    ("activity_type", "missing"): _forget,
    ("activity_type", "added"): _type_add,
    ("assignment", "missing"): _assignment_forget,
    ("assignment", "added"): _assignment_add,
}
