"""Time, in the formats each API writes it."""

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def salesforce_datetime(timestamp: float) -> str:
    """The REST API's format, such as 2024-05-01T10:00:00.000+0000."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    )


def iso_datetime(timestamp: float) -> str:
    """ISO 8601 with an offset, such as 2024-05-01T10:00:00.123+00:00."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def utc_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()
