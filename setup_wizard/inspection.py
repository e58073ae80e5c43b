"""Read-only looks at an org: the pre-flight checks, API-name look-ups, the
list of extensions already there, and the drift between Salesforce and the
mirror. Each returns the JSON a ``Check`` keeps for the page.
"""

from dataclasses import asdict

from django.conf import settings

from salesforce import signin, tooling
from salesforce.errors import (
    NotFound,
    RefreshTokenRevoked,
    SalesforceError,
    ValidationFailed,
)
from salesforce.models import (
    ACCOUNT_ENGAGEMENT_HOSTS,
    ActivityType,
    Assignment,
    BusinessUnit,
    Extension,
    Org,
    OrgType,
)
from setup_wizard import mirroring

NO_EXTENSIONS_SENTENCE = (
    "This org cannot hold external-activity extensions: they need Account "
    "Engagement Plus, Advanced or Premium. Ask your Salesforce account team to "
    "enable them, then check again."
)


def _item(key: str, title: str, state: str, sentence: str) -> dict:
    return {"key": key, "title": title, "state": state, "sentence": sentence}


# Pre-flight


def preflight(client_factory, org: Org) -> dict:
    """Run the pre-flight checks; ``client_factory()`` gives a client or raises."""
    items = [_scopes_item(org)]
    try:
        client = client_factory()
    except SalesforceError as error:
        items.append(_item("tooling", "Setup objects", "failed", _sentence(error)))
        items.append(_host_item(org))
        return _preflight_result(items)
    with client:
        items.append(_tooling_item(client))
        items.append(_units_item(client, org))
        _refresh_org_type(client, org)
    items.append(_host_item(org))
    return _preflight_result(items)


def _preflight_result(items: list[dict]) -> dict:
    ok = all(i["state"] != "failed" for i in items)
    return {"ok": ok, "checks": items}


def _scopes_item(org: Org) -> dict:
    title = "Permissions granted"
    connection = org.execution_connection
    if connection is None:
        return _item(
            "scopes",
            title,
            "failed",
            "No Salesforce connection is set for this org. Connect it under "
            "Settings, then check again.",
        )
    missing = signin.missing_scopes(connection.scope_set)
    if not missing:
        return _item(
            "scopes",
            title,
            "ok",
            "The connection grants api, pardot_api and refresh_token.",
        )
    # Setup itself only needs api; the others matter once activity is sent.
    state = "failed" if "api" in missing else "warning"
    return _item(
        "scopes",
        title,
        state,
        "The connection lacks %s. Add %s to the connected app's OAuth scopes, "
        "then reconnect under Settings."
        % (", ".join(missing), "it" if len(missing) == 1 else "them"),
    )


def _tooling_item(client) -> dict:
    title = "Setup objects reachable"
    try:
        client.tooling_query("SELECT Id FROM MarketingAppExtension LIMIT 1")
    except (NotFound, ValidationFailed) as error:
        if isinstance(error, NotFound) or error.code == "INVALID_TYPE":
            return _item("tooling", title, "failed", NO_EXTENSIONS_SENTENCE)
        return _item("tooling", title, "failed", error.user_message)
    except SalesforceError as error:
        return _item("tooling", title, "failed", _sentence(error))
    return _item(
        "tooling", title, "ok", "Salesforce answers for extensions and activity types."
    )


def _units_item(client, org: Org) -> dict:
    title = "Business units found"
    try:
        units = tooling.list_business_units(client)
    except SalesforceError as error:
        return _item("business_units", title, "failed", _sentence(error))
    for unit in units:
        mirroring.business_unit_save(org=org, remote=unit)
    if not units:
        return _item(
            "business_units",
            title,
            "failed",
            "Salesforce lists no Account Engagement business unit for this org. "
            "Finish the Account Engagement setup in Salesforce, then check again.",
        )
    names = ", ".join(u.name for u in units)
    return _item("business_units", title, "ok", "Found %s." % names)


def _refresh_org_type(client, org: Org) -> None:
    try:
        remote = tooling.describe_org(client)
    except SalesforceError:
        return
    if remote.org_type and remote.org_type != org.org_type:
        org.org_type = remote.org_type
        org.save(update_fields=["org_type"])


def _host_item(org: Org) -> dict:
    title = "Account Engagement host"
    expected = ACCOUNT_ENGAGEMENT_HOSTS[OrgType(org.org_type)]
    actual = org.account_engagement_host
    kind = org.get_org_type_display()
    if org.account_engagement_url:
        sentence = "Uses %s, the host set for this org (a %s org would use %s)." % (
            actual,
            kind.lower(),
            expected,
        )
        return _item("host", title, "info", sentence)
    if settings.ACCOUNT_ENGAGEMENT_URL:
        where = "the demo emulator" if settings.DEMO_MODE else "ACCOUNT_ENGAGEMENT_URL"
        sentence = "Uses %s at %s instead of %s." % (where, actual, expected)
        return _item("host", title, "info", sentence)
    return _item("host", title, "ok", "%s for this %s org." % (actual, kind.lower()))


def _sentence(error: SalesforceError) -> str:
    if isinstance(error, RefreshTokenRevoked):
        return (
            "Salesforce no longer accepts the org's connection. Reconnect under "
            "Settings, then check again."
        )
    return error.user_message


# Extensions already in the org


def extension_lookup(client, api_name: str) -> dict:
    remote = tooling.find_extension(client, api_name)
    if remote is None:
        return {"found": False}
    return {"found": True, "extension": _extension_entry(client, remote)}


