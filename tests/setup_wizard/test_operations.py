"""What one progress row asks of Salesforce, counted on a stand-in client."""

import pytest

from salesforce.errors import DuplicateApiName
from salesforce.models import Extension
from setup_wizard import operations
from setup_wizard.models import RecordProgress, SetupRun

pytestmark = pytest.mark.django_db

NEW_ID = "1Me000000000001AAA"


class StandInClient:
    """Answers Tooling calls from memory and keeps what was asked."""

    def __init__(self, create_error: Exception | None = None):
        self.queries: list[str] = []
        self.creates: list[tuple[str, dict]] = []
        self.create_error = create_error

    def tooling_query(self, soql: str) -> list[dict]:
        self.queries.append(soql)
        return []

    def tooling_create(self, sobject: str, fields: dict) -> str:
        self.creates.append((sobject, fields))
        if self.create_error is not None:
            raise self.create_error
        return NEW_ID


def _create_row(org, user) -> RecordProgress:
    run = SetupRun.objects.create(
        org=org, created_by=user, status=SetupRun.Status.RUNNING
    )
    return RecordProgress.objects.create(
        run=run,
        kind=RecordProgress.Kind.EXTENSION,
        action=RecordProgress.Action.CREATE,
        api_name="Webinar_Service",
        label="Webinar Service",
    )


def test_creating_an_extension_asks_salesforce_about_its_api_name_once(org, admin_user):
    record = _create_row(org, admin_user)
    client = StandInClient()

    operations.apply(client, record)

    assert len(client.queries) == 1
    assert "Webinar_Service" in client.queries[0]
    [(sobject, fields)] = client.creates
    assert sobject == "MarketingAppExtension"
    assert fields["DeveloperName"] == "Webinar_Service"
    assert fields["MasterLabel"] == "Webinar Service"
    assert fields["IsActive"] is False
    assert (record.sf_id, record.result) == (NEW_ID, "created")
    assert record.create_sent_at is not None
    assert Extension.objects.get(org=org).sf_id == NEW_ID


def test_a_create_refused_as_a_duplicate_leaves_the_name_to_its_owner(org, admin_user):
    record = _create_row(org, admin_user)
    client = StandInClient(create_error=DuplicateApiName("taken"))

    with pytest.raises(DuplicateApiName):
        operations.apply(client, record)

    record.refresh_from_db()
    assert record.create_sent_at is None
    assert not Extension.objects.filter(org=org).exists()
