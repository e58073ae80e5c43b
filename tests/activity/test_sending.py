"""The whole path: form, log, broker, a real worker, the emulator over HTTP."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activity import sending
from activity.models import Attempt, BusinessUnitQueue, Submission
from activity.slots import slot_acquire, slot_release
from activity.tasks import send_submission
from salesforce.models import ConnectionStatus
from tests.activity.conftest import MARKETING_UNIT
from tests.activity.helpers import make_rows, submit
from tests.factories import OrgFactory
from tests.support.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

POST_PATH = "/api/v5/external-activities"


def _settled(submission, *statuses, timeout=30):
    statuses = statuses or ("succeeded", "failed", "unknown", "deferred", "duplicate")

    def done():
        submission.refresh_from_db()
        return submission.status in statuses

    wait_for(done, timeout=timeout)
    return submission


def _posts(sf) -> int:
    """POSTs that reached Account Engagement's handler."""
    return sf.stats()["pardot_posts"]


def _pardot_requests(sf) -> int:
    """Every Account Engagement request, answered by an injected fault or not."""
    return sf.stats()["requests"]["pardot"]


def _stored(sf) -> list[dict]:
    return sf.state()["external_activities"]


def test_a_test_activity_sent_from_the_form_succeeds_with_its_exchange_logged(
    celery_worker_process, live_setup, admin_client, sf
):
    unit, kind = live_setup["business_unit"], live_setup["activity_type"]
    form = {
        "business_unit": unit.pk,
        "activity": "%s:%s" % (live_setup["extension"].pk, kind.pk),
        "email": "Jane.Doe@Example.com",
        "value": "Spring webinar",
        "activity_date": "2026-05-01T10:00:00+02:00",
    }

    response = admin_client.post("/submissions/test/", form)

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith("?sent=%s" % submission.pk)
    _settled(submission)
    assert submission.status == "succeeded"
    assert submission.task_id
    attempt = submission.attempts.get()
    assert attempt.response_status == 204
    assert attempt.request_headers["Authorization"] == "Bearer [redacted]"
    assert attempt.request_headers["Pardot-Business-Unit-Id"] == MARKETING_UNIT
    assert json.loads(attempt.request_body) == {
        "extension": "Webinar_Service",
        "type": "Registered",
        "email": "jane.doe@example.com",
        "value": "Spring webinar",
        "activityDate": "2026-05-01T08:00:00+00:00",
    }
    [stored] = _stored(sf)
    assert stored["email"] == "jane.doe@example.com"
    assert stored["activityDate"] == "2026-05-01T08:00:00+00:00"

    page = admin_client.get(response["Location"])
    assert b"Succeeded" in page.content
    assert b"HTTP 204" in page.content


def test_a_busy_business_unit_code_66_is_retried_and_then_succeeds(
    celery_worker_process, live_setup, sf
):
    body = {"code": 66, "message": "You have exceeded your concurrent request limit"}
    sf.add_fault(method="POST", path=POST_PATH, status=429, body=body, count=2)

    submission = _settled(submit(live_setup))

    assert submission.status == "succeeded"
    assert submission.attempt_count == 3
    assert submission.retries_used == 2
    statuses = list(submission.attempts.values_list("response_status", flat=True))
    assert statuses == [429, 429, 204]
    assert len(_stored(sf)) == 1


def test_internal_error_183_and_5xx_retry_with_backoff_then_succeed(
    celery_worker_process, live_setup, sf
):
    sf.add_fault(
        method="POST",
        path=POST_PATH,
        status=500,
        body={"code": 183, "message": "An internal error occurred"},
    )
    sf.add_fault(method="POST", path=POST_PATH, status=503, body="Unavailable")

    submission = _settled(submit(live_setup))

    assert submission.status == "succeeded"
    errors = list(submission.attempts.values_list("error_class", flat=True))
    assert errors == ["TransientError", "TransientError", ""]


