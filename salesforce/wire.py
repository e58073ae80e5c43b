"""Small readings of what crosses the wire to Salesforce, shared by the
client, the token calls and sign-in."""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


def json_or_none(text: str) -> Any:
    """The JSON in ``text``, or None when it is empty or not JSON."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def host(url: str) -> str:
    return urlsplit(url).netloc


def timeouts() -> tuple[float, float]:
    """Connect and read timeouts for every call to Salesforce."""
    return (settings.SALESFORCE_CONNECT_TIMEOUT, settings.SALESFORCE_READ_TIMEOUT)


def issued_at(value: object) -> datetime | None:
    """A token answer's ``issued_at`` (milliseconds since the epoch, as a
    string), or None when it is missing or no date a clock can hold."""
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
