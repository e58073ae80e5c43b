"""Setup in Salesforce: the org, its business units, and the extensions,
activity types and assignments that external activities need.

This is the one place where Salesforce's field names (``DeveloperName``,
``MasterLabel``, ``PardotTenantName``...) meet the console's (``api_name``,
``label``, ``name``...); the rest of the console speaks in the dataclasses
below. Creating is always "find or create": Salesforce cannot delete
extensions or activity types, so a second record with the same API name must
never be made, and one created by someone else in the meantime is adopted.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from salesforce.client import SalesforceClient
from salesforce.errors import DuplicateApiName, NotFound, ValidationFailed
from salesforce.models import OrgType

logger = logging.getLogger(__name__)

API_NAME_MAX_LENGTH = 40
# The Python attributes that hold true or false; every other one is text.
_FLAGS = {"is_active"}


@dataclass(frozen=True)
class RemoteOrg:
    sf_id: str
    name: str
    org_type: str  # an OrgType value


@dataclass(frozen=True)
class RemoteBusinessUnit:
    sf_id: str
    name: str
    creation_status: str


@dataclass(frozen=True)
class RemoteExtension:
    sf_id: str
    api_name: str
    label: str
    description: str
    is_active: bool


@dataclass(frozen=True)
class RemoteActivityType:
    sf_id: str
    extension_sf_id: str
    api_name: str
    label: str
    description: str
    is_active: bool


@dataclass(frozen=True)
class RemoteAssignment:
    sf_id: str
    extension_sf_id: str
    business_unit_sf_id: str


@dataclass(frozen=True)
class _Object:
    """One Tooling object: its name and its fields, Salesforce to Python."""

    sobject: str
    model: type
    fields: dict[str, str]

    def select(self, *conditions: str, order_by: str = "") -> str:
        # Names come from this module; values only through soql_literal.
        soql = "SELECT %s FROM %s" % (", ".join(self.fields), self.sobject)  # noqa: S608
        if conditions:
            soql += " WHERE " + " AND ".join(conditions)
        if order_by:
            soql += " ORDER BY " + order_by
        return soql

    def load(self, record: dict[str, Any]) -> Any:
        values = {
            python: bool(value) if python in _FLAGS else str(value or "")
            for name, python in self.fields.items()
            for value in [record.get(name)]
        }
        return self.model(**values)

    def salesforce_fields(self, **values: Any) -> dict[str, Any]:
        """Python names to Salesforce names, leaving out what is None."""
        names = {python: name for name, python in self.fields.items()}
        return {names[k]: v for k, v in values.items() if v is not None}

    def where(self, python_name: str, value: str) -> str:
        names = {python: name for name, python in self.fields.items()}
        return "%s = %s" % (names[python_name], soql_literal(value))


BUSINESS_UNIT = _Object(
    "PardotTenant",
    RemoteBusinessUnit,
    {"Id": "sf_id", "PardotTenantName": "name", "CreationStatus": "creation_status"},
)
EXTENSION = _Object(
    "MarketingAppExtension",
    RemoteExtension,
    {
        "Id": "sf_id",
        "DeveloperName": "api_name",
        "MasterLabel": "label",
        "Description": "description",
        "IsActive": "is_active",
    },
)
ACTIVITY_TYPE = _Object(
    "MarketingAppExtActivity",
    RemoteActivityType,
    {
        "Id": "sf_id",
        "MarketingAppExtensionId": "extension_sf_id",
        "DeveloperName": "api_name",
        "MasterLabel": "label",
        "Description": "description",
        "IsActive": "is_active",
    },
)
ASSIGNMENT = _Object(
    "MarketingAppExtAssignment",
    RemoteAssignment,
    {
        "Id": "sf_id",
        "MarketingAppExtensionId": "extension_sf_id",
        "ParentId": "business_unit_sf_id",
    },
)
ORGANIZATION_QUERY = "SELECT Id, Name, IsSandbox, OrganizationType FROM Organization"
DEVELOPER_EDITION = "Developer Edition"


def soql_literal(value: str) -> str:
    """A quoted SOQL string, with backslashes and quotes escaped."""
    return "'%s'" % value.replace("\\", "\\\\").replace("'", "\\'")


# The org and its business units


def describe_org(client: SalesforceClient) -> RemoteOrg:
    records = client.rest_query(ORGANIZATION_QUERY)
    if not records:
        raise NotFound("The Organization query returned no record.")
    record = records[0]
    if record.get("IsSandbox"):
        org_type = OrgType.SANDBOX
    elif record.get("OrganizationType") == DEVELOPER_EDITION:
        org_type = OrgType.DEVELOPER
    else:
        org_type = OrgType.PRODUCTION
    return RemoteOrg(
        sf_id=str(record.get("Id") or ""),
        name=str(record.get("Name") or ""),
        org_type=org_type,
    )


def list_business_units(client: SalesforceClient) -> list[RemoteBusinessUnit]:
    soql = BUSINESS_UNIT.select(order_by="PardotTenantName")
    return [BUSINESS_UNIT.load(r) for r in client.tooling_query(soql)]


# Extensions


def list_extensions(client: SalesforceClient) -> list[RemoteExtension]:
    soql = EXTENSION.select(order_by="MasterLabel")
    return [EXTENSION.load(r) for r in client.tooling_query(soql)]


def find_extension(client: SalesforceClient, api_name: str) -> RemoteExtension | None:
    """The extension with this API name (Salesforce ignores case), if any."""
    soql = EXTENSION.select(EXTENSION.where("api_name", api_name))
    records = client.tooling_query(soql)
    return EXTENSION.load(records[0]) if records else None


def find_or_create_extension(
    client: SalesforceClient,
    *,
    api_name: str,
    label: str,
    description: str = "",
    active: bool = False,
) -> tuple[RemoteExtension, bool]:
    """The extension with this API name, created if missing; and whether it
    was created now."""
    _check_api_name(api_name)
    existing = find_extension(client, api_name)
    if existing is not None:
        return existing, False
    fields = EXTENSION.salesforce_fields(
        api_name=api_name, label=label, description=description, is_active=active
    )
    try:
        new_id = client.tooling_create(EXTENSION.sobject, fields)
    except DuplicateApiName:
        # Created by someone else since the query: adopt it.
        existing = find_extension(client, api_name)
        if existing is None:
            raise
        _log_adopted(client, "extension", existing.sf_id)
        return existing, False
    created = RemoteExtension(new_id, api_name, label, description, active)
    return created, True


def set_extension_active(client: SalesforceClient, sf_id: str, active: bool) -> None:
    fields = EXTENSION.salesforce_fields(is_active=active)
    client.tooling_update(EXTENSION.sobject, sf_id, fields)


# Activity types


def list_activity_types(
    client: SalesforceClient, extension_sf_id: str | None = None
) -> list[RemoteActivityType]:
    conditions = []
    if extension_sf_id:
        conditions.append(ACTIVITY_TYPE.where("extension_sf_id", extension_sf_id))
    soql = ACTIVITY_TYPE.select(*conditions, order_by="MasterLabel")
    return [ACTIVITY_TYPE.load(r) for r in client.tooling_query(soql)]


def find_activity_type(
    client: SalesforceClient, *, extension_sf_id: str, api_name: str
) -> RemoteActivityType | None:
    soql = ACTIVITY_TYPE.select(
        ACTIVITY_TYPE.where("extension_sf_id", extension_sf_id),
        ACTIVITY_TYPE.where("api_name", api_name),
    )
    records = client.tooling_query(soql)
    return ACTIVITY_TYPE.load(records[0]) if records else None


def find_or_create_activity_type(
    client: SalesforceClient,
    *,
    extension_sf_id: str,
    api_name: str,
    label: str,
    description: str = "",
    active: bool = False,
) -> tuple[RemoteActivityType, bool]:
    """The extension's activity type with this API name, created if missing;
    and whether it was created now."""
    _check_api_name(api_name)
    lookup = {"extension_sf_id": extension_sf_id, "api_name": api_name}
    existing = find_activity_type(client, **lookup)
    if existing is not None:
        return existing, False
    fields = ACTIVITY_TYPE.salesforce_fields(
        extension_sf_id=extension_sf_id,
        api_name=api_name,
        label=label,
        description=description,
        is_active=active,
    )
    try:
        new_id = client.tooling_create(ACTIVITY_TYPE.sobject, fields)
    except DuplicateApiName as duplicate:
        existing = find_activity_type(client, **lookup)
        if existing is None:
            # The name is taken outside this extension, where it cannot be
            # adopted.
            duplicate.user_message = (
                "Salesforce already has an activity type with the API name %s "
                "outside this extension. Choose another API name." % api_name
            )
            raise
        _log_adopted(client, "activity type", existing.sf_id)
        return existing, False
    created = RemoteActivityType(
        new_id, extension_sf_id, api_name, label, description, active
    )
    return created, True


def set_activity_type_active(
    client: SalesforceClient, sf_id: str, active: bool
) -> None:
    fields = ACTIVITY_TYPE.salesforce_fields(is_active=active)
    client.tooling_update(ACTIVITY_TYPE.sobject, sf_id, fields)


# Assignments of extensions to business units


def list_assignments(
    client: SalesforceClient, extension_sf_id: str | None = None
) -> list[RemoteAssignment]:
    conditions = []
    if extension_sf_id:
        conditions.append(ASSIGNMENT.where("extension_sf_id", extension_sf_id))
    soql = ASSIGNMENT.select(*conditions)
    return [ASSIGNMENT.load(r) for r in client.tooling_query(soql)]


def find_assignment(
    client: SalesforceClient, *, extension_sf_id: str, business_unit_sf_id: str
) -> RemoteAssignment | None:
    soql = ASSIGNMENT.select(
        ASSIGNMENT.where("extension_sf_id", extension_sf_id),
        ASSIGNMENT.where("business_unit_sf_id", business_unit_sf_id),
    )
    records = client.tooling_query(soql)
    return ASSIGNMENT.load(records[0]) if records else None


def assign_extension(
    client: SalesforceClient, *, extension_sf_id: str, business_unit_sf_id: str
) -> tuple[RemoteAssignment, bool]:
    """The assignment of the extension to the business unit, created if
    missing; and whether it was created now."""
    lookup = {
        "extension_sf_id": extension_sf_id,
        "business_unit_sf_id": business_unit_sf_id,
    }
    existing = find_assignment(client, **lookup)
    if existing is not None:
        return existing, False
    fields = ASSIGNMENT.salesforce_fields(**lookup)
    try:
        new_id = client.tooling_create(ASSIGNMENT.sobject, fields)
    except DuplicateApiName:
        existing = find_assignment(client, **lookup)
        if existing is None:
            raise
        _log_adopted(client, "assignment", existing.sf_id)
        return existing, False
    return RemoteAssignment(new_id, extension_sf_id, business_unit_sf_id), True


def remove_assignment(client: SalesforceClient, assignment_sf_id: str) -> None:
    """Delete the assignment; one that is already gone counts as removed."""
    try:
        client.tooling_delete(ASSIGNMENT.sobject, assignment_sf_id)
    except NotFound:
        logger.info(
            "Assignment %s was already gone from org %s",
            assignment_sf_id,
            client.org.pk,
        )


# API names


def validate_api_name(name: str) -> str | None:
    """Why ``name`` cannot be an API name, as a sentence; None if it can."""
    if not name:
        return "Enter an API name."
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        return "An API name can hold only letters (A to Z), digits and underscores."
    if not name[0].isalpha():
        return "An API name must start with a letter."
    if "__" in name:
        return "An API name cannot hold two underscores in a row."
    if name.endswith("_"):
        return "An API name cannot end with an underscore."
    if len(name) > API_NAME_MAX_LENGTH:
        return "An API name can be at most %s characters long." % API_NAME_MAX_LENGTH
    return None


def suggest_api_name(label: str) -> str:
    """An API name made from a label: ``Spring Webinar 2024!`` gives
    ``Spring_Webinar_2024``. Always a valid API name."""
    plain = unicodedata.normalize("NFKD", label)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    name = re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_")
    if not name:
        return "Unnamed"
    if not name[0].isalpha():
        # Salesforce itself puts an X before a name that starts with a digit.
        name = "X" + name
    return name[:API_NAME_MAX_LENGTH].rstrip("_")


def _check_api_name(api_name: str) -> None:
    problem = validate_api_name(api_name)
    if problem is not None:
        raise ValidationFailed(
            "Invalid API name %r: %s" % (api_name, problem),
            code="INVALID_API_NAME",
            fields=["api_name"],
            user_message=problem,
        )


def _log_adopted(client: SalesforceClient, what: str, sf_id: str) -> None:
    logger.info(
        "The %s %s appeared in org %s while it was being created; adopted it",
        what,
        sf_id,
        client.org.pk,
    )
