"""Where the browser is sent to log in: production, sandbox or My Domain."""

import base64
import hashlib
import json

import pytest
import requests
from allauth.socialaccount.models import SocialToken
from django.urls import reverse

from salesforce import signin
from salesforce.adapters import ConsoleSocialAccountAdapter
from salesforce.models import Connection, Org
from tests.signin import flows

SCOPES = {"api", "pardot_api", "refresh_token", "id", "openid"}
CALLBACK = "http://testserver/accounts/salesforce/login/callback/"


def _stashed_state(client, state_id: str) -> dict:
    return client.session["socialaccount_states"][state_id][0]


def _assert_authorize_request(client, url: str, host: str) -> None:
    assert url.startswith("https://%s/services/oauth2/authorize?" % host)
    params = flows.query(url)
    assert params["client_id"] == "demo-client-id"
    assert params["redirect_uri"] == CALLBACK
    assert params["response_type"] == "code"
    assert set(params["scope"].split()) == SCOPES
    assert params["code_challenge_method"] == "S256"
    verifier = _stashed_state(client, params["state"])["pkce_code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert params["code_challenge"] == (
        base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )


@pytest.mark.django_db
def test_production_sends_the_browser_to_login_salesforce_com_with_pkce_and_state(
    client, choice_offered
):
    url = flows.start(client, {"environment": "production"})

    _assert_authorize_request(client, url, "login.salesforce.com")


@pytest.mark.django_db
def test_sandbox_sends_the_browser_to_test_salesforce_com(client, choice_offered):
    url = flows.start(client, {"environment": "sandbox"})

    _assert_authorize_request(client, url, "test.salesforce.com")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("acme.my.salesforce.com", "acme.my.salesforce.com"),
        (
            "https://Acme--UAT.sandbox.my.salesforce.com/",
            "acme--uat.sandbox.my.salesforce.com",
        ),
        (" acme.develop.my.salesforce.com ", "acme.develop.my.salesforce.com"),
    ],
)
def test_my_domain_sends_the_browser_to_the_typed_salesforce_host(
    client, choice_offered, typed, host
):
    url = flows.start(client, {"environment": "my_domain", "my_domain": typed})

    _assert_authorize_request(client, url, host)
    assert client.session[signin.LOGIN_URL_SESSION_KEY] == "https://" + host


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "evil.example.com",
        "acme.my.salesforce.com.evil.example.com",
        "acme.my.salesforce.com/../../evil",
        "acme.my.salesforce.com:8443",
        "user@acme.my.salesforce.com",
        "http://acme.my.salesforce.com",
        "acme.lightning.force.com",
        "my.salesforce.com",
        "",
    ],
)
def test_a_host_that_is_not_a_my_domain_is_refused_on_the_sign_in_page(
    client, choice_offered, typed
):
    response = client.post(
        reverse("salesforce_login"),
        {"environment": "my_domain", "my_domain": typed},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("account_login"), 302)]
    page = response.content.decode()
    assert "My Domain" in page
    assert "such as acme.my.salesforce.com" in page
    assert "socialaccount_states" not in client.session


@pytest.mark.django_db
def test_the_sign_in_page_offers_the_choice_only_when_no_login_host_is_fixed(
    client, settings, choice_offered
):
    offered = client.get(reverse("account_login")).content.decode()
    settings.SALESFORCE_LOGIN_URL = "https://acme.my.salesforce.com"
    fixed = client.get(reverse("account_login")).content.decode()

    assert 'name="environment"' in offered
    assert 'name="my_domain"' in offered
    assert 'name="environment"' not in fixed
    assert "Log in with Salesforce" in fixed


@pytest.mark.django_db
def test_a_fixed_login_host_wins_over_whatever_is_posted(
    client, settings, choice_offered
):
    settings.SALESFORCE_LOGIN_URL = "https://acme.my.salesforce.com"

    url = flows.start(
        client, {"environment": "my_domain", "my_domain": "x.my.salesforce.com"}
    )

    _assert_authorize_request(client, url, "acme.my.salesforce.com")


@pytest.mark.django_db
def test_demo_mode_uses_the_emulator_and_shows_no_choice(client, sf):
    page = client.get(reverse("account_login")).content.decode()
    url = flows.start(client, {"environment": "sandbox"})

    assert 'name="environment"' not in page
    assert url.startswith(sf.url + "/services/oauth2/authorize?")


