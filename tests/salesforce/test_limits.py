"""The org's API usage, read from Sforce-Limit-Info and kept on the org."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salesforce import tooling
from salesforce.limits import ApiUsage, UsageRecorder, parse_limit_info


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=10018/100000", ApiUsage(10018, 100000)),
        (
            "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-app)",
            ApiUsage(25, 5000),
        ),
        ("per-app-api-usage=17/250(appName=a); api-usage=30/5000", ApiUsage(30, 5000)),
        ("API-Usage = 7 / 15000", ApiUsage(7, 15000)),
        ("per-app-api-usage=17/250(appName=sample-app)", None),
        ("api-bursts=1/750", None),
        ("", None),
        (None, None),
        ("api-usage=lots/more", None),
    ],
)
def test_parse_limit_info_reads_the_org_usage(header, expected):
    assert parse_limit_info(header) == expected


@pytest.mark.django_db
def test_the_usage_seen_on_a_call_is_remembered_on_the_org(api, sf):
    sf.settings(api_request_limit=15000, api_requests_used=41)

    tooling.list_extensions(api)

    api.org.refresh_from_db()
    assert api.org.api_requests_used == 42
    assert api.org.api_requests_limit == 15000
    assert api.org.api_usage_seen_at is not None


@pytest.mark.django_db
def test_many_calls_in_a_row_write_the_usage_once(api, sf):
    with CaptureQueriesContext(db_connection) as queries:
        for _ in range(3):
            tooling.list_extensions(api)

    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "api_requests_used" in updates[0]


def updates_made_by(recorder, header):
    with CaptureQueriesContext(db_connection) as queries:
        recorder.observe(header)
    return len([q for q in queries if q["sql"].startswith("UPDATE")])


@pytest.mark.django_db
def test_the_first_numbers_are_written_in_one_update(org):
    recorder = UsageRecorder(org)

    assert updates_made_by(recorder, "api-usage=10/1000") == 1
    org.refresh_from_db()
    assert (org.api_requests_used, org.api_requests_limit) == (10, 1000)


@pytest.mark.django_db
def test_small_changes_wait_until_the_stored_numbers_are_stale(org):
    recorder = UsageRecorder(org)
    updates_made_by(recorder, "api-usage=10/1000")

    assert updates_made_by(recorder, "api-usage=10/1000") == 0
    assert updates_made_by(recorder, "api-usage=11/1000") == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert updates_made_by(recorder, "api-usage=12/1000") == 1


@pytest.mark.django_db
def test_a_new_limit_is_written_at_once(org):
    recorder = UsageRecorder(org)
    updates_made_by(recorder, "api-usage=10/1000")

    assert updates_made_by(recorder, "api-usage=11/5000") == 1


@pytest.mark.django_db
def test_every_change_is_written_once_the_org_nears_its_limit(org):
    recorder = UsageRecorder(org)
    updates_made_by(recorder, "api-usage=890/1000")

    assert updates_made_by(recorder, "api-usage=900/1000") == 1
    assert updates_made_by(recorder, "api-usage=901/1000") == 1


@pytest.mark.django_db
def test_an_answer_without_the_header_writes_nothing(org):
    assert updates_made_by(UsageRecorder(org), None) == 0
