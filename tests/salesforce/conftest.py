"""Fixtures for the Salesforce client's tests: a client on the emulator's
demo org, a ready-made setup to send activities through, and ways to connect
other kinds of org."""

import socket
from dataclasses import dataclass

import pytest
from django.utils import timezone

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.models import Connection, Org

MARKETING_UNIT = "0Uv000000000001AAA"
SALES_UNIT = "0Uv000000000002AAA"


@pytest.fixture
def api(connected_org):
    """A client on the demo org's execution connection."""
    client = SalesforceClient.for_org(connected_org)
    yield client
    client.close()


@pytest.fixture
def connection(connected_org) -> Connection:
    return connected_org.execution_connection


@dataclass
class Setup:
    extension: tooling.RemoteExtension
    activity_type: tooling.RemoteActivityType
    business_unit_id: str


@pytest.fixture
def ready_setup(api) -> Setup:
    """An active extension with an active type, assigned to Demo Marketing."""
    extension, _ = tooling.find_or_create_extension(
        api, api_name="Webinar_Service", label="Webinar Service", active=True
    )
    activity_type, _ = tooling.find_or_create_activity_type(
        api,
        extension_sf_id=extension.sf_id,
        api_name="Registered",
        label="Registered",
        active=True,
    )
    tooling.assign_extension(
        api, extension_sf_id=extension.sf_id, business_unit_sf_id=MARKETING_UNIT
    )
    return Setup(extension, activity_type, MARKETING_UNIT)


def connect_emulator_org(sf, name: str, org_type: str, scopes=None) -> Org:
    """Add an org to the emulator and store a connection to it, as a sign-in
    would."""
    slug = name.lower().replace(" ", "")
    added = sf.add_org(
        name,
        org_type=org_type,
        users=[{"username": "admin@%s.example" % slug, "name": "Org Admin"}],
        business_units=[{"name": "%s Unit" % name}],
    )
    username = added["users"][0]["username"]
    tokens = sf.token(user=username, scopes=scopes)
    org = Org.objects.create(
        sf_org_id=added["org_id"],
        name=name,
        org_type="production",
        login_url=sf.url,
        instance_url=tokens["instance_url"],
    )
    connection = Connection.objects.create(
        org=org,
        sf_user_id=added["users"][0]["id"],
        sf_username=username,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        instance_url=tokens["instance_url"],
        scopes=tokens.get("scope", ""),
        issued_at=timezone.now(),
    )
    org.execution_connection = connection
    org.save(update_fields=["execution_connection"])
    return org


def closed_port_url() -> str:
    """The URL of a local port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:%s" % port


def data_path(settings, rest: str) -> str:
    """The path of a REST or Tooling resource at the configured API version."""
    return "/services/data/v%s/%s" % (settings.SALESFORCE_API_VERSION, rest)
