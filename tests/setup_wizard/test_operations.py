"""What one progress row asks of Salesforce, played against the emulator."""

import pytest
from django.conf import settings

from salesforce.client import SalesforceClient
from salesforce.errors import DuplicateApiName
from salesforce.models import Extension
from setup_wizard import operations
from setup_wizard.models import RecordProgress, SetupRun
from tests.setup_wizard.helpers import create_in_salesforce, org_records

pytestmark = pytest.mark.django_db

TOOLING_QUERY = "/services/data/v%s/tooling/query" % settings.SALESFORCE_API_VERSION


def _create_row(org, user) -> RecordProgress:
    run = SetupRun.objects.create(
        org=org, created_by=user, status=SetupRun.Status.RUNNING
    )
    return RecordProgress.objects.create(
        run=run,
        kind=RecordProgress.Kind.EXTENSION,
        action=RecordProgress.Action.CREATE,
        api_name="Webinar_Service",
        label="Webinar Service",
    )


def test_creating_an_extension_asks_salesforce_about_its_api_name_once(
    sf, connected_org, admin_user
):
    record = _create_row(connected_org, admin_user)
    before = sf.stats()

    with SalesforceClient.for_org(connected_org) as client:
        operations.apply(client, record)

    # One query for the API name, then one create: two Tooling calls.
    after = sf.stats()
    assert after["tooling_calls"] - before["tooling_calls"] == 2
    [made] = org_records(sf, connected_org)["extensions"]
    assert made["DeveloperName"] == "Webinar_Service"
    assert made["MasterLabel"] == "Webinar Service"
    assert made["IsActive"] is False
    assert made["Id"].startswith("1Me")
    assert (record.sf_id, record.result) == (made["Id"], "created")
    assert record.create_sent_at is not None
    assert Extension.objects.get(org=connected_org).sf_id == made["Id"]


def test_a_create_refused_as_a_duplicate_leaves_the_name_to_its_owner(
    sf, connected_org, admin_user
):
    # Another tool makes the extension just after the console's query found
    # the name free: the query answers as it did before, and the create then
    # meets the emulator's own DUPLICATE_DEVELOPER_NAME refusal.
    owner = create_in_salesforce(
        sf,
        "MarketingAppExtension",
        {"DeveloperName": "Webinar_Service", "MasterLabel": "Someone Else's"},
    )
    sf.add_fault(
        method="GET",
        path=TOOLING_QUERY,
        status=200,
        body={"totalSize": 0, "done": True, "records": []},
    )
    record = _create_row(connected_org, admin_user)

    with (
        SalesforceClient.for_org(connected_org) as client,
        pytest.raises(DuplicateApiName),
    ):
        operations.apply(client, record)

    assert sf.stats()["faults_applied"] == 1
    assert sf.state()["faults"] == []
    [kept] = org_records(sf, connected_org)["extensions"]
    assert (kept["Id"], kept["MasterLabel"]) == (owner, "Someone Else's")
    record.refresh_from_db()
    assert record.create_sent_at is None
    assert record.sf_id == ""
    assert not Extension.objects.filter(org=connected_org).exists()


def test_a_name_already_held_in_salesforce_is_found_by_the_query_and_not_sent(
    sf, connected_org, admin_user
):
    # The query asks for this row's API name (Salesforce compares it without
    # case), so an extension made elsewhere under it stops the row before any
    # create is sent.
    owner = create_in_salesforce(
        sf,
        "MarketingAppExtension",
        {"DeveloperName": "webinar_service", "MasterLabel": "Someone Else's"},
    )
    record = _create_row(connected_org, admin_user)
    before = sf.stats()

    with (
        SalesforceClient.for_org(connected_org) as client,
        pytest.raises(DuplicateApiName),
    ):
        operations.apply(client, record)

    assert sf.stats()["tooling_calls"] - before["tooling_calls"] == 1
    [kept] = org_records(sf, connected_org)["extensions"]
    assert kept["Id"] == owner
    record.refresh_from_db()
    assert record.create_sent_at is None
    assert not Extension.objects.filter(org=connected_org).exists()