@pytest.mark.django_db
def test_the_query_string_cannot_change_host_scopes_or_parameters(
    client, choice_offered
):
    login = reverse("salesforce_login")
    url = flows.start(
        client,
        {"environment": "production"},
    )
    crafted = client.post(
        login
        + "?process=connect&scope=full,web&auth_params=redirect_uri%3Dhttps://evil.example"
        + "&login_url=https://evil.example",
        {"environment": "production"},
    )["Location"]

    for authorize in (url, crafted):
        params = flows.query(authorize)
        assert authorize.startswith("https://login.salesforce.com/")
        assert set(params["scope"].split()) == SCOPES
        assert params["redirect_uri"] == CALLBACK
    state = _stashed_state(client, flows.query(crafted)["state"])
    assert state["process"] == "login"


@pytest.mark.django_db
def test_signing_in_never_starts_from_a_get(client, sf):
    response = client.get(reverse("salesforce_login"))

    assert response.status_code == 200
    assert "socialaccount_states" not in client.session
    assert 'method="post"' in response.content.decode()


class FakeSalesforce:
    """Answers the token and userinfo calls of one sign-in, recording them."""

    def __init__(self, host: str):
        self.host = host
        self.calls: list[tuple[str, str]] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def request(self, method, url, **kwargs):
        self.calls.append((method, url))
        base = "https://%s" % self.host
        return _json_response(
            {
                "access_token": "00D5g000004XyZa!AQ4AQFakeTokenValue",
                "refresh_token": "5Aep861FakeRefreshTokenValue000000000",
                "instance_url": base,
                "id": base + "/id/00D5g000004XyZaEAK/0055g00000AbCdEAAV",
                "scope": "api pardot_api refresh_token id openid",
                "issued_at": "1708058728442",
                "token_type": "Bearer",
            }
        )

    def get(self, url, **kwargs):
        self.calls.append(("GET", url))
        return _json_response(
            {
                "user_id": "0055g00000AbCdEAAV",
                "organization_id": "00D5g000004XyZaEAK",
                "preferred_username": "jane@acme.example",
                "email": "jane@acme.example",
                "email_verified": True,
                "given_name": "Jane",
                "family_name": "Doe",
            }
        )


def _json_response(payload: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["content-type"] = "application/json"
    response._content = json.dumps(payload).encode()
    return response


@pytest.mark.django_db
def test_token_and_userinfo_calls_go_to_the_chosen_my_domain(
    client, choice_offered, monkeypatch
):
    host = "acme--uat.sandbox.my.salesforce.com"
    fake = FakeSalesforce(host)
    monkeypatch.setattr(
        ConsoleSocialAccountAdapter, "get_requests_session", lambda self: fake
    )
    monkeypatch.setattr(signin, "org_describe", lambda **kwargs: None)
    url = flows.start(client, {"environment": "my_domain", "my_domain": host})

    response = client.get(
        reverse("salesforce_callback"),
        {"code": "aPrxCode", "state": flows.query(url)["state"]},
    )

    assert response.status_code == 302
    assert fake.calls == [
        ("POST", "https://%s/services/oauth2/token" % host),
        ("GET", "https://%s/services/oauth2/userinfo" % host),
    ]
    org = Org.objects.get(sf_org_id="00D5g000004XyZaEAK")
    assert org.login_url == "https://" + host
    assert org.org_type == "sandbox"
    connection = Connection.objects.get(org=org)
    assert connection.instance_url == "https://" + host
    assert connection.issued_at.year == 2024
    assert not SocialToken.objects.exists()


def test_adding_another_org_offers_the_same_login_hosts(admin_client, choice_offered):
    page = admin_client.get(reverse("salesforce:add_org")).content.decode()
    refused = admin_client.post(
        reverse("salesforce:add_org"),
        {"environment": "my_domain", "my_domain": "evil.example.com"},
    )

    start = admin_client.post(reverse("salesforce:add_org"), {"environment": "sandbox"})

    assert 'value="sandbox"' in page
    assert refused.status_code == 200
    assert "is not a Salesforce My Domain host" in refused.content.decode()
    _assert_authorize_request(admin_client, start["Location"], "test.salesforce.com")
    state = _stashed_state(admin_client, flows.query(start["Location"])["state"])
    assert state["process"] == "connect"
