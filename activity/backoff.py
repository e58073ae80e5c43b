"""How long to wait before sending again.

Transient failures wait a random time between zero and ``base * 2**n``
seconds, never more than ``cap`` ("full jitter"): many submissions that failed
together spread out instead of hitting Account Engagement again at once.
"""

import random
from datetime import UTC, datetime, timedelta

from django.conf import settings

DAY = timedelta(days=1)
# A business unit that meets the daily limit right after resuming is looked at
# again in an hour rather than a day: its account may start its day in a time
# zone behind UTC.
RESUME_GRACE = timedelta(hours=1)


def retry_delay(
    failures: int,
    *,
    base: float | None = None,
    cap: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``failures``-th transient failure (from 0)."""
    base = settings.ACTIVITY_RETRY_BASE_SECONDS if base is None else base
    cap = settings.ACTIVITY_RETRY_CAP_SECONDS if cap is None else cap
    # Bounded exponent: 2**n overflows a float long before n is unreasonable.
    ceiling = min(cap, base * 2 ** min(max(failures, 0), 64))
    return (rng or random).uniform(0, ceiling)


def slot_wait(rng: random.Random | None = None) -> float:
    """A short, jittered wait for a business unit with no free slot."""
    longest = settings.ACTIVITY_SLOT_WAIT_SECONDS
    return (rng or random).uniform(longest / 4, longest)


def daily_limit_until(now: datetime, resumed_at: datetime | None) -> datetime:
    """When to try a business unit again after it met its daily limit.

    Account Engagement resets the count at the start of the account's day;
    the console does not know that time zone, so it waits for the next
    midnight UTC, or one hour when the unit met the limit again just after
    resuming.
    """
    if resumed_at is not None and now - resumed_at < RESUME_GRACE:
        return now + RESUME_GRACE
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + DAY
