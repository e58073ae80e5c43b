"""A record of one HTTP exchange with Salesforce, safe to store and show.

Support staff read these on a submission's attempts, so they keep the email
and the value that were sent, but never a token or a secret: the
``Authorization`` header is masked and every secret the client knows of is
cut out of the URL, headers and bodies, whether it appears as is or
form-encoded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
# Long answers (a query of many records, an HTML error page) are cut here.
BODY_LIMIT = 10_000
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie"}


@dataclass
class Exchange:
    """One HTTP exchange, safe to store (tokens redacted)."""

    method: str
    url: str
    request_headers: dict
    request_body: str
    status: int | None
    response_headers: dict
    response_body: str
    started_at: datetime
    duration_ms: int
    error_class: str = ""


class Scrubber:
    """Cuts known secret values out of text."""

    def __init__(self, secrets: Iterable[str | None]):
        forms: set[str] = set()
        for secret in secrets:
            # Short values would mask ordinary words; real tokens are long.
            if secret and len(secret) >= 8:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        self.forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, MASK)
        return text

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        shown = {}
        for name, value in headers.items():
            if name.lower() in _SECRET_HEADERS:
                scheme, _, rest = str(value).partition(" ")
                shown[name] = "%s %s" % (scheme, MASK) if rest else MASK
            else:
                shown[name] = self(str(value))
        return shown


def body_text(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body


def truncated(text: str) -> str:
    if len(text) <= BODY_LIMIT:
        return text
    return "%s\n[cut at %s of %s characters]" % (
        text[:BODY_LIMIT],
        BODY_LIMIT,
        len(text),
    )


def begin(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    scrub: Scrubber,
    started_at: datetime,
) -> Exchange:
    """The exchange as far as the request goes; ``finish`` adds the answer."""
    return Exchange(
        method=method,
        url=scrub(url),
        request_headers=scrub.headers(headers),
        request_body=truncated(scrub(body_text(body))),
        status=None,
        response_headers={},
        response_body="",
        started_at=started_at,
        duration_ms=0,
    )


def finish(
    exchange: Exchange,
    scrub: Scrubber,
    started: float,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    body: str = "",
) -> Exchange:
    """Add the answer (or its absence); ``started`` is ``time.monotonic()``
    taken when the request was sent."""
    exchange.duration_ms = int((time.monotonic() - started) * 1000)
    exchange.status = status
    exchange.response_headers = scrub.headers(headers or {})
    exchange.response_body = truncated(scrub(body))
    return exchange
