"""Changes after setup: toggles, a type added later, an assignment removed,
each one a task with live progress."""

import pytest

from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension
from setup_wizard.models import SetupRun
from tests.setup_wizard.helpers import (
    MARKETING_UNIT,
    SALES_UNIT,
    org_records,
    walk_wizard,
)
from tests.support.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HTMX = {"HTTP_HX_REQUEST": "true"}


def _changes_settle():
    def settled():
        return not SetupRun.objects.filter(
            kind="change", status=SetupRun.Status.RUNNING
        ).exists()

    wait_for(settled, timeout=20)


def test_toggling_the_extension_off_deactivates_it_in_salesforce_with_live_progress(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)
    extension = Extension.objects.get()

    response = admin_client.post(
        "/setup/extensions/%s/active/" % extension.pk, {"active": "off"}, **HTMX
    )

    assert response.status_code in (200, 286)
    assert b'id="matrix"' in response.content
    _changes_settle()
    [remote] = org_records(sf, connected_org)["extensions"]
    assert remote["IsActive"] is False
    extension.refresh_from_db()
    assert extension.is_active is False
    polled = admin_client.get("/setup/extensions/", **HTMX)
    assert polled.status_code == 286
    assert b"Deactivate the extension" in polled.content


def test_a_type_added_later_and_an_assignment_removed_reach_salesforce(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)
    extension = Extension.objects.get()
    prefix = "add-%s" % extension.pk

    admin_client.post(
        "/setup/extensions/%s/types/" % extension.pk,
        {
            "%s-label" % prefix: "Downloaded slides",
            "%s-api_name" % prefix: "Downloaded_slides",
            "%s-activate" % prefix: "on",
        },
    )
    admin_client.post(
        "/setup/extensions/%s/assignments/" % extension.pk,
        {"assign-%s-business_unit" % extension.pk: _unit_pk(SALES_UNIT)},
    )
    _changes_settle()
    first = Assignment.objects.get(business_unit__sf_id=MARKETING_UNIT)
    admin_client.post("/setup/assignments/%s/remove/" % first.pk)
    _changes_settle()

    records = org_records(sf, connected_org)
    added = [
        t
        for t in records["activity_types"]
        if t["DeveloperName"] == "Downloaded_slides"
    ]
    assert [t["IsActive"] for t in added] == [True]
    assert [a["ParentId"] for a in records["assignments"]] == [SALES_UNIT]
    assert ActivityType.objects.filter(api_name="Downloaded_slides").exists()
    assert list(Assignment.objects.values_list("business_unit__sf_id", flat=True)) == [
        SALES_UNIT
    ]


def test_the_page_says_extensions_and_types_cannot_be_deleted(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)

    page = admin_client.get("/setup/extensions/")

    assert page.status_code == 200
    assert (
        b"Salesforce does not allow deleting extensions or activity types; "
        b"deactivate them instead" in page.content
    )
    assert b"Registered" in page.content
    assert b"Demo Marketing" in page.content


def _unit_pk(sf_id: str) -> int:
    return BusinessUnit.objects.get(sf_id=sf_id).pk


def test_a_type_named_only_by_a_label_an_existing_type_has_is_refused(
    celery_worker_process, connected_org, admin_client, sf
):
    walk_wizard(admin_client)
    extension = Extension.objects.get()
    prefix = "add-%s" % extension.pk
    changes = SetupRun.objects.filter(kind="change").count()

    response = admin_client.post(
        "/setup/extensions/%s/types/" % extension.pk,
        {"%s-label" % prefix: "Registered", "%s-activate" % prefix: "on"},
    )

    assert b"already has an activity type with this API name" in response.content
    assert SetupRun.objects.filter(kind="change").count() == changes
    assert extension.activity_types.filter(api_name="Registered").count() == 1
