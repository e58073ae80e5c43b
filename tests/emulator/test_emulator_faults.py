import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.emulator.helpers import (
    MARKETING_UNIT,
    SALES_UNIT,
    TIMEOUT,
    create,
    emulator_fixtures,
    post_activity,
    ready_extension,
    tooling_query,
)

emulator_process, emulator = emulator_fixtures()


def poll_until(condition, timeout=5.0, pause=0.01):
    """Ask ``condition`` again and again until it holds; fail after ``timeout``.

    A local loop: the emulator's tests stay free of Django and its helpers.
    """
    give_up_at = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= give_up_at:
            pytest.fail("the emulator never reached the awaited state")
        time.sleep(pause)


@pytest.fixture
def token(emulator):
    return emulator.token()["access_token"]


@pytest.fixture
def setup(emulator, token):
    return ready_extension(emulator, token)


def post_in_parallel(emulator, token, count, unit=MARKETING_UNIT):
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(post_activity, emulator, token, unit=unit) for _ in range(count)
        ]
        return [f.result() for f in futures]


def test_only_five_requests_per_business_unit_run_at_once(emulator, token, setup):
    emulator.settings(latency_ms=400)

    responses = post_in_parallel(emulator, token, 10)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [204] * 5 + [429] * 5
    refused = [r.json() for r in responses if r.status_code == 429]
    assert refused[0] == {
        "code": 66,
        "message": "You have exceeded your concurrent request limit. "
        "Please wait, before trying again",
    }
    stats = emulator.stats()
    assert stats["max_in_flight"][MARKETING_UNIT] == 5
    assert stats["in_flight"] == {}
    assert len(emulator.state()["external_activities"]) == 5


def test_the_concurrency_limit_is_counted_per_business_unit(emulator, token, setup):
    # The sales unit may receive the same activity, so every request can succeed.
    create(
        emulator,
        token,
        "MarketingAppExtAssignment",
        MarketingAppExtensionId=setup["extension"],
        ParentId=SALES_UNIT,
    )
    emulator.settings(latency_ms=300, max_concurrent_per_business_unit=2)

    with ThreadPoolExecutor(max_workers=4) as pool:
        marketing = [pool.submit(post_activity, emulator, token) for _ in range(2)]
        sales = [
            pool.submit(post_activity, emulator, token, unit=SALES_UNIT)
            for _ in range(2)
        ]
        results = [f.result() for f in marketing + sales]

    # Both units had room for two; none was refused for being busy.
    assert all(r.status_code != 429 for r in results)
    assert [r.status_code for r in results] == [204, 204, 204, 204]
    # Each unit really had two requests running at the same time.
    assert emulator.stats()["max_in_flight"] == {MARKETING_UNIT: 2, SALES_UNIT: 2}
    assert len(emulator.state()["external_activities"]) == 4


def test_latency_delays_api_calls(emulator, token):
    emulator.settings(latency_ms=200)

    started = time.monotonic()
    tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert time.monotonic() - started >= 0.2


def test_a_status_fault_answers_instead_of_the_api(emulator, token, setup):
    emulator.add_fault(
        method="POST",
        path="/api/v5/external-activities",
        count=2,
        status=503,
        body={"code": 183, "message": "An internal error occurred"},
        headers={"Retry-After": "1"},
    )

    faulty = [post_activity(emulator, token) for _ in range(2)]
    healthy = post_activity(emulator, token)

    assert [r.status_code for r in faulty] == [503, 503]
    assert faulty[0].json()["code"] == 183
    assert faulty[0].headers["Retry-After"] == "1"
    assert healthy.status_code == 204
    assert len(emulator.state()["external_activities"]) == 1


def test_a_fault_matches_the_method_and_a_path_prefix(emulator, token):
    emulator.add_fault(method="POST", path="/services/data/", status=500, body="boom")

    query = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert query.status_code == 200
    assert emulator.state()["faults"][0]["count"] == 1


def test_a_dropped_request_gets_no_answer_and_stores_nothing(emulator, token, setup):
    emulator.add_fault(path="/api/v5/external-activities", drop=True)

    with pytest.raises(requests.ConnectionError):
        post_activity(emulator, token)

    assert emulator.state()["external_activities"] == []


def test_a_drop_after_read_stores_the_activity_but_never_answers(
    emulator, token, setup
):
    emulator.add_fault(method="POST", path="/api/v5/", drop="after_read")

    with pytest.raises(requests.ConnectionError):
        post_activity(emulator, token)

    assert len(emulator.state()["external_activities"]) == 1
    assert emulator.stats()["faults_applied"] == 1


def test_a_latency_fault_delays_then_processes_normally(emulator, token, setup):
    emulator.add_fault(path="/api/v5/external-activities", latency_ms=300)

    started = time.monotonic()
    response = post_activity(emulator, token)

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 204


def test_faults_count_toward_the_concurrency_limit(emulator, token, setup):
    emulator.settings(max_concurrent_per_business_unit=1)
    emulator.add_fault(path="/api/v5/external-activities", latency_ms=400, status=503)

    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(post_activity, emulator, token)
        poll_until(lambda: emulator.stats()["in_flight"].get(MARKETING_UNIT) == 1)
        second = pool.submit(post_activity, emulator, token).result()
        first = slow.result()

    assert first.status_code == 503
    assert second.json()["code"] == 66


def test_clearing_faults_removes_them(emulator, token):
    emulator.add_fault(path="/services/", status=500, count=5)

    emulator.clear_faults()

    assert tooling_query(emulator, token, "SELECT Id FROM PardotTenant").ok


def test_faults_can_hit_the_token_endpoint(emulator):
    emulator.add_fault(path="/services/oauth2/token", status=503, body="down")

    response = requests.post(
        emulator.url + "/services/oauth2/token", data={}, timeout=TIMEOUT
    )

    assert response.status_code == 503
    assert response.text == "down"
