"""When the task queue does not answer, or a task is lost on the way: no
server error and no page that polls for ever, but a sentence and a way to
try again."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from salesforce.models import AuditEvent, Extension
from setup_wizard import services
from setup_wizard.models import Check, RecordProgress, SetupRun
from setup_wizard.wording import CHANGE_STALLED, CHECK_STALLED, QUEUE_DOWN
from tests.setup_wizard.test_selectors import _run

HTMX = {"HTTP_HX_REQUEST": "true"}
POLLING = b'hx-trigger="every 1s"'
CLOSED_BROKER = "redis://127.0.0.1:9/0"


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = CLOSED_BROKER


def _extension(org) -> Extension:
    return Extension.objects.create(
        org=org, sf_id="1Me000000000001AAA", api_name="Webinar", label="Webinar"
    )


@pytest.mark.django_db(transaction=True)
def test_starting_the_wizard_with_the_queue_down_explains_it_and_offers_check_again(
    broker_down, admin_client, org, caplog
):
    response = admin_client.post("/setup/start/")

    run = SetupRun.objects.get(org=org)
    assert response.status_code == 302
    assert response["Location"] == "/setup/runs/%s/connect/" % run.pk
    check = Check.objects.get(run=run)
    assert check.state == Check.State.FAILED
    assert check.reason == QUEUE_DOWN
    assert (
        "Could not queue setup_wizard.tasks.perform_check for row %s of org %s"
        % (
            check.pk,
            org.pk,
        )
        in caplog.text
    )
    page = admin_client.get(response["Location"])
    assert escape(QUEUE_DOWN) in page.content.decode()
    assert b"Check again" in page.content
    assert POLLING not in page.content


@pytest.mark.django_db(transaction=True)
def test_a_setup_started_with_the_queue_down_stops_and_offers_retry(
    broker_down, admin_client, org, admin_user
):
    run = _run(org, created_by=admin_user)

    assert services.run_start(run=run, actor=admin_user, activate=True)

    run.refresh_from_db()
    assert run.status == SetupRun.Status.FAILED
    first = run.records.first()
    assert (first.state, first.reason) == ("failed", QUEUE_DOWN)
    assert set(run.records.exclude(pk=first.pk).values_list("state", flat=True)) == {
        "waiting"
    }
    page = admin_client.get("/setup/runs/%s/progress/" % run.pk)
    assert escape(QUEUE_DOWN) in page.content.decode()
    assert b"Retry" in page.content
    assert POLLING not in page.content


@pytest.mark.django_db(transaction=True)
def test_a_toggle_with_the_queue_down_is_not_left_working(
    broker_down, admin_client, org
):
    extension = _extension(org)

    response = admin_client.post(
        "/setup/extensions/%s/active/" % extension.pk, {"active": "on"}, **HTMX
    )

    assert response.status_code == 286
    assert b"working\xe2\x80\xa6" not in response.content
    assert escape(QUEUE_DOWN) in response.content.decode()
    assert b">Retry</button>" in response.content
    record = RecordProgress.objects.get()
    assert record.state == "failed" and record.pending_key is None
    assert record.run.status == SetupRun.Status.FAILED


@pytest.mark.django_db
def test_a_check_whose_task_never_ran_stops_polling_and_offers_check_again(
    admin_client, org, admin_user
):
    run = _run(org, created_by=admin_user)
    long_ago = timezone.now() - Check.PATIENCE - timedelta(seconds=1)
    lost = Check.objects.create(
        org=org, run=run, kind=Check.Kind.PREFLIGHT, created_at=long_ago
    )

    page = admin_client.get("/setup/runs/%s/connect/" % run.pk)
    polled = admin_client.get("/setup/checks/%s/" % lost.pk, **HTMX)
    admin_client.post("/setup/runs/%s/connect/" % run.pk, {"action": "check"})

    assert escape(CHECK_STALLED) in page.content.decode()
    assert b"Check again" in page.content
    assert POLLING not in page.content
    assert polled.status_code == 286
    assert Check.objects.filter(run=run).exclude(pk=lost.pk).count() == 1


@pytest.mark.django_db
def test_a_change_whose_task_never_ran_stops_polling_and_offers_retry(
    admin_client, org, admin_user
):
    extension = _extension(org)
    services.extension_set_active(extension=extension, active=True, actor=admin_user)
    long_ago = timezone.now() - services.STALLED_AFTER - timedelta(seconds=1)
    run = SetupRun.objects.get(kind=SetupRun.Kind.CHANGE)
    SetupRun.objects.filter(pk=run.pk).update(started_at=long_ago)

    polled = admin_client.get("/setup/extensions/", **HTMX)
    progress = admin_client.get("/setup/runs/%s/progress/" % run.pk, **HTMX)
    retried = admin_client.post("/setup/runs/%s/retry/" % run.pk, follow=True)

    assert polled.status_code == 286
    assert b"working\xe2\x80\xa6" not in polled.content
    assert escape(CHANGE_STALLED) in polled.content.decode()
    assert b">Retry</button>" in polled.content
    assert progress.status_code == 286
    assert b"Retry it" in progress.content
    assert b"Nothing to retry" not in retried.content
    assert AuditEvent.objects.filter(org=org, action="setup.retried").count() == 1


@pytest.mark.django_db
def test_a_verify_or_extension_list_whose_task_never_ran_is_offered_again(
    admin_client, org, admin_user
):
    run = _run(org, created_by=admin_user)
    long_ago = timezone.now() - Check.PATIENCE - timedelta(seconds=1)
    for kind, check_run in ((Check.Kind.DRIFT, None), (Check.Kind.EXTENSION_LIST, run)):
        Check.objects.create(org=org, run=check_run, kind=kind, created_at=long_ago)

    verify = admin_client.get("/setup/verify/")
    extension = admin_client.get("/setup/runs/%s/extension/" % run.pk)

    for page in (verify, extension):
        assert escape(CHECK_STALLED) in page.content.decode()
        assert POLLING not in page.content
    assert b"Verify now" in verify.content
    assert b"List them again" in extension.content
