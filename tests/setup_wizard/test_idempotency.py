"""A task delivered twice, two workers, or a second click never make a second
record in Salesforce."""

import threading

import pytest
from django.db import connection

from setup_wizard import services
from setup_wizard.models import Check, RecordProgress, SetupRun
from setup_wizard.services import checks as check_services
from setup_wizard.tasks import apply_record
from tests.setup_wizard.helpers import (
    MARKETING_UNIT,
    choose_types_and_units,
    name_extension,
    open_run,
    org_records,
    pass_connect,
    wait_check,
    wait_run,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _reviewed_run(org, user) -> SetupRun:
    return SetupRun.objects.create(
        org=org,
        created_by=user,
        step=SetupRun.Step.REVIEW,
        extension_label="Webinar Service",
        extension_api_name="Webinar_Service",
        activity_types=[
            {"label": "Registered", "api_name": "Registered"},
            {"label": "Attended", "api_name": "Attended"},
        ],
        business_unit_ids=[MARKETING_UNIT],
    )


def test_a_task_delivered_twice_and_run_here_too_creates_one_extension(
    celery_worker_process, connected_org, admin_user, sf
):
    run = _reviewed_run(connected_org, admin_user)
    services.run_start(run=run, actor=admin_user, activate=True)
    first = run.records.get(kind="extension", action="create")

    apply_record.delay(first.pk)
    apply_record.delay(first.pk)
    apply_record.apply(args=[first.pk])
    wait_run(run)

    outcome = [(r.kind, r.action, r.state, r.reason) for r in run.records.all()]
    assert run.status == SetupRun.Status.SUCCEEDED, outcome
    first.refresh_from_db()
    assert first.attempts == 1
    records = org_records(sf, connected_org)
    assert len(records["extensions"]) == 1
    assert len(records["activity_types"]) == 2
    assert len(records["assignments"]) == 1


def test_a_finished_record_run_again_by_a_stray_task_changes_nothing(
    celery_worker_process, connected_org, admin_user, sf
):
    run = _reviewed_run(connected_org, admin_user)
    services.run_start(run=run, actor=admin_user, activate=True)
    wait_run(run)
    calls = sf.stats()["tooling_calls"]

    for record in run.records.all():
        apply_record.apply(args=[record.pk])

    assert sf.stats()["tooling_calls"] == calls
    assert run.records.filter(attempts=1).count() == run.records.count()


def test_double_clicks_on_start_and_on_create_and_activate_start_one_run(
    celery_worker_process, connected_org, admin_client, sf
):
    run = open_run(admin_client)
    assert open_run(admin_client) == run
    pass_connect(admin_client, run)
    name_extension(admin_client, run, "Webinar_Service")
    wait_check(run, "extension_lookup")
    choose_types_and_units(admin_client, run)

    for _ in range(2):
        response = admin_client.post(
            "/setup/runs/%s/review/" % run.pk, {"activate": "now"}
        )
        assert response["Location"] == "/setup/runs/%s/progress/" % run.pk
    wait_run(run)

    assert SetupRun.objects.filter(kind="wizard").count() == 1
    assert run.records.count() == 7
    assert len(org_records(sf, connected_org)["extensions"]) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_row_let_exactly_one_task_through(org, admin_user):
    run = SetupRun.objects.create(
        org=org, created_by=admin_user, status=SetupRun.Status.RUNNING
    )
    row = RecordProgress.objects.create(
        run=run, kind="extension", action="create", api_name="Webinar_Service"
    )
    start = threading.Barrier(6)
    claimed = []

    def claim(number: int) -> None:
        start.wait()
        try:
            record = services.record_claim(record_id=row.pk, task_id="task-%d" % number)
            claimed.append(record is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert claimed.count(True) == 1
    row.refresh_from_db()
    assert row.state == RecordProgress.State.WORKING and row.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_clicks_at_once_on_check_again_queue_one_check(org, admin_user, monkeypatch):
    run = SetupRun.objects.create(org=org, created_by=admin_user)
    queued = []
    monkeypatch.setattr(
        check_services, "_enqueue_check", lambda check: queued.append(check.pk)
    )
    start = threading.Barrier(6)
    answered = []

    def click() -> None:
        start.wait()
        try:
            check = services.check_start(
                org=org, kind=Check.Kind.PREFLIGHT, actor=admin_user, run=run
            )
            answered.append(check.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Check.objects.filter(run=run).count() == 1
    assert len(answered) == 6 and set(answered) == set(queued)
    assert len(queued) == 1