def test_a_lasting_outage_fails_after_the_last_attempt_with_the_reason(
    celery_worker_process, live_setup, sf, settings
):
    sf.add_fault(
        method="POST", path=POST_PATH, status=502, body="Bad gateway", count=50
    )

    submission = _settled(submit(live_setup))

    assert submission.status == "failed"
    assert submission.attempt_count == settings.ACTIVITY_MAX_ATTEMPTS
    assert submission.reason.startswith("Gave up after 4 attempts.")
    assert _stored(sf) == []


def test_a_refused_value_fails_at_once_with_the_fix(
    celery_worker_process, live_setup, sf
):
    sf.patch_record(
        "MarketingAppExtActivity", live_setup["activity_type"].sf_id, IsActive=False
    )

    submission = _settled(submit(live_setup))

    assert submission.status == "failed"
    assert submission.attempt_count == 1
    assert submission.error_class == "ValidationFailed"
    assert submission.error_code == "154"
    assert "not active" in submission.reason
    assert _posts(sf) == 1


def test_the_daily_limit_defers_the_business_unit_and_sends_nothing_more(
    celery_worker_process, live_setup, sf
):
    body = {"code": 122, "message": "Daily API rate limit met"}
    sf.add_fault(method="POST", path=POST_PATH, status=429, body=body)

    first = _settled(submit(live_setup))
    second = _settled(submit(live_setup, email="john@example.com"))

    assert first.status == "deferred"
    assert first.retries_used == 0
    assert first.deferred_until is not None
    assert "resumes on its own" in first.reason
    assert second.status == "deferred"
    assert second.attempt_count == 0
    assert BusinessUnitQueue.objects.get().deferred_until == first.deferred_until
    assert _pardot_requests(sf) == 1


def test_deferred_submissions_are_sent_when_their_day_comes(
    celery_worker_process, live_setup, sf
):
    from activity.tasks import resume_deferred

    body = {"code": 122, "message": "Daily API rate limit met"}
    sf.add_fault(method="POST", path=POST_PATH, status=429, body=body)
    submission = _settled(submit(live_setup))
    assert submission.status == "deferred"

    # The day ends: the hold's time is now in the past.
    BusinessUnitQueue.objects.update(deferred_until=submission.created_at)
    Submission.objects.update(deferred_until=submission.created_at)
    resume_deferred()

    _settled(submission, "succeeded")
    assert BusinessUnitQueue.objects.get().deferred_until is None
    assert len(_stored(sf)) == 1


def test_a_retry_that_lifts_the_units_hold_lets_the_rest_of_its_held_work_go(
    celery_worker_process, live_setup, sf, admin_client
):
    from activity.tasks import resume_deferred

    body = {"code": 122, "message": "Daily API rate limit met"}
    sf.add_fault(method="POST", path=POST_PATH, status=429, body=body)
    first = _settled(submit(live_setup))
    second = _settled(submit(live_setup, email="john@example.com"))
    assert (first.status, second.status) == ("deferred", "deferred")

    admin_client.post("/submissions/%s/retry/" % first.pk)
    _settled(first, "succeeded")
    resume_deferred()

    assert _settled(second, "succeeded").status == "succeeded"
    assert len(_stored(sf)) == 2


def test_a_daily_limit_hold_in_an_org_sharing_the_unit_id_does_not_defer_this_one(
    celery_worker_process, live_setup, sf
):
    # A sandbox keeps its production org's record ids, business units too.
    sandbox = OrgFactory(org_type="sandbox")
    until = timezone.now() + timedelta(hours=3)
    BusinessUnitQueue.objects.create(
        org=sandbox,
        business_unit_sf_id=MARKETING_UNIT,
        deferred_until=until,
        reason="Held back in the sandbox.",
    )

    submission = _settled(submit(live_setup))

    assert submission.status == "succeeded"
    assert _posts(sf) == 1
    assert BusinessUnitQueue.objects.get(org=sandbox).deferred_until == until


def test_the_daily_limit_holds_only_the_org_that_met_it(
    celery_worker_process, live_setup, sf
):
    sandbox = OrgFactory(org_type="sandbox")
    BusinessUnitQueue.objects.create(org=sandbox, business_unit_sf_id=MARKETING_UNIT)
    body = {"code": 122, "message": "Daily API rate limit met"}
    sf.add_fault(method="POST", path=POST_PATH, status=429, body=body)

    submission = _settled(submit(live_setup))

    assert submission.status == "deferred"
    held = BusinessUnitQueue.objects.get(org=live_setup["org"])
    assert held.deferred_until == submission.deferred_until
    assert BusinessUnitQueue.objects.get(org=sandbox).deferred_until is None


