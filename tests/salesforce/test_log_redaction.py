"""No token, secret or email address reaches the log, urllib3's included."""

import logging
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

import pytest

from salesforce import tooling
from salesforce.errors import RefreshTokenRevoked, ValidationFailed
from salesforce.tokens import revoke_tokens
from tests.salesforce.conftest import MARKETING_UNIT

pytestmark = pytest.mark.django_db

EMAIL = "jane.doe+webinar@example.com"


def planted_forms(*values: str) -> set[str]:
    forms = set()
    for value in values:
        forms.update({value, quote(value, safe=""), quote_plus(value)})
    return forms


def submit(api, **overrides):
    values = {
        "business_unit_id": MARKETING_UNIT,
        "extension": "Webinar_Service",
        "activity_type": "Registered",
        "email": EMAIL,
        "value": "Spring webinar",
        "activity_date": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return api.submit_external_activity(**values)


def test_a_refresh_a_submission_and_a_search_log_no_secret_and_no_email(
    api, connection, sf, ready_setup, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    old_access, refresh = connection.access_token, connection.refresh_token
    sf.expire_tokens()

    submit(api)
    new_access = api.connection.access_token
    api.find_external_activities(business_unit_id=MARKETING_UNIT, email=EMAIL)
    with pytest.raises(ValidationFailed):
        submit(api, activity_type="Unknown")
    revoke_tokens(connection)
    with pytest.raises(RefreshTokenRevoked):
        tooling.list_business_units(api)

    output = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    secrets = planted_forms(
        old_access, new_access, refresh, settings.SALESFORCE_CLIENT_SECRET, EMAIL
    )
    assert [s for s in secrets if s in output] == []
    # The run was logged in full, down to urllib3's request lines.
    loggers = {r.name for r in caplog.records}
    assert {"salesforce.client", "salesforce.tokens", "urllib3.connectionpool"} <= (
        loggers
    )
    assert "/api/v5/external-activities" in output
    assert "j***@example.com" in output
    assert "Refreshed the access token of connection %s" % connection.pk in output


def test_request_lines_are_logged_at_debug_with_the_org_and_connection(
    api, connection, caplog
):
    caplog.set_level(logging.DEBUG, logger="salesforce.client")

    tooling.list_business_units(api)

    [record] = [r for r in caplog.records if r.name == "salesforce.client"]
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith("GET /services/data/v64.0/tooling/query/ 200")
    assert "(org %s, connection %s)" % (api.org.pk, connection.pk) in (
        record.getMessage()
    )


def test_a_refusal_is_a_warning_and_a_fault_of_the_console_an_error(api, caplog):
    caplog.set_level(logging.DEBUG, logger="salesforce.client")

    with pytest.raises(ValidationFailed):
        api.tooling_create("MarketingAppExtension", {"DeveloperName": "W"})
    with pytest.raises(ValidationFailed):
        api.tooling_query("SELEC Id FROM MarketingAppExtension")

    levels = [r.levelname for r in caplog.records if r.levelno > logging.DEBUG]
    assert levels == ["WARNING", "ERROR"]
