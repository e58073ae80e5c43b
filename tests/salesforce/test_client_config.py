"""Building a client: the API version, the execution connection, the hosts."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from salesforce import tooling
from salesforce.client import SalesforceClient, api_version
from salesforce.errors import AccessDenied, RefreshTokenRevoked
from salesforce.models import ConnectionStatus
from tests.factories import ConnectionFactory
from tests.salesforce.conftest import MARKETING_UNIT


@pytest.mark.parametrize("version", ["55.0", "53.0", "v49.0"])
def test_an_api_version_below_56_is_refused_with_a_reason(settings, version):
    settings.SALESFORCE_API_VERSION = version

    with pytest.raises(ImproperlyConfigured, match="needs 56.0 or later"):
        api_version()


@pytest.mark.parametrize("version", ["sixty", "64.0.1", ""])
def test_an_api_version_that_is_no_version_is_refused(settings, version):
    settings.SALESFORCE_API_VERSION = version

    with pytest.raises(ImproperlyConfigured, match="such as 64.0"):
        api_version()


@pytest.mark.parametrize(
    ("version", "expected"), [("56.0", "56.0"), ("v60.0", "60.0"), ("64", "64.0")]
)
def test_supported_api_versions_are_normalised(settings, version, expected):
    settings.SALESFORCE_API_VERSION = version

    assert api_version() == expected


@pytest.mark.django_db
def test_a_client_is_not_built_on_a_version_below_56(settings):
    settings.SALESFORCE_API_VERSION = "55.0"

    with pytest.raises(ImproperlyConfigured):
        SalesforceClient(ConnectionFactory())


@pytest.mark.django_db
def test_calls_use_the_configured_api_version(api, settings):
    settings.SALESFORCE_API_VERSION = "60.0"
    with SalesforceClient(api.connection) as client:
        tooling.list_business_units(client)

    assert "/services/data/v60.0/tooling/query/" in client.exchanges[0].url


@pytest.mark.django_db
def test_an_org_without_an_execution_connection_cannot_have_a_client(org):
    with pytest.raises(AccessDenied) as caught:
        SalesforceClient.for_org(org)

    assert "An admin can choose one under Settings" in caught.value.user_message


@pytest.mark.django_db
def test_an_execution_connection_that_needs_reconnecting_is_refused(org):
    connection = ConnectionFactory(org=org, status=ConnectionStatus.NEEDS_RECONNECT)
    org.execution_connection = connection
    org.save()

    with pytest.raises(RefreshTokenRevoked) as caught:
        SalesforceClient.for_org(org)

    assert "reconnect it under Settings" in caught.value.user_message


@pytest.mark.django_db
def test_account_engagement_calls_go_to_the_orgs_host_and_rest_to_its_instance(
    api, sf, settings, ready_setup
):
    # The org's own host wins over the setting; the emulator answers both.
    settings.ACCOUNT_ENGAGEMENT_URL = "http://127.0.0.1:9"
    api.org.account_engagement_url = sf.url.replace("127.0.0.1", "localhost")

    api.find_external_activities(business_unit_id=MARKETING_UNIT)
    pardot_url = api.exchanges[0].url
    tooling.list_business_units(api)
    rest_url = api.exchanges[0].url

    assert pardot_url.startswith(api.org.account_engagement_url + "/api/v5/")
    assert rest_url.startswith(api.connection.instance_url + "/services/data/")
    assert api.exchanges[0].request_headers["Authorization"] == "Bearer [redacted]"
