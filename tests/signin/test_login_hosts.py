"""Where the browser is sent to log in: production, sandbox or My Domain."""

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialToken
from django.urls import reverse
from requests.adapters import HTTPAdapter

from salesforce import signin
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
    """Salesforce's side of one sign-in at the transport: answers the token,
    userinfo and Organization query calls, and keeps every request sent."""

    ORG_ID = "00D5g000004XyZaEAK"
    ACCESS_TOKEN = "00D5g000004XyZa!AQ4AQFakeTokenValue"

    def __init__(self, host: str):
        self.host = host
        self.sent: list[requests.PreparedRequest] = []

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.split("?")[0]) for r in self.sent]

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self.sent.append(request)
        base = "https://%s" % self.host
        path = urlsplit(request.url).path
        if request.method == "POST" and path == "/services/oauth2/token":
            payload = {
                "access_token": self.ACCESS_TOKEN,
                "refresh_token": "5Aep861FakeRefreshTokenValue000000000",
                "instance_url": base,
                "id": base + "/id/%s/0055g00000AbCdEAAV" % self.ORG_ID,
                "scope": "api pardot_api refresh_token id openid",
                "issued_at": "1708058728442",
                "token_type": "Bearer",
            }
        elif request.method == "GET" and path == "/services/oauth2/userinfo":
            payload = {
                "user_id": "0055g00000AbCdEAAV",
                "organization_id": self.ORG_ID,
                "preferred_username": "jane@acme.example",
                "email": "jane@acme.example",
                "email_verified": True,
                "given_name": "Jane",
                "family_name": "Doe",
            }
        elif request.method == "GET" and path.endswith("/query/"):
            payload = {
                "totalSize": 1,
                "done": True,
                "records": [
                    {
                        "attributes": {
                            "type": "Organization",
                            "url": "%s/sobjects/Organization/%s"
                            % (path.removesuffix("/query/"), self.ORG_ID),
                        },
                        "Id": self.ORG_ID,
                        "Name": "Acme UAT",
                        "IsSandbox": True,
                        "OrganizationType": "Enterprise Edition",
                    }
                ],
            }
        else:
            return _json_response(
                [{"errorCode": "NOT_FOUND", "message": "not here"}], request, 404
            )
        return _json_response(payload, request)


def _json_response(
    payload, request: requests.PreparedRequest, status: int = 200
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json;charset=UTF-8"
    response.encoding = "utf-8"
    response._content = json.dumps(payload).encode()
    response.request = request
    response.url = request.url
    return response


@pytest.mark.django_db
def test_token_and_userinfo_calls_go_to_the_chosen_my_domain(
    client, choice_offered, monkeypatch, settings
):
    host = "acme--uat.sandbox.my.salesforce.com"
    fake = FakeSalesforce(host)
    # Every requests session, allauth's and the Salesforce client's, ends in
    # HTTPAdapter.send: the fake answers there, in the network's place.
    monkeypatch.setattr(
        HTTPAdapter, "send", lambda adapter, request, **kwargs: fake.send(request)
    )
    url = flows.start(client, {"environment": "my_domain", "my_domain": host})

    response = client.get(
        reverse("salesforce_callback"),
        {"code": "aPrxCode", "state": flows.query(url)["state"]},
    )

    assert response.status_code == 302
    query_url = "https://%s/services/data/v%s/query/" % (
        host,
        settings.SALESFORCE_API_VERSION,
    )
    assert fake.calls == [
        ("POST", "https://%s/services/oauth2/token" % host),
        ("GET", "https://%s/services/oauth2/userinfo" % host),
        ("GET", query_url),
    ]
    describe = fake.sent[2]
    assert describe.headers["Authorization"] == "Bearer " + fake.ACCESS_TOKEN
    soql = parse_qs(urlsplit(describe.url).query)["q"][0]
    assert "FROM Organization" in soql
    assert {"Name", "IsSandbox"} <= set(re.findall(r"\w+", soql))
    org = Org.objects.get(sf_org_id="00D5g000004XyZaEAK")
    assert org.login_url == "https://" + host
    # Name and type as the Organization query told them.
    assert org.name == "Acme UAT"
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
