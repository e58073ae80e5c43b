"""Claims, double clicks and the audit trail, on the database alone.

These tests run inside a transaction, so nothing they queue reaches a
worker: what they check is the rows.
"""

import pytest
from django.utils import timezone

from salesforce.audit import audit_record
from salesforce.models import AuditEvent, Extension
from setup_wizard import services
from setup_wizard.models import RecordProgress, SetupRun
from tests.setup_wizard.test_selectors import UNIT, _run

pytestmark = pytest.mark.django_db


def _started(org, user) -> SetupRun:
    run = _run(org, created_by=user)
    assert services.run_start(run=run, actor=user, activate=True)
    return run


def test_starting_a_run_twice_plans_its_records_once(org, admin_user):
    run = _started(org, admin_user)

    assert not services.run_start(run=run, actor=admin_user, activate=True)

    assert run.records.count() == 7
    assert AuditEvent.objects.filter(action="setup.started").count() == 1
    started = AuditEvent.objects.get(action="setup.started")
    assert "Create the extension Webinar Service (Webinar_Service)" in started.detail
    assert "Assign the extension to %s" % UNIT in started.detail


def test_a_step_saved_from_a_stale_page_after_the_start_changes_nothing(
    org, admin_user
):
    stale = _run(org, created_by=admin_user)
    started = SetupRun.objects.get(pk=stale.pk)
    assert services.run_start(run=started, actor=admin_user, activate=True)

    services.run_save_types(
        run=stale, new_types=[{"label": "Downloaded", "api_name": "Downloaded"}]
    )
    services.run_save_extension(
        run=stale, label="Other", api_name="Other_Name", description=""
    )

    started.refresh_from_db()
    assert started.status == SetupRun.Status.RUNNING
    assert started.extension_api_name == "Webinar_Service"
    assert [t["api_name"] for t in started.activity_types] == ["Registered", "Attended"]
    assert started.checks.count() == 0


def test_a_record_is_claimed_once_and_only_its_own_task_may_take_it_back(
    org, admin_user
):
    run = _started(org, admin_user)
    record = run.records.first()

    assert services.record_claim(record_id=record.pk, task_id="a") is not None
    assert services.record_claim(record_id=record.pk, task_id="b") is None
    assert services.record_claim(record_id=record.pk, task_id="") is None
    again = services.record_claim(record_id=record.pk, task_id="a")

    assert again.attempts == 2
    assert again.state == RecordProgress.State.WORKING


def test_rows_of_a_run_that_is_not_running_are_never_claimed(org, admin_user):
    run = _run(org)
    record = RecordProgress.objects.create(
        run=run, kind="extension", action="create", api_name="Webinar_Service"
    )

    assert services.record_claim(record_id=record.pk, task_id="a") is None


def test_retry_puts_failed_rows_back_and_keeps_done_rows_done(org, admin_user):
    run = _started(org, admin_user)
    first, second = run.records.all()[:2]
    RecordProgress.objects.filter(pk=first.pk).update(state="done", sf_id="1Me1")
    RecordProgress.objects.filter(pk=second.pk).update(state="failed", reason="No.")
    services.run_advance(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SetupRun.Status.FAILED

    assert services.run_retry(run=run, actor=admin_user)
    assert not services.run_retry(run=run, actor=admin_user)

    states = list(run.records.values_list("state", flat=True))
    assert states[:2] == ["done", "waiting"]
    run.refresh_from_db()
    assert run.status == SetupRun.Status.RUNNING


def test_a_row_stuck_working_after_a_lost_worker_can_be_retried(org, admin_user):
    run = _started(org, admin_user)
    stuck = run.records.first()
    RecordProgress.objects.filter(pk=stuck.pk).update(
        state="working", started_at=timezone.now(), task_id="lost"
    )
    assert not services.run_retry(run=run, actor=admin_user)

    long_ago = timezone.now() - services.STALLED_AFTER * 2
    RecordProgress.objects.filter(pk=stuck.pk).update(started_at=long_ago)
    SetupRun.objects.filter(pk=run.pk).update(started_at=long_ago)
    run.refresh_from_db()

    assert services.run_retry(run=run, actor=admin_user)

    stuck.refresh_from_db()
    assert stuck.state == "waiting"


def test_work_is_queued_only_once_the_transaction_commits(
    org, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        run = _started(org, admin_user)

    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued:
        services.run_start(run=run, actor=admin_user, activate=True)
    assert queued == []


def test_a_second_toggle_of_the_same_record_waits_for_the_first(org, admin_user):
    extension = Extension.objects.create(
        org=org, sf_id="1Me000000000001AAA", api_name="Webinar", label="Webinar"
    )

    first = services.extension_set_active(
        extension=extension, active=False, actor=admin_user
    )
    second = services.extension_set_active(
        extension=extension, active=False, actor=admin_user
    )

    assert first is not None
    assert second is None
    assert RecordProgress.objects.count() == 1


def test_the_audit_page_lists_setup_changes_newest_first_in_pages(
    admin_client, org, admin_user
):
    for n in range(55):
        audit_record(
            org=org,
            actor=admin_user,
            action="setup.extension.create",
            outcome="succeeded",
            target="Ext %s" % n,
            salesforce_ids=["1Me%015d" % n],
        )
    audit_record(org=org, actor=admin_user, action="role.changed", outcome="succeeded")

    first = admin_client.get("/setup/audit/")
    text = first.content.decode()

    assert first.status_code == 200
    assert text.index("Ext 54") < text.index("Ext 53")
    assert "Ext 4<" not in text
    assert "role.changed" not in text
    assert "1Me000000000000054" in text
    older = first.context["next_before"]
    second = admin_client.get("/setup/audit/?before=%s" % older).content.decode()
    assert "Ext 4<" in second and "Ext 54" not in second
    every = admin_client.get("/setup/audit/?all=1").content.decode()
    assert "role.changed" in every


def test_audit_events_cannot_be_changed(org, admin_user):
    run = _started(org, admin_user)
    event = AuditEvent.objects.filter(org=run.org).first()

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
