"""Revoking a connection's tokens: best effort, never an exception."""

import logging

import pytest

from salesforce import tooling
from salesforce.errors import RefreshTokenRevoked
from salesforce.tokens import revoke_tokens
from tests.salesforce.conftest import closed_port_url

pytestmark = pytest.mark.django_db


def test_revoking_the_refresh_token_revokes_its_access_tokens(api, connection, sf):
    revoke_tokens(connection)

    assert sf.state()["grants"] == []
    with pytest.raises(RefreshTokenRevoked):
        tooling.list_business_units(api)


def test_without_a_refresh_token_the_access_token_is_revoked(api, connection, sf):
    connection.refresh_token = ""

    revoke_tokens(connection)

    [grant] = sf.state()["grants"]
    assert grant["access_tokens"] == []


def test_a_token_salesforce_no_longer_knows_is_logged_not_raised(
    connection, sf, caplog
):
    sf.revoke_tokens()

    revoke_tokens(connection)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "invalid_token" in warnings[0].getMessage()


def test_an_unreachable_salesforce_is_logged_not_raised(connection, caplog, settings):
    settings.SALESFORCE_LOGIN_URL = connection.org.login_url = closed_port_url()

    revoke_tokens(connection)

    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert messages and messages[0].startswith("Could not reach 127.0.0.1:")