def test_an_expired_token_is_refreshed_once_and_the_activity_sent(
    celery_worker_process, live_setup, sf
):
    sf.expire_tokens()

    submission = _settled(submit(live_setup))

    assert submission.status == "succeeded"
    assert sf.stats()["token_grants"]["refresh_token"] == 1
    statuses = list(submission.attempts.values_list("response_status", flat=True))
    assert statuses == [401, 204]


def test_a_token_refused_even_after_a_refresh_fails_with_advice(
    celery_worker_process, live_setup, sf
):
    body = {"code": 184, "message": "access_token is invalid, unknown, or malformed"}
    sf.add_fault(method="POST", path=POST_PATH, status=401, body=body, count=2)

    submission = _settled(submit(live_setup))

    assert submission.status == "failed"
    assert submission.error_class == "AccessDenied"
    assert "pardot_api" in submission.reason
    assert submission.attempt_count == 2
    assert sf.stats()["token_grants"]["refresh_token"] == 1


def test_a_revoked_connection_defers_until_it_is_reconnected(
    celery_worker_process, live_setup, sf
):
    from activity.tasks import resume_deferred

    sf.revoke_tokens()
    sf.expire_tokens()

    submission = _settled(submit(live_setup))

    assert submission.status == "deferred"
    assert submission.deferred_until is None
    assert "reconnect under Settings" in submission.reason
    connection = live_setup["org"].execution_connection
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT

    resume_deferred()
    submission.refresh_from_db()
    assert submission.status == "deferred"

    # An admin signs in again: the connection holds fresh tokens.
    tokens = sf.token()
    connection.access_token = tokens["access_token"]
    connection.refresh_token = tokens["refresh_token"]
    connection.status = ConnectionStatus.ACTIVE
    connection.save()
    resume_deferred()

    _settled(submission, "succeeded")
    assert len(_stored(sf)) == 1


def test_a_lost_answer_for_a_stored_activity_is_reconciled_as_succeeded(
    celery_worker_process, live_setup, sf
):
    sf.add_fault(method="POST", path=POST_PATH, drop="after_read")

    submission = _settled(submit(live_setup), "succeeded")

    assert submission.attempt_count == 1
    assert submission.attempts.get().error_class == "OutcomeUnknown"
    assert submission.checked_at is not None
    assert "Account Engagement has the activity" in submission.reason
    assert _posts(sf) == 1
    assert len(_stored(sf)) == 1


def test_a_lost_answer_for_an_activity_never_stored_is_left_unknown(
    celery_worker_process, live_setup, sf
):
    sf.add_fault(method="POST", path=POST_PATH, drop=True)

    submission = submit(live_setup)

    wait_for(
        lambda: Submission.objects.filter(
            pk=submission.pk, status="unknown", checked_at__isnull=False
        ).exists(),
        timeout=30,
    )
    submission.refresh_from_db()
    assert "no such activity" in submission.reason
    assert submission.attempt_count == 1
    assert sf.stats()["faults_applied"] == 1
    assert _posts(sf) == 0
    assert _stored(sf) == []


def test_a_task_delivered_twice_sends_one_post(celery_worker_process, live_setup, sf):
    sf.settings(latency_ms=300)

    submission = submit(live_setup)
    send_submission.delay(submission.pk)
    send_submission.delay(submission.pk)

    _settled(submission)
    assert submission.status == "succeeded"
    assert _posts(sf) == 1
    assert Attempt.objects.count() == 1


def test_the_task_body_run_twice_beside_the_queued_task_sends_once(
    celery_worker_process, live_setup, sf
):
    submission = submit(live_setup)

    send_submission.run(submission.pk)
    send_submission.run(submission.pk)

    assert _settled(submission).status == "succeeded"
    assert _posts(sf) == 1


