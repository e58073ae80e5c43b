"""The history support staff use: pages, filters, search, live rows, export,
and one org's log closed to every other org."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from activity.models import Attempt, Submission
from activity.selectors import cursor_for, history_page
from tests.activity.conftest import mirror_setup
from tests.activity.helpers import make_rows, submit
from tests.factories import MembershipFactory, OrgFactory
from tests.support.worker import wait_for

URL = "/submissions/"
START = datetime(2026, 4, 1, tzinfo=UTC)


def _spread(rows, *, step=timedelta(minutes=1)):
    for index, row in enumerate(rows):
        row.created_at = START + index * step
    Submission.objects.bulk_update(rows, ["created_at"])
    return rows


def _ids(page):
    return [row.pk for row in page.rows]


def test_pages_run_newest_first_and_link_older_and_newer(mirror):
    rows = _spread(make_rows(mirror, 120))
    newest_first = [row.pk for row in reversed(rows)]
    queryset = Submission.objects.filter(org=mirror["org"])

    first = history_page(queryset)
    second = history_page(queryset, before=first.older)
    third = history_page(queryset, before=second.older)
    back = history_page(queryset, after=third.newer)

    assert _ids(first) == newest_first[:50] and first.newer is None
    assert _ids(second) == newest_first[50:100]
    assert _ids(third) == newest_first[100:] and third.older is None
    assert _ids(back) == newest_first[50:100]
    assert _ids(history_page(queryset, after=second.newer)) == newest_first[:50]


def test_rows_created_at_the_same_instant_are_neither_lost_nor_repeated(mirror):
    make_rows(mirror, 75, created_at=START)
    queryset = Submission.objects.filter(org=mirror["org"])

    first = history_page(queryset, size=20)
    seen = _ids(first)
    page = first
    while page.older:
        page = history_page(queryset, before=page.older, size=20)
        seen += _ids(page)

    assert len(seen) == 75 == len(set(seen))


def test_a_broken_cursor_shows_the_first_page(mirror):
    make_rows(mirror, 3)
    queryset = Submission.objects.filter(org=mirror["org"])

    assert len(history_page(queryset, before="nonsense").rows) == 3
    assert len(history_page(queryset, after="99999999999999999999.1").rows) == 3


def _history_queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries)


def test_the_history_runs_the_same_queries_however_long_the_log(
    support_client, mirror, django_assert_max_num_queries
):
    make_rows(mirror, 5)
    few = _history_queries(support_client, {})
    make_rows(mirror, 400)
    row = Submission.objects.order_by("-created_at", "-id")[100]

    with django_assert_max_num_queries(few) as queries:
        response = support_client.get(URL)
    with django_assert_max_num_queries(few):
        support_client.get(URL, {"before": cursor_for(row), "status": "succeeded"})

    assert response.content.count(b"<tr id=") == 50
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_filters_are_read_from_the_url(support_client, mirror):
    make_rows(mirror, 3, status="failed", email="ann@example.com")
    make_rows(mirror, 2, status="succeeded", email="bob@example.com")
    make_rows(mirror, 4, status="succeeded", value="Autumn fair")

    def count(**params):
        return support_client.get(URL, params).content.count(b"<tr id=")

    assert count(status="failed") == 3
    assert count(email="ann@example.com") == 3
    assert count(email="ANN@") == 3
    assert count(email="ann@example.co") == 0
    assert count(value="Autumn") == 4
    assert count(business_unit=mirror["business_unit"].pk, status="succeeded") == 6
    assert count(business_unit=mirror["other_unit"].pk) == 0
    assert count(extension=mirror["extension"].pk) == 9
    assert count(activity_type=mirror["activity_type"].pk, source="api") == 0


def test_an_invalid_filter_shows_its_error_and_no_rows(support_client, mirror):
    make_rows(mirror, 3)

    response = support_client.get(URL, {"status": "lost", "value": "Spring"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<tr id=") == 0
    assert "Select a valid choice" in html
    assert "No submissions match these filters" in html


def test_an_invalid_filter_exports_no_rows(support_client, mirror, other_org_row):
    make_rows(mirror, 3)
    other_unit = other_org_row.business_unit

    text = _export(support_client, business_unit=other_unit.pk)

    lines = text.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("id,created_at,status,reason")


def test_the_date_range_is_whole_utc_days(support_client, mirror):
    _spread(make_rows(mirror, 5), step=timedelta(days=1))

    response = support_client.get(
        URL, {"created_from": "2026-04-02", "created_to": "2026-04-03"}
    )

    assert response.content.count(b"<tr id=") == 2


def test_the_table_polls_only_while_a_row_is_moving(support_client, mirror):
    [row] = make_rows(mirror, 1, status="sending")

    moving = support_client.get(URL, headers={"HX-Request": "true"})
    row.status = "succeeded"
    row.save()
    settled = support_client.get(URL, headers={"HX-Request": "true"})

    assert moving.status_code == 200
    assert b'hx-trigger="every 2s"' in moving.content
    assert b"<html" not in moving.content
    assert settled.status_code == 286
    assert b"hx-trigger" not in settled.content


def test_the_detail_tells_the_whole_story_with_each_exchange(support_client, mirror):
    [row] = make_rows(
        mirror, 1, status="failed", reason="Fix the type.", task_id="task-123"
    )
    Attempt.objects.create(
        submission=row,
        number=1,
        finished_at=row.created_at,
        duration_ms=42,
        url="https://pi.pardot.com/api/v5/external-activities",
        request_headers={"Authorization": "Bearer [redacted]"},
        request_body='{"email": "person0@example.com"}',
        response_status=400,
        response_body='{"code": 154, "message": "Invalid property"}',
        error_class="ValidationFailed",
    )

    response = support_client.get("/submissions/%s/" % row.pk)

    html = response.content.decode()
    assert "Fix the type." in html
    assert "task-123" in html
    assert "HTTP 400" in html and "took 42 ms" in html
    assert "Bearer [redacted]" in html
    assert "Invalid property" in html
    assert "Nothing more happens on its own" in html


def test_support_staff_see_no_retry_or_resend_buttons(
    support_client, admin_user, mirror
):
    [row] = make_rows(mirror, 1, status="failed")
    path = "/submissions/%s/" % row.pk
    admin = Client()
    admin.force_login(admin_user)

    assert b"Force resend" not in support_client.get(path).content
    assert b"Force resend" in admin.get(path).content


def test_everything_for_one_email_across_business_units(support_client, mirror):
    make_rows(mirror, 2, email="ann@example.com")
    make_rows(
        mirror,
        1,
        email="ann@example.com",
        business_unit=mirror["other_unit"],
        business_unit_sf_id=mirror["other_unit"].sf_id,
        status="failed",
    )
    make_rows(mirror, 3, email="bob@example.com")

    response = support_client.get("/submissions/email/", {"email": "Ann@Example.com"})

    html = response.content.decode()
    assert html.count("<tr id=") == 3
    assert "Demo Marketing" in html and "Demo Sales" in html
    assert "bob@example.com" not in html


def _export(client, **params):
    response = client.get("/submissions/export.csv", params)
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def test_the_export_streams_the_current_filter_as_csv(support_client, mirror):
    make_rows(mirror, 3, status="failed")
    make_rows(mirror, 2, status="succeeded", value="=HYPERLINK(1)")

    text = _export(support_client, status="succeeded")

    lines = text.strip().splitlines()
    assert lines[0].startswith("id,created_at,status,reason")
    assert len(lines) == 3
    assert all(",succeeded," in line for line in lines[1:])
    assert "'=HYPERLINK(1)" in text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_tokens_salesforce_echoes_in_a_refusal_never_reach_the_export_or_the_page(
    celery_worker_process, live_setup, admin_client, sf
):
    sending_connection = live_setup["org"].execution_connection
    refused = sending_connection.access_token
    refresh = sending_connection.refresh_token
    # The refusal names the token it refused, before and after a refresh.
    message = "Session %s (renew with %s) is invalid" % (refused, refresh)
    sf.add_fault(
        method="POST",
        path="/api/v5/external-activities",
        status=401,
        body={"code": 184, "message": message},
        count=2,
    )
    row = submit(live_setup)
    wait_for(lambda: Submission.objects.filter(pk=row.pk, status="failed").exists())
    sending_connection.refresh_from_db()
    secrets = [refused, refresh, sending_connection.access_token]
    assert refused != sending_connection.access_token

    page = admin_client.get("/submissions/%s/" % row.pk).content.decode()
    text = _export(admin_client)

    assert "HTTP 401" in page and 'id="attempt-2"' in page
    assert "is invalid" in page and "[redacted]" in page
    assert str(row.pk) in text.splitlines()[1]
    for secret in secrets:
        assert secret not in page
        assert secret not in text
    assert "Bearer" not in text


@pytest.fixture
def other_org_row(db):
    other = mirror_setup(OrgFactory())
    [row] = make_rows(other, 1, email="secret@other.example", value="Other org")
    return row


def test_a_member_of_one_org_never_sees_another_orgs_submissions(
    support_client, mirror, other_org_row
):
    make_rows(mirror, 1)
    pk = other_org_row.pk

    assert support_client.get("/submissions/%s/" % pk).status_code == 404
    assert support_client.get("/submissions/%s/outcome/" % pk).status_code == 404
    assert b"secret@other.example" not in support_client.get(URL).content
    assert "secret@other.example" not in _export(support_client)
    email_page = support_client.get(
        "/submissions/email/", {"email": "secret@other.example"}
    )
    assert b"Nothing was sent" in email_page.content


def test_another_orgs_submission_cannot_be_retried_or_resent(
    admin_client, mirror, other_org_row
):
    pk = other_org_row.pk
    other_org_row.status = "failed"
    other_org_row.save()

    assert admin_client.post("/submissions/%s/retry/" % pk).status_code == 404
    assert admin_client.post("/submissions/%s/resend/" % pk).status_code == 404
    other_org_row.refresh_from_db()
    assert other_org_row.status == "failed"


def test_the_dashboard_charts_the_last_fourteen_days_and_groups_failures(
    support_client, mirror
):
    make_rows(mirror, 3, status="succeeded")
    make_rows(mirror, 2, status="failed", reason="Activate the type in Setup.")
    MembershipFactory(org=mirror["org"], role="support")

    response = support_client.get("/")

    html = response.content.decode()
    assert "Submissions, last 14 days" in html
    assert html.count('class="succeeded"') >= 2
    assert "Activate the type in Setup." in html
    assert "<script" not in html.split("</head>")[1]
