import base64
import hashlib
import hmac
import re

import requests

from tests.emulator.helpers import (
    ADMIN,
    ADMIN_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    INTEGRATION,
    MARKETING_UNIT,
    ORG_ID,
    REDIRECT_URI,
    TIMEOUT,
    authorize,
    callback_params,
    code_for,
    emulator_fixtures,
    login,
    pkce_pair,
    post_activity,
    token_call,
    tooling_query,
)

emulator_process, emulator = emulator_fixtures()


def exchange(emulator, code, **form):
    fields = {"grant_type": "authorization_code", "code": code}
    fields.setdefault("redirect_uri", REDIRECT_URI)
    return token_call(emulator, **{**fields, **form})


def oauth_error(response):
    assert response.status_code == 400, response.text
    return response.json()["error"], response.json()["error_description"]


def test_code_flow_with_pkce_returns_a_salesforce_shaped_token(emulator):
    tokens = login(emulator)

    assert re.fullmatch(r"00D000000000001![\w-]{40,}", tokens["access_token"])
    assert tokens["refresh_token"]
    assert tokens["instance_url"] == emulator.url
    assert tokens["id"] == f"{emulator.url}/id/{ORG_ID}/{ADMIN_ID}"
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "api pardot_api refresh_token id openid"
    assert tokens["issued_at"].isdigit() and len(tokens["issued_at"]) == 13
    assert tokens["id_token"].count(".") == 2
    assert "expires_in" not in tokens


def test_token_signature_is_hmac_of_id_and_issued_at_keyed_by_secret(emulator):
    tokens = login(emulator)

    message = (tokens["id"] + tokens["issued_at"]).encode()
    digest = hmac.new(CLIENT_SECRET.encode(), message, hashlib.sha256).digest()
    assert tokens["signature"] == base64.b64encode(digest).decode()


def test_authorize_returns_the_state_with_the_code(emulator):
    params = callback_params(authorize(emulator, state="abc 123"))

    assert params["state"] == "abc 123"
    assert params["code"]


def test_login_hint_picks_the_user(emulator):
    tokens = login(emulator, user=INTEGRATION)

    assert tokens["id"].endswith("/005000000000002AAA")


def test_pkce_verifier_mismatch_is_invalid_request(emulator):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = code_for(emulator, challenge)

    response = exchange(emulator, code, code_verifier=other_verifier)

    assert oauth_error(response)[0] == "invalid_request"


def test_pkce_challenge_without_verifier_is_invalid_grant(emulator):
    _, challenge = pkce_pair()
    code = code_for(emulator, challenge)

    assert oauth_error(exchange(emulator, code))[0] == "invalid_grant"


def test_a_code_works_only_once(emulator):
    code = code_for(emulator)
    assert exchange(emulator, code).status_code == 200

    assert oauth_error(exchange(emulator, code)) == (
        "invalid_grant",
        "invalid authorization code",
    )


def test_an_expired_code_is_refused(emulator):
    emulator.settings(code_lifetime_seconds=0)
    code = code_for(emulator)

    assert oauth_error(exchange(emulator, code)) == (
        "invalid_grant",
        "expired authorization code",
    )


def test_a_different_redirect_uri_is_refused(emulator):
    code = code_for(emulator)

    response = exchange(emulator, code, redirect_uri=REDIRECT_URI + "/other")

    assert oauth_error(response)[0] == "redirect_uri_mismatch"


def test_a_wrong_client_secret_is_invalid_client(emulator):
    response = exchange(emulator, code_for(emulator), client_secret="wrong")

    assert oauth_error(response) == ("invalid_client", "invalid client credentials")


def test_an_unknown_client_id_is_invalid_client_id(emulator):
    response = exchange(emulator, code_for(emulator), client_id="someone-else")

    assert oauth_error(response)[0] == "invalid_client_id"


def test_client_credentials_may_come_by_http_basic(emulator):
    response = requests.post(
        emulator.url + "/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code_for(emulator),
            "redirect_uri": REDIRECT_URI,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )

    assert response.status_code == 200, response.text


