"""The test-submit form: only valid choices offered, everything checked before
anything is queued, errors next to the fields."""

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from activity.models import Submission
from activity.validation import submission_check
from salesforce.models import ActivityType, Assignment, Extension
from tests.activity.helpers import submit

URL = "/submissions/test/"


def _form(mirror, **changes):
    data = {
        "business_unit": mirror["business_unit"].pk,
        "activity": "%s:%s" % (mirror["extension"].pk, mirror["activity_type"].pk),
        "email": "jane@example.com",
        "value": "Spring webinar",
        "activity_date": "",
    }
    data.update(changes)
    return data


def test_the_form_offers_only_types_of_extensions_assigned_to_the_unit(
    admin_client, mirror
):
    unassigned = Extension.objects.create(
        org=mirror["org"], api_name="Surveys", label="Surveys", is_active=True
    )
    ActivityType.objects.create(
        org=mirror["org"], extension=unassigned, api_name="Done", label="Done"
    )

    response = admin_client.get(URL, {"business_unit": mirror["business_unit"].pk})

    assert b"Webinar Service \xc2\xb7 Registered" in response.content
    assert b"Surveys" not in response.content


def test_inactive_types_are_shown_disabled_with_the_reason(admin_client, mirror):
    ActivityType.objects.create(
        org=mirror["org"],
        extension=mirror["extension"],
        api_name="Attended",
        label="Attended",
        is_active=False,
    )

    response = admin_client.get(
        URL,
        {"business_unit": mirror["business_unit"].pk},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert 'id="activity-field"' in html
    assert "<html" not in html
    option = re.search(r"<option[^>]*>Webinar Service · Attended[^<]*", html)
    assert option and " disabled" in option.group(0)
    assert "(type inactive: activate it in Setup)" in option.group(0)


def test_a_valid_form_logs_a_queued_submission_and_shows_it(admin_client, mirror):
    response = admin_client.post(URL, _form(mirror), follow=True)

    submission = Submission.objects.get()
    assert submission.status == "queued"
    assert submission.source == "test_form"
    assert submission.sent_by_label
    assert b"Queued" in response.content
    assert b'hx-trigger="every 1s"' in response.content


def test_an_unassigned_business_unit_is_refused_next_to_the_field(admin_client, mirror):
    form = _form(mirror, business_unit=mirror["other_unit"].pk)

    response = admin_client.post(URL, form)

    assert response.status_code == 200
    assert b"is not assigned to Demo Sales. Assign it in Setup, step 4." in (
        response.content
    )
    assert not Submission.objects.exists()


def test_a_value_over_100_characters_is_refused_with_its_length(admin_client, mirror):
    response = admin_client.post(URL, _form(mirror, value="x" * 101))

    assert b"100 characters or fewer (this one has 101)" in response.content
    assert not Submission.objects.exists()


def test_an_inactive_extension_is_refused_with_the_fix(mirror):
    Extension.objects.update(is_active=False)

    with pytest.raises(ValidationError) as caught:
        submit(mirror)

    assert caught.value.error_dict["extension"][0].code == "extension_inactive"


def test_names_sent_by_the_api_are_checked_against_the_mirror(mirror):
    with pytest.raises(ValidationError) as caught:
        submission_check(
            org=mirror["org"],
            business_unit="0Uv000000000009AAA",
            extension="Nope",
            activity_type="Registered",
            email="not an email",
            value="",
            activity_date=datetime(1999, 1, 1, tzinfo=UTC),
        )

    codes = {field: e[0].code for field, e in caught.value.error_dict.items()}
    assert codes == {
        "business_unit": "business_unit_unknown",
        "extension": "extension_unknown",
        "email": "email_invalid",
        "value": "value_required",
        "activity_date": "date_too_early",
    }


def test_the_activity_date_is_sent_in_utc_to_the_second(mirror):
    moment = datetime.fromisoformat("2026-05-01T12:00:00.123456+02:00")

    submission = submit(mirror, activity_date=moment)

    assert submission.activity_date == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_an_assignment_removed_from_the_mirror_blocks_new_submissions(mirror):
    Assignment.objects.all().delete()

    with pytest.raises(ValidationError) as caught:
        submit(mirror)

    assert caught.value.error_dict["extension"][0].code == "extension_not_assigned"


def test_support_staff_cannot_open_the_test_form(support_client, mirror):
    assert support_client.get(URL).status_code == 403
    assert support_client.post(URL, _form(mirror)).status_code == 403
    assert not Submission.objects.exists()


texts = st.text(max_size=120)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    email=st.one_of(texts, st.emails()),
    value=texts,
    activity_date=st.one_of(
        texts,
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    ),
    activity=st.one_of(texts, st.just("valid")),
)
# At least one accepted input, so the contract branch always runs.
@example(
    email="jane@example.com",
    value="Spring webinar",
    activity_date="2026-05-01T10:00:00+00:00",
    activity="valid",
)
def test_any_input_gets_an_answer_and_accepted_input_meets_the_contract(
    admin_client, mirror, email, value, activity_date, activity
):
    if activity == "valid":
        activity = _form(mirror)["activity"]
    before = set(Submission.objects.values_list("pk", flat=True))
    form = _form(
        mirror, email=email, value=value, activity_date=activity_date, activity=activity
    )

    response = admin_client.post(URL, form)

    assert response.status_code in (200, 302)
    created = Submission.objects.exclude(pk__in=before)
    if response.status_code == 200:
        assert b'class="errorlist' in response.content
        assert not created.exists()
        return
    submission = created.get()
    assert 0 < len(submission.value) <= 100
    assert submission.activity_date.utcoffset() is not None
    assert submission.activity_date.isoformat().endswith("+00:00")
    assert "@" in submission.email
    assert submission.extension_name == "Webinar_Service"
    assert submission.type_name == "Registered"
