"""Refreshing an expired access token: once, saved before use, single-flight."""

import os
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection as db_connection

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.errors import AccessDenied, RefreshTokenRevoked, SalesforceError
from salesforce.models import Connection, ConnectionStatus, Org
from salesforce.tokens import refresh_access_token
from tests.salesforce.conftest import MARKETING_UNIT, closed_port_url, data_path
from tests.support.worker import wait_for

pytestmark = pytest.mark.django_db

INVALID_SESSION = [
    {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
]


def test_an_expired_token_is_refreshed_saved_and_the_call_sent_again(
    api, connection, sf
):
    old_token = connection.access_token
    sf.expire_tokens()

    units = tooling.list_business_units(api)

    assert len(units) == 2
    assert sf.stats()["refreshes"] == 1
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.access_token not in ("", old_token)
    assert stored.access_token == api.connection.access_token
    assert stored.last_refresh_at is not None
    assert stored.issued_at is not None
    assert [e.status for e in api.exchanges] == [401, 200]


def test_an_expired_token_on_account_engagement_is_refreshed_too(
    api, connection, sf, ready_setup
):
    from django.utils import timezone

    sf.expire_tokens()

    exchange = api.submit_external_activity(
        business_unit_id=MARKETING_UNIT,
        extension="Webinar_Service",
        activity_type="Registered",
        email="jane@example.com",
        value="Spring webinar",
        activity_date=timezone.now(),
    )

    assert exchange.status == 204
    assert sf.stats()["refreshes"] == 1
    assert len(sf.state()["external_activities"]) == 1


def test_a_rotated_refresh_token_is_kept(api, connection, sf):
    old_refresh = connection.refresh_token
    sf.settings(rotate_refresh_tokens=True)
    sf.expire_tokens()

    tooling.list_business_units(api)

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.refresh_token not in ("", old_refresh)
    # The new refresh token is the one Salesforce now accepts.
    sf.expire_tokens()
    tooling.list_business_units(api)
    assert sf.stats()["refreshes"] == 2


def test_a_refresh_without_rotation_keeps_the_refresh_token(api, connection, sf):
    old_refresh = connection.refresh_token
    sf.expire_tokens()

    tooling.list_business_units(api)

    assert Connection.objects.get(pk=connection.pk).refresh_token == old_refresh


def test_a_revoked_refresh_token_asks_for_a_reconnect(api, connection, sf):
    sf.revoke_tokens()

    with pytest.raises(RefreshTokenRevoked) as caught:
        tooling.list_business_units(api)

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.NEEDS_RECONNECT
    assert "Reconnect" in stored.last_error
    assert "invalid_grant" in stored.last_error
    assert caught.value.code == "invalid_grant"
    assert caught.value.exchange.status == 400
    assert "reconnect" in caught.value.user_message


def test_a_connection_that_needs_reconnecting_makes_no_more_calls(api, connection, sf):
    sf.revoke_tokens()
    with pytest.raises(RefreshTokenRevoked):
        tooling.list_business_units(api)
    calls = _api_requests(sf)

    with pytest.raises(RefreshTokenRevoked):
        tooling.list_business_units(api)
    with pytest.raises(RefreshTokenRevoked):
        SalesforceClient.for_org(connection.org)

    assert _api_requests(sf) == calls


def test_a_second_refusal_after_a_refresh_is_not_refreshed_again(api, sf, settings):
    sf.add_fault(
        path=data_path(settings, "tooling/query"),
        count=2,
        status=401,
        body=INVALID_SESSION,
    )

    with pytest.raises(AccessDenied) as caught:
        tooling.list_business_units(api)

    assert sf.stats()["refreshes"] == 1
    assert caught.value.code == "INVALID_SESSION_ID"
    assert "session policy" in caught.value.user_message
    assert [e.status for e in api.exchanges] == [401, 401]


def test_account_engagement_refusing_a_fresh_token_points_at_the_scope_and_sync(
    api, sf, ready_setup
):
    from django.utils import timezone

    sf.add_fault(
        path="/api/v5/external-activities",
        count=2,
        status=401,
        body={"code": 184, "message": "access_token is invalid, unknown, or malformed"},
    )

    with pytest.raises(AccessDenied) as caught:
        api.submit_external_activity(
            business_unit_id=MARKETING_UNIT,
            extension="Webinar_Service",
            activity_type="Registered",
            email="jane@example.com",
            value="v",
            activity_date=timezone.now(),
        )

    assert sf.stats()["refreshes"] == 1
    assert caught.value.code == 184
    assert "pardot_api" in caught.value.user_message
    assert MARKETING_UNIT in caught.value.user_message
    assert sf.state()["external_activities"] == []


def test_a_token_without_pardot_api_is_not_refreshed_for_nothing(sf, ready_setup):
    from django.utils import timezone

    from tests.salesforce.conftest import connect_emulator_org

    org = connect_emulator_org(
        sf, "Narrow Org", "production", scopes=["api", "refresh_token", "id"]
    )

    with SalesforceClient.for_org(org) as client, pytest.raises(AccessDenied) as caught:
        client.submit_external_activity(
            business_unit_id=MARKETING_UNIT,
            extension="Webinar_Service",
            activity_type="Registered",
            email="jane@example.com",
            value="v",
            activity_date=timezone.now(),
        )

    assert "without the pardot_api scope" in caught.value.user_message
    assert sf.stats()["refreshes"] == 0


def test_a_client_with_a_stale_token_reuses_the_one_refreshed_elsewhere(
    connected_org, sf
):
    first = SalesforceClient.for_org(connected_org)
    second = SalesforceClient(
        Connection.objects.get(pk=connected_org.execution_connection_id)
    )
    sf.expire_tokens()

    tooling.list_business_units(first)
    tooling.list_business_units(second)

    assert sf.stats()["refreshes"] == 1
    assert second.connection.access_token == first.connection.access_token
    assert [e.status for e in second.exchanges] == [401, 200]


def test_refresh_access_token_always_refreshes_without_a_rejected_token(connection, sf):
    before = connection.access_token

    refreshed = refresh_access_token(connection)

    assert refreshed is connection
    assert connection.access_token != before
    assert (
        Connection.objects.get(pk=connection.pk).access_token == connection.access_token
    )
    assert sf.stats()["refreshes"] == 1


def _list_units_at_once(connection_id: int, callers: int) -> list[object]:
    """Each caller lists the business units through its own client, all
    starting together; the unit counts, or the errors raised."""
    start = threading.Barrier(callers)
    outcomes: list[object] = []

    def call():
        try:
            with SalesforceClient(Connection.objects.get(pk=connection_id)) as client:
                start.wait()
                outcomes.append(len(tooling.list_business_units(client)))
        except Exception as error:  # noqa: BLE001 (reported by the caller)
            outcomes.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_many_callers_at_once_cause_exactly_one_refresh(connected_org, sf):
    connection_id = connected_org.execution_connection_id
    sf.expire_tokens()
    callers = 8

    outcomes = _list_units_at_once(connection_id, callers)

    assert outcomes == [2] * callers
    assert sf.stats()["refreshes"] == 1
    stored = Connection.objects.get(pk=connection_id)
    assert stored.status == ConnectionStatus.ACTIVE
    assert stored.last_refresh_at is not None


@pytest.mark.django_db(transaction=True)
def test_callers_holding_no_token_at_once_cause_exactly_one_refresh(connected_org, sf):
    connection_id = connected_org.execution_connection_id
    Connection.objects.filter(pk=connection_id).update(access_token="")
    callers = 4

    outcomes = _list_units_at_once(connection_id, callers)

    assert outcomes == [2] * callers
    assert sf.stats()["refreshes"] == 1


def _api_requests(sf) -> dict:
    requests = sf.stats()["requests"]
    return {kind: n for kind, n in requests.items() if kind != "control"}


@pytest.mark.django_db(transaction=True)
def test_callers_in_separate_processes_cause_exactly_one_refresh(connected_org, sf):
    # Processes share no thread lock: only the database lock on the
    # connection row keeps them to one refresh.
    connection_id = connected_org.execution_connection_id
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CONSOLE_TEST_DB_NAME": str(db_connection.settings_dict["NAME"]),
        # The only login host the processes may send the refresh token to.
        "EMULATOR_URL": sf.url,
    }
    sf.expire_tokens()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.salesforce.refresh_caller",
                str(connection_id),
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        answers = [process.communicate(timeout=60)[0].strip() for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert answers == ["2"] * 4
    assert sf.stats()["refreshes"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_token_endpoint_does_not_hold_up_other_writes(connected_org, sf):
    connection_id = connected_org.execution_connection_id
    sf.add_fault(path="/services/oauth2/token", latency_ms=2000)
    outcome: list[object] = []

    def refresh():
        try:
            refresh_access_token(Connection.objects.get(pk=connection_id))
            outcome.append("refreshed")
        except Exception as error:  # noqa: BLE001 (reported below)
            outcome.append(error)
        finally:
            db_connection.close()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        wait_for(lambda: sf.stats()["faults_applied"] == 1, timeout=5)
        started = time.monotonic()
        Org.objects.filter(pk=connected_org.pk).update(name="Renamed while waiting")
        elapsed = time.monotonic() - started
    finally:
        thread.join(timeout=30)

    assert elapsed < 0.5
    assert outcome == ["refreshed"]
    assert Org.objects.get(pk=connected_org.pk).name == "Renamed while waiting"
    assert sf.stats()["refreshes"] == 1


def test_a_claim_left_behind_by_a_stopped_process_runs_out(connection, sf):
    from datetime import timedelta

    from django.utils import timezone

    Connection.objects.filter(pk=connection.pk).update(
        refreshing_until=timezone.now() - timedelta(seconds=1)
    )
    before = connection.access_token

    refresh_access_token(connection, rejected_token=before)

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.access_token not in ("", before)
    assert stored.refreshing_until is None
    assert sf.stats()["refreshes"] == 1


def test_a_refresh_naming_an_instance_on_a_foreign_host_is_refused_and_not_stored(
    connection, sf
):
    before = Connection.objects.get(pk=connection.pk)
    sf.add_fault(
        path="/services/oauth2/token",
        status=200,
        body={
            "access_token": "00D000000000001!AQForeignInstanceAccessToken0123456789",
            "instance_url": "https://instance.attacker.example",
            "token_type": "Bearer",
            "issued_at": "1780000000000",
        },
    )

    with pytest.raises(SalesforceError) as caught:
        refresh_access_token(connection, rejected_token=connection.access_token)

    assert caught.value.code == "foreign_instance_url"
    assert "instance.attacker.example" in caught.value.message
    assert "not Salesforce's" in caught.value.user_message
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.access_token == before.access_token
    assert stored.instance_url == before.instance_url
    assert stored.refreshing_until is None
    assert connection.instance_url == before.instance_url


def test_a_stored_login_url_on_a_foreign_host_never_gets_the_refresh_token(
    connection, sf
):
    # Nothing listens there: a token call sent to it would fail.
    connection.org.login_url = closed_port_url()
    connection.org.save(update_fields=["login_url"])
    before = connection.access_token

    refresh_access_token(connection, rejected_token=before)

    assert connection.access_token != before
    assert sf.stats()["refreshes"] == 1