def test_an_unknown_grant_type_is_unsupported(emulator):
    response = token_call(emulator, grant_type="password")

    assert oauth_error(response)[0] == "unsupported_grant_type"


def test_authorize_with_an_unknown_client_shows_an_error_page(emulator):
    response = authorize(emulator, client_id="nobody")

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "invalid_client_id" in response.text


def test_authorize_without_redirect_uri_shows_an_error_page(emulator):
    response = authorize(emulator, redirect_uri=None)

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_consent_page_lists_scopes_and_users_then_allow_gives_a_code(emulator):
    emulator.settings(auto_approve=False)

    page = authorize(emulator)
    assert page.status_code == 200
    assert "Use Account Engagement (Pardot) services" in page.text
    assert "Ivy Integration" in page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)[1]

    decision = requests.post(
        emulator.url + "/services/oauth2/authorize",
        data={
            "request_id": request_id,
            "user_id": "005000000000002AAA",
            "decision": "allow",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    params = callback_params(decision)
    tokens = exchange(emulator, params["code"]).json()
    assert params["state"] == "s-1"
    assert tokens["id"].endswith("/005000000000002AAA")


def test_deny_redirects_with_access_denied(emulator):
    emulator.settings(auto_approve=False)
    page = authorize(emulator)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)[1]

    decision = requests.post(
        emulator.url + "/services/oauth2/authorize",
        data={"request_id": request_id, "decision": "deny"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert callback_params(decision) == {
        "error": "access_denied",
        "error_description": "end-user denied authorization",
        "state": "s-1",
    }


def test_withheld_scopes_are_not_granted(emulator):
    emulator.settings(grantable_scopes=["api", "id", "openid"])

    tokens = login(emulator)

    assert tokens["scope"] == "api id openid"
    assert "refresh_token" not in tokens


def test_refresh_gives_a_new_access_token_and_no_new_refresh_token(emulator):
    tokens = login(emulator)

    refreshed = token_call(
        emulator, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()

    assert refreshed["access_token"] != tokens["access_token"]
    assert "refresh_token" not in refreshed
    assert refreshed["instance_url"] == emulator.url
    assert emulator.stats()["refreshes"] == 1


def test_with_rotation_a_refresh_returns_a_new_refresh_token_and_retires_the_old(
    emulator,
):
    emulator.settings(rotate_refresh_tokens=True)
    old = login(emulator)["refresh_token"]

    refreshed = token_call(emulator, grant_type="refresh_token", refresh_token=old)
    again = token_call(emulator, grant_type="refresh_token", refresh_token=old)

    assert refreshed.json()["refresh_token"] not in (None, old)
    assert oauth_error(again) == ("invalid_grant", "expired access/refresh token")


def test_revoking_an_access_token_ends_it(emulator):
    token = login(emulator)["access_token"]

    revoked = requests.post(
        emulator.url + "/services/oauth2/revoke", data={"token": token}, timeout=5
    )

    assert revoked.status_code == 200
    assert revoked.content == b""
    assert (
        tooling_query(emulator, token, "SELECT Id FROM PardotTenant").status_code == 401
    )


def test_revoking_a_refresh_token_ends_its_access_tokens_too(emulator):
    tokens = login(emulator)

    revoked = requests.get(
        emulator.url + "/services/oauth2/revoke",
        params={"token": tokens["refresh_token"]},
        timeout=TIMEOUT,
    )
    refresh = token_call(
        emulator, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert revoked.status_code == 200
    assert oauth_error(refresh) == ("invalid_grant", "expired access/refresh token")
    query = tooling_query(
        emulator, tokens["access_token"], "SELECT Id FROM PardotTenant"
    )
    assert query.status_code == 401


def test_revoking_an_unknown_token_is_invalid_token(emulator):
    response = requests.post(
        emulator.url + "/services/oauth2/revoke", data={"token": "nope"}, timeout=5
    )

    assert oauth_error(response)[0] == "invalid_token"


def test_userinfo_accepts_a_bearer_header(emulator):
    token = login(emulator)["access_token"]

    response = requests.get(
        emulator.url + "/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )

    info = response.json()
    assert info["user_id"] == ADMIN_ID
    assert info["organization_id"] == ORG_ID
    assert info["preferred_username"] == ADMIN
    assert info["email"] == ADMIN
    assert info["given_name"] == "Alex"
    assert info["family_name"] == "Admin"
    assert info["urls"]["custom_domain"] == emulator.url
    assert info["urls"]["tooling_rest"].endswith("/services/data/v{version}/tooling/")


def test_userinfo_accepts_the_oauth_token_parameter(emulator):
    token = login(emulator)["access_token"]

    response = requests.get(
        emulator.url + "/services/oauth2/userinfo",
        params={"oauth_token": token, "version": "60.0"},
        timeout=TIMEOUT,
    )

    assert response.json()["urls"]["rest"] == f"{emulator.url}/services/data/v60.0/"


def test_userinfo_with_a_bad_token_is_bad_oauth_token(emulator):
    response = requests.get(
        emulator.url + "/services/oauth2/userinfo",
        params={"oauth_token": "00D000000000001!nope"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 403
    assert response.text == "Bad_OAuth_Token"


def test_identity_url_describes_the_user(emulator):
    tokens = login(emulator)

    response = requests.get(
        tokens["id"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=TIMEOUT,
    )

    identity = response.json()
    assert identity["id"] == tokens["id"]
    assert identity["username"] == ADMIN
    assert identity["display_name"] == "Alex Admin"
    assert identity["organization_id"] == ORG_ID


def test_an_expired_token_gets_invalid_session_id_and_pardot_184(emulator):
    token = login(emulator)["access_token"]

    assert emulator.expire_tokens() == 1
    rest = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")
    pardot = post_activity(emulator, token, unit=MARKETING_UNIT)

    assert rest.status_code == 401
    assert rest.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert pardot.status_code == 401
    assert pardot.json()["code"] == 184


def test_tokens_expire_after_the_token_lifetime(emulator):
    token = login(emulator)["access_token"]
    assert tooling_query(emulator, token, "SELECT Id FROM PardotTenant").ok

    emulator.settings(token_lifetime_seconds=0)

    assert (
        tooling_query(emulator, token, "SELECT Id FROM PardotTenant").status_code == 401
    )


def test_expiring_one_users_tokens_leaves_the_others(emulator):
    admin = login(emulator)["access_token"]
    integration = login(emulator, user=INTEGRATION)["access_token"]

    emulator.expire_tokens(user=INTEGRATION)

    assert tooling_query(emulator, admin, "SELECT Id FROM PardotTenant").ok
    query = tooling_query(emulator, integration, "SELECT Id FROM PardotTenant")
    assert query.status_code == 401


def test_revoking_through_the_control_api_stops_refreshes(emulator):
    tokens = login(emulator)

    assert emulator.revoke_tokens(user=ADMIN) == 1
    refresh = token_call(
        emulator, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert oauth_error(refresh)[0] == "invalid_grant"


def test_a_pkce_method_other_than_s256_is_sent_back_as_invalid_request(emulator):
    response = authorize(emulator, code_challenge="abc", code_challenge_method="plain")

    assert callback_params(response)["error"] == "invalid_request"


def test_a_response_type_other_than_code_is_sent_back_to_the_callback(emulator):
    response = authorize(emulator, response_type="token")

    assert callback_params(response)["error"] == "unsupported_response_type"


def test_a_revoked_token_cannot_be_revoked_again(emulator):
    token = login(emulator)["access_token"]
    url = emulator.url + "/services/oauth2/revoke"

    first = requests.post(url, data={"token": token}, timeout=TIMEOUT)
    second = requests.post(url, data={"token": token}, timeout=TIMEOUT)

    assert first.status_code == 200
    assert oauth_error(second)[0] == "invalid_token"


def test_refresh_for_a_deactivated_user_is_an_authentication_failure(emulator):
    tokens = login(emulator, user=INTEGRATION)
    emulator.patch_record("User", "005000000000002AAA", IsActive=False)

    refresh = token_call(
        emulator, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert oauth_error(refresh) == ("invalid_grant", "authentication failure")
