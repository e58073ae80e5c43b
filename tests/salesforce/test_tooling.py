"""The setup steps in salesforce.tooling, against the emulator over HTTP."""

import threading

import pytest

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.errors import DuplicateApiName, SetupLimitReached, ValidationFailed
from salesforce.models import OrgType
from tests.salesforce.conftest import (
    MARKETING_UNIT,
    SALES_UNIT,
    connect_emulator_org,
    data_path,
)

pytestmark = pytest.mark.django_db


def test_describe_org_reads_a_production_org(api):
    remote = tooling.describe_org(api)

    assert remote == tooling.RemoteOrg(
        sf_id="00D000000000001EAA", name="Demo Org", org_type=OrgType.PRODUCTION
    )


@pytest.mark.parametrize(
    ("emulated_type", "expected"),
    [("sandbox", OrgType.SANDBOX), ("developer", OrgType.DEVELOPER)],
)
def test_describe_org_tells_sandboxes_and_developer_orgs_apart(
    sf, emulated_type, expected
):
    org = connect_emulator_org(sf, "Other Org", emulated_type)

    with SalesforceClient.for_org(org) as client:
        remote = tooling.describe_org(client)

    assert remote.org_type == expected
    assert remote.name == "Other Org"


def test_list_business_units_reads_the_pardot_tenants(api):
    units = tooling.list_business_units(api)

    assert units == [
        tooling.RemoteBusinessUnit(MARKETING_UNIT, "Demo Marketing", "Created"),
        tooling.RemoteBusinessUnit(SALES_UNIT, "Demo Sales", "Created"),
    ]


def test_find_or_create_extension_creates_it_with_python_names(api, sf):
    extension, created = tooling.find_or_create_extension(
        api,
        api_name="Webinar_Service",
        label="Webinar Service",
        description="Registrations from the webinar tool",
    )

    assert created is True
    assert extension.api_name == "Webinar_Service"
    assert extension.is_active is False
    [stored] = sf.state()["extensions"]
    assert stored["Id"] == extension.sf_id
    assert stored["DeveloperName"] == "Webinar_Service"
    assert stored["MasterLabel"] == "Webinar Service"
    assert stored["Description"] == "Registrations from the webinar tool"


def test_find_or_create_extension_twice_leaves_one_record(api, sf):
    first, first_created = tooling.find_or_create_extension(
        api, api_name="Webinar_Service", label="Webinar Service"
    )
    second, second_created = tooling.find_or_create_extension(
        api, api_name="Webinar_Service", label="Another label"
    )

    assert (first_created, second_created) == (True, False)
    assert second.sf_id == first.sf_id
    assert second.label == "Webinar Service"
    assert len(sf.state()["extensions"]) == 1


def test_find_extension_ignores_case_as_salesforce_does(api):
    tooling.find_or_create_extension(api, api_name="Webinar_Service", label="W")

    assert tooling.find_extension(api, "webinar_service").api_name == "Webinar_Service"
    assert tooling.find_extension(api, "Other_Service") is None


def test_an_api_name_with_a_quote_is_refused_before_any_call(api, sf):
    with pytest.raises(ValidationFailed) as caught:
        tooling.find_or_create_extension(api, api_name="Bad'Name", label="Bad")

    assert caught.value.fields == ["api_name"]
    assert "letters" in caught.value.user_message
    assert sf.stats()["tooling_calls"] == 0


def test_a_quote_in_a_lookup_is_escaped_in_soql(api):
    assert tooling.find_extension(api, "O'Brien") is None


@pytest.mark.django_db(transaction=True)
def test_two_setups_racing_for_one_api_name_create_one_record(connected_org, sf):
    # Every Tooling call waits, so both setups query (finding nothing)
    # before either creates; the second create meets the duplicate.
    sf.settings(latency_ms=300)
    start = threading.Barrier(2)
    results, failures = [], []

    def run_setup():
        with SalesforceClient.for_org(connected_org) as client:
            start.wait()
            try:
                results.append(
                    tooling.find_or_create_extension(
                        client, api_name="Webinar_Service", label="Webinar Service"
                    )
                )
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append(error)
            finally:
                from django.db import connection

                connection.close()

    threads = [threading.Thread(target=run_setup) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].sf_id == results[1][0].sf_id
    assert len(sf.state()["extensions"]) == 1
    # Two queries, two creates (one refused as a duplicate), one query more.
    assert sf.stats()["tooling_calls"] == 5


def test_a_duplicate_that_cannot_be_found_again_is_raised(api, sf, settings):
    extension, _ = tooling.find_or_create_extension(
        api, api_name="Webinar_Service", label="Webinar Service"
    )
    sf.add_fault(
        method="POST",
        path=data_path(settings, "tooling/sobjects/MarketingAppExtActivity"),
        status=400,
        body=[
            {
                "message": "Duplicate name",
                "errorCode": "DUPLICATE_DEVELOPER_NAME",
                "fields": ["DeveloperName"],
            }
        ],
    )

    with pytest.raises(DuplicateApiName) as caught:
        tooling.find_or_create_activity_type(
            api,
            extension_sf_id=extension.sf_id,
            api_name="Registered",
            label="Registered",
        )

    assert "outside this extension" in caught.value.user_message
    assert caught.value.exchange.status == 400


