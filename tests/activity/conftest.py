"""Fixtures for the submission tests: a set-up org, locally or in the emulator.

The sender's waits are shrunk for the tests. A worker process reads them from
the environment (set here, before any worker starts); the test process gets
them through the ``settings`` fixture.
"""

import os

import pytest

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension

FAST_SENDER = {
    "ACTIVITY_RETRY_BASE_SECONDS": "0.05",
    "ACTIVITY_RETRY_CAP_SECONDS": "0.2",
    "ACTIVITY_SLOT_WAIT_SECONDS": "0.2",
    "ACTIVITY_CHECK_DELAY_SECONDS": "0.3",
    "ACTIVITY_MAX_ATTEMPTS": "4",
}
for _name, _value in FAST_SENDER.items():
    os.environ.setdefault(_name, _value)

MARKETING_UNIT = "0Uv000000000001AAA"
SALES_UNIT = "0Uv000000000002AAA"
EXTENSION = "Webinar_Service"
TYPE = "Registered"


@pytest.fixture(autouse=True)
def fast_sender(settings):
    for name, value in FAST_SENDER.items():
        setattr(
            settings, name, int(value) if name.endswith("ATTEMPTS") else float(value)
        )


def mirror_setup(org, *, sf_ids: dict | None = None, active: bool = True) -> dict:
    """Mirror rows for one extension with one type, assigned to the marketing
    unit; the sales unit has no assignment."""
    ids = sf_ids or {}
    unit = BusinessUnit.objects.create(
        org=org, sf_id=MARKETING_UNIT, name="Demo Marketing", creation_status="Created"
    )
    other = BusinessUnit.objects.create(
        org=org, sf_id=SALES_UNIT, name="Demo Sales", creation_status="Created"
    )
    extension = Extension.objects.create(
        org=org,
        sf_id=ids.get("extension", ""),
        api_name=EXTENSION,
        label="Webinar Service",
        is_active=active,
    )
    kind = ActivityType.objects.create(
        org=org,
        extension=extension,
        sf_id=ids.get("type", ""),
        api_name=TYPE,
        label="Registered",
        is_active=active,
    )
    Assignment.objects.create(
        org=org,
        extension=extension,
        business_unit=unit,
        sf_id=ids.get("assignment", ""),
    )
    return {
        "org": org,
        "business_unit": unit,
        "other_unit": other,
        "extension": extension,
        "activity_type": kind,
    }


@pytest.fixture
def mirror(org):
    """An org whose mirror holds one active extension and type, assigned to
    one business unit (nothing in Salesforce)."""
    return mirror_setup(org)


@pytest.fixture
def live_setup(connected_org):
    """The emulator's demo org set up for sending: the extension and type
    created active and assigned through the Tooling API, and mirrored."""
    with SalesforceClient.for_org(connected_org) as client:
        extension, _ = tooling.find_or_create_extension(
            client, api_name=EXTENSION, label="Webinar Service", active=True
        )
        kind, _ = tooling.find_or_create_activity_type(
            client,
            extension_sf_id=extension.sf_id,
            api_name=TYPE,
            label="Registered",
            active=True,
        )
        assignment, _ = tooling.assign_extension(
            client, extension_sf_id=extension.sf_id, business_unit_sf_id=MARKETING_UNIT
        )
    ids = {
        "extension": extension.sf_id,
        "type": kind.sf_id,
        "assignment": assignment.sf_id,
    }
    return mirror_setup(connected_org, sf_ids=ids)
