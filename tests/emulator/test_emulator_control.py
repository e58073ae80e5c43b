import pytest
import requests

from tests.emulator.helpers import (
    ADMIN,
    MARKETING_UNIT,
    TIMEOUT,
    create,
    emulator_fixtures,
    login,
    post_activity,
    ready_extension,
    token_call,
    tooling,
    tooling_query,
)
from tests.support.emulator import EmulatorError

emulator_process, emulator = emulator_fixtures()


def test_state_shows_the_seeded_demo_org(emulator):
    state = emulator.state()

    assert [o["Name"] for o in state["orgs"]] == ["Demo Org"]
    assert [u["Username"] for u in state["users"]] == [
        ADMIN,
        "integration@demo.example",
    ]
    assert [u["PardotTenantName"] for u in state["business_units"]] == [
        "Demo Marketing",
        "Demo Sales",
    ]
    assert state["extensions"] == []
    assert state["settings"]["max_concurrent_per_business_unit"] == 5


def test_state_masks_tokens(emulator):
    tokens = login(emulator)

    grant = emulator.state()["grants"][0]
    text = requests.get(emulator.url + "/__emulator__/state", timeout=TIMEOUT).text

    assert grant["user"] == ADMIN
    assert tokens["access_token"] not in text
    assert tokens["refresh_token"] not in text
    assert grant["refresh_token"].endswith("(masked)")


def test_reset_brings_back_the_seed_and_the_settings(emulator):
    token = emulator.token()["access_token"]
    create(emulator, token, "MarketingAppExtension", MasterLabel="Tool")
    emulator.settings(daily_limit=3)

    emulator.reset()

    assert emulator.state()["extensions"] == []
    assert emulator.settings()["daily_limit"] == 25000
    assert (
        tooling_query(emulator, token, "SELECT Id FROM PardotTenant").status_code == 401
    )


def test_settings_refuse_unknown_names_and_bad_values(emulator):
    with pytest.raises(EmulatorError, match="Unknown setting"):
        emulator.settings(colour="blue")
    with pytest.raises(EmulatorError, match="2xx"):
        emulator.settings(external_activity_success_status=500)
    with pytest.raises(EmulatorError, match="true or false"):
        emulator.settings(auto_approve="yes")


def test_a_record_can_be_changed_as_in_setup(emulator):
    token = emulator.token()["access_token"]
    extension_id = create(emulator, token, "MarketingAppExtension", MasterLabel="Tool")

    changed = emulator.patch_record(
        "MarketingAppExtension", extension_id, MasterLabel="Renamed", IsActive=True
    )
    record = tooling(
        emulator, token, "GET", f"sobjects/MarketingAppExtension/{extension_id}"
    ).json()

    assert changed["MasterLabel"] == "Renamed"
    assert record["MasterLabel"] == "Renamed"
    assert record["IsActive"] is True


def test_only_assignments_can_be_deleted_directly(emulator):
    token = emulator.token()["access_token"]
    ids = ready_extension(emulator, token)

    with pytest.raises(EmulatorError, match="only MarketingAppExtAssignment"):
        emulator.delete_record("MarketingAppExtension", ids["extension"])
    emulator.delete_record("MarketingAppExtAssignment", ids["assignment"])

    assert emulator.state()["assignments"] == []


def test_an_added_org_has_its_own_users_units_and_login(emulator):
    created = emulator.add_org(
        "Sandbox Org",
        org_type="sandbox",
        users=[{"username": "sam@sandbox.example", "name": "Sam Sandbox"}],
        business_units=[{"name": "Sandbox Unit"}],
    )

    tokens = login(emulator, user="sam@sandbox.example")
    org = tooling_query(
        emulator, tokens["access_token"], "SELECT Id, IsSandbox FROM Organization"
    ).json()["records"][0]

    assert created["org_id"].startswith("00D") and len(created["org_id"]) == 18
    assert created["business_units"][0]["id"].startswith("0Uv")
    assert tokens["access_token"].startswith(created["org_id"][:15] + "!")
    assert org["Id"] == created["org_id"]
    assert org["IsSandbox"] is True


def test_adding_an_org_with_a_taken_username_is_refused(emulator):
    with pytest.raises(EmulatorError, match="already taken"):
        emulator.add_org("Copy", users=[{"username": ADMIN, "name": "Alex Again"}])


def test_stats_count_grants_calls_and_posts(emulator):
    tokens = login(emulator)
    token_call(
        emulator, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    ready_extension(emulator, tokens["access_token"])
    post_activity(emulator, tokens["access_token"])
    post_activity(emulator, tokens["access_token"], unit="0Uv000000000999AAA")

    stats = emulator.stats()

    assert stats["token_grants"] == {"authorization_code": 1, "refresh_token": 1}
    assert stats["refreshes"] == 1
    assert stats["tooling_calls"] == 3
    assert stats["pardot_posts"] == 2
    assert stats["pardot_posts_accepted"] == 1
    assert stats["max_in_flight"][MARKETING_UNIT] == 1


def test_a_minted_token_works_like_a_real_one(emulator):
    tokens = emulator.token(user="integration@demo.example", scopes=["api", "id"])

    assert tokens["scope"] == "api id"
    assert "refresh_token" not in tokens
    assert tooling_query(emulator, tokens["access_token"], "SELECT Id FROM User").ok


def test_an_unknown_control_endpoint_is_404(emulator):
    response = requests.get(emulator.url + "/__emulator__/nothing", timeout=TIMEOUT)

    assert response.status_code == 404


def test_control_calls_do_not_count_as_api_usage(emulator):
    token = emulator.token()["access_token"]
    emulator.state()
    emulator.stats()

    response = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_a_fault_needs_a_path_and_known_keys(emulator):
    with pytest.raises(EmulatorError, match="path"):
        emulator.add_fault(status=500)
    with pytest.raises(EmulatorError, match="unknown fault keys"):
        emulator.add_fault(path="/api/", colour="red")
    with pytest.raises(EmulatorError, match="drop"):
        emulator.add_fault(path="/api/", drop="later")
