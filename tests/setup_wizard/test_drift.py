"""Verify: changes made straight in Salesforce show as drift, and one click
brings the console in line."""

import pytest
from django.conf import settings

from salesforce.models import ActivityType, Assignment, AuditEvent, Extension
from setup_wizard import services
from setup_wizard.models import Check
from tests.factories import ConnectionFactory, OrgFactory
from tests.setup_wizard.helpers import org_records, wait_check, walk_wizard


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_changes_made_in_salesforce_are_listed_and_the_console_is_brought_in_line(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)
    records = org_records(sf, connected_org)
    extension_id = records["extensions"][0]["Id"]
    registered = next(
        t for t in records["activity_types"] if t["DeveloperName"] == "Registered"
    )
    sf.patch_record("MarketingAppExtension", extension_id, IsActive=False)
    sf.patch_record("MarketingAppExtActivity", registered["Id"], MasterLabel="Joined")
    sf.delete_record("MarketingAppExtAssignment", records["assignments"][0]["Id"])

    admin_client.post("/setup/verify/run/")
    check = wait_check(None, Check.Kind.DRIFT, org=connected_org)

    changes = {(d["object"], d["change"]) for d in check.result["differences"]}
    assert changes == {
        ("extension", "deactivated"),
        ("activity_type", "renamed"),
        ("assignment", "missing"),
    }
    page = admin_client.get("/setup/verify/")
    assert b"was deactivated in Salesforce" in page.content
    assert b"is now called Joined" in page.content
    assert b"was removed in Salesforce" in page.content
    dashboard = admin_client.get("/")
    assert b"Salesforce differs from the console in 3 places" in dashboard.content

    response = admin_client.post("/setup/verify/%s/resolve/" % check.pk)
    again = admin_client.post("/setup/verify/%s/resolve/" % check.pk, follow=True)

    assert response.status_code == 302
    assert b"already dealt with" in again.content
    assert Extension.objects.get().is_active is False
    assert ActivityType.objects.get(sf_id=registered["Id"]).label == "Joined"
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="setup.mirror_aligned").count() == 1
    dashboard = admin_client.get("/")
    assert b"is inactive" in dashboard.content

    admin_client.post("/setup/verify/run/")
    wait_for_new = wait_check(None, Check.Kind.DRIFT, org=connected_org)
    assert wait_for_new.pk != check.pk
    assert wait_for_new.result["differences"] == []


def test_the_hourly_verify_is_scheduled_in_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["verify-setups"]

    assert entry["task"] == "setup_wizard.tasks.verify_all_orgs"
    assert entry["schedule"] == 3600


@pytest.mark.django_db
def test_the_hourly_verify_checks_only_orgs_with_a_usable_connection_and_a_setup():
    usable, unusable, empty = OrgFactory(), OrgFactory(), OrgFactory()
    for org, status in (
        (usable, "active"),
        (unusable, "needs_reconnect"),
        (empty, "active"),
    ):
        org.execution_connection = ConnectionFactory(org=org, status=status)
        org.save()
    for org in (usable, unusable):
        Extension.objects.create(
            org=org, sf_id="1Me000000000001AAA", api_name="X", label="X"
        )

    assert services.verify_all_orgs() == 1

    assert list(Check.objects.values_list("org", "kind")) == [(usable.pk, "drift")]
