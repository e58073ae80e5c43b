"""Sending external activities and reading them back, against the emulator."""

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from salesforce import tooling
from salesforce.client import SalesforceClient
from salesforce.errors import (
    AccessDenied,
    ConcurrencyLimited,
    DailyLimitReached,
    NotFound,
    TransientError,
    ValidationFailed,
)
from tests.salesforce.conftest import MARKETING_UNIT, SALES_UNIT

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def submit(api, **overrides):
    values = {
        "business_unit_id": MARKETING_UNIT,
        "extension": "Webinar_Service",
        "activity_type": "Registered",
        "email": "jane@example.com",
        "value": "Spring webinar",
        "activity_date": WHEN,
    }
    values.update(overrides)
    return api.submit_external_activity(**values)


def test_submit_sends_the_documented_body_with_an_explicit_activity_date(
    api, sf, ready_setup
):
    exchange = submit(api)

    assert exchange.status == 204
    assert exchange.response_body == ""
    assert exchange.method == "POST"
    assert exchange.url == sf.url + "/api/v5/external-activities"
    assert exchange.request_headers["Pardot-Business-Unit-Id"] == MARKETING_UNIT
    assert exchange.request_headers["Content-Type"] == "application/json"
    assert json.loads(exchange.request_body) == {
        "extension": "Webinar_Service",
        "type": "Registered",
        "email": "jane@example.com",
        "value": "Spring webinar",
        "activityDate": "2024-05-01T10:00:00+00:00",
    }
    [stored] = sf.state()["external_activities"]
    assert stored["activityDate"] == "2024-05-01T10:00:00+00:00"


def test_the_activity_date_keeps_its_offset(api, sf, ready_setup):
    eastern = timezone(timedelta(hours=-4))

    submit(api, activity_date=datetime(2024, 5, 1, 6, 0, 0, 250000, tzinfo=eastern))

    [stored] = sf.state()["external_activities"]
    assert stored["activityDate"] == "2024-05-01T06:00:00.250-04:00"


def test_a_naive_activity_date_is_a_programming_error(api, sf, ready_setup):
    with pytest.raises(ValueError, match="time zone"):
        submit(api, activity_date=datetime(2024, 5, 1, 10, 0))


@pytest.mark.parametrize("status", [200, 201, 202])
def test_any_2xx_is_success_with_or_without_a_body(api, sf, ready_setup, status):
    sf.settings(external_activity_success_status=status)

    exchange = submit(api)

    assert exchange.status == status
    assert exchange.error_class == ""


def test_submit_and_find_round_trip(api, sf, ready_setup):
    submit(api, email="jane@example.com", value="first")
    submit(api, email="omar@example.com", value="second")

    found = api.find_external_activities(
        business_unit_id=MARKETING_UNIT, email="jane@example.com"
    )

    assert len(found) == 1
    activity = found[0]
    assert activity["extension"] == "Webinar_Service"
    assert activity["type"] == "Registered"
    assert activity["value"] == "first"
    assert datetime.fromisoformat(activity["activityDate"]) == WHEN
    assert "createdAt" in activity


def test_find_filters_by_creation_time(api, sf, ready_setup):
    submit(api)
    later = datetime.now(UTC) + timedelta(minutes=5)

    assert api.find_external_activities(business_unit_id=MARKETING_UNIT) != []
    assert (
        api.find_external_activities(
            business_unit_id=MARKETING_UNIT, created_after=later
        )
        == []
    )
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    assert (
        len(
            api.find_external_activities(
                business_unit_id=MARKETING_UNIT, created_after=earlier
            )
        )
        == 1
    )


def test_find_sees_only_the_business_unit_asked_about(api, sf, ready_setup):
    submit(api)

    assert api.find_external_activities(business_unit_id=SALES_UNIT) == []


def test_find_follows_the_next_page(api, sf, ready_setup):
    submit(api, email="jane@example.com", value="on page two")
    second_page = (
        sf.url + "/api/v5/external-activities?fields=id,email,value"
        "&email=jane@example.com"
    )
    sf.add_fault(
        method="GET",
        path="/api/v5/external-activities",
        status=200,
        body={
            "values": [{"id": 99, "email": "jane@example.com", "value": "page one"}],
            "nextPageToken": "ignored",
            "nextPageUrl": second_page,
        },
    )

    found = api.find_external_activities(business_unit_id=MARKETING_UNIT)

    assert [a["value"] for a in found] == ["page one", "on page two"]
    assert len(api.exchanges) == 2


