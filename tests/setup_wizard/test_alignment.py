"""Bringing the mirror in line with a drift check, on the database alone."""

from datetime import UTC, datetime

import pytest

from activity.models import Source, Submission
from salesforce.models import ActivityType, BusinessUnit, Extension
from setup_wizard import alignment

pytestmark = pytest.mark.django_db


def test_an_extension_gone_from_salesforce_is_forgotten_and_its_history_kept(org):
    unit = BusinessUnit.objects.create(org=org, sf_id="0Uv000000000001AAA", name="BU")
    extension = Extension.objects.create(
        org=org, sf_id="1Me000000000001AAA", api_name="Webinar", label="Webinar"
    )
    activity_type = ActivityType.objects.create(
        org=org,
        extension=extension,
        sf_id="1Ma000000000001AAA",
        api_name="Registered",
        label="Registered",
    )
    sent = Submission.objects.create(
        org=org,
        business_unit=unit,
        extension=extension,
        activity_type=activity_type,
        business_unit_sf_id=unit.sf_id,
        extension_name="Webinar",
        type_name="Registered",
        email="jane@example.com",
        value="Spring webinar",
        activity_date=datetime(2026, 5, 1, tzinfo=UTC),
        source=Source.TEST_FORM,
        fingerprint="x",
    )
    missing = {"object": "extension", "change": "missing", "sf_id": extension.sf_id}

    assert alignment.apply(org, [missing]) == 1

    assert not Extension.objects.filter(pk=extension.pk).exists()
    assert not ActivityType.objects.filter(pk=activity_type.pk).exists()
    sent.refresh_from_db()
    assert sent.extension is None and sent.activity_type is None
    assert (sent.extension_name, sent.type_name) == ("Webinar", "Registered")
