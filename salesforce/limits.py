"""The org's daily API usage, read from ``Sforce-Limit-Info`` on every answer.

Salesforce reports ``api-usage=used/limit`` on each REST and Tooling response
(and ``per-app-api-usage`` when the connected app has a quota of its own,
which is ignored here: the org's total is what runs out). The numbers are
kept on the ``Org`` row for the dashboard, written with one UPDATE, and not on
every call: once when a client first sees them, then again only when the
limit changes, the org nears its limit, or the stored numbers are stale.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from salesforce.models import Org

logger = logging.getLogger(__name__)

HEADER = "Sforce-Limit-Info"
# How old the stored numbers may get while the client keeps working.
REFRESH_AFTER = timedelta(minutes=1)
# From this share of the limit on, every change is written at once, so the
# dashboard shows the org running out as it happens.
NEARLY_USED_UP = 0.9

_API_USAGE = re.compile(r"(?:^|[;,\s])api-usage\s*=\s*(\d+)\s*/\s*(\d+)", re.I)


@dataclass(frozen=True)
class ApiUsage:
    used: int
    limit: int

    @property
    def nearly_used_up(self) -> bool:
        return self.limit > 0 and self.used >= self.limit * NEARLY_USED_UP


def parse_limit_info(value: str | None) -> ApiUsage | None:
    """The org's usage from a ``Sforce-Limit-Info`` value, or None if absent.

    ``api-usage=25/5000; per-app-api-usage=17/250(appName=sample)`` gives
    ``ApiUsage(25, 5000)``.
    """
    if not value:
        return None
    match = _API_USAGE.search(value)
    if match is None:
        return None
    return ApiUsage(int(match.group(1)), int(match.group(2)))


class UsageRecorder:
    """Remembers one org's API usage, writing only when it is worth a query."""

    def __init__(self, org: Org):
        self.org = org
        self.written: ApiUsage | None = None
        self.written_at: datetime | None = None

    def observe(self, header_value: str | None) -> ApiUsage | None:
        usage = parse_limit_info(header_value)
        if usage is not None and self._worth_writing(usage):
            self._write(usage)
        return usage

    def _worth_writing(self, usage: ApiUsage) -> bool:
        if self.written is None or self.written_at is None:
            return True
        if usage == self.written:
            return False
        if usage.limit != self.written.limit or usage.nearly_used_up:
            return True
        return timezone.now() - self.written_at >= REFRESH_AFTER

    def _write(self, usage: ApiUsage) -> None:
        now = timezone.now()
        Org.objects.filter(pk=self.org.pk).update(
            api_requests_used=usage.used,
            api_requests_limit=usage.limit,
            api_usage_seen_at=now,
        )
        self.org.api_requests_used = usage.used
        self.org.api_requests_limit = usage.limit
        self.org.api_usage_seen_at = now
        self.written, self.written_at = usage, now
        logger.debug(
            "Org %s has used %s of %s API requests today",
            self.org.pk,
            usage.used,
            usage.limit,
        )
