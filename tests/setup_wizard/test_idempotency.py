"""A task delivered twice, two workers, or a second click never make a second
record in Salesforce."""

import pytest

from setup_wizard import services
from setup_wizard.models import SetupRun
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

    assert run.status == SetupRun.Status.SUCCEEDED
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
