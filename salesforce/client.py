"""The Salesforce client: REST, Tooling and Account Engagement v5 calls made
with one connection's token.

A client holds one ``Connection`` and one pooled ``requests.Session``; build
one per thread (a session is not meant to be shared between threads). Every
call has connect and read timeouts and is recorded as an ``Exchange``
(``client.exchanges`` holds those of the latest call); every failure is a
``SalesforceError`` subclass carrying the exchange that caused it. When
Salesforce refuses the access token, the client refreshes it once through
``salesforce.tokens`` and sends the request once more.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from requests.adapters import HTTPAdapter

from salesforce import exchanges, tokens, wire
from salesforce.errors import (
    AccessDenied,
    OutcomeUnknown,
    RefreshTokenRevoked,
    SalesforceError,
    TokenExpired,
    TransientError,
    ValidationFailed,
)
from salesforce.exchanges import Exchange
from salesforce.http_errors import (
    is_our_fault,
    network_error,
    pardot_error,
    rest_error,
)
from salesforce.limits import HEADER as LIMIT_HEADER
from salesforce.limits import UsageRecorder
from salesforce.models import Connection, ConnectionStatus, Org

__all__ = ["Exchange", "SalesforceClient", "api_version", "format_activity_date"]

logger = logging.getLogger(__name__)

# PardotTenant, which lists the business units, exists from API version 56.0.
MIN_API_VERSION = (56, 0)
USER_AGENT = "external-activity-console/0.1"
REST, PARDOT = "rest", "pardot"
# A query that pages on longer than this is a loop, not data.
MAX_PAGES = 500
NOT_DELETABLE = {
    "MarketingAppExtension": "extensions",
    "MarketingAppExtActivity": "activity types",
}

# Account Engagement v5, external activities. Documented (EA-V5): POST to
# create with extension, type, email, value and activityDate; GET to read
# one or query many, with a ``fields`` parameter; v5 collections answer
# ``{"values": [...]}`` with ``nextPageToken`` / ``nextPageUrl``. The query
# filters (email, createdAtAfterOrEqualTo) and ``limit`` (at most 1000) are a
# choice of the console, following the other v5 query endpoints; they are
# what the emulator implements, and are not confirmed for this endpoint.
EXTERNAL_ACTIVITIES_PATH = "/api/v5/external-activities"
ACTIVITY_FIELDS = ("id", "extension", "type", "email", "value", "activityDate")
ACTIVITY_READ_FIELDS = (*ACTIVITY_FIELDS, "createdAt")
QUERY_PAGE_SIZE = 1000


def external_activities_url(org: Org) -> str:
    """Where the org's external activities are sent and read."""
    return org.account_engagement_host + EXTERNAL_ACTIVITIES_PATH


def api_version() -> str:
    """``SALESFORCE_API_VERSION`` as ``NN.N``, refused when older than 56.0."""
    raw = str(settings.SALESFORCE_API_VERSION).strip().lstrip("vV")
    match = re.fullmatch(r"(\d{2,3})(?:\.(\d))?", raw)
    if match is None:
        raise ImproperlyConfigured(
            "SALESFORCE_API_VERSION must be a version such as 64.0, not %r." % raw
        )
    version = (int(match.group(1)), int(match.group(2) or 0))
    if version < MIN_API_VERSION:
        raise ImproperlyConfigured(
            "SALESFORCE_API_VERSION is %s.%s, but the console needs 56.0 or later: "
            "business units (PardotTenant) can only be read from API version 56.0 "
            "on." % version
        )
    return "%s.%s" % version


def format_activity_date(moment: datetime) -> str:
    """ISO 8601 with an offset, to the second (to the millisecond if given)."""
    if timezone.is_naive(moment):
        raise ValueError("An activity date needs a time zone.")
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec)