def test_find_or_create_activity_type_twice_leaves_one_record(api, sf):
    extension, _ = tooling.find_or_create_extension(
        api, api_name="Webinar_Service", label="Webinar Service"
    )
    kwargs = {
        "extension_sf_id": extension.sf_id,
        "api_name": "Registered",
        "label": "Registered",
        "description": "Signed up",
    }

    first, first_created = tooling.find_or_create_activity_type(api, **kwargs)
    second, second_created = tooling.find_or_create_activity_type(api, **kwargs)

    assert (first_created, second_created) == (True, False)
    assert first == second
    assert first.extension_sf_id == extension.sf_id
    assert first.description == "Signed up"
    assert len(sf.state()["activity_types"]) == 1


def test_list_activity_types_of_one_extension_or_all(api):
    webinar, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")
    events, _ = tooling.find_or_create_extension(api, api_name="Events", label="E")
    for extension, name in ((webinar, "Registered"), (events, "Attended")):
        tooling.find_or_create_activity_type(
            api, extension_sf_id=extension.sf_id, api_name=name, label=name
        )

    of_webinar = tooling.list_activity_types(api, webinar.sf_id)
    every = tooling.list_activity_types(api)

    assert [t.api_name for t in of_webinar] == ["Registered"]
    assert sorted(t.api_name for t in every) == ["Attended", "Registered"]


def test_assign_extension_twice_leaves_one_assignment(api, sf):
    extension, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")

    first, first_created = tooling.assign_extension(
        api, extension_sf_id=extension.sf_id, business_unit_sf_id=MARKETING_UNIT
    )
    second, second_created = tooling.assign_extension(
        api, extension_sf_id=extension.sf_id, business_unit_sf_id=MARKETING_UNIT
    )

    assert (first_created, second_created) == (True, False)
    assert first == second
    assert first.business_unit_sf_id == MARKETING_UNIT
    assert tooling.list_assignments(api, extension.sf_id) == [first]
    assert len(sf.state()["assignments"]) == 1


def test_remove_assignment_deletes_it_and_a_second_removal_is_harmless(api, sf):
    extension, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")
    assignment, _ = tooling.assign_extension(
        api, extension_sf_id=extension.sf_id, business_unit_sf_id=SALES_UNIT
    )

    tooling.remove_assignment(api, assignment.sf_id)
    tooling.remove_assignment(api, assignment.sf_id)

    assert sf.state()["assignments"] == []
    assert tooling.list_assignments(api) == []


def test_extensions_and_activity_types_can_be_activated_and_deactivated(api, sf):
    extension, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")
    activity_type, _ = tooling.find_or_create_activity_type(
        api, extension_sf_id=extension.sf_id, api_name="Registered", label="R"
    )

    tooling.set_extension_active(api, extension.sf_id, True)
    tooling.set_activity_type_active(api, activity_type.sf_id, True)

    [stored_extension] = tooling.list_extensions(api)
    [stored_type] = tooling.list_activity_types(api)
    assert stored_extension == tooling.RemoteExtension(
        extension.sf_id, "Webinar", "W", "", True
    )
    assert stored_type.label == "R"
    assert stored_type.is_active is True
    tooling.set_extension_active(api, extension.sf_id, False)
    assert tooling.find_extension(api, "Webinar").is_active is False


def test_tooling_query_follows_next_records_url(api, sf):
    for number in range(5):
        tooling.find_or_create_extension(
            api, api_name="Ext_%s" % number, label="Extension %s" % number
        )
    sf.settings(query_batch_size=2)

    extensions = tooling.list_extensions(api)

    assert [e.api_name for e in extensions] == ["Ext_%s" % n for n in range(5)]
    assert len(api.exchanges) == 3


def test_tooling_get_reads_one_record(api):
    extension, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")

    record = api.tooling_get("MarketingAppExtension", extension.sf_id)

    assert record["DeveloperName"] == "Webinar"


def test_extensions_and_activity_types_cannot_be_deleted(api, sf):
    extension, _ = tooling.find_or_create_extension(api, api_name="Webinar", label="W")

    with pytest.raises(ValidationFailed) as caught:
        api.tooling_delete("MarketingAppExtension", extension.sf_id)

    assert "no DELETE for MarketingAppExtension" in caught.value.message
    assert "Deactivate it instead" in caught.value.user_message
    assert len(sf.state()["extensions"]) == 1


def test_the_org_limit_on_extensions_is_a_setup_limit(api, sf):
    sf.settings(max_extensions=1)
    tooling.find_or_create_extension(api, api_name="First", label="First")

    with pytest.raises(SetupLimitReached) as caught:
        tooling.find_or_create_extension(api, api_name="Second", label="Second")

    assert caught.value.code == "LIMIT_EXCEEDED"
    assert "no more extensions" in caught.value.user_message
