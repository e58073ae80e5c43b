"""The table from Salesforce's answers (or their absence) to typed errors."""

import json
from http.client import RemoteDisconnected

import pytest
import requests
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)

from salesforce.errors import (
    AccessDenied,
    ConcurrencyLimited,
    DailyLimitReached,
    DuplicateApiName,
    NotFound,
    OrgApiLimitExceeded,
    OutcomeUnknown,
    SalesforceError,
    SetupLimitReached,
    TokenExpired,
    TransientError,
    ValidationFailed,
)
from salesforce.http_errors import network_error, pardot_error, rest_error


def rest_body(code, message="Something is wrong", fields=None):
    error = {"message": message, "errorCode": code}
    if fields is not None:
        error["fields"] = fields
    return json.dumps([error])


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "INVALID_SESSION_ID", TokenExpired),
        (403, "REQUEST_LIMIT_EXCEEDED", OrgApiLimitExceeded),
        (400, "DUPLICATE_DEVELOPER_NAME", DuplicateApiName),
        (400, "DUPLICATE_VALUE", DuplicateApiName),
        (400, "LIMIT_EXCEEDED", SetupLimitReached),
        (400, "INVALID_FIELD", ValidationFailed),
        (400, "REQUIRED_FIELD_MISSING", ValidationFailed),
        (400, "FIELD_INTEGRITY_EXCEPTION", ValidationFailed),
        (400, "MALFORMED_QUERY", ValidationFailed),
        (400, "JSON_PARSER_ERROR", ValidationFailed),
        (400, "INVALID_FIELD_FOR_INSERT_UPDATE", ValidationFailed),
        (404, "NOT_FOUND", NotFound),
        (403, "INSUFFICIENT_ACCESS", AccessDenied),
        (403, "SOMETHING_ELSE", AccessDenied),
        (404, "SOMETHING_ELSE", NotFound),
        (401, "INVALID_AUTH_HEADER", TokenExpired),
        (500, "UNKNOWN_EXCEPTION", TransientError),
        (503, "SERVER_UNAVAILABLE", TransientError),
        (502, "INVALID_FIELD", TransientError),
        (400, "SOMETHING_ELSE", ValidationFailed),
        (418, "SOMETHING_ELSE", SalesforceError),
    ],
)
def test_rest_errors_map_by_code_then_status(status, code, expected):
    error = rest_error(status, rest_body(code), exchange="the exchange")

    assert type(error) is expected
    assert error.code == code
    assert error.status == status
    assert error.message == "Something is wrong"
    assert error.exchange == "the exchange"
    assert error.user_message


