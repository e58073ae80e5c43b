"""The small readings of Salesforce answers shared by the client, the token
calls and sign-in."""

from datetime import UTC, datetime

import pytest

from salesforce import signin, wire

IDENTITY = "https://login.salesforce.com/id/00D000000000001EAA/005000000000001AAA"


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "9" * 400, "1" + "0" * 20, "-" + "9" * 17],
)
def test_an_issued_at_no_clock_can_hold_reads_as_missing(value):
    assert wire.issued_at(value) is None


def test_issued_at_reads_milliseconds_since_the_epoch():
    assert wire.issued_at("1700000000123") == datetime(
        2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC
    )


def test_a_sign_in_with_an_issued_at_beyond_the_clock_keeps_no_date(settings):
    settings.SALESFORCE_LOGIN_URL = "https://login.salesforce.com"
    grant = signin.grant_from_token_response(
        login_url="https://login.salesforce.com",
        response={
            "id": IDENTITY,
            "instance_url": "https://acme.my.salesforce.com",
            "access_token": "00D000000000001!AQPlantedAccessTokenValue",
            "issued_at": "1" + "0" * 20,
        },
        userinfo={
            "user_id": "005000000000001AAA",
            "organization_id": "00D000000000001EAA",
        },
    )

    assert grant.issued_at is None
    assert grant.instance_url == "https://acme.my.salesforce.com"


@pytest.mark.parametrize("text", ["", "not json", "{"])
def test_a_body_that_is_not_json_reads_as_none(text):
    assert wire.json_or_none(text) is None


def test_host_is_the_network_location_of_a_url():
    assert wire.host("https://acme.my.salesforce.com:8443/x?y=1") == (
        "acme.my.salesforce.com:8443"
    )
