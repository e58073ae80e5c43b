"""Refreshing and revoking a connection's OAuth tokens.

Salesforce sends no expiry with an access token: once the session ends, calls
answer 401 ``INVALID_SESSION_ID`` (Account Engagement: code 184), and the
client asks for a new token with the one that was refused. Exactly one
refresh runs per connection at a time. Threads of one process queue on a lock
per connection; processes take turns through a short claim on the
``Connection`` row (``refreshing_until``), set by a conditional update. No
transaction stays open while Salesforce is asked: on SQLite it would lock the
whole database, on PostgreSQL the row, for as long as the token call takes.
The caller that holds the claim asks for the token, then stores it and drops
the claim in one conditional update; the others poll the row until a token
other than the refused one appears, and take it instead of asking again,
which also keeps a rotated refresh token from being spent twice. A claim
whose holder died runs out after the token call's timeouts.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from salesforce import exchanges, hosts, wire
from salesforce.errors import (
    AccessDenied,
    RefreshTokenRevoked,
    SalesforceError,
    TransientError,
)
from salesforce.http_errors import network_error
from salesforce.models import Connection, ConnectionStatus
from salesforce.redaction import redact

logger = logging.getLogger(__name__)

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a path, not a secret)
REVOKE_PATH = "/services/oauth2/revoke"
# Errors that mean the console's own connected-app settings are wrong.
CLIENT_ERRORS = {"invalid_client_id", "invalid_client", "unauthorized_client"}
# A claim to refresh outlasts the token call's own timeouts by this much, so
# it only runs out when its holder stopped without dropping it.
CLAIM_MARGIN_SECONDS = 15
# How often a caller waiting on another process's refresh reads the row.
POLL_SECONDS = 0.1

_locks_guard = threading.Lock()
_locks: dict[int, threading.Lock] = {}

_COPIED_FIELDS = (
    "access_token",
    "refresh_token",
    "instance_url",
    "scopes",
    "issued_at",
    "last_refresh_at",
    "last_error",
    "status",
)


def login_url(connection: Connection) -> str:
    """The host the connection's tokens come from (login, test or My Domain),
    checked as every stored login URL is before a token goes there."""
    return hosts.org_login_url(connection.org)


def refresh_access_token(
    connection: Connection, *, rejected_token: str | None = None
) -> Connection:
    """Give ``connection`` a working access token, saved before it is returned.

    With ``rejected_token`` (the token a call was refused with, or "" for a
    caller that holds none), a token stored since by another caller is
    reused instead of refreshing again; without it the token is refreshed.
    Updates ``connection`` in place and returns it. Raises
    ``RefreshTokenRevoked`` (and marks the connection ``needs_reconnect``)
    when Salesforce no longer accepts the refresh token.
    """
    with _lock_for(connection.pk):
        _refresh_claimed(connection, rejected_token)
    return connection


def revoke_tokens(
    connection: Connection, *, budget_seconds: float | None = None
) -> bool:
    """Ask Salesforce to revoke the connection's tokens; best effort.

    Revoking the refresh token revokes its access tokens too; the access
    token is revoked on its own only when there is no refresh token or
    Salesforce refused to revoke it. With ``budget_seconds``, all calls
    together take no longer than that (a person may be waiting). Failures
    are logged, never raised; True when Salesforce confirmed a revocation.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    for kind, token in (
        ("refresh", connection.refresh_token),
        ("access", connection.access_token),
    ):
        timeout = _revoke_timeout(deadline)
        if token and timeout and _revoke(connection, kind, token, timeout):
            return True
    return False


def _revoke_timeout(deadline: float | None) -> tuple[float, float] | None:
    """The (connect, read) timeout left before ``deadline``; None when spent."""
    if deadline is None:
        return wire.timeouts()
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    return (min(wire.timeouts()[0], remaining), remaining)