class SalesforceClient:
    """Calls to one org's Salesforce and Account Engagement, made with one
    connection's token; for one thread at a time."""

    def __init__(
        self, connection: Connection, *, session: requests.Session | None = None
    ):
        self.api_version = api_version()
        self.connection = connection
        self.org: Org = connection.org
        self.http = session or _new_session()
        #: The HTTP exchanges of the latest call, a refused token's included.
        self.exchanges: list[Exchange] = []
        self._held_tokens: set[str] = set()
        self._usage = UsageRecorder(self.org)

    @classmethod
    def for_org(cls, org: Org) -> SalesforceClient:
        """A client on the org's execution connection (the one that sends)."""
        connection = org.execution_connection
        if connection is None:
            raise AccessDenied(
                "Org %s has no execution connection." % org.pk,
                user_message=(
                    "No Salesforce connection is chosen to send activities for "
                    "this org. An admin can choose one under Settings."
                ),
            )
        connection.org = org
        if connection.status != ConnectionStatus.ACTIVE:
            raise _needs_reconnect(connection)
        return cls(connection)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # REST and Tooling API

    def tooling_query(self, soql: str) -> list[dict]:
        """Every record the query matches, following ``nextRecordsUrl``."""
        return self._query("tooling/query/", soql)

    def rest_query(self, soql: str) -> list[dict]:
        return self._query("query/", soql)

    def tooling_get(self, sobject: str, record_id: str) -> dict:
        self.exchanges = []
        about = {"sobject": sobject, "record_id": record_id}
        response, exchange = self._authorized(
            REST, "GET", self._sobject_url(sobject, record_id), about=about
        )
        return _json_object(response, exchange)

    def tooling_create(self, sobject: str, fields: dict) -> str:
        """Create a record; its new id."""
        self.exchanges = []
        about = {"sobject": sobject, "api_name": str(fields.get("DeveloperName") or "")}
        response, exchange = self._authorized(
            REST, "POST", self._sobject_url(sobject), json_body=fields, about=about
        )
        payload = wire.json_or_none(response.text)
        new_id = payload.get("id") if isinstance(payload, dict) else None
        if not new_id:
            raise OutcomeUnknown(
                "Salesforce accepted a new %s but named no id." % sobject,
                status=response.status_code,
                exchange=exchange,
            )
        return str(new_id)

    def tooling_update(self, sobject: str, record_id: str, fields: dict) -> None:
        self.exchanges = []
        about = {"sobject": sobject, "record_id": record_id}
        url = self._sobject_url(sobject, record_id)
        self._authorized(REST, "PATCH", url, json_body=fields, about=about)

    def tooling_delete(self, sobject: str, record_id: str) -> None:
        """Delete a record; only assignments can be deleted this way."""
        self.exchanges = []
        if sobject in NOT_DELETABLE:
            what = NOT_DELETABLE[sobject]
            raise ValidationFailed(
                "The Tooling API has no DELETE for %s." % sobject,
                code="DELETE_NOT_SUPPORTED",
                user_message=(
                    "Salesforce does not let %s be deleted through its API. "
                    "Deactivate it instead; it can be reused later." % what
                ),
            )
        about = {"sobject": sobject, "record_id": record_id}
        url = self._sobject_url(sobject, record_id)
        self._authorized(REST, "DELETE", url, about=about)

    # Account Engagement API v5

    def submit_external_activity(
        self,
        *,
        business_unit_id: str,
        extension: str,
        activity_type: str,
        email: str,
        value: str,
        activity_date: datetime,
    ) -> Exchange:
        """Send one external activity; the successful exchange (any 2xx)."""
        self.exchanges = []
        body = {
            "extension": extension,
            "type": activity_type,
            "email": email,
            "value": value,
            "activityDate": format_activity_date(activity_date),
        }
        about = {
            "business_unit_id": business_unit_id,
            "extension": extension,
            "activity_type": activity_type,
        }
        _, exchange = self._pardot(
            "POST", self._pardot_url(), business_unit_id, json_body=body, about=about
        )
        return exchange

    def find_external_activities(
        self,
        *,
        business_unit_id: str,
        email: str | None = None,
        created_after: datetime | None = None,
    ) -> list[dict]:
        """Activities recorded for the business unit, to reconcile sends whose
        outcome is unknown; ``created_after`` is inclusive."""
        self.exchanges = []
        params: dict[str, str] | None = {
            "fields": ",".join(ACTIVITY_READ_FIELDS),
            "limit": str(QUERY_PAGE_SIZE),
        }
        if email:
            params["email"] = email
        if created_after is not None:
            params["createdAtAfterOrEqualTo"] = format_activity_date(created_after)
        url = self._pardot_url()
        about = {"business_unit_id": business_unit_id}
        found: list[dict] = []
        for _ in range(MAX_PAGES):
            response, exchange = self._pardot(
                "GET", url, business_unit_id, params=params, about=about
            )
            payload = _json_object(response, exchange)
            found.extend(v for v in payload.get("values") or [] if isinstance(v, dict))
            next_page = self._next_page(payload)
            if next_page is None:
                return found
            url, params = next_page
        raise _too_many_pages(exchange)

    # Sending

    def _query(self, path: str, soql: str) -> list[dict]:
        self.exchanges = []
        about = {"sobject": _sobject_in(soql)}
        url, params = self._data_url(path), {"q": soql}
        records: list[dict] = []
        for _ in range(MAX_PAGES):
            response, exchange = self._authorized(
                REST, "GET", url, params=params, about=about
            )
            payload = _json_object(response, exchange)
            records.extend(payload.get("records") or [])
            next_url = payload.get("nextRecordsUrl")
            if payload.get("done", True) or not next_url:
                return records
            url, params = self._instance_url() + "/" + next_url.lstrip("/"), None
        raise _too_many_pages(exchange)

    def _pardot(
        self, method: str, url: str, business_unit_id: str, **kwargs: Any
    ) -> tuple[requests.Response, Exchange]:
        headers = {"Pardot-Business-Unit-Id": business_unit_id}
        kwargs["about"] = {**kwargs.get("about", {}), "host": wire.host(url)}
        return self._authorized(PARDOT, method, url, headers=headers, **kwargs)

    def _authorized(
        self, kind: str, method: str, url: str, **kwargs: Any
    ) -> tuple[requests.Response, Exchange]:
        """Send with the connection's token; on a refused token, refresh it
        once and send once more."""
        if self.connection.status != ConnectionStatus.ACTIVE:
            raise _needs_reconnect(self.connection)
        if not self.connection.access_token:
            tokens.refresh_access_token(self.connection, rejected_token="")
        token = self.connection.access_token
        try:
            return self._send(kind, method, url, token=token, **kwargs)
        except TokenExpired as expired:
            if kind == PARDOT and self._lacks_pardot_scope():
                raise _pardot_refused(expired, kwargs["about"], scope=True) from None
            logger.warning(
                "Salesforce refused the access token of connection %s (org %s); "
                "refreshing it and sending %s %s once more",
                self.connection.pk,
                self.org.pk,
                method,
                urlsplit(url).path,
            )
        tokens.refresh_access_token(self.connection, rejected_token=token)
        try:
            return self._send(
                kind, method, url, token=self.connection.access_token, **kwargs
            )
        except TokenExpired as again:
            logger.warning(
                "Salesforce refused a freshly refreshed token of connection %s "
                "(org %s) on %s %s",
                self.connection.pk,
                self.org.pk,
                method,
                urlsplit(url).path,
            )
            if kind == PARDOT:
                raise _pardot_refused(again, kwargs["about"], scope=False) from None
            raise _rest_refused(again) from None

    def _send(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        token: str,
        params: dict | None = None,
        json_body: Any = None,
        headers: dict | None = None,
        about: dict | None = None,
    ) -> tuple[requests.Response, Exchange]:
        all_headers = {
            "Authorization": "Bearer %s" % token,
            "Accept": "application/json",
            **(headers or {}),
        }
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        prepared = self.http.prepare_request(
            requests.Request(method, url, params=params, data=body, headers=all_headers)
        )
        # Every token this client has held is masked, not only the one sent:
        # an answer after a refresh may echo the token that was refused.
        self._held_tokens.update(
            {token, self.connection.access_token, self.connection.refresh_token}
        )
        scrub = exchanges.Scrubber(self._held_tokens)
        exchange = exchanges.begin(
            method, prepared.url, prepared.headers, prepared.body, scrub, timezone.now()
        )
        self.exchanges.append(exchange)
        started = time.monotonic()
        try:
            environment = self.http.merge_environment_settings(
                prepared.url, {}, False, None, None
            )
            response = self.http.send(
                prepared, timeout=wire.timeouts(), allow_redirects=False, **environment
            )
            text = response.text
        except requests.RequestException as error:
            exchanges.finish(exchange, scrub, started)
            raise self._no_answer(error, exchange, method, url) from error

        exchanges.finish(
            exchange,
            scrub,
            started,
            status=response.status_code,
            headers=response.headers,
            body=text,
        )
        if kind == REST:
            self._usage.observe(response.headers.get(LIMIT_HEADER))
        logger.debug(
            "%s %s %s in %sms (org %s, connection %s)",
            method,
            urlsplit(url).path,
            response.status_code,
            exchange.duration_ms,
            self.org.pk,
            self.connection.pk,
        )
        if 200 <= response.status_code < 300:
            return response, exchange
        raise self._refusal(kind, response, scrub(text), exchange, method, url, about)

    def _no_answer(
        self,
        error: requests.RequestException,
        exchange: Exchange,
        method: str,
        url: str,
    ) -> SalesforceError:
        failure = network_error(error, host=wire.host(url), exchange=exchange)
        exchange.error_class = type(failure).__name__
        logger.warning(
            "%s %s got no answer (org %s, connection %s): %s",
            method,
            urlsplit(url).path,
            self.org.pk,
            self.connection.pk,
            failure.message,
        )
        return failure

    def _refusal(
        self,
        kind: str,
        response: requests.Response,
        text: str,
        exchange: Exchange,
        method: str,
        url: str,
        about: dict | None,
    ) -> SalesforceError:
        status = response.status_code
        if kind == REST:
            error = rest_error(
                status, text, headers=response.headers, exchange=exchange, about=about
            )
        else:
            error = pardot_error(status, text, exchange=exchange, about=about)
        exchange.error_class = type(error).__name__
        if isinstance(error, TokenExpired):
            level = logging.DEBUG
        elif is_our_fault(error):
            level = logging.ERROR
        else:
            level = logging.WARNING
        logger.log(
            level,
            "%s %s refused with HTTP %s %s (org %s, connection %s): %s",
            method,
            urlsplit(url).path,
            status,
            error.code if error.code is not None else "",
            self.org.pk,
            self.connection.pk,
            error.message,
        )
        return error

    # Addresses

    def _instance_url(self) -> str:
        return (self.connection.instance_url or self.org.instance_url).rstrip("/")

    def _data_url(self, path: str) -> str:
        return "%s/services/data/v%s/%s" % (
            self._instance_url(),
            self.api_version,
            path,
        )

    def _sobject_url(self, sobject: str, record_id: str | None = None) -> str:
        path = "tooling/sobjects/%s/" % quote(sobject, safe="")
        if record_id:
            path += quote(record_id, safe="")
        return self._data_url(path)

    def _pardot_url(self) -> str:
        return external_activities_url(self.org)

    def _next_page(self, payload: dict) -> tuple[str, dict | None] | None:
        """Where the next page of a v5 query is, if there is one."""
        next_url = payload.get("nextPageUrl")
        if next_url:
            absolute = urljoin(self._pardot_url(), next_url)
            # The token goes only to the host it is meant for.
            if wire.host(absolute) == wire.host(self._pardot_url()):
                return absolute, None
        token = payload.get("nextPageToken")
        if token:
            return self._pardot_url(), {"nextPageToken": token}
        return None

    def _lacks_pardot_scope(self) -> bool:
        scopes = self.connection.scope_set
        return bool(scopes) and "pardot_api" not in scopes


