"""Small helpers shared by the submission tests."""

from datetime import UTC, datetime

from activity.models import Source, Submission
from activity.services import submission_create

DEFAULT_DATE = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def submit(setup: dict, *, email="jane@example.com", value="Spring webinar", **extra):
    """A test-form submission through the service every path uses."""
    fields = {
        "org": setup["org"],
        "business_unit": setup["business_unit"],
        "extension": setup["extension"],
        "activity_type": setup["activity_type"],
        "email": email,
        "value": value,
        "activity_date": DEFAULT_DATE,
        "source": Source.TEST_FORM,
        "actor": None,
    }
    fields.update(extra)
    return submission_create(**fields)


def make_rows(setup: dict, count: int, **fields) -> list[Submission]:
    """Log rows written directly, for pages and filters (nothing is sent)."""
    base = {
        "org": setup["org"],
        "business_unit": setup["business_unit"],
        "extension": setup["extension"],
        "activity_type": setup["activity_type"],
        "business_unit_sf_id": setup["business_unit"].sf_id,
        "extension_name": setup["extension"].api_name,
        "type_name": setup["activity_type"].api_name,
        "activity_date": DEFAULT_DATE,
        "source": Source.TEST_FORM,
        "status": "succeeded",
        "fingerprint": "x",
        "value": "Spring webinar",
    }
    base.update(fields)
    email = base.pop("email", None)
    rows = [
        Submission(email=email or "person%d@example.com" % n, **base)
        for n in range(count)
    ]
    return Submission.objects.bulk_create(rows)