def _lock_for(connection_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(connection_id, threading.Lock())


def _refresh_claimed(connection: Connection, rejected_token: str | None) -> None:
    claimed = _claim_or_take(connection, rejected_token)
    if claimed is None:
        return
    row, claim = claimed
    try:
        payload = _request_new_token(row)
    except RefreshTokenRevoked as revoked:
        _mark_needs_reconnect(row, revoked, claim)
        _copy(row, connection)
        raise
    except BaseException:
        _release(row.pk, claim)
        raise
    _store(row, payload, claim)
    _copy(row, connection)
    logger.info(
        "Refreshed the access token of connection %s (org %s)%s",
        row.pk,
        row.org_id,
        "; Salesforce rotated the refresh token" if "refresh_token" in payload else "",
    )


def _claim_or_take(
    connection: Connection, rejected_token: str | None
) -> tuple[Connection, datetime] | None:
    """Claim the refresh, waiting while another caller holds the claim: the
    row and the claim, or None once a token that caller stored is taken."""
    while True:
        claim = _claim(connection.pk)
        row = Connection.objects.select_related("org").get(pk=connection.pk)
        fresh = rejected_token is not None and row.access_token not in (
            "",
            rejected_token,
        )
        settled = row.status != ConnectionStatus.ACTIVE or fresh
        if settled and claim is not None:
            _release(row.pk, claim)
        if settled:
            _copy(row, connection)
            _check_active(row)
            logger.debug(
                "Connection %s (org %s) already holds a newer access token",
                row.pk,
                row.org_id,
            )
            return None
        if claim is not None:
            return row, claim
        time.sleep(POLL_SECONDS)


def _check_active(row: Connection) -> None:
    if row.status != ConnectionStatus.ACTIVE:
        raise RefreshTokenRevoked(
            "Connection %s is %s; it needs a new sign-in." % (row.pk, row.status)
        )


def _claim(connection_id: int) -> datetime | None:
    """Claim the right to refresh the connection's token; when the claim
    runs out, or None if another caller holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=sum(wire.timeouts()) + CLAIM_MARGIN_SECONDS)
    free = Q(refreshing_until__isnull=True) | Q(refreshing_until__lt=now)
    claimed = Connection.objects.filter(free, pk=connection_id).update(
        refreshing_until=until
    )
    return until if claimed else None


def _release(connection_id: int, claim: datetime) -> None:
    Connection.objects.filter(pk=connection_id, refreshing_until=claim).update(
        refreshing_until=None
    )


def _finish(row: Connection, claim: datetime, **changes: object) -> None:
    """Write ``changes`` and drop the claim, provided the claim still holds
    and no new sign-in replaced the tokens meanwhile."""
    written = Connection.objects.filter(
        pk=row.pk, refreshing_until=claim, issued_at=row.issued_at
    ).update(refreshing_until=None, updated_at=timezone.now(), **changes)
    if written:
        return
    _release(row.pk, claim)
    logger.warning(
        "Connection %s (org %s) changed while its token was refreshed; the "
        "refresh is dropped",
        row.pk,
        row.org_id,
    )
    raise TransientError(
        "Connection %s changed while its token was refreshed (a new sign-in, or a "
        "refresh that outlasted its claim)." % row.pk
    )


def _request_new_token(row: Connection) -> dict:
    if not row.refresh_token:
        raise RefreshTokenRevoked(
            "Connection %s holds no refresh token." % row.pk, code="no_refresh_token"
        )
    origin = login_url(row)
    url = origin + TOKEN_PATH
    form = {
        "grant_type": "refresh_token",
        "refresh_token": row.refresh_token,
        "client_id": settings.SALESFORCE_CLIENT_ID,
        "client_secret": settings.SALESFORCE_CLIENT_SECRET,
    }
    scrub = exchanges.Scrubber(
        [row.refresh_token, row.access_token, settings.SALESFORCE_CLIENT_SECRET]
    )
    status, payload, exchange = _post(url, form, scrub, row)
    if status == 200 and isinstance(payload, dict) and payload.get("access_token"):
        return _checked_instance(payload, origin, exchange, row)
    raise _token_error(status, payload, exchange, row)


def _checked_instance(
    payload: dict, origin: str, exchange: exchanges.Exchange, row: Connection
) -> dict:
    """The answer with its instance URL checked: the access token is sent
    there afterwards, so it must be a Salesforce host (or the login host)."""
    named = payload.get("instance_url")
    if not named:
        return payload
    checked = hosts.checked_instance_url(named, origin)
    if checked is not None:
        return {**payload, "instance_url": checked}
    host = wire.host(str(named))
    logger.error(
        "The token endpoint named %s as the instance of connection %s (org %s), "
        "which is not a Salesforce host; the new token was not stored",
        host,
        row.pk,
        row.org_id,
    )
    exchange.error_class = SalesforceError.__name__
    raise SalesforceError(
        "The token answer named %s as the instance, which is not a Salesforce "
        "host." % host,
        code="foreign_instance_url",
        exchange=exchange,
        user_message=(
            "Salesforce's answer to a token refresh named a server that is not "
            "Salesforce's (%s), so the console kept the previous token and sent "
            "nothing there. Check the org's login host, then reconnect the org "
            "under Settings." % host
        ),
    )


def _post(
    url: str, form: dict, scrub: exchanges.Scrubber, row: Connection
) -> tuple[int, object, exchanges.Exchange]:
    headers = {"Accept": "application/json"}
    started = time.monotonic()
    exchange = exchanges.begin(
        "POST", url, headers, urlencode(form), scrub, timezone.now()
    )
    try:
        response = requests.post(
            url, data=form, headers=headers, timeout=wire.timeouts()
        )
        text = response.text
    except requests.RequestException as error:
        exchanges.finish(exchange, scrub, started)
        failure = network_error(error, host=wire.host(url), exchange=exchange)
        # An unanswered token call is worth trying again: at worst it issued
        # an access token nobody uses (or, where the connected app rotates
        # refresh tokens, spent this one, which the next try then reports as
        # revoked).
        if not failure.retryable:
            failure = TransientError(failure.message, exchange=exchange)
        exchange.error_class = type(failure).__name__
        logger.warning(
            "The token call for connection %s (org %s) failed: %s",
            row.pk,
            row.org_id,
            failure.message,
        )
        raise failure from None
    payload = wire.json_or_none(text)
    if isinstance(payload, dict):
        # New secrets in the answer are cut out of the record too.
        scrub = exchanges.Scrubber(
            [*scrub.forms, payload.get("access_token"), payload.get("refresh_token")]
        )
    exchanges.finish(
        exchange,
        scrub,
        started,
        status=response.status_code,
        headers=response.headers,
        body=text,
    )
    # Whatever else in a token exchange is secret is masked by name as well.
    exchange.request_body = redact(exchange.request_body)
    exchange.response_body = redact(exchange.response_body)
    logger.debug(
        "POST %s %s in %sms (org %s, connection %s)",
        TOKEN_PATH,
        response.status_code,
        exchange.duration_ms,
        row.org_id,
        row.pk,
    )
    return response.status_code, payload, exchange


def _token_error(
    status: int, payload: object, exchange: exchanges.Exchange, row: Connection
) -> SalesforceError:
    payload = payload if isinstance(payload, dict) else {}
    code = str(payload.get("error") or "")
    description = str(payload.get("error_description") or "")
    message = "%s: %s" % (code, description) if code else "HTTP %s" % status
    if code == "invalid_grant":
        error: SalesforceError = RefreshTokenRevoked(
            message, code=code, status=status, exchange=exchange
        )
        logger.warning(
            "Salesforce refused the refresh token of connection %s (org %s): %s",
            row.pk,
            row.org_id,
            message,
        )
    elif code in CLIENT_ERRORS:
        error = AccessDenied(
            message,
            code=code,
            status=status,
            exchange=exchange,
            user_message=(
                "Salesforce refused the console's connected app credentials. "
                "Check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET."
            ),
        )
        logger.error(
            "The token endpoint refused the client credentials for connection %s "
            "(org %s): %s",
            row.pk,
            row.org_id,
            message,
        )
    elif status >= 500:
        error = TransientError(message, code=code or None, status=status)
        logger.warning(
            "The token endpoint failed for connection %s (org %s): %s",
            row.pk,
            row.org_id,
            message,
        )
    else:
        error = SalesforceError(message, code=code or None, status=status)
        logger.warning(
            "The token endpoint refused a refresh for connection %s (org %s): %s",
            row.pk,
            row.org_id,
            message,
        )
    error.exchange = exchange
    exchange.error_class = type(error).__name__
    return error


def _mark_needs_reconnect(
    row: Connection, error: SalesforceError, claim: datetime
) -> None:
    last_error = (
        "Salesforce refused the stored refresh token (%s) on %s UTC. Reconnect "
        "the org under Settings."
        % (error.message, timezone.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
    )
    _finish(row, claim, status=ConnectionStatus.NEEDS_RECONNECT, last_error=last_error)
    row.status = ConnectionStatus.NEEDS_RECONNECT
    row.last_error = last_error


def _store(row: Connection, payload: dict, claim: datetime) -> None:
    """Write the new token from the answer, then take it into ``row``."""
    now = timezone.now()
    changes = {
        "access_token": payload["access_token"],
        "refresh_token": payload.get("refresh_token") or row.refresh_token,
        "instance_url": row.instance_url,
        "scopes": str(payload.get("scope") or "") or row.scopes,
        "issued_at": wire.issued_at(payload.get("issued_at")) or now,
        "last_refresh_at": now,
        "last_error": "",
    }
    if payload.get("instance_url"):
        changes["instance_url"] = payload["instance_url"]
    _finish(row, claim, **changes)
    for name, value in changes.items():
        setattr(row, name, value)


def _copy(row: Connection, connection: Connection) -> None:
    if row is connection:
        return
    for name in _COPIED_FIELDS:
        setattr(connection, name, getattr(row, name))


def _revoke(
    connection: Connection, kind: str, token: str, timeout: tuple[float, float]
) -> bool:
    url = login_url(connection) + REVOKE_PATH
    try:
        response = requests.post(url, data={"token": token}, timeout=timeout)
    except requests.RequestException as error:
        logger.warning(
            "Could not reach %s to revoke the %s token of connection %s (org %s): %s",
            wire.host(url),
            kind,
            connection.pk,
            connection.org_id,
            type(error).__name__,
        )
        return False
    if response.status_code == 200:
        logger.info(
            "Revoked the %s token of connection %s (org %s)",
            kind,
            connection.pk,
            connection.org_id,
        )
        return True
    payload = wire.json_or_none(response.text)
    code = payload.get("error") if isinstance(payload, dict) else ""
    logger.warning(
        "Salesforce refused to revoke the %s token of connection %s (org %s): "
        "HTTP %s %s",
        kind,
        connection.pk,
        connection.org_id,
        response.status_code,
        code or "",
    )
    return False