def _new_session() -> requests.Session:
    """A pooled session that never retries on its own: a POST that may have
    reached Salesforce must not be sent twice behind the caller's back."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=10, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _sobject_in(soql: str) -> str:
    match = re.search(r"\bFROM\s+(\w+)", soql, re.I)
    return match.group(1) if match else ""


def _json_object(response: requests.Response, exchange: Exchange) -> dict:
    payload = wire.json_or_none(response.text)
    if not isinstance(payload, dict):
        raise TransientError(
            "Salesforce answered HTTP %s with a body that is not a JSON object."
            % response.status_code,
            status=response.status_code,
            exchange=exchange,
        )
    return payload


def _too_many_pages(exchange: Exchange) -> SalesforceError:
    return SalesforceError(
        "The answer ran to more than %s pages; stopped reading it." % MAX_PAGES,
        exchange=exchange,
    )


def _needs_reconnect(connection: Connection) -> RefreshTokenRevoked:
    return RefreshTokenRevoked(
        "Connection %s is %s." % (connection.pk, connection.status),
        user_message=(
            "This org's Salesforce connection must be made again before the "
            "console can call Salesforce. An admin can reconnect it under Settings."
        ),
    )


def _pardot_refused(
    error: SalesforceError, about: dict, *, scope: bool
) -> AccessDenied:
    if scope:
        sentence = (
            "Account Engagement refuses this connection's token because it was "
            "granted without the pardot_api scope. Add pardot_api to the "
            "connected app's scopes and reconnect the org under Settings."
        )
    else:
        sentence = (
            "Account Engagement refuses this connection's token even right after "
            "a refresh. Check that the connected app grants the pardot_api scope "
            "(reconnect after adding it) and that the connected Salesforce user is "
            "synced to Account Engagement business unit %s with API access."
            % about.get("business_unit_id", "")
        )
    return AccessDenied(
        error.message,
        code=error.code,
        status=error.status,
        exchange=error.exchange,
        user_message=sentence,
    )


def _rest_refused(error: SalesforceError) -> AccessDenied:
    return AccessDenied(
        error.message,
        code=error.code,
        status=error.status,
        exchange=error.exchange,
        user_message=(
            "Salesforce refuses this connection's token even right after a "
            "refresh, which happens when a session policy (login IP ranges, high "
            "assurance sessions) blocks API use. Check the connected app's "
            "policies, then reconnect the org under Settings."
        ),
    )