def test_rest_errors_keep_every_named_field():
    body = json.dumps(
        [
            {"message": "A", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["X"]},
            {"message": "B", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Y"]},
        ]
    )

    error = rest_error(400, body)

    assert error.fields == ["X", "Y"]
    assert error.message == "A B"


def test_the_long_transaction_limit_passes_unlike_the_daily_one():
    body = rest_body(
        "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."
    )

    assert type(rest_error(403, body)) is TransientError


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, "<html>Bad gateway</html>", TransientError),
        (403, "", AccessDenied),
        (404, "not json", NotFound),
        (401, "[]", TokenExpired),
    ],
)
def test_rest_errors_without_a_code_map_by_status(status, body, expected):
    error = rest_error(status, body)

    assert type(error) is expected
    assert error.code is None
    assert "HTTP status %s" % status in error.message


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, 184, TokenExpired),
        (429, 66, ConcurrencyLimited),
        (429, 122, DailyLimitReached),
        (500, 183, TransientError),
        (400, 183, TransientError),
        (400, 181, ValidationFailed),
        (400, 182, ValidationFailed),
        (400, 201, AccessDenied),
        (403, 201, AccessDenied),
        (400, 150, ValidationFailed),
        (400, 151, ValidationFailed),
        (400, 152, ValidationFailed),
        (400, 153, ValidationFailed),
        (400, 154, ValidationFailed),
        (400, 180, ValidationFailed),
        (403, 46, AccessDenied),
        (403, 49, AccessDenied),
        (404, 192, NotFound),
        (404, 198, NotFound),
        (404, 404, NotFound),
        (503, 154, TransientError),
    ],
)
def test_account_engagement_errors_map_by_code(status, code, expected):
    body = json.dumps({"code": code, "message": "Salesforce says no"})

    error = pardot_error(status, body, exchange="the exchange")

    assert type(error) is expected
    assert error.code == code
    assert error.message == "Salesforce says no"
    assert error.exchange == "the exchange"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, ConcurrencyLimited),
        (401, TokenExpired),
        (404, NotFound),
        (400, ValidationFailed),
        (500, TransientError),
        (504, TransientError),
    ],
)
def test_account_engagement_errors_without_a_code_map_by_status(status, expected):
    assert type(pardot_error(status, "<html></html>")) is expected


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        (
            "Invalid property in request: extension Webinar_Service is not active",
            "The extension Webinar_Service is not active in Salesforce. Activate it "
            "on the Extensions page.",
        ),
        (
            "Invalid property in request: type Registered is not active",
            "The activity type Registered is not active in Salesforce. Activate it "
            "on the Activity types page.",
        ),
        (
            "Invalid property in request: extension Webinar_Service is not assigned "
            "to this business unit",
            "The extension Webinar_Service is not assigned to business unit "
            "0Uv000000000001AAA. Assign it in the Business units step of setup.",
        ),
        (
            "Invalid property in request: extension Webinar_Service does not exist",
            "Salesforce has no extension Webinar_Service. Check the extension in "
            "setup.",
        ),
        (
            "Something new Salesforce says",
            "Account Engagement refused the activity: Something new Salesforce says",
        ),
    ],
)
def test_refused_activities_get_a_sentence_that_says_what_to_fix(message, sentence):
    about = {
        "extension": "Webinar_Service",
        "activity_type": "Registered",
        "business_unit_id": "0Uv000000000001AAA",
    }
    body = json.dumps({"code": 154, "message": message})

    assert pardot_error(400, body, about=about).user_message == sentence


def test_an_unknown_business_unit_names_the_unit_the_host_and_the_fix():
    about = {"business_unit_id": "0Uv000000000009AAA", "host": "pi.pardot.com"}
    body = json.dumps({"code": 201, "message": "Business Unit not found"})

    message = pardot_error(400, body, about=about).user_message

    assert "pi.pardot.com does not know business unit 0Uv000000000009AAA" in message
    assert "sandboxes and Developer Edition orgs pi.demo.pardot.com" in message


def test_a_duplicate_names_the_kind_of_record_and_its_api_name():
    about = {"sobject": "MarketingAppExtActivity", "api_name": "Registered"}

    error = rest_error(400, rest_body("DUPLICATE_DEVELOPER_NAME"), about=about)

    assert error.user_message.startswith(
        "An activity type with the API name Registered already exists"
    )


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


def _unknown_host() -> requests.ConnectionError:
    reason = NameResolutionError("nowhere.example", None, OSError("no such host"))
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


def _dropped() -> requests.ConnectionError:
    cause = RemoteDisconnected("Remote end closed connection without response")
    return requests.ConnectionError(ProtocolError("Connection aborted.", cause))


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (_refused(), TransientError),
        (_unknown_host(), TransientError),
        (requests.ConnectTimeout("connect timed out"), TransientError),
        (requests.ReadTimeout("read timed out"), OutcomeUnknown),
        (_dropped(), OutcomeUnknown),
        (requests.exceptions.ChunkedEncodingError("cut short"), OutcomeUnknown),
        (requests.ConnectionError("something else"), OutcomeUnknown),
    ],
)
def test_no_answer_is_transient_only_when_the_request_never_left(failure, expected):
    error = network_error(failure, host="example.my.salesforce.com", exchange="x")

    assert type(error) is expected
    assert error.exchange == "x"
    assert "example.my.salesforce.com" in error.message
