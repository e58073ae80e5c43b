"""Each HTTP exchange is recorded, and no token reaches the record."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from salesforce import tooling
from salesforce.errors import RefreshTokenRevoked, ValidationFailed
from tests.salesforce.conftest import MARKETING_UNIT, data_path

pytestmark = pytest.mark.django_db


def everything_in(exchange) -> str:
    return json.dumps(asdict(exchange), default=str)


def test_a_tooling_exchange_is_recorded_with_the_token_masked(api, connection):
    tooling.list_business_units(api)

    [exchange] = api.exchanges
    assert exchange.method == "GET"
    assert exchange.url.startswith(
        connection.instance_url + "/services/data/v64.0/tooling/query/?q=SELECT"
    )
    assert exchange.request_headers["Authorization"] == "Bearer [redacted]"
    assert exchange.status == 200
    assert "Sforce-Limit-Info" in exchange.response_headers
    assert '"PardotTenant"' in exchange.response_body
    assert exchange.started_at.tzinfo is not None
    assert exchange.duration_ms >= 0
    assert exchange.error_class == ""
    assert connection.access_token not in everything_in(exchange)


def test_exchanges_around_a_refresh_hold_neither_the_old_nor_the_new_token(
    api, connection, sf
):
    old_token, refresh_token = connection.access_token, connection.refresh_token
    sf.expire_tokens()

    tooling.list_business_units(api)

    recorded = "".join(everything_in(e) for e in api.exchanges)
    assert len(api.exchanges) == 2
    for secret in (old_token, connection.access_token, refresh_token):
        assert secret not in recorded


def test_an_answer_after_a_refresh_that_echoes_the_refused_token_is_masked(
    api, connection, sf
):
    refused = connection.access_token
    sf.add_fault(
        method="GET",
        path="/services/data/",
        status=401,
        body=[{"message": "Session %s expired" % refused, "errorCode": "NOPE"}],
        count=2,
    )

    with pytest.raises(Exception):  # noqa: B017 (any refusal will do)
        tooling.list_business_units(api)

    recorded = "".join(everything_in(e) for e in api.exchanges)
    assert len(api.exchanges) == 2
    assert refused != connection.access_token
    assert refused not in recorded
    assert connection.access_token not in recorded


def test_the_refused_refresh_records_no_refresh_token_or_client_secret(
    api, connection, sf, settings
):
    sf.revoke_tokens()

    with pytest.raises(RefreshTokenRevoked) as caught:
        tooling.list_business_units(api)

    exchange = caught.value.exchange
    assert exchange.url.endswith("/services/oauth2/token")
    assert "grant_type=refresh_token" in exchange.request_body
    assert "refresh_token=[redacted]" in exchange.request_body
    assert "client_secret=[redacted]" in exchange.request_body
    recorded = everything_in(exchange)
    assert connection.refresh_token not in recorded
    assert settings.SALESFORCE_CLIENT_SECRET not in recorded
    assert exchange.error_class == "RefreshTokenRevoked"


def test_a_token_echoed_in_an_error_body_is_cut_out(api, connection, sf, settings):
    token = connection.access_token
    sf.add_fault(
        path=data_path(settings, "tooling/query"),
        status=400,
        body=[
            {"message": "Bad header: Bearer %s" % token, "errorCode": "INVALID_FIELD"}
        ],
    )

    with pytest.raises(ValidationFailed) as caught:
        tooling.list_extensions(api)

    assert token not in caught.value.message
    assert token not in str(caught.value)
    assert token not in everything_in(caught.value.exchange)


def test_a_long_answer_is_cut_at_ten_thousand_characters(api, sf, settings):
    records = [{"Id": "1Me%015d" % n, "DeveloperName": "x" * 200} for n in range(100)]
    sf.add_fault(
        path=data_path(settings, "tooling/query"),
        status=200,
        body={"size": 100, "totalSize": 100, "done": True, "records": records},
    )

    found = api.tooling_query("SELECT Id FROM MarketingAppExtension")

    assert len(found) == 100
    body = api.exchanges[0].response_body
    assert body.startswith('{"size": 100')
    assert len(body) < 10_100
    assert "cut at 10000 of" in body


def test_a_submission_exchange_keeps_the_email_for_support(api, ready_setup):
    exchange = api.submit_external_activity(
        business_unit_id=MARKETING_UNIT,
        extension="Webinar_Service",
        activity_type="Registered",
        email="jane@example.com",
        value="v",
        activity_date=datetime(2024, 5, 1, tzinfo=UTC),
    )

    assert json.loads(exchange.request_body)["email"] == "jane@example.com"
    assert api.connection.access_token not in everything_in(exchange)
