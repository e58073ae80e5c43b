"""Turning what Salesforce answered (or failed to answer) into typed errors.

REST and Tooling errors arrive as a JSON array of ``{"message", "errorCode",
"fields"}``; Account Engagement v5 errors as ``{"code", "message"}``. The
class follows the code when Salesforce names one and the HTTP status when it
does not. ``about`` carries what the request concerned (an extension, an
activity type, a business unit, an sObject) so that ``user_message`` can name
it: a marketing admin reads these sentences on the submission and setup pages.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError

from salesforce import wire
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
from salesforce.limits import HEADER as LIMIT_HEADER
from salesforce.limits import parse_limit_info

REST_CODES: dict[str, type[SalesforceError]] = {
    "INVALID_SESSION_ID": TokenExpired,
    "REQUEST_LIMIT_EXCEEDED": OrgApiLimitExceeded,
    "DUPLICATE_DEVELOPER_NAME": DuplicateApiName,
    "DUPLICATE_VALUE": DuplicateApiName,
    # The emulator's answer when an org holds as many extensions (or an
    # extension as many types) as allowed; Salesforce documents no code.
    "LIMIT_EXCEEDED": SetupLimitReached,
    "INVALID_FIELD": ValidationFailed,
    "REQUIRED_FIELD_MISSING": ValidationFailed,
    "FIELD_INTEGRITY_EXCEPTION": ValidationFailed,
    "MALFORMED_QUERY": ValidationFailed,
    "JSON_PARSER_ERROR": ValidationFailed,
    "INVALID_FIELD_FOR_INSERT_UPDATE": ValidationFailed,
    "STRING_TOO_LONG": ValidationFailed,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": ValidationFailed,
    "INVALID_CROSS_REFERENCE_KEY": ValidationFailed,
    "INVALID_QUERY_FILTER_OPERATOR": ValidationFailed,
    "NOT_FOUND": NotFound,
    "INVALID_TYPE": NotFound,
    "INSUFFICIENT_ACCESS": AccessDenied,
    "INSUFFICIENT_ACCESS_OR_READONLY": AccessDenied,
    "API_DISABLED_FOR_ORG": AccessDenied,
    "FUNCTIONALITY_NOT_ENABLED": AccessDenied,
    "SERVER_UNAVAILABLE": TransientError,
}

PARDOT_CODES: dict[int, type[SalesforceError]] = {
    184: TokenExpired,
    66: ConcurrencyLimited,
    122: DailyLimitReached,
    183: TransientError,
    181: ValidationFailed,
    182: ValidationFailed,
    201: AccessDenied,
    150: ValidationFailed,
    151: ValidationFailed,
    152: ValidationFailed,
    153: ValidationFailed,
    154: ValidationFailed,
    180: ValidationFailed,
    46: AccessDenied,
    49: AccessDenied,
    76: AccessDenied,
    196: AccessDenied,
    199: AccessDenied,
    192: NotFound,
    198: NotFound,
    404: NotFound,
}

# Codes that mean the console built a wrong request: logged as errors, since
# only a change to the console fixes them.
OUR_FAULT_CODES = frozenset(
    {
        "MALFORMED_QUERY",
        "JSON_PARSER_ERROR",
        "INVALID_FIELD",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_QUERY_FILTER_OPERATOR",
        "METHOD_NOT_ALLOWED",
        150,
        151,
        152,
        153,
        180,
        181,
    }
)

_BY_STATUS: dict[int, type[SalesforceError]] = {
    400: ValidationFailed,
    401: TokenExpired,
    403: AccessDenied,
    404: NotFound,
    405: ValidationFailed,
    409: ValidationFailed,
    415: ValidationFailed,
    422: ValidationFailed,
}

_WHAT = {
    "MarketingAppExtension": "extension",
    "MarketingAppExtActivity": "activity type",
    "MarketingAppExtAssignment": "assignment",
    "PardotTenant": "business unit",
}

AE_HOSTS_HINT = (
    "production orgs use pi.pardot.com, sandboxes and Developer Edition orgs "
    "pi.demo.pardot.com"
)

# Account Engagement names no codes for an unknown or inactive extension or
# type, or a missing assignment (reference §8.3); it answers 154 with a
# message. These patterns read the messages the emulator gives; anything else
# falls back to Salesforce's own message.
_PARDOT_DETAILS = [
    (
        re.compile(r"\bextension\b.*\bnot active\b", re.I),
        "The extension {extension} is not active in Salesforce. Activate it on "
        "the Extensions page.",
    ),
    (
        re.compile(r"\btype\b.*\bnot active\b", re.I),
        "The activity type {activity_type} is not active in Salesforce. Activate "
        "it on the Activity types page.",
    ),
    (
        re.compile(r"\bnot assigned\b", re.I),
        "The extension {extension} is not assigned to business unit "
        "{business_unit_id}. Assign it in the Business units step of setup.",
    ),
    (
        re.compile(r"\btype\b.*\b(does not exist|unknown|not found)\b", re.I),
        "The extension {extension} has no activity type {activity_type} in "
        "Salesforce. Check the activity types in setup.",
    ),
    (
        re.compile(r"\bextension\b.*\b(does not exist|unknown|not found)\b", re.I),
        "Salesforce has no extension {extension}. Check the extension in setup.",
    ),
    (
        re.compile(r"\bvalue\b.*\b100\b", re.I),
        "The value is longer than 100 characters. Shorten it and send again.",
    ),
    (
        re.compile(r"\bemail\b", re.I),
        "The email address is not valid. Correct it and send again.",
    ),
    (
        re.compile(r"\bactivityDate\b", re.I),
        "The activity date is not valid: it needs a date, a time and a time "
        "zone offset.",
    ),
]


def rest_error(
    status: int,
    body: str,
    *,
    headers: dict | None = None,
    exchange: Any = None,
    about: dict[str, str] | None = None,
) -> SalesforceError:
    """The error for a REST or Tooling answer with a 4xx or 5xx status."""
    about = about or {}
    errors = _rest_error_list(body)
    first = errors[0] if errors else {}
    code = str(first.get("errorCode") or "")
    message = " ".join(str(e.get("message") or "") for e in errors).strip()
    fields = [str(f) for e in errors for f in (e.get("fields") or [])]
    if status >= 500:
        cls = TransientError
    elif code == "REQUEST_LIMIT_EXCEEDED" and "ConcurrentPerOrgLongTxn" in message:
        # The same code also means "too many long requests at once", which
        # passes within seconds, unlike the daily allocation.
        cls = TransientError
    else:
        cls = REST_CODES.get(code) or _BY_STATUS.get(status, SalesforceError)
    return cls(
        message or _status_words(status),
        code=code or None,
        status=status,
        fields=fields,
        user_message=_rest_user_message(cls, code, message, fields, headers, about),
        exchange=exchange,
    )


def pardot_error(
    status: int,
    body: str,
    *,
    exchange: Any = None,
    about: dict[str, str] | None = None,
) -> SalesforceError:
    """The error for an Account Engagement answer with a 4xx or 5xx status."""
    about = about or {}
    payload = wire.json_or_none(body)
    code = payload.get("code") if isinstance(payload, dict) else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = payload.get("message", "") if isinstance(payload, dict) else ""
    message = str(message or "")
    if status >= 500:
        cls = TransientError
    elif code is not None and code in PARDOT_CODES:
        cls = PARDOT_CODES[code]
    elif status == 429:
        cls = ConcurrencyLimited
    else:
        cls = _BY_STATUS.get(status, SalesforceError)
    return cls(
        message or _status_words(status),
        code=code,
        status=status,
        user_message=_pardot_user_message(cls, code, message, about),
        exchange=exchange,
    )


def network_error(
    error: requests.RequestException, *, host: str, exchange: Any = None
) -> SalesforceError:
    """The error for a request that got no HTTP answer.

    A connection that was never made (refused, unknown host, connect
    timeout) means the request never left: safe to send again. Anything
    after that (a read timeout, a connection dropped mid-answer) leaves the
    outcome unknown.
    """
    if _never_left(error):
        return TransientError(
            "Could not connect to %s (%s)." % (host, type(error).__name__),
            exchange=exchange,
            user_message=(
                "The console could not reach %s. It retries on its own; if this "
                "lasts, check the network and the Salesforce status page." % host
            ),
        )
    return OutcomeUnknown(
        "No answer from %s after the request was sent (%s)."
        % (host, type(error).__name__),
        exchange=exchange,
    )


def is_our_fault(error: SalesforceError) -> bool:
    return error.code in OUR_FAULT_CODES or (error.status == 405 and error.code is None)


def _never_left(error: requests.RequestException) -> bool:
    # A failed TLS handshake or proxy connection also comes before sending.
    early = (
        requests.ConnectTimeout,
        requests.exceptions.SSLError,
        requests.exceptions.ProxyError,
    )
    if isinstance(error, early):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    cause: BaseException | None = error
    seen = 0
    while cause is not None and seen < 10:
        reason = getattr(cause, "reason", None)
        if isinstance(cause, ConnectTimeoutError) or isinstance(
            reason, ConnectTimeoutError
        ):
            return True
        cause = reason or (cause.args[0] if cause.args else None)
        if not isinstance(cause, BaseException):
            return False
        seen += 1
    return False


def _rest_error_list(body: str) -> list[dict]:
    payload = wire.json_or_none(body)
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        return []
    return [e for e in payload if isinstance(e, dict)]


def _status_words(status: int) -> str:
    return "Salesforce answered with HTTP status %s." % status


def _rest_user_message(
    cls: type[SalesforceError],
    code: str,
    message: str,
    fields: list[str],
    headers: dict | None,
    about: dict[str, str],
) -> str | None:
    what = _WHAT.get(about.get("sobject", ""), "record")
    if cls is DuplicateApiName:
        if what == "assignment":
            return "The extension is already assigned to this business unit."
        name = about.get("api_name")
        return (
            "An %s with the API name %s already exists in Salesforce. Adopt the "
            "existing one or choose another API name." % (what, name)
            if name
            else None
        )
    if cls is SetupLimitReached:
        return (
            "Salesforce allows no more %ss here (%s). Reuse or deactivate one you "
            "no longer need: extensions and activity types cannot be deleted."
            % (what, message.rstrip("."))
        )
    if cls is OrgApiLimitExceeded:
        usage = parse_limit_info((headers or {}).get(LIMIT_HEADER))
        if usage:
            return (
                "Your org has used all %s of its Salesforce API requests for the "
                "last 24 hours. The console carries on when Salesforce allows "
                "more requests." % usage.limit
            )
        return None
    if cls is ValidationFailed:
        if code in OUR_FAULT_CODES:
            return (
                "The console sent Salesforce a request it could not accept (%s). "
                "This is a fault in the console; please report it." % code
            )
        named = ", ".join(fields)
        if named and message:
            return "Salesforce refused the value of %s: %s" % (named, message)
        return message and "Salesforce refused the values sent: %s" % message
    if cls is NotFound:
        if code == "INVALID_TYPE":
            return (
                "This org does not offer %s. Marketing App Extensions need "
                "Account Engagement Plus, Advanced or Premium."
                % (about.get("sobject") or "this kind of record")
            )
        record_id = about.get("record_id")
        if record_id:
            return (
                "Salesforce has no %s with id %s: it may have been deleted there."
                % (what, record_id)
            )
    if cls is AccessDenied and message:
        return (
            "The connected Salesforce user is not allowed to do this: %s Check "
            "the user's permissions and the connected app's scopes." % message
        )
    return None


def _pardot_user_message(
    cls: type[SalesforceError],
    code: int | None,
    message: str,
    about: dict[str, str],
) -> str | None:
    unit = about.get("business_unit_id") or "(none)"
    host = about.get("host") or "the Account Engagement host"
    if code == 201:
        return (
            "Account Engagement at %s does not know business unit %s, or it is "
            "inactive. Check the business unit in setup, and that the host fits "
            "the org type: %s." % (host, unit, AE_HOSTS_HINT)
        )
    if code == 181:
        return (
            "The request named no business unit (the Pardot-Business-Unit-Id "
            "header was missing). Choose a business unit in setup and try again."
        )
    if code == 182:
        return (
            "Account Engagement refused the business unit id %s as invalid. A "
            "business unit id has 18 characters and starts with 0Uv; check it in "
            "setup." % unit
        )
    if code in (46, 49):
        return (
            "The connected Salesforce user lacks the Account Engagement "
            "permission for this. Give the user the External Activity abilities "
            "on prospects (create to send, view to read)."
        )
    if cls is ValidationFailed:
        for pattern, template in _PARDOT_DETAILS:
            if pattern.search(message):
                return template.format_map(_Missing(about))
        return message and "Account Engagement refused the activity: %s" % message
    if cls is NotFound:
        return (
            "Account Engagement could not find what was asked for (%s). Check the "
            "Account Engagement host for this org: %s." % (message, AE_HOSTS_HINT)
        )
    return None


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "(unknown)"
