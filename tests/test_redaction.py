"""Tokens, secrets and email addresses never reach the log output."""

import logging

import pytest

from salesforce.redaction import mask_email, redact

ACCESS = "00D5g000004XyZa!AQ4AQFakeTokenValue.abc_DEF-123"
REFRESH = "5Aep861FakeRefreshTokenValue0123456789"
SECRET = "s3cr3t-client-value"
EMAIL = "jane.doe@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer %s" % ACCESS,
        "token=%s&client_secret=%s" % (REFRESH, SECRET),
        '{"access_token": "%s", "refresh_token": "%s"}' % (ACCESS, REFRESH),
        "refresh failed for %s" % REFRESH,
        "call with %s failed" % ACCESS,
    ],
)
def test_tokens_are_masked_by_name_and_by_shape(text):
    cleaned = redact(text)

    assert ACCESS not in cleaned
    assert REFRESH not in cleaned
    assert SECRET not in cleaned


def test_email_addresses_keep_only_their_first_letter_and_domain():
    assert mask_email("write to %s today" % EMAIL) == "write to j***@example.com today"


def test_percent_encoded_email_addresses_in_query_strings_are_masked():
    line = "GET /api/v5/external-activities?email=jane.doe%40example.com HTTP/1.1"

    assert "jane.doe" not in redact(line)


def test_nothing_planted_reaches_the_log_output_from_any_logger(caplog):
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("some.library")

    logger.info("sending %s for %s", ACCESS, EMAIL)
    logger.warning("refresh with %s", {"refresh_token": REFRESH})
    try:
        raise ValueError("client_secret=%s rejected" % SECRET)
    except ValueError:
        logger.exception("token call failed")

    output = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    for planted in (ACCESS, REFRESH, SECRET, EMAIL):
        assert planted not in output
    assert "j***@example.com" in output
