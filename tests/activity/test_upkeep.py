"""The periodic sweeper and resumer put back on their way the submissions a
lost worker or a lost message left behind, and never send blindly twice."""

import threading
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from activity import sending, tasks, upkeep
from activity.models import Attempt, BusinessUnitQueue, Submission
from activity.services import submission_fingerprint
from activity.tasks import resume_deferred, sweep
from salesforce.client import SalesforceClient
from tests.activity.conftest import MARKETING_UNIT
from tests.activity.helpers import DEFAULT_DATE, make_rows
from tests.support.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _row(setup, **fields):
    fields.setdefault("email", "jane@example.com")
    fields.setdefault(
        "fingerprint",
        submission_fingerprint(
            org_id=setup["org"].pk,
            extension_name="Webinar_Service",
            type_name="Registered",
            email=fields["email"],
            value="Spring webinar",
            activity_date=DEFAULT_DATE,
        ),
    )
    [row] = make_rows(setup, 1, **fields)
    return row


def _long_ago():
    return timezone.now() - timedelta(hours=1)


def _becomes(row, status, timeout=30):
    wait_for(
        lambda: Submission.objects.filter(pk=row.pk, status=status).exists(),
        timeout=timeout,
    )
    row.refresh_from_db()
    return row


def test_a_send_cut_off_mid_call_is_looked_up_and_not_sent_again(
    celery_worker_process, live_setup, sf
):
    # The request reached Account Engagement, then the worker was lost.
    with SalesforceClient.for_org(live_setup["org"]) as client:
        client.submit_external_activity(
            business_unit_id=MARKETING_UNIT,
            extension="Webinar_Service",
            activity_type="Registered",
            email="jane@example.com",
            value="Spring webinar",
            activity_date=DEFAULT_DATE,
        )
    # The lost worker opened attempt 1 but never counted it.
    row = _row(live_setup, status="sending", claimed_at=_long_ago())
    Attempt.objects.create(submission=row, number=1, started_at=_long_ago())

    sweep()

    row = _becomes(row, "succeeded")
    assert row.attempts.get().error_class == "WorkerLost"
    assert row.attempt_count == 1
    assert sf.stats()["pardot_posts"] == 1


def test_a_send_cut_off_mid_call_that_never_arrived_waits_for_a_person_who_can_retry(
    celery_worker_process, live_setup, admin_client, sf
):
    # The lost worker opened attempt 1 but never counted it.
    row = _row(live_setup, status="sending", claimed_at=_long_ago())
    Attempt.objects.create(submission=row, number=1, started_at=_long_ago())

    sweep()

    wait_for(
        lambda: Submission.objects.filter(pk=row.pk, checked_at__isnull=False).exists()
    )
    row.refresh_from_db()
    assert row.status == "unknown"
    assert row.attempt_count == 1
    assert sf.stats()["pardot_posts"] == 0

    admin_client.post("/submissions/%s/retry/" % row.pk)

    row = _becomes(row, "succeeded")
    assert list(row.attempts.values_list("number", flat=True)) == [1, 2]
    assert row.attempt_count == 2
    assert sf.stats()["pardot_posts"] == 1


def _stop_before(monkeypatch, status):
    """Make the worker stop, as at its soft time limit, when it is about to
    move the submission to ``status``."""
    move = sending._move

    def stopping(submission, current, **fields):
        if fields.get("status") == status:
            raise SoftTimeLimitExceeded()
        return move(submission, current, **fields)

    monkeypatch.setattr(sending, "_move", stopping)


def _send_until_stopped(row):
    with pytest.raises(SoftTimeLimitExceeded):
        sending.submission_send(submission_id=row.pk)
    # Time passes: the claim is older than any slot's lease.
    Submission.objects.filter(pk=row.pk).update(claimed_at=_long_ago())


def test_a_worker_stopped_after_a_success_leaves_it_looked_up_not_sent_again(
    celery_worker_process, live_setup, sf, monkeypatch
):
    row = _row(live_setup, status="queued")
    _stop_before(monkeypatch, "succeeded")

    _send_until_stopped(row)

    row.refresh_from_db()
    assert row.status == "sending"
    assert row.attempts.get().finished_at is None
    sweep()
    row = _becomes(row, "succeeded")
    assert row.attempts.get().error_class == "WorkerLost"
    assert sf.stats()["pardot_posts"] == 1


def test_a_worker_stopped_after_a_lost_answer_leaves_it_looked_up_not_sent_blindly(
    celery_worker_process, live_setup, sf, monkeypatch
):
    sf.add_fault(method="POST", path="/api/v5/external-activities", drop=True)
    row = _row(live_setup, status="queued")
    _stop_before(monkeypatch, "unknown")

    _send_until_stopped(row)
    sweep()

    wait_for(
        lambda: Submission.objects.filter(pk=row.pk, checked_at__isnull=False).exists()
    )
    row.refresh_from_db()
    assert row.status == "unknown"
    assert sf.stats()["requests"]["pardot"] == 2
    assert sf.stats()["pardot_posts"] == 0


def test_a_sending_row_whose_answer_arrived_but_was_not_acted_on_is_not_sent_again(
    live_setup, sf
):
    row = _row(live_setup, status="sending", claimed_at=_long_ago())
    Attempt.objects.create(
        submission=row,
        number=1,
        started_at=_long_ago(),
        finished_at=_long_ago(),
        response_status=204,
    )

    counts = upkeep.submissions_sweep()

    row.refresh_from_db()
    assert counts["succeeded"] == 1
    assert row.status == "succeeded"
    assert row.attempt_count == 1
    assert sf.stats()["pardot_posts"] == 0


