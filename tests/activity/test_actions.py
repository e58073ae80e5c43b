"""Retry and force resend: admins only, audited, and sent through a worker."""

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import Attempt, Submission
from salesforce.client import SalesforceClient
from salesforce.models import AuditEvent
from tests.activity.conftest import EXTENSION, MARKETING_UNIT, TYPE
from tests.activity.helpers import DEFAULT_DATE, make_rows, submit
from tests.support.worker import wait_for


def _status_becomes(submission, status, timeout=30):
    wait_for(
        lambda: Submission.objects.filter(pk=submission.pk, status=status).exists(),
        timeout=timeout,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_admin_retries_a_failed_submission_once_the_cause_is_fixed(
    celery_worker_process, live_setup, admin_client, admin_user, sf
):
    type_id = live_setup["activity_type"].sf_id
    sf.patch_record("MarketingAppExtActivity", type_id, IsActive=False)
    submission = submit(live_setup)
    _status_becomes(submission, "failed")
    sf.patch_record("MarketingAppExtActivity", type_id, IsActive=True)

    response = admin_client.post("/submissions/%s/retry/" % submission.pk)

    assert response.status_code == 302
    _status_becomes(submission, "succeeded")
    submission.refresh_from_db()
    assert submission.attempt_count == 2
    event = AuditEvent.objects.get(action="submission.retry")
    assert event.actor == admin_user
    assert event.target == "Submission %s" % submission.pk
    assert "j***@example.com" in event.detail


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retry_of_an_unknown_submission_not_yet_looked_up_looks_it_up_and_sends_none(
    celery_worker_process, live_setup, admin_client, sf
):
    # Account Engagement recorded the activity, but its answer was lost.
    with SalesforceClient.for_org(live_setup["org"]) as client:
        client.submit_external_activity(
            business_unit_id=MARKETING_UNIT,
            extension=EXTENSION,
            activity_type=TYPE,
            email="jane@example.com",
            value="Spring webinar",
            activity_date=DEFAULT_DATE,
        )
    [row] = make_rows(live_setup, 1, status="unknown", email="jane@example.com")
    Attempt.objects.create(
        submission=row,
        number=1,
        finished_at=timezone.now(),
        error_class="OutcomeUnknown",
    )
    path = "/submissions/%s/" % row.pk
    assert "sends nothing" in admin_client.get(path).content.decode()

    response = admin_client.post(path + "retry/", follow=True)

    assert "being looked up in Account Engagement" in response.content.decode()
    _status_becomes(row, "succeeded")
    row.refresh_from_db()
    assert "Account Engagement has the activity" in row.reason
    assert row.attempts.count() == 1
    assert sf.stats()["pardot_posts"] == 1
    event = AuditEvent.objects.get(action="submission.retry")
    assert "nothing was sent" in event.detail


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_forced_resend_sends_a_succeeded_activity_again_as_a_new_submission(
    celery_worker_process, live_setup, admin_client, admin_user, sf
):
    original = submit(live_setup)
    _status_becomes(original, "succeeded")

    response = admin_client.post("/submissions/%s/resend/" % original.pk)

    resend = Submission.objects.exclude(pk=original.pk).get()
    assert response["Location"] == "/submissions/%s/" % resend.pk
    assert resend.force and resend.source == "retry"
    assert resend.resent_from == original
    _status_becomes(resend, "succeeded")
    assert len(sf.state()["external_activities"]) == 2
    event = AuditEvent.objects.get(action="submission.force_resend")
    assert event.actor == admin_user


def test_a_succeeded_submission_cannot_be_retried(admin_client, mirror):
    [row] = make_rows(mirror, 1, status="succeeded")

    response = admin_client.post("/submissions/%s/retry/" % row.pk, follow=True)

    assert b"Only a failed, deferred or unknown submission" in response.content
    assert not AuditEvent.objects.exists()


def test_support_staff_are_refused_every_write(support_client, mirror):
    [row] = make_rows(mirror, 1, status="failed")

    refused = [
        support_client.post("/submissions/%s/retry/" % row.pk).status_code,
        support_client.post("/submissions/%s/resend/" % row.pk).status_code,
        support_client.post("/submissions/test/", {}).status_code,
    ]

    assert refused == [403, 403, 403]
    row.refresh_from_db()
    assert row.status == "failed"
    assert Submission.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_retry_and_resend_refuse_get_and_need_a_csrf_token(admin_user, mirror):
    [row] = make_rows(mirror, 1, status="failed")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert client.get("/submissions/%s/retry/" % row.pk).status_code == 405
    assert client.post("/submissions/%s/retry/" % row.pk).status_code == 403
    assert client.post("/submissions/%s/resend/" % row.pk).status_code == 403
