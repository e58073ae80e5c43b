"""What the emulator's tests share: a running emulator, the OAuth dance and
short ways to call the APIs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.emulator import Emulator

ADMIN = "admin@demo.example"
INTEGRATION = "integration@demo.example"
ADMIN_ID = "005000000000001AAA"
ORG_ID = "00D000000000001EAA"
MARKETING_UNIT = "0Uv000000000001AAA"
SALES_UNIT = "0Uv000000000002AAA"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPES = "api pardot_api refresh_token id openid"
VERSION = "v60.0"
TIMEOUT = 10


def emulator_fixtures(*args: str, **options: Any) -> tuple[Any, Any]:
    """Two fixtures: one emulator process per module, reset before each test.

    Use as ``emulator_process, emulator = emulator_fixtures()`` at module level.
    """

    @pytest.fixture(scope="module")
    def emulator_process():
        process = Emulator.start(*args, **options)
        yield process
        process.stop()

    @pytest.fixture
    def emulator(emulator_process):
        emulator_process.reset()
        return emulator_process

    return emulator_process, emulator


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize(emulator: Emulator, **params: str) -> requests.Response:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "state": "s-1",
        **params,
    }
    return requests.get(
        emulator.url + "/services/oauth2/authorize",
        params={k: v for k, v in query.items() if v is not None},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def callback_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}


def token_call(emulator: Emulator, **form: str) -> requests.Response:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    return requests.post(
        emulator.url + "/services/oauth2/token",
        data={k: v for k, v in data.items() if v is not None},
        timeout=TIMEOUT,
    )


def code_for(emulator: Emulator, challenge: str | None = None, **params: str) -> str:
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return callback_params(authorize(emulator, **params))["code"]


def login(emulator: Emulator, user: str = ADMIN, scope: str = SCOPES) -> dict:
    """The whole code flow with PKCE; the token response's JSON."""
    verifier, challenge = pkce_pair()
    code = code_for(emulator, challenge, login_hint=user, scope=scope)
    response = token_call(
        emulator,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    return response.json()


def tooling(
    emulator: Emulator,
    token: str,
    method: str,
    path: str,
    version: str = VERSION,
    **kwargs: Any,
) -> requests.Response:
    url = f"{emulator.url}/services/data/{version}/tooling/{path}"
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)


def tooling_query(
    emulator: Emulator, token: str, soql: str, version: str = VERSION
) -> requests.Response:
    return tooling(emulator, token, "GET", "query/", version, params={"q": soql})


def create(emulator: Emulator, token: str, obj: str, **fields: Any) -> str:
    response = tooling(emulator, token, "POST", f"sobjects/{obj}/", json=fields)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def error_code(response: requests.Response) -> str:
    return response.json()[0]["errorCode"]


def ready_extension(
    emulator: Emulator,
    token: str,
    extension: str = "Webinar_Service",
    activity_type: str = "Registered",
    unit: str = MARKETING_UNIT,
) -> dict[str, str]:
    """An active extension with one active type, assigned to the unit."""
    extension_id = create(
        emulator,
        token,
        "MarketingAppExtension",
        DeveloperName=extension,
        MasterLabel=extension.replace("_", " "),
        IsActive=True,
    )
    type_id = create(
        emulator,
        token,
        "MarketingAppExtActivity",
        DeveloperName=activity_type,
        MasterLabel=activity_type,
        MarketingAppExtensionId=extension_id,
        IsActive=True,
    )
    assignment_id = create(
        emulator,
        token,
        "MarketingAppExtAssignment",
        MarketingAppExtensionId=extension_id,
        ParentId=unit,
    )
    return {"extension": extension_id, "type": type_id, "assignment": assignment_id}


def activity(**overrides: Any) -> dict[str, Any]:
    body = {
        "extension": "Webinar_Service",
        "type": "Registered",
        "email": "codey@example.com",
        "value": "Spring webinar",
        "activityDate": "2024-05-01T10:00:00+00:00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def post_activity(
    emulator: Emulator,
    token: str | None,
    body: Any = None,
    unit: str | None = MARKETING_UNIT,
    **kwargs: Any,
) -> requests.Response:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if unit:
        headers["Pardot-Business-Unit-Id"] = unit
    if "data" not in kwargs:
        kwargs["json"] = activity() if body is None else body
    return requests.post(
        emulator.url + "/api/v5/external-activities",
        headers=headers | kwargs.pop("headers", {}),
        timeout=TIMEOUT,
        **kwargs,
    )


def read_activities(
    emulator: Emulator,
    token: str,
    path: str = "",
    unit: str = MARKETING_UNIT,
    **params: Any,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Pardot-Business-Unit-Id": unit}
    return requests.get(
        emulator.url + "/api/v5/external-activities" + path,
        headers=headers,
        params=params,
        timeout=TIMEOUT,
    )
