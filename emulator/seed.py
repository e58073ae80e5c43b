"""The data a fresh emulator starts with, and the way orgs are added to it."""

from __future__ import annotations

import re
from typing import Any

from emulator import clock
from emulator.ids import salesforce_id
from emulator.schema import ORGANIZATION, PARDOT_TENANT, USER

DEMO_ORG_ID = "00D000000000001EAA"
ADMIN_ID = "005000000000001AAA"
INTEGRATION_ID = "005000000000002AAA"
MARKETING_UNIT_ID = "0Uv000000000001AAA"
SALES_UNIT_ID = "0Uv000000000002AAA"

ORG_TYPES = {
    "production": ("Enterprise Edition", False),
    "sandbox": ("Enterprise Edition", True),
    "developer": ("Developer Edition", False),
}


def build() -> dict[str, Any]:
    """The seeded demo org: two users and two business units."""
    data = empty()
    add_org(
        data,
        name="Demo Org",
        org_type="production",
        users=[
            {"username": "admin@demo.example", "name": "Alex Admin", "id": ADMIN_ID},
            {
                "username": "integration@demo.example",
                "name": "Ivy Integration",
                "id": INTEGRATION_ID,
            },
        ],
        business_units=[
            {"name": "Demo Marketing", "id": MARKETING_UNIT_ID},
            {"name": "Demo Sales", "id": SALES_UNIT_ID},
        ],
        org_id=DEMO_ORG_ID,
    )
    return data


def empty() -> dict[str, Any]:
    return {
        "version": 1,
        "sequence": {},
        "records": {},
        "external_activities": [],
        "grants": {},
        "access_tokens": {},
        "codes": {},
        "pending": {},
        "api_usage": {},
        "daily_usage": {},
    }


def next_number(data: dict[str, Any], counter: str) -> int:
    data["sequence"][counter] = data["sequence"].get(counter, 0) + 1
    return data["sequence"][counter]


def new_record_id(data: dict[str, Any], prefix: str) -> str:
    return salesforce_id(prefix, next_number(data, prefix))


def store(data: dict[str, Any], object_name: str, record: dict[str, Any]) -> None:
    data["records"].setdefault(object_name, {})[record["Id"]] = record


def add_org(
    data: dict[str, Any],
    *,
    name: str,
    org_type: str,
    users: list[dict[str, str]],
    business_units: list[dict[str, str]],
    org_id: str | None = None,
) -> dict[str, Any]:
    """Add an org with its users (the first is its admin) and business units."""
    edition, sandbox = ORG_TYPES[org_type]
    number = next_number(data, ORGANIZATION.key_prefix)
    org_id = org_id or salesforce_id(ORGANIZATION.key_prefix, number)
    org = {
        "Id": org_id,
        "Name": name,
        "IsSandbox": sandbox,
        "OrganizationType": edition,
        "InstanceName": "EMU1",
        "_org": org_id,
        "_org_type": org_type,
    }
    store(data, ORGANIZATION.name, org)
    user_rows = [_add_user(data, org_id, user, i == 0) for i, user in enumerate(users)]
    unit_rows = [
        _add_business_unit(data, org_id, unit, user_rows[0]["Id"])
        for unit in business_units
    ]
    return {
        "org_id": org_id,
        "users": [{"id": u["Id"], "username": u["Username"]} for u in user_rows],
        "business_units": [
            {"id": u["Id"], "name": u["PardotTenantName"]} for u in unit_rows
        ],
    }


def _add_user(
    data: dict[str, Any], org_id: str, user: dict[str, str], admin: bool
) -> dict[str, Any]:
    number = next_number(data, USER.key_prefix)
    first, _, last = user["name"].partition(" ")
    row = {
        "Id": user.get("id") or salesforce_id(USER.key_prefix, number),
        "Username": user["username"],
        "Name": user["name"],
        "FirstName": first,
        "LastName": last or first,
        "Email": user.get("email") or user["username"],
        "IsActive": True,
        "_org": org_id,
        "_admin": admin,
    }
    store(data, USER.name, row)
    return row


def _add_business_unit(
    data: dict[str, Any], org_id: str, unit: dict[str, str], admin_id: str
) -> dict[str, Any]:
    number = next_number(data, PARDOT_TENANT.key_prefix)
    stamp = clock.salesforce_datetime(clock.now())
    row = {
        "Id": unit.get("id") or salesforce_id(PARDOT_TENANT.key_prefix, number),
        "PardotTenantName": unit["name"],
        "MasterLabel": unit["name"],
        "DeveloperName": re.sub(r"\W+", "_", unit["name"]).strip("_") or "Unit",
        # Choice: a seven-digit number, since only "numeric" is documented.
        "PardotTenantId": str(1_000_000 + number),
        "CreationStatus": unit.get("creation_status") or "Created",
        "PardotTenantStatusCode": None,
        "InitialPardotAdminId": admin_id,
        "Language": "en_US",
        "CreatedDate": stamp,
        "CreatedById": admin_id,
        "LastModifiedDate": stamp,
        "LastModifiedById": admin_id,
        "_org": org_id,
    }
    store(data, PARDOT_TENANT.name, row)
    return row
