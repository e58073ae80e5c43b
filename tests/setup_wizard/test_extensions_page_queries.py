"""The Extensions page is polled every second while a change is on its way:
what it reads must not grow with the number of extensions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension
from setup_wizard.models import RecordProgress, SetupRun

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _extensions(org, count: int) -> None:
    """Extensions with two types each, assigned to the first of three units,
    so every row offers the other two; one change on its way to each."""
    units = [
        BusinessUnit.objects.create(org=org, sf_id="0Uv%015d" % n, name="BU %s" % n)
        for n in range(3)
    ]
    for n in range(count):
        extension = Extension.objects.create(
            org=org,
            sf_id="1Me%015d" % n,
            api_name="Extension_%s" % n,
            label="Extension %s" % n,
            is_active=True,
        )
        for m in range(2):
            ActivityType.objects.create(
                org=org,
                extension=extension,
                sf_id="1Ma%06d%09d" % (n, m),
                api_name="Type_%s" % m,
                label="Type %s" % m,
            )
        Assignment.objects.create(
            org=org,
            extension=extension,
            business_unit=units[0],
            sf_id="1Mg%015d" % n,
        )
        change = SetupRun.objects.create(
            org=org, kind=SetupRun.Kind.CHANGE, status="running", extension=extension
        )
        RecordProgress.objects.create(
            run=change, kind="activity_type", action="activate", api_name="Type_1"
        )


def _page_queries(client, **extra) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/setup/extensions/", **extra)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "poll"])
def test_the_extensions_page_reads_as_much_for_three_extensions_as_for_one(
    org, admin_client, extra
):
    _extensions(org, 1)
    for_one, _ = _page_queries(admin_client, **extra)
    Extension.objects.all().delete()
    BusinessUnit.objects.all().delete()
    SetupRun.objects.all().delete()
    _extensions(org, 3)

    for_three, page = _page_queries(admin_client, **extra)

    assert for_three == for_one
    # Each row still offers the units it is not assigned to, and polls on.
    assert page.count('<option value="') == 3 * 2
    assert page.count("working…") == 3
    assert 'hx-trigger="every 1s"' in page
