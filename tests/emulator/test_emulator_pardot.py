import pytest
import requests

from tests.emulator.helpers import (
    MARKETING_UNIT,
    SALES_UNIT,
    TIMEOUT,
    activity,
    emulator_fixtures,
    post_activity,
    read_activities,
    ready_extension,
    tooling,
)

emulator_process, emulator = emulator_fixtures()

FIELDS = "id,extension,type,email,value,activityDate,createdAt"


@pytest.fixture
def token(emulator):
    return emulator.token()["access_token"]


@pytest.fixture
def setup(emulator, token):
    return ready_extension(emulator, token)


def pardot_error(response):
    return response.status_code, response.json()["code"]


def test_a_valid_activity_is_accepted_with_204_and_stored(emulator, token, setup):
    response = post_activity(emulator, token)

    assert response.status_code == 204
    assert response.content == b""
    stored = emulator.state()["external_activities"]
    assert len(stored) == 1
    assert stored[0]["email"] == "codey@example.com"
    assert stored[0]["activityDate"] == "2024-05-01T10:00:00+00:00"
    assert stored[0]["business_unit_id"] == MARKETING_UNIT
    assert stored[0]["createdAt"].endswith("+00:00")


def test_the_success_status_can_be_202(emulator, token, setup):
    emulator.settings(external_activity_success_status=202)

    assert post_activity(emulator, token).status_code == 202


def test_activity_date_defaults_to_now(emulator, token, setup):
    post_activity(emulator, token, activity(activityDate=None))

    stored = emulator.state()["external_activities"][0]
    assert stored["activityDate"] == stored["createdAt"]


def test_a_missing_token_is_184(emulator, setup):
    assert pardot_error(post_activity(emulator, None)) == (401, 184)


def test_a_token_without_pardot_api_is_184(emulator, setup):
    token = emulator.token(scopes=["api", "refresh_token"])["access_token"]

    response = post_activity(emulator, token)

    assert pardot_error(response) == (401, 184)
    assert (
        response.json()["message"] == "access_token is invalid, unknown, or malformed"
    )


def test_a_missing_business_unit_header_is_181(emulator, token, setup):
    assert pardot_error(post_activity(emulator, token, unit=None)) == (400, 181)


def test_an_unknown_business_unit_is_201(emulator, token, setup):
    response = post_activity(emulator, token, unit="0Uv000000000999AAA")

    assert pardot_error(response) == (400, 201)


def test_a_business_unit_still_being_created_is_201(emulator, token, setup):
    emulator.patch_record("PardotTenant", MARKETING_UNIT, CreationStatus="Creating")

    assert pardot_error(post_activity(emulator, token)) == (400, 201)


def test_a_business_unit_of_another_org_is_201(emulator, token, setup):
    other = emulator.add_org(
        "Other Org",
        users=[{"username": "boss@other.example", "name": "Bo Boss"}],
        business_units=[{"name": "Other Unit"}],
    )

    response = post_activity(emulator, token, unit=other["business_units"][0]["id"])

    assert pardot_error(response) == (400, 201)


def test_a_body_that_is_not_json_content_is_151(emulator, token, setup):
    response = post_activity(
        emulator, token, data="extension=x", headers={"Content-Type": "text/plain"}
    )

    assert pardot_error(response) == (400, 151)


def test_an_empty_body_is_152(emulator, token, setup):
    response = post_activity(
        emulator, token, data="", headers={"Content-Type": "application/json"}
    )

    assert pardot_error(response) == (400, 152)


def test_invalid_json_is_150(emulator, token, setup):
    response = post_activity(
        emulator, token, data="{oops", headers={"Content-Type": "application/json"}
    )

    assert pardot_error(response) == (400, 150)


@pytest.mark.parametrize("missing", ["extension", "type", "email", "value"])
def test_a_missing_required_property_is_153(emulator, token, setup, missing):
    response = post_activity(emulator, token, activity(**{missing: None}))

    assert pardot_error(response) == (400, 153)
    assert missing in response.json()["message"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"value": "x" * 101},
        {"email": "not-an-email"},
        {"activityDate": "2024-05-01T10:00:00"},
        {"activityDate": "yesterday"},
        {"value": 12},
        {"prospectId": 5},
    ],
)
def test_an_invalid_property_is_154(emulator, token, setup, overrides):
    response = post_activity(emulator, token, activity(**overrides))

    assert pardot_error(response) == (400, 154)


def test_a_value_of_exactly_100_characters_is_fine(emulator, token, setup):
    assert post_activity(emulator, token, activity(value="x" * 100)).status_code == 204


def test_an_unknown_extension_is_154_with_its_own_message(emulator, token, setup):
    response = post_activity(emulator, token, activity(extension="Nope"))

    assert pardot_error(response) == (400, 154)
    assert "extension Nope does not exist" in response.json()["message"]


def test_an_inactive_extension_is_refused(emulator, token, setup):
    emulator.patch_record("MarketingAppExtension", setup["extension"], IsActive=False)

    response = post_activity(emulator, token)

    assert pardot_error(response) == (400, 154)
    assert "is not active" in response.json()["message"]