def extension_list(client) -> dict:
    types = tooling.list_activity_types(client)
    assignments = tooling.list_assignments(client)
    entries = [
        _extension_entry(client, remote, types, assignments)
        for remote in tooling.list_extensions(client)
    ]
    return {"extensions": entries}


def _extension_entry(client, remote, types=None, assignments=None) -> dict:
    if types is None:
        types = tooling.list_activity_types(client, remote.sf_id)
    if assignments is None:
        assignments = tooling.list_assignments(client, remote.sf_id)
    unit_ids = [
        a.business_unit_sf_id for a in assignments if a.extension_sf_id == remote.sf_id
    ]
    names = dict(
        BusinessUnit.objects.filter(org=client.org, sf_id__in=unit_ids).values_list(
            "sf_id", "name"
        )
    )
    return {
        **asdict(remote),
        "types": [asdict(t) for t in types if t.extension_sf_id == remote.sf_id],
        "business_unit_ids": unit_ids,
        "business_units": [
            {"sf_id": unit_id, "name": names.get(unit_id, unit_id)}
            for unit_id in unit_ids
        ],
    }


# Drift


def drift(client, org: Org) -> dict:
    """Where the mirror and Salesforce disagree, with what Salesforce holds."""
    extensions = {e.sf_id: e for e in tooling.list_extensions(client)}
    types = {t.sf_id: t for t in tooling.list_activity_types(client)}
    assignments = tooling.list_assignments(client)
    differences = []
    mirrored = Extension.objects.filter(org=org).exclude(sf_id="")
    for extension in mirrored:
        differences += _extension_drift(extension, extensions.get(extension.sf_id))
        if extension.sf_id in extensions:
            differences += _types_drift(extension, types)
            differences += _assignments_drift(extension, assignments)
    return {"differences": differences}


def _difference(obj: str, change: str, sentence: str, **fields) -> dict:
    return {"object": obj, "change": change, "sentence": sentence, **fields}


def _extension_drift(extension: Extension, remote) -> list[dict]:
    name = extension.label
    if remote is None:
        return [
            _difference(
                "extension",
                "missing",
                "The extension %s is missing from Salesforce." % name,
                sf_id=extension.sf_id,
            )
        ]
    return _record_drift("extension", "extension", extension, remote)


def _record_drift(obj: str, noun: str, row, remote, **extra) -> list[dict]:
    found = []
    if remote.is_active != row.is_active:
        change = "activated" if remote.is_active else "deactivated"
        found.append(
            _difference(
                obj,
                change,
                "The %s %s was %s in Salesforce." % (noun, row.label, change),
                sf_id=row.sf_id,
                is_active=remote.is_active,
                **extra,
            )
        )
    # The mirror keeps at most 40 characters of a label.
    if remote.label[:40] != row.label or remote.api_name != row.api_name:
        found.append(
            _difference(
                obj,
                "renamed",
                "The %s %s is now called %s (%s) in Salesforce."
                % (noun, row.label, remote.label, remote.api_name),
                sf_id=row.sf_id,
                label=remote.label,
                api_name=remote.api_name,
                **extra,
            )
        )
    return found


def _types_drift(extension: Extension, types: dict) -> list[dict]:
    found = []
    mirrored = ActivityType.objects.filter(extension=extension).exclude(sf_id="")
    known = set()
    for row in mirrored:
        known.add(row.sf_id)
        remote = types.get(row.sf_id)
        if remote is None:
            found.append(
                _difference(
                    "activity_type",
                    "missing",
                    "The activity type %s is missing from Salesforce." % row.label,
                    sf_id=row.sf_id,
                )
            )
            continue
        found += _record_drift(
            "activity_type", "activity type", row, remote, extension=extension.sf_id
        )
    for remote in types.values():
        if remote.extension_sf_id == extension.sf_id and remote.sf_id not in known:
            found.append(
                _difference(
                    "activity_type",
                    "added",
                    "Salesforce has an activity type %s (%s) on %s that the "
                    "console does not know."
                    % (remote.label, remote.api_name, extension.label),
                    sf_id=remote.sf_id,
                    extension=extension.sf_id,
                    record=asdict(remote),
                )
            )
    return found


def _assignments_drift(extension: Extension, assignments: list) -> list[dict]:
    remote_units = {
        a.business_unit_sf_id: a
        for a in assignments
        if a.extension_sf_id == extension.sf_id
    }
    rows = Assignment.objects.filter(extension=extension).select_related(
        "business_unit"
    )
    found = []
    for row in rows:
        unit = row.business_unit
        if unit.sf_id not in remote_units:
            found.append(
                _difference(
                    "assignment",
                    "missing",
                    "The assignment of %s to %s was removed in Salesforce."
                    % (extension.label, unit.name),
                    sf_id=row.sf_id,
                    extension=extension.sf_id,
                    business_unit=unit.sf_id,
                )
            )
    known = {row.business_unit.sf_id for row in rows}
    names = dict(
        BusinessUnit.objects.filter(org=extension.org).values_list("sf_id", "name")
    )
    for unit_id, remote in remote_units.items():
        if unit_id not in known:
            found.append(
                _difference(
                    "assignment",
                    "added",
                    "Salesforce assigns %s to the business unit %s, which the "
                    "console does not show."
                    % (extension.label, names.get(unit_id, unit_id)),
                    sf_id=remote.sf_id,
                    extension=extension.sf_id,
                    business_unit=unit_id,
                )
            )
    return found
