"""Creating, changing and showing Tooling records, with Salesforce's rules."""

from __future__ import annotations

import re
from typing import Any

from emulator import clock, seed
from emulator.messages import SalesforceError
from emulator.schema import ACTIVITY_TYPE, EXTENSION, Field, SObject
from emulator.sessions import Session
from emulator.state import State

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def render(
    spec: SObject,
    record: dict[str, Any],
    base: str,
    names: list[str] | None = None,
) -> dict[str, Any]:
    """The record as the API shows it: attributes first, then its fields."""
    url = f"{base}/sobjects/{spec.name}/{record['Id']}"
    shown = {"attributes": {"type": spec.name, "url": url}}
    shown.update((name, record.get(name)) for name in names or spec.field_names)
    return shown


def create(state: State, session: Session, spec: SObject, body: Any) -> dict[str, Any]:
    values = _values(spec, body, creating=True)
    record: dict[str, Any] = {f.name: None for f in spec.fields}
    record.update(_defaults(spec))
    record.update(values)
    if spec.field("DeveloperName") and not record["DeveloperName"]:
        # The documentation says the API name is generated when not given.
        # Choice: it is made from the label, with runs of other characters
        # turned into one underscore.
        record["DeveloperName"] = suggest_api_name(record.get("MasterLabel") or "")
        values["DeveloperName"] = record["DeveloperName"]
    _check(state, session, spec, record, values)
    _check_limits(state, session, spec, record)

    stamp = clock.salesforce_datetime(clock.now())
    record.update(
        Id=seed.new_record_id(state.data, spec.key_prefix),
        CreatedDate=stamp,
        CreatedById=session.user["Id"],
        LastModifiedDate=stamp,
        LastModifiedById=session.user["Id"],
        _org=session.org["Id"],
    )
    seed.store(state.data, spec.name, record)
    return record


def update(
    state: State, session: Session, spec: SObject, record: dict[str, Any], body: Any
) -> None:
    values = _values(spec, body, creating=False)
    _check(state, session, spec, {**record, **values}, values)
    record.update(values)
    record["LastModifiedDate"] = clock.salesforce_datetime(clock.now())
    record["LastModifiedById"] = session.user["Id"]


def suggest_api_name(label: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
    if name and not name[0].isalpha():
        name = "X" + name
    return name[:40].rstrip("_")


def api_name_problem(name: str) -> str | None:
    if not _API_NAME.fullmatch(name):
        return "must start with a letter and hold only letters, digits and _"
    if "__" in name:
        return "must not hold two underscores in a row"
    if name.endswith("_"):
        return "must not end with an underscore"
    return None


def _values(spec: SObject, body: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "The request body must be a JSON object."
        )
    values = {}
    for key, value in body.items():
        # Choice: "attributes" is ignored, since clients often echo it back.
        if key == "attributes":
            continue
        if key.lower() == "id":
            message = "The Id field cannot be set in the record data."
            raise SalesforceError(400, "INVALID_FIELD", message, [key])
        field = spec.field(key)
        if field is None:
            message = f"No such column '{key}' on sobject of type {spec.name}"
            raise SalesforceError(400, "INVALID_FIELD", message, [key])
        if not (field.create if creating else field.update):
            verb = "create" if creating else "update"
            message = f"Unable to {verb} the field {field.name} on {spec.name}."
            raise SalesforceError(
                400, "INVALID_FIELD_FOR_INSERT_UPDATE", message, [field.name]
            )
        _check_json_type(field, value)
        values[field.name] = value
    return values


def _check_json_type(field: Field, value: Any) -> None:
    # Choice: a value of the wrong JSON type is JSON_PARSER_ERROR.
    if field.kind == "boolean":
        fits = isinstance(value, bool)
    else:
        fits = value is None or isinstance(value, str)
    if not fits:
        wanted = "true or false" if field.kind == "boolean" else "a string"
        message = f"The value of {field.name} must be {wanted}."
        raise SalesforceError(400, "JSON_PARSER_ERROR", message, [field.name])


def _defaults(spec: SObject) -> dict[str, Any]:
    defaults = {"IsActive": False, "Language": "en_US", "ManageableState": "unmanaged"}
    return {k: v for k, v in defaults.items() if spec.field(k)}


def _check(
    state: State,
    session: Session,
    spec: SObject,
    record: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    missing = [
        f.name for f in spec.fields if f.required and record.get(f.name) in (None, "")
    ]
    if missing:
        message = f"Required fields are missing: [{', '.join(missing)}]"
        raise SalesforceError(400, "REQUIRED_FIELD_MISSING", message, missing)
    for name, value in changed.items():
        changed[name] = record[name] = _checked(state, session, spec.field(name), value)
    _check_unique(state, session, spec, record)


def _checked(state: State, session: Session, field: Field, value: Any) -> Any:
    """The value as stored (references as 18-character ids), once checked.

    Choice: a broken API-name rule and a reference to no record of the org
    are both FIELD_INTEGRITY_EXCEPTION; too long a text is STRING_TOO_LONG.
    """
    if field.max_length and isinstance(value, str) and len(value) > field.max_length:
        message = f"{field.name}: data value too large (max length={field.max_length})"
        raise SalesforceError(400, "STRING_TOO_LONG", message, [field.name])
    if field.name == "DeveloperName":
        problem = api_name_problem(value or "")
        if problem:
            message = f"The API name {value!r} {problem}."
            raise SalesforceError(
                400, "FIELD_INTEGRITY_EXCEPTION", message, [field.name]
            )
    if field.choices and value not in field.choices:
        message = f"{field.name}: bad value for restricted picklist field: {value}"
        code = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        raise SalesforceError(400, code, message, [field.name])
    if field.reference_to:
        target = state.find(field.reference_to, session.org["Id"], value)
        if target is None:
            message = (
                f"{field.name}: {value!r} is not the id of a "
                f"{field.reference_to} in this org."
            )
            raise SalesforceError(
                400, "FIELD_INTEGRITY_EXCEPTION", message, [field.name]
            )
        return target["Id"]
    return value


def _check_unique(
    state: State, session: Session, spec: SObject, record: dict[str, Any]
) -> None:
    if not spec.unique_together:
        return
    # Choice: API names are compared without regard to case.
    key = _unique_key(spec, record)
    for other in state.org_records(spec.name, session.org["Id"]):
        if other["Id"] != record.get("Id") and _unique_key(spec, other) == key:
            fields = list(spec.unique_together)
            shown = ", ".join(f"{n}={record[n]}" for n in fields)
            message = f"Another {spec.name} already has {shown}: {other['Id']}"
            raise SalesforceError(400, spec.unique_code, message, fields)


def _unique_key(spec: SObject, record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(record[name]).lower() for name in spec.unique_together)


def _check_limits(
    state: State, session: Session, spec: SObject, record: dict[str, Any]
) -> None:
    # Choice: the limits are emulator settings; the documentation gives none.
    if spec is EXTENSION:
        count = len(state.org_records(spec.name, session.org["Id"]))
        limit, what = state.settings["max_extensions"], "extensions in this org"
    elif spec is ACTIVITY_TYPE:
        siblings = state.org_records(spec.name, session.org["Id"])
        parent = record["MarketingAppExtensionId"]
        count = sum(1 for s in siblings if s["MarketingAppExtensionId"] == parent)
        limit, what = state.settings["max_types_per_extension"], "types per extension"
    else:
        return
    if count >= limit:
        message = f"Limit exceeded: at most {limit} {what}."
        raise SalesforceError(400, "LIMIT_EXCEEDED", message)
