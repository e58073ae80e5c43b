"""The whole wizard through its views, with the tasks run by a real worker
against the emulator over HTTP."""

import pytest

from salesforce.models import ActivityType, Assignment, AuditEvent, Extension
from setup_wizard.models import Check, RecordProgress, SetupRun
from tests.setup_wizard.helpers import (
    MARKETING_UNIT,
    org_records,
    walk_wizard,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_admin_walks_the_wizard_and_salesforce_holds_one_active_extension_with_two_types(  # noqa: E501
    celery_worker_process, connected_org, admin_client, sf
):
    run = walk_wizard(admin_client)

    assert run.status == SetupRun.Status.SUCCEEDED
    records = org_records(sf, connected_org)
    [extension] = records["extensions"]
    assert extension["DeveloperName"] == "Webinar_Service"
    assert extension["IsActive"] is True
    types = records["activity_types"]
    assert sorted(t["DeveloperName"] for t in types) == ["Attended", "Registered"]
    assert all(t["IsActive"] for t in types)
    assert all(t["MarketingAppExtensionId"] == extension["Id"] for t in types)
    [assignment] = records["assignments"]
    assert assignment["ParentId"] == MARKETING_UNIT
    assert assignment["MarketingAppExtensionId"] == extension["Id"]

    mirrored = Extension.objects.get(org=connected_org)
    assert (mirrored.sf_id, mirrored.is_active) == (extension["Id"], True)
    assert ActivityType.objects.filter(extension=mirrored, is_active=True).count() == 2
    assert Assignment.objects.get(extension=mirrored).sf_id == assignment["Id"]
    assert set(run.records.values_list("state", flat=True)) == {"done"}

    page = admin_client.get("/setup/runs/%s/progress/" % run.pk)
    assert b"Setup complete" in page.content
    polled = admin_client.get(
        "/setup/runs/%s/progress/" % run.pk, HTTP_HX_REQUEST="true"
    )
    assert polled.status_code == 286
    assert b"hx-trigger" not in polled.content
    assert "Webinar Service is active with 2 activity types" in run.summary
    assert "Demo Marketing" in run.summary
    actions = set(
        AuditEvent.objects.filter(org=connected_org).values_list("action", flat=True)
    )
    assert {
        "setup.started",
        "setup.extension.create",
        "setup.activity_type.create",
        "setup.assignment.assign",
        "setup.extension.activate",
        "setup.finished",
    } <= actions
    dashboard = admin_client.get("/")
    assert (
        b"Ready: Webinar Service accepts Attended and Registered" in dashboard.content
    )


def test_running_the_same_setup_twice_changes_nothing_in_salesforce(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)
    before = org_records(sf, connected_org)

    second = walk_wizard(admin_client)

    assert second.status == SetupRun.Status.SUCCEEDED
    assert org_records(sf, connected_org) == before
    results = set(second.records.values_list("result", flat=True))
    assert results <= {"existing", "unchanged"}
    assert second.records.get(kind="extension", action="exists")
    assert Extension.objects.filter(org=connected_org).count() == 1
    assert ActivityType.objects.filter(org=connected_org).count() == 2


def test_create_activate_later_leaves_everything_inactive(
    celery_worker_process, connected_org, admin_client, sf
):
    run = walk_wizard(admin_client, activate="later")

    assert run.status == SetupRun.Status.SUCCEEDED
    records = org_records(sf, connected_org)
    assert [e["IsActive"] for e in records["extensions"]] == [False]
    assert not any(t["IsActive"] for t in records["activity_types"])
    assert not run.records.filter(action=RecordProgress.Action.ACTIVATE).exists()
    assert "created but inactive" in run.summary
    dashboard = admin_client.get("/")
    assert b"is inactive, so Account Engagement refuses its activity" in (
        dashboard.content
    )


def test_the_connection_checks_list_business_units_and_the_emulator_host(
    celery_worker_process, connected_org, admin_client, sf
):
    admin_client.post("/setup/start/")
    run = SetupRun.objects.get()

    from tests.setup_wizard.helpers import wait_check

    check = wait_check(run, Check.Kind.PREFLIGHT)

    states = {item["key"]: item["state"] for item in check.result["checks"]}
    assert states == {
        "scopes": "ok",
        "tooling": "ok",
        "business_units": "ok",
        "host": "info",
    }
    assert connected_org.business_units.count() == 2
    page = admin_client.get("/setup/runs/%s/connect/" % run.pk)
    assert b"Found Demo Marketing, Demo Sales." in page.content
    assert b"demo emulator" in page.content
