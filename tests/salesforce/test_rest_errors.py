"""REST and Tooling errors from the emulator arrive as their typed classes."""

import pytest

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.errors import (
    AccessDenied,
    DuplicateApiName,
    NotFound,
    OrgApiLimitExceeded,
    TransientError,
    ValidationFailed,
)
from tests.salesforce.conftest import connect_emulator_org, data_path

pytestmark = pytest.mark.django_db


def test_a_duplicate_developer_name_is_a_duplicate_api_name(api):
    fields = {"DeveloperName": "Webinar", "MasterLabel": "Webinar"}
    api.tooling_create("MarketingAppExtension", fields)

    with pytest.raises(DuplicateApiName) as caught:
        api.tooling_create("MarketingAppExtension", fields)

    assert caught.value.code == "DUPLICATE_DEVELOPER_NAME"
    assert caught.value.status == 400
    assert "extension with the API name Webinar" in caught.value.user_message


def test_a_missing_required_field_names_the_field(api):
    with pytest.raises(ValidationFailed) as caught:
        api.tooling_create("MarketingAppExtension", {"DeveloperName": "Webinar"})

    assert caught.value.code == "REQUIRED_FIELD_MISSING"
    assert caught.value.fields == ["MasterLabel"]
    assert "MasterLabel" in caught.value.user_message


def test_an_invalid_api_name_sent_anyway_is_a_field_integrity_failure(api):
    with pytest.raises(ValidationFailed) as caught:
        api.tooling_create(
            "MarketingAppExtension", {"DeveloperName": "Bad__Name", "MasterLabel": "B"}
        )

    assert caught.value.code == "FIELD_INTEGRITY_EXCEPTION"
    assert caught.value.fields == ["DeveloperName"]


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELEC Id FROM MarketingAppExtension", "MALFORMED_QUERY"),
        ("SELECT Nonsense FROM MarketingAppExtension", "INVALID_FIELD"),
    ],
)
def test_a_query_the_console_got_wrong_is_a_validation_failure(api, soql, code):
    with pytest.raises(ValidationFailed) as caught:
        api.tooling_query(soql)

    assert caught.value.code == code
    assert "fault in the console" in caught.value.user_message


def test_an_unknown_record_is_not_found(api):
    with pytest.raises(NotFound) as caught:
        api.tooling_get("MarketingAppExtension", "1Me000000000099AAA")

    assert caught.value.status == 404
    assert "1Me000000000099AAA" in caught.value.user_message


def test_a_token_without_the_api_scope_is_access_denied(sf):
    org = connect_emulator_org(
        sf, "No Api Org", "production", scopes=["pardot_api", "refresh_token"]
    )

    with SalesforceClient.for_org(org) as client, pytest.raises(AccessDenied) as c:
        tooling.list_business_units(client)

    assert c.value.code == "INSUFFICIENT_ACCESS"
    assert sf.stats()["refreshes"] == 0


def test_the_org_api_limit_is_its_own_error_and_is_remembered(api, sf):
    sf.settings(api_request_limit=100, api_requests_used=100)

    with pytest.raises(OrgApiLimitExceeded) as caught:
        tooling.list_extensions(api)

    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert caught.value.status == 403
    assert "all 100 of its Salesforce API requests" in caught.value.user_message
    api.org.refresh_from_db()
    assert (api.org.api_requests_used, api.org.api_requests_limit) == (100, 100)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(api, sf, settings, status):
    sf.add_fault(
        path=data_path(settings, "tooling/query"),
        status=status,
        body=[{"message": "Server busy", "errorCode": "SERVER_UNAVAILABLE"}],
    )

    with pytest.raises(TransientError) as caught:
        tooling.list_extensions(api)

    assert caught.value.retryable is True
    assert caught.value.exchange.status == status


def test_a_page_that_is_not_json_is_transient(api, sf, settings):
    sf.add_fault(
        path=data_path(settings, "tooling/query"),
        status=200,
        body="<html>Down for maintenance</html>",
    )

    with pytest.raises(TransientError) as caught:
        tooling.list_extensions(api)

    assert caught.value.exchange.response_body == "<html>Down for maintenance</html>"


def test_a_create_without_an_id_in_the_answer_leaves_the_outcome_unknown(
    api, sf, settings
):
    from salesforce.errors import OutcomeUnknown

    sf.add_fault(
        method="POST",
        path=data_path(settings, "tooling/sobjects/MarketingAppExtension"),
        status=201,
    )

    with pytest.raises(OutcomeUnknown):
        api.tooling_create(
            "MarketingAppExtension", {"DeveloperName": "W", "MasterLabel": "W"}
        )
