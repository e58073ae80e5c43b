"""When Salesforce refuses part of the setup: the admin reads why on the
failed record, what succeeded stays done, and Retry picks up from there."""

import pytest
from django.utils.html import escape

from setup_wizard.models import Check, SetupRun
from tests.setup_wizard.helpers import (
    choose_types_and_units,
    create_in_salesforce,
    name_extension,
    open_run,
    org_records,
    pass_connect,
    start,
    tooling_path,
    wait_check,
    wait_run,
    walk_wizard,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REFUSED = [{"message": "Insufficient access", "errorCode": "INSUFFICIENT_ACCESS"}]


def _states(run: SetupRun) -> list[tuple[str, str, str]]:
    return list(run.records.values_list("kind", "action", "state"))


def test_a_refusal_in_the_middle_stops_the_run_and_retry_finishes_without_duplicates(
    celery_worker_process, connected_org, admin_client, sf
):
    sf.add_fault(
        method="POST",
        path=tooling_path("MarketingAppExtActivity"),
        status=403,
        body=REFUSED,
    )

    run = walk_wizard(admin_client)

    assert run.status == SetupRun.Status.FAILED
    assert _states(run)[:3] == [
        ("extension", "create", "done"),
        ("activity_type", "create", "failed"),
        ("activity_type", "create", "waiting"),
    ]
    failed = run.records.get(state="failed")
    assert "not allowed to do this" in failed.reason
    page = admin_client.get("/setup/runs/%s/progress/" % run.pk)
    assert escape(failed.reason) in page.content.decode()
    assert b"Retry" in page.content
    assert len(org_records(sf, connected_org)["extensions"]) == 1

    admin_client.post("/setup/runs/%s/retry/" % run.pk)
    wait_run(run)

    assert run.status == SetupRun.Status.SUCCEEDED
    assert set(run.records.values_list("state", flat=True)) == {"done"}
    records = org_records(sf, connected_org)
    assert len(records["extensions"]) == 1
    assert len(records["activity_types"]) == 2
    assert len(records["assignments"]) == 1


def test_an_extension_created_meanwhile_under_the_same_name_is_not_duplicated(
    celery_worker_process, connected_org, admin_client, sf
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    name_extension(admin_client, run, "Webinar_Service")
    assert not wait_check(run, Check.Kind.EXTENSION_LOOKUP).result["found"]
    choose_types_and_units(admin_client, run)
    rival = create_in_salesforce(
        sf,
        "MarketingAppExtension",
        {"DeveloperName": "Webinar_Service", "MasterLabel": "Someone else's"},
    )

    start(admin_client, run)
    wait_run(run)

    assert run.status == SetupRun.Status.FAILED
    failed = run.records.get(state="failed")
    assert failed.kind == "extension"
    assert "already exists in Salesforce" in failed.reason
    assert "adopt it, or choose another API name" in failed.reason
    records = org_records(sf, connected_org)
    assert [e["Id"] for e in records["extensions"]] == [rival]
    assert records["activity_types"] == records["assignments"] == []

    response = admin_client.post("/setup/runs/%s/edit/" % run.pk)
    assert response["Location"] == "/setup/runs/%s/extension/" % run.pk
    lookup = wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    assert lookup.result["found"]
    page = admin_client.get(response["Location"])
    assert b"Adopt it" in page.content
    admin_client.post(
        "/setup/runs/%s/extension/adopt/" % run.pk,
        {"check": lookup.pk, "sf_id": rival},
    )
    choose_types_and_units(admin_client, run)
    start(admin_client, run)
    wait_run(run)

    assert run.status == SetupRun.Status.SUCCEEDED
    records = org_records(sf, connected_org)
    assert [e["Id"] for e in records["extensions"]] == [rival]
    assert len(records["activity_types"]) == 2
    assert run.records.get(kind="extension", action="adopt").result == "existing"


def test_the_org_extension_limit_is_explained_on_the_failed_record(
    celery_worker_process, connected_org, admin_client, sf
):
    sf.settings(max_extensions=0)

    run = walk_wizard(admin_client)

    assert run.status == SetupRun.Status.FAILED
    failed = run.records.get(state="failed")
    assert failed.kind == "extension"
    assert failed.reason.startswith("Salesforce allows no more extensions")
    assert "Adopt an existing extension" in failed.reason
    assert run.records.filter(state="waiting").count() == run.records.count() - 1
    assert org_records(sf, connected_org)["extensions"] == []


def test_the_activity_type_limit_fails_one_type_and_keeps_what_was_done(
    celery_worker_process, connected_org, admin_client, sf
):
    sf.settings(max_types_per_extension=1)

    run = walk_wizard(admin_client)

    assert run.status == SetupRun.Status.FAILED
    assert _states(run)[:3] == [
        ("extension", "create", "done"),
        ("activity_type", "create", "done"),
        ("activity_type", "create", "failed"),
    ]
    failed = run.records.get(state="failed")
    assert "as many activity types as Salesforce allows" in failed.reason
    assert "Attended was not created" in failed.reason
    records = org_records(sf, connected_org)
    assert [t["DeveloperName"] for t in records["activity_types"]] == ["Registered"]


def test_an_expired_session_mid_wizard_is_refreshed_once_and_the_run_completes(
    celery_worker_process, connected_org, admin_client, sf
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    name_extension(admin_client, run, "Webinar_Service")
    wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    choose_types_and_units(admin_client, run)
    assert sf.expire_tokens() >= 1
    refreshes = sf.stats()["refreshes"]

    start(admin_client, run)
    wait_run(run)

    assert run.status == SetupRun.Status.SUCCEEDED
    assert sf.stats()["refreshes"] == refreshes + 1
    assert len(org_records(sf, connected_org)["activity_types"]) == 2


def test_a_revoked_connection_asks_the_admin_to_reconnect_under_settings(
    celery_worker_process, connected_org, admin_client, sf
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    name_extension(admin_client, run, "Webinar_Service")
    wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    choose_types_and_units(admin_client, run)
    sf.revoke_tokens()

    start(admin_client, run)
    wait_run(run)

    assert run.status == SetupRun.Status.FAILED
    failed = run.records.get(state="failed")
    assert "Reconnect under Settings" in failed.reason
    dashboard = admin_client.get("/")
    assert b"Reconnect the org under Settings" in dashboard.content
