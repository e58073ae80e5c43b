"""The waits between attempts: capped, jittered, and never a long countdown."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from activity.backoff import daily_limit_until, retry_delay


@given(
    failures=st.integers(min_value=0, max_value=10_000),
    base=st.floats(min_value=0.01, max_value=60),
    cap=st.floats(min_value=0.01, max_value=3600),
    seed=st.integers(),
)
def test_each_delay_lies_between_zero_and_the_capped_exponential(
    failures, base, cap, seed
):
    delay = retry_delay(failures, base=base, cap=cap, rng=random.Random(seed))

    assert 0 <= delay <= min(cap, base * 2.0 ** min(failures, 64))


def test_delays_grow_with_each_failure_until_the_cap():
    highest = [
        max(retry_delay(n, base=2, cap=300, rng=random.Random(s)) for s in range(200))
        for n in range(10)
    ]

    assert highest[0] <= 2 and highest[3] <= 16
    assert highest[3] > 8
    assert all(value <= 300 for value in highest)
    assert highest[9] > 250


def test_the_daily_limit_holds_until_the_next_midnight_utc():
    now = datetime(2026, 5, 1, 15, 30, tzinfo=UTC)

    assert daily_limit_until(now, None) == datetime(2026, 5, 2, tzinfo=UTC)


def test_a_limit_met_again_just_after_resuming_is_tried_again_in_an_hour():
    now = datetime(2026, 5, 2, 0, 5, tzinfo=UTC)

    until = daily_limit_until(now, now - timedelta(minutes=5))

    assert until == now + timedelta(hours=1)
