"""An extension that already exists in Salesforce is adopted or imported,
never duplicated."""

import pytest

from salesforce.models import ActivityType, Assignment, Extension
from setup_wizard.models import Check, SetupRun
from tests.setup_wizard.helpers import (
    MARKETING_UNIT,
    create_in_salesforce,
    name_extension,
    open_run,
    org_records,
    pass_connect,
    start,
    types_data,
    wait_check,
    wait_run,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def existing(sf) -> dict:
    """An extension with one type, assigned to Demo Marketing, made in
    Salesforce without the console."""
    extension = create_in_salesforce(
        sf,
        "MarketingAppExtension",
        {"DeveloperName": "Webinar_Service", "MasterLabel": "Webinar Service"},
    )
    kind = create_in_salesforce(
        sf,
        "MarketingAppExtActivity",
        {
            "DeveloperName": "Registered",
            "MasterLabel": "Registered",
            "MarketingAppExtensionId": extension,
        },
    )
    create_in_salesforce(
        sf,
        "MarketingAppExtAssignment",
        {"MarketingAppExtensionId": extension, "ParentId": MARKETING_UNIT},
    )
    return {"extension": extension, "type": kind}


def _finish(client, run: SetupRun, new_types=()) -> SetupRun:
    response = client.post("/setup/runs/%s/types/" % run.pk, types_data(new_types))
    assert response.status_code == 302, response.content.decode()
    client.post(
        "/setup/runs/%s/business-units/" % run.pk,
        {"business_units": [MARKETING_UNIT]},
    )
    review = client.get("/setup/runs/%s/review/" % run.pk)
    assert b"Adopt the existing extension Webinar Service" in review.content
    start(client, run)
    return wait_run(run)


def test_a_name_taken_in_salesforce_is_offered_for_adoption_and_adopted(
    celery_worker_process, connected_org, admin_client, sf, existing
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    name_extension(admin_client, run, "Webinar_Service")
    lookup = wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    page = admin_client.get("/setup/runs/%s/extension/" % run.pk)
    assert b"Salesforce already has an extension named" in page.content
    assert b"Adopt it" in page.content
    review = admin_client.post("/setup/runs/%s/review/" % run.pk, {"activate": "now"})
    assert review.status_code == 400
    assert b"adopt it or choose another name" in review.content

    admin_client.post(
        "/setup/runs/%s/extension/adopt/" % run.pk,
        {"check": lookup.pk, "sf_id": existing["extension"]},
    )
    types_page = admin_client.get("/setup/runs/%s/types/" % run.pk)
    assert b"Already in Salesforce" in types_page.content
    run = _finish(admin_client, run, new_types=(("Attended", "Attended"),))

    assert run.status == SetupRun.Status.SUCCEEDED
    records = org_records(sf, connected_org)
    assert [e["Id"] for e in records["extensions"]] == [existing["extension"]]
    assert sorted(t["DeveloperName"] for t in records["activity_types"]) == [
        "Attended",
        "Registered",
    ]
    assert len(records["assignments"]) == 1
    assert records["extensions"][0]["IsActive"] is True
    assert Extension.objects.get().sf_id == existing["extension"]
    assert ActivityType.objects.get(api_name="Registered").sf_id == existing["type"]
    assert run.records.get(kind="assignment").action == "exists"


def test_an_extension_listed_from_salesforce_is_imported_with_its_types_and_units(
    celery_worker_process, connected_org, admin_client, sf, existing
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)

    admin_client.post("/setup/runs/%s/extension/existing/" % run.pk)
    listing = wait_check(run, Check.Kind.EXTENSION_LIST)
    [found] = listing.result["extensions"]
    assert found["business_units"] == [
        {"sf_id": MARKETING_UNIT, "name": "Demo Marketing"}
    ]
    page = admin_client.get("/setup/runs/%s/extension/" % run.pk)
    assert b"Import" in page.content
    admin_client.post(
        "/setup/runs/%s/extension/adopt/" % run.pk,
        {"check": listing.pk, "sf_id": existing["extension"]},
    )
    run.refresh_from_db()
    assert [t["api_name"] for t in run.activity_types] == ["Registered"]
    assert run.business_unit_ids == [MARKETING_UNIT]

    run = _finish(admin_client, run)

    assert run.status == SetupRun.Status.SUCCEEDED
    records = org_records(sf, connected_org)
    assert len(records["extensions"]) == 1
    assert len(records["activity_types"]) == 1
    assert Assignment.objects.get().business_unit.sf_id == MARKETING_UNIT
    assert set(run.records.values_list("result", flat=True)) <= {
        "existing",
        "changed",
    }