def test_find_never_sends_the_token_to_another_host(api, sf, ready_setup):
    sf.add_fault(
        method="GET",
        path="/api/v5/external-activities",
        status=200,
        body={
            "values": [{"id": 1}],
            "nextPageToken": None,
            "nextPageUrl": "https://elsewhere.example/api/v5/external-activities",
        },
    )

    found = api.find_external_activities(business_unit_id=MARKETING_UNIT)

    assert found == [{"id": 1}]
    assert len(api.exchanges) == 1


def test_an_inactive_extension_says_where_to_activate_it(api, sf, ready_setup):
    tooling.set_extension_active(api, ready_setup.extension.sf_id, False)

    with pytest.raises(ValidationFailed) as caught:
        submit(api)

    assert caught.value.code == 154
    assert caught.value.user_message == (
        "The extension Webinar_Service is not active in Salesforce. Activate it "
        "on the Extensions page."
    )
    assert caught.value.exchange.status == 400
    assert caught.value.exchange.error_class == "ValidationFailed"


def test_an_inactive_activity_type_says_so(api, sf, ready_setup):
    tooling.set_activity_type_active(api, ready_setup.activity_type.sf_id, False)

    with pytest.raises(ValidationFailed) as caught:
        submit(api)

    assert "activity type Registered is not active" in caught.value.user_message


def test_an_unassigned_business_unit_names_the_unit(api, sf, ready_setup):
    with pytest.raises(ValidationFailed) as caught:
        submit(api, business_unit_id=SALES_UNIT)

    assert "not assigned to business unit %s" % SALES_UNIT in (
        caught.value.user_message
    )


def test_an_unknown_type_says_the_extension_has_none_of_that_name(api, sf, ready_setup):
    with pytest.raises(ValidationFailed) as caught:
        submit(api, activity_type="Attended")

    assert "has no activity type Attended" in caught.value.user_message


def test_a_value_over_100_characters_is_refused_by_account_engagement(
    api, sf, ready_setup
):
    with pytest.raises(ValidationFailed) as caught:
        submit(api, value="x" * 101)

    assert "longer than 100 characters" in caught.value.user_message


def test_an_unknown_business_unit_points_at_the_unit_and_the_host(api, sf, ready_setup):
    unknown = "0Uv000000000099AAA"

    with pytest.raises(AccessDenied) as caught:
        submit(api, business_unit_id=unknown)

    assert caught.value.code == 201
    assert unknown in caught.value.user_message
    assert "pi.demo.pardot.com" in caught.value.user_message


def test_a_missing_business_unit_header_is_a_validation_failure(api, sf, ready_setup):
    with pytest.raises(ValidationFailed) as caught:
        submit(api, business_unit_id="")

    assert caught.value.code == 181
    assert "named no business unit" in caught.value.user_message


def test_the_daily_limit_is_reported_as_such(api, sf, ready_setup):
    sf.settings(daily_limit=0)

    with pytest.raises(DailyLimitReached) as caught:
        submit(api)

    assert caught.value.code == 122
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ({"status": 429, "body": {"code": 66, "message": "busy"}}, ConcurrencyLimited),
        ({"status": 500, "body": {"code": 183, "message": "oops"}}, TransientError),
        ({"status": 503, "body": "<html>Maintenance</html>"}, TransientError),
        ({"status": 403, "body": {"code": 46, "message": "no"}}, AccessDenied),
        ({"status": 404, "body": {"code": 198, "message": "nope"}}, NotFound),
    ],
)
def test_account_engagement_failures_map_to_their_classes(
    api, sf, ready_setup, fault, error_class
):
    sf.add_fault(method="POST", path="/api/v5/external-activities", **fault)

    with pytest.raises(error_class) as caught:
        submit(api)

    assert caught.value.exchange.status == fault["status"]
    assert caught.value.exchange.error_class == error_class.__name__
    assert sf.state()["external_activities"] == []


def test_requests_beyond_the_concurrency_limit_are_refused_with_66(
    connected_org, sf, ready_setup
):
    sf.settings(max_concurrent_per_business_unit=2, latency_ms=400)
    start = threading.Barrier(3)
    outcomes = []

    def send():
        with SalesforceClient.for_org(connected_org) as client:
            start.wait()
            try:
                outcomes.append(submit(client).status)
            except ConcurrencyLimited as error:
                outcomes.append(error)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = [o for o in outcomes if isinstance(o, ConcurrencyLimited)]
    assert sorted(o for o in outcomes if isinstance(o, int)) == [204, 204]
    assert len(refused) == 1
    assert refused[0].code == 66
    assert refused[0].retryable is True