def test_an_unknown_type_is_refused(emulator, token, setup):
    response = post_activity(emulator, token, activity(type="Attended"))

    assert pardot_error(response) == (400, 154)
    assert "type Attended does not exist" in response.json()["message"]


def test_an_inactive_type_is_refused(emulator, token, setup):
    tooling(
        emulator,
        token,
        "PATCH",
        f"sobjects/MarketingAppExtActivity/{setup['type']}",
        json={"IsActive": False},
    )

    response = post_activity(emulator, token)

    assert "type Registered is not active" in response.json()["message"]


def test_an_extension_not_assigned_to_the_unit_is_refused(emulator, token, setup):
    response = post_activity(emulator, token, unit=SALES_UNIT)

    assert pardot_error(response) == (400, 154)
    assert "not assigned" in response.json()["message"]


def test_removing_the_assignment_stops_submissions(emulator, token, setup):
    emulator.delete_record("MarketingAppExtAssignment", setup["assignment"])

    assert "not assigned" in post_activity(emulator, token).json()["message"]


def test_the_daily_limit_is_122_until_reset(emulator, token, setup):
    emulator.settings(daily_limit=2)
    accepted = [post_activity(emulator, token).status_code for _ in range(2)]

    refused = post_activity(emulator, token)
    emulator.reset_daily()
    after_reset = post_activity(emulator, token)

    assert accepted == [204, 204]
    assert pardot_error(refused) == (429, 122)
    assert refused.json()["message"] == "Daily API rate limit met"
    assert after_reset.status_code == 204


def test_the_daily_limit_counts_per_business_unit(emulator, token, setup):
    ready_extension(emulator, token, extension="Other_Tool", unit=SALES_UNIT)
    emulator.settings(daily_limit=1)
    first = post_activity(emulator, token)
    limited_unit = post_activity(emulator, token)

    other_unit = post_activity(
        emulator, token, activity(extension="Other_Tool"), unit=SALES_UNIT
    )

    assert first.status_code == 204
    assert pardot_error(limited_unit) == (429, 122)
    assert other_unit.status_code == 204


def test_activities_can_be_listed_with_fields_and_filters(emulator, token, setup):
    for email in ["a@example.com", "b@example.com", "a@example.com"]:
        post_activity(emulator, token, activity(email=email))

    response = read_activities(
        emulator, token, fields=FIELDS, email="A@example.com", orderBy="createdAt desc"
    )

    body = response.json()
    assert response.status_code == 200
    assert [v["id"] for v in body["values"]] == [3, 1]
    assert set(body["values"][0]) == set(FIELDS.split(","))
    assert body["nextPageToken"] is None
    assert body["nextPageUrl"] is None


def test_listing_pages_with_next_page_url(emulator, token, setup):
    for number in range(5):
        post_activity(emulator, token, activity(value=f"v{number}"))

    first = read_activities(emulator, token, fields="id,value", limit=2).json()
    second = read_activities(
        emulator, token, nextPageToken=first["nextPageToken"]
    ).json()

    assert [v["value"] for v in first["values"]] == ["v0", "v1"]
    assert first["nextPageUrl"].startswith(
        emulator.url + "/api/v5/external-activities?"
    )
    assert [v["value"] for v in second["values"]] == ["v2", "v3"]


def test_listing_filters_by_created_time(emulator, token, setup):
    post_activity(emulator, token)
    created = emulator.state()["external_activities"][0]["createdAt"]

    same_or_after = read_activities(
        emulator, token, fields="id", createdAtAfterOrEqualTo=created
    )
    after = read_activities(emulator, token, fields="id", createdAtAfter=created)

    assert len(same_or_after.json()["values"]) == 1
    assert after.json()["values"] == []


def test_listing_is_scoped_to_the_business_unit(emulator, token, setup):
    post_activity(emulator, token)

    response = read_activities(emulator, token, unit=SALES_UNIT, fields="id")

    assert response.json()["values"] == []


def test_listing_without_fields_is_180(emulator, token, setup):
    assert pardot_error(read_activities(emulator, token)) == (400, 180)


def test_listing_with_an_unknown_field_is_180(emulator, token, setup):
    response = read_activities(emulator, token, fields="id,prospect")

    assert pardot_error(response) == (400, 180)


def test_one_activity_can_be_read_by_id(emulator, token, setup):
    post_activity(emulator, token)

    found = read_activities(emulator, token, "/1", fields="id,email,activityDate")
    missing = read_activities(emulator, token, "/99", fields="id")

    assert found.json() == {
        "id": 1,
        "email": "codey@example.com",
        "activityDate": "2024-05-01T10:00:00+00:00",
    }
    assert pardot_error(missing) == (404, 192)


def test_success_with_status_201_returns_the_activity(emulator, token, setup):
    emulator.settings(external_activity_success_status=201)

    response = post_activity(emulator, token)

    assert response.status_code == 201
    assert response.json()["id"] == 1


def test_an_unknown_pardot_path_is_198(emulator):
    response = requests.get(emulator.url + "/api/v5/objects/prospects", timeout=TIMEOUT)

    assert pardot_error(response) == (404, 198)