def test_a_sending_row_whose_refusal_was_not_acted_on_is_looked_up(
    celery_worker_process, live_setup, sf
):
    row = _row(live_setup, status="sending", claimed_at=_long_ago())
    Attempt.objects.create(
        submission=row,
        number=1,
        started_at=_long_ago(),
        finished_at=_long_ago(),
        response_status=500,
    )

    sweep()

    wait_for(
        lambda: Submission.objects.filter(pk=row.pk, checked_at__isnull=False).exists()
    )
    row.refresh_from_db()
    assert row.status == "unknown"
    assert sf.stats()["pardot_posts"] == 0


def test_a_look_up_that_keeps_failing_is_left_to_a_person_after_five_tries(
    celery_worker_process, live_setup, admin_client, sf
):
    sf.add_fault(method="GET", path="/api/v5/external-activities", status=503, count=20)
    row = _row(live_setup, status="unknown", claimed_at=_long_ago())
    Attempt.objects.create(
        submission=row, number=1, started_at=_long_ago(), finished_at=_long_ago()
    )

    for tries in range(1, 6):
        # The sweeper's wait has passed; the reason shows when a look-up ends.
        Submission.objects.filter(pk=row.pk).update(updated_at=_long_ago(), reason="")
        sweep()
        wait_for(
            lambda n=tries: (
                Submission.objects.filter(pk=row.pk, look_ups=n)
                .exclude(reason="")
                .exists()
            )
        )

    row.refresh_from_db()
    assert row.status == "unknown"
    assert row.checked_at is not None
    assert "a person must decide" in row.reason
    Submission.objects.filter(pk=row.pk).update(updated_at=_long_ago())
    assert upkeep.submissions_sweep()["reconciled"] == 0
    assert sf.stats()["faults_applied"] == 5
    assert sf.stats()["pardot_posts"] == 0
    page = admin_client.get("/submissions/%s/" % row.pk).content.decode()
    assert "a person must decide" in page
    assert "Nothing more happens on its own" in page


def test_a_claimed_submission_whose_request_never_left_is_sent(
    celery_worker_process, live_setup, sf
):
    row = _row(live_setup, status="sending", claimed_at=_long_ago())

    sweep()

    _becomes(row, "succeeded")
    assert sf.stats()["pardot_posts"] == 1


def test_a_submission_whose_task_never_reached_the_broker_is_queued(
    celery_worker_process, live_setup, sf
):
    row = _row(live_setup, status="queued", created_at=_long_ago())

    sweep()

    _becomes(row, "succeeded")


def test_a_fresh_sending_row_is_left_to_its_worker(live_setup, sf):
    row = _row(live_setup, status="sending", claimed_at=timezone.now())

    sweep()

    row.refresh_from_db()
    assert row.status == "sending"


def test_resume_leaves_holds_that_have_not_ended(live_setup, sf):
    until = timezone.now() + timedelta(hours=3)
    BusinessUnitQueue.objects.create(
        business_unit_sf_id=MARKETING_UNIT, org=live_setup["org"], deferred_until=until
    )
    row = _row(live_setup, status="deferred", deferred_until=until)

    resume_deferred()

    row.refresh_from_db()
    assert row.status == "deferred"
    assert BusinessUnitQueue.objects.get().deferred_until == until


def test_a_next_step_that_cannot_be_queued_is_logged_and_left_to_the_sweeper(
    live_setup, monkeypatch, caplog
):
    row = _row(live_setup, status="queued", created_at=_long_ago())
    Submission.objects.filter(pk=row.pk).update(enqueued_at=_long_ago())
    checked = _row(live_setup, status="unknown", email="john@example.com")

    def refuse(*args, **kwargs):
        raise OperationalError("The broker is away.")

    monkeypatch.setattr(tasks.send_submission, "apply_async", refuse)
    monkeypatch.setattr(tasks.reconcile_submission, "apply_async", refuse)

    tasks._queue_next(row.pk, sending.NextStep(send_in=1))
    tasks._queue_next(checked.pk, sending.NextStep(check_in=1))

    assert "Could not queue submission %s" % row.pk in caplog.text
    assert "Could not queue the check of submission %s" % checked.pk in caplog.text
    row.refresh_from_db()
    assert row.enqueued_at is None
    published = []
    monkeypatch.setattr(
        tasks.send_submission,
        "apply_async",
        lambda args, **options: published.append(args),
    )
    assert upkeep.submissions_sweep()["published"] == 1
    assert published == [(row.pk,)]


def test_a_look_up_overtaken_by_a_new_send_does_not_settle_the_new_send(live_setup, sf):
    sf.add_fault(method="GET", path="/api/v5/external-activities", latency_ms=800)
    row = _row(live_setup, status="unknown", claimed_at=_long_ago())
    Attempt.objects.create(submission=row, number=1, started_at=_long_ago())

    def look_up():
        try:
            sending.submission_reconcile(submission_id=row.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=look_up)
    thread.start()
    wait_for(lambda: Submission.objects.filter(pk=row.pk, look_ups=1).exists())
    # Meanwhile a Retry sent it again, and that answer was lost too.
    Submission.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
    thread.join(timeout=30)

    row.refresh_from_db()
    assert row.status == "unknown"
    assert row.checked_at is None
    assert sf.stats()["pardot_posts"] == 0


def test_a_stuck_row_claimed_again_before_the_sweep_acts_is_left_to_its_worker(
    live_setup, sf
):
    row = _row(live_setup, status="sending", claimed_at=_long_ago())
    found_stuck = Submission.objects.get(pk=row.pk)
    # Another sweep moved it on and a worker claimed it meanwhile.
    Submission.objects.filter(pk=row.pk).update(claimed_at=timezone.now())

    upkeep._settle_stuck(found_stuck, timezone.now())

    row.refresh_from_db()
    assert row.status == "sending"
