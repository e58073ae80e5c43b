"""Typed errors from Salesforce and Account Engagement.

The rest of the console acts on the class of an error, never on its text:
retry a ``TransientError``, defer on ``DailyLimitReached``, ask for a
reconnect on ``RefreshTokenRevoked``, reconcile an ``OutcomeUnknown``. Each
error keeps Salesforce's own code and message for the log and the submission
record, and offers ``user_message``: a sentence a marketing admin can act on.
"""

from __future__ import annotations

from typing import Any


class SalesforceError(Exception):
    """Something Salesforce or Account Engagement refused, or that went wrong on
    the way there."""

    #: Whether sending the same request again later may succeed.
    retryable = False
    default_user_message = (
        "Salesforce refused the request. The details below say why; fix that and "
        "try again."
    )

    def __init__(
        self,
        message: str = "",
        *,
        code: str | int | None = None,
        status: int | None = None,
        fields: list[str] | None = None,
        user_message: str | None = None,
        exchange: Any = None,
    ):
        super().__init__(message or self.default_user_message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or []
        self.user_message = user_message or self.default_user_message
        #: The HTTP exchange that produced the error, when there was one.
        self.exchange = exchange

    def __str__(self) -> str:
        parts = [str(self.code)] if self.code not in (None, "") else []
        parts.append(self.message or self.user_message)
        return ": ".join(parts)


class TokenExpired(SalesforceError):
    """The access token is no longer accepted (401 ``INVALID_SESSION_ID`` or 184)."""

    retryable = True
    default_user_message = (
        "The Salesforce session expired. The console refreshes it on its own; if "
        "this persists, reconnect the org under Settings."
    )


class RefreshTokenRevoked(SalesforceError):
    """The refresh token was refused (``invalid_grant``): only a new sign-in helps."""

    default_user_message = (
        "Salesforce no longer accepts this connection (the access was revoked or "
        "expired). An admin must reconnect it under Settings."
    )


class OrgApiLimitExceeded(SalesforceError):
    """The org used up its daily API requests (``REQUEST_LIMIT_EXCEEDED``)."""

    default_user_message = (
        "Your org has used all of its Salesforce API requests for today. The "
        "console will carry on when Salesforce allows more requests."
    )


class DailyLimitReached(SalesforceError):
    """Account Engagement's daily API limit for the business unit (code 122)."""

    default_user_message = (
        "Account Engagement's daily API limit for this business unit is reached. "
        "Sending resumes automatically tomorrow."
    )


class ConcurrencyLimited(SalesforceError):
    """More than five requests at once for one business unit (code 66)."""

    retryable = True
    default_user_message = (
        "Account Engagement was busy with other requests for this business unit. "
        "The console retries shortly."
    )


class TransientError(SalesforceError):
    """A failure that may pass: code 183, a 5xx, or a connection that failed
    before the request was sent."""

    retryable = True
    default_user_message = (
        "Salesforce could not be reached or had a temporary problem. The console "
        "retries on its own."
    )


class OutcomeUnknown(SalesforceError):
    """The request was sent but no answer came back (a read timeout or a dropped
    connection). It may or may not have been applied, so it is never blindly
    resent."""

    default_user_message = (
        "The request reached Salesforce but no answer came back, so it is not known "
        "whether it was recorded. The console checks before sending it again."
    )


class DuplicateApiName(SalesforceError):
    """A record with that API name already exists."""

    default_user_message = (
        "A record with this API name already exists in Salesforce. Adopt the "
        "existing one or choose another API name."
    )


class SetupLimitReached(SalesforceError):
    """The org holds as many extensions, or an extension as many activity types,
    as Salesforce allows."""

    default_user_message = (
        "Salesforce allows no more records of this kind in your org. Reuse or "
        "deactivate one you no longer need; extensions and activity types cannot "
        "be deleted."
    )


class ValidationFailed(SalesforceError):
    """Salesforce refused the request's content; ``fields`` names what is wrong."""

    default_user_message = (
        "Salesforce refused the values sent. Correct the fields named below and try "
        "again."
    )


class NotFound(SalesforceError):
    """The record or resource does not exist (or the API version is too old)."""

    default_user_message = "Salesforce could not find that record."


class AccessDenied(SalesforceError):
    """The connected user lacks a permission or a scope for this request."""

    default_user_message = (
        "The connected Salesforce user is not allowed to do this. Check that the "
        "user has the External Activity permissions and that the connected app "
        "grants the api and pardot_api scopes."
    )
