"""When no answer comes: connections refused, answers lost, time limits."""

import time
from datetime import UTC, datetime

import pytest
import requests

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.errors import OutcomeUnknown, TransientError
from tests.salesforce.conftest import MARKETING_UNIT, closed_port_url, data_path
from tests.support.worker import wait_for

pytestmark = pytest.mark.django_db


def submit(client):
    return client.submit_external_activity(
        business_unit_id=MARKETING_UNIT,
        extension="Webinar_Service",
        activity_type="Registered",
        email="jane@example.com",
        value="Spring webinar",
        activity_date=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    )


class RecordingSession(requests.Session):
    """A real session that notes the timeout of every request it sends."""

    def __init__(self):
        super().__init__()
        self.timeouts = []

    def send(self, request, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        return super().send(request, **kwargs)


def test_a_refused_connection_is_transient_since_nothing_was_sent(api):
    api.connection.instance_url = closed_port_url()

    with pytest.raises(TransientError) as caught:
        tooling.list_extensions(api)

    exchange = caught.value.exchange
    assert exchange.status is None
    assert exchange.error_class == "TransientError"
    assert caught.value.retryable is True


def test_a_refused_account_engagement_connection_is_transient(
    api, settings, ready_setup
):
    settings.ACCOUNT_ENGAGEMENT_URL = closed_port_url()

    with pytest.raises(TransientError):
        submit(api)


def test_a_read_timeout_after_sending_leaves_the_outcome_unknown(
    api, sf, settings, ready_setup
):
    settings.SALESFORCE_READ_TIMEOUT = 0.3
    sf.add_fault(method="POST", path="/api/v5/external-activities", latency_ms=1500)
    started = time.monotonic()

    with pytest.raises(OutcomeUnknown) as caught:
        submit(api)

    assert time.monotonic() - started < 1.4
    assert caught.value.exchange.error_class == "OutcomeUnknown"
    assert caught.value.exchange.status is None
    assert caught.value.retryable is False
    # The request had left: Account Engagement recorded it all the same.
    wait_for(lambda: sf.state()["external_activities"], timeout=5)


def test_a_connection_dropped_after_the_work_was_done_leaves_the_outcome_unknown(
    api, sf, ready_setup
):
    sf.add_fault(method="POST", path="/api/v5/external-activities", drop="after_read")

    with pytest.raises(OutcomeUnknown):
        submit(api)

    assert len(sf.state()["external_activities"]) == 1


def test_a_connection_dropped_before_an_answer_leaves_the_outcome_unknown(
    api, sf, ready_setup
):
    sf.add_fault(method="POST", path="/api/v5/external-activities", drop=True)

    with pytest.raises(OutcomeUnknown):
        submit(api)

    # Here nothing was recorded, which the client cannot tell from the case
    # above: both are left for reconciliation.
    assert sf.state()["external_activities"] == []


def test_a_dropped_tooling_call_is_outcome_unknown_too(api, sf, settings):
    sf.add_fault(path=data_path(settings, "tooling/query"), drop="after_read")

    with pytest.raises(OutcomeUnknown):
        tooling.list_extensions(api)


def test_every_call_carries_the_configured_timeouts(connected_org, sf, settings):
    settings.SALESFORCE_CONNECT_TIMEOUT = 1.5
    settings.SALESFORCE_READ_TIMEOUT = 2.5
    session = RecordingSession()
    client = SalesforceClient(connected_org.execution_connection, session=session)

    tooling.find_or_create_extension(
        client, api_name="Webinar_Service", label="W", active=True
    )
    tooling.list_business_units(client)
    client.find_external_activities(business_unit_id=MARKETING_UNIT)

    assert len(session.timeouts) == 4
    assert set(session.timeouts) == {(1.5, 2.5)}