def test_the_task_body_run_in_two_threads_at_once_sends_once(
    celery_worker_process, live_setup, sf
):
    sf.settings(latency_ms=200)
    submission = submit(live_setup)
    start = threading.Barrier(2)

    def deliver():
        start.wait()
        try:
            send_submission.run(submission.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert _settled(submission).status == "succeeded"
    assert _posts(sf) == 1
    assert submission.attempts.count() == 1


def test_an_identical_submission_after_a_success_is_a_duplicate_and_not_sent(
    celery_worker_process, live_setup, sf
):
    first = _settled(submit(live_setup))

    second = submit(live_setup)

    assert first.status == "succeeded"
    assert second.status == "duplicate"
    assert "submission %s" % first.pk in second.reason
    assert _posts(sf) == 1


def _outcomes(*submissions) -> list[str]:
    return sorted(
        _settled(s, "succeeded", "failed", "duplicate").status for s in submissions
    )


def test_identical_submissions_sent_at_the_same_time_go_out_once(
    celery_worker_process, live_setup, sf
):
    sf.settings(latency_ms=300)

    first, second = submit(live_setup), submit(live_setup)

    assert _outcomes(first, second) == ["duplicate", "succeeded"]
    [duplicate] = [s for s in (first, second) if s.status == "duplicate"]
    [original] = [s for s in (first, second) if s.status == "succeeded"]
    assert "submission %s" % original.pk in duplicate.reason
    assert duplicate.attempt_count == 0
    assert _posts(sf) == 1
    assert len(_stored(sf)) == 1


def test_a_twin_that_succeeds_while_this_one_waits_for_a_slot_makes_it_a_duplicate(
    live_setup, sf, settings
):
    settings.ACTIVITY_SLOT_HOLD_SECONDS = 10
    org, unit = live_setup["org"], live_setup["business_unit"]
    [waiting] = make_rows(live_setup, 1, status="queued", email="jane@example.com")
    busy = [
        slot_acquire(org.pk, unit.sf_id) for _ in range(settings.ACTIVITY_MAX_IN_FLIGHT)
    ]
    steps = []
    at_the_slots = threading.Event()

    def note_slot_queries(execute, sql, params, many, context):
        if "activity_sendslot" in sql:
            at_the_slots.set()
        return execute(sql, params, many, context)

    def send():
        try:
            with connection.execute_wrapper(note_slot_queries):
                steps.append(sending.submission_send(submission_id=waiting.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=send)
    thread.start()
    # The sender has found no twin and waits for one of the unit's slots; an
    # identical activity succeeds meanwhile and frees its slot.
    assert at_the_slots.wait(timeout=10)
    [twin] = make_rows(live_setup, 1, status="succeeded", email="jane@example.com")
    for slot in busy:
        slot_release(slot)
    thread.join(timeout=30)

    waiting.refresh_from_db()
    assert steps == [sending.DONE]
    assert waiting.claimed_at is not None  # it was turned back after its claim
    assert waiting.status == "duplicate"
    assert "submission %s" % twin.pk in waiting.reason
    assert waiting.attempts.count() == 0
    assert _posts(sf) == 0


def test_an_identical_submission_waits_for_its_twins_look_up_and_is_a_duplicate(
    celery_worker_process, live_setup, sf
):
    sf.add_fault(method="POST", path=POST_PATH, drop="after_read")

    first, second = submit(live_setup), submit(live_setup)

    assert _outcomes(first, second) == ["duplicate", "succeeded"]
    [original] = [s for s in (first, second) if s.status == "succeeded"]
    assert original.checked_at is not None
    assert _posts(sf) == 1
    assert len(_stored(sf)) == 1


def test_an_identical_submission_is_sent_when_its_twin_fails(
    celery_worker_process, live_setup, sf
):
    sf.settings(latency_ms=300)
    body = {"code": 154, "message": "Invalid property"}
    sf.add_fault(method="POST", path=POST_PATH, status=400, body=body)

    first, second = submit(live_setup), submit(live_setup)

    assert _outcomes(first, second) == ["failed", "succeeded"]
    assert _pardot_requests(sf) == 2
    assert len(_stored(sf)) == 1
