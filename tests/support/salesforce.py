"""Fixtures that put the emulator in Salesforce's place for a test.

``emulator`` is one emulator process for the whole session. ``sf`` resets it
and points the console's settings at it for one test. ``connected_org`` goes
through the real OAuth code flow against the emulator (auto-approved) and
stores the resulting org, its admin and an encrypted connection, as a sign-in
would, so a test can call Salesforce straight away.
"""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from salesforce.models import Connection, Membership, Org, Role

__all__ = [
    "connected_org",
    "emulator",
    "oauth_tokens",
    "sf",
    "worker_env_extra",
]

REDIRECT_URI = "http://testserver/accounts/salesforce/login/callback/"


@pytest.fixture(scope="session")
def emulator():
    from tests.support.emulator import Emulator

    process = Emulator.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def worker_env_extra(emulator) -> dict[str, str]:
    """A worker started by the tests talks to the same emulator as the tests."""
    return {"EMULATOR_URL": emulator.url}


def _point_settings_at(settings, url: str) -> None:
    settings.SALESFORCE_LOGIN_URL = url
    settings.ACCOUNT_ENGAGEMENT_URL = url


@pytest.fixture
def sf(emulator, settings):
    """The emulator, reset to its seed, with the console's settings pointing at it."""
    emulator.reset()
    _point_settings_at(settings, emulator.url)
    return emulator


def oauth_tokens(url: str, username: str = "admin@demo.example") -> dict:
    """Run the OAuth web server flow with PKCE against the emulator; the token
    response as Salesforce sends it."""
    verifier = secrets.token_urlsafe(64)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    authorize = requests.get(
        url + "/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "demo-client-id",
            "redirect_uri": REDIRECT_URI,
            "scope": "api pardot_api refresh_token id openid",
            "state": "test",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": username,
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
    token = requests.post(
        url + "/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "demo-client-id",
            "client_secret": "demo-client-secret",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    token.raise_for_status()
    return token.json()


@pytest.fixture
def connected_org(sf, admin_user) -> Org:
    """The emulator's demo org, connected by ``admin_user`` with real tokens."""
    tokens = oauth_tokens(sf.url)
    org_id, user_id = tokens["id"].rstrip("/").split("/")[-2:]
    org = Org.objects.create(
        sf_org_id=org_id,
        name="Demo Org",
        org_type="production",
        login_url=sf.url,
        instance_url=tokens["instance_url"],
    )
    Membership.objects.filter(user=admin_user).delete()
    Membership.objects.create(user=admin_user, org=org, role=Role.ADMIN)
    connection = Connection.objects.create(
        org=org,
        user=admin_user,
        sf_user_id=user_id,
        sf_username="admin@demo.example",
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        instance_url=tokens["instance_url"],
        scopes=tokens.get("scope", ""),
    )
    org.execution_connection = connection
    org.save(update_fields=["execution_connection"])
    return org
