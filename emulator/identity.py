"""Who the token belongs to: the userinfo endpoint, the identity URL and the
OpenID Connect id_token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from emulator import clock
from emulator.messages import Request, Response, json_response, text_response
from emulator.sessions import Session, bearer_token, session_for
from emulator.state import State

IDENTITY_SCOPES = frozenset({"id", "openid", "profile", "email"})


def identity_url(base_url: str, org_id: str, user_id: str) -> str:
    return f"{base_url}/id/{org_id}/{user_id}"


def userinfo(state: State, request: Request) -> Response:
    session = _session(state, request)
    if isinstance(session, Response):
        return session
    user, org = session.user, session.org
    payload = {
        "sub": identity_url(request.base_url, org["Id"], user["Id"]),
        "user_id": user["Id"],
        "organization_id": org["Id"],
        "preferred_username": user["Username"],
        "nickname": user["Username"].partition("@")[0],
        "name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "given_name": user["FirstName"],
        "family_name": user["LastName"],
        "zoneinfo": "Europe/London",
        "profile": f"{request.base_url}/{user['Id']}",
        "urls": _urls(request, user),
        **_common(user),
    }
    return json_response(200, payload)


def identity(state: State, request: Request, org_id: str, user_id: str) -> Response:
    session = _session(state, request)
    if isinstance(session, Response):
        return session
    user = state.find("User", session.org["Id"], user_id)
    # Choice: a token answers for any user of its own org, and for no other.
    if user is None or org_id[:15] != session.org["Id"][:15]:
        return text_response(404, "Bad_Id")
    payload = {
        "id": identity_url(request.base_url, user["_org"], user["Id"]),
        "asserted_user": user["Id"] == session.user["Id"],
        "user_id": user["Id"],
        "organization_id": user["_org"],
        "username": user["Username"],
        "nick_name": user["Username"].partition("@")[0],
        "display_name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "first_name": user["FirstName"],
        "last_name": user["LastName"],
        "timezone": "Europe/London",
        "urls": _urls(request, user),
        "last_modified_date": "2024-01-01T00:00:00.000+0000",
        **_common(user),
    }
    return json_response(200, payload)


def id_token(
    state: State, base_url: str, grant: dict[str, Any], nonce: str | None
) -> str:
    """A well-formed JWT. Choice: signed HS256 with the client secret, where
    Salesforce signs RS256 with keys published at /id/keys."""
    issued = int(clock.now())
    claims: dict[str, Any] = {
        "iss": base_url,
        "sub": identity_url(base_url, grant["org_id"], grant["user_id"]),
        "aud": state.app.client_id,
        "iat": issued,
        "exp": issued + 300,
    }
    if nonce:
        claims["nonce"] = nonce
    header = {"alg": "HS256", "typ": "JWT", "kid": "emulator"}
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    key = state.app.client_secret.encode("utf-8")
    mac = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _session(state: State, request: Request) -> Session | Response:
    token = bearer_token(request) or request.param("oauth_token")
    session = session_for(state, token)
    # Choice: a bad or expired token gets 403 with the text Bad_OAuth_Token.
    if session is None:
        return text_response(403, "Bad_OAuth_Token")
    # Choice: the identity services need one of the identity scopes.
    if not IDENTITY_SCOPES & session.scopes:
        return text_response(403, "Insufficient_Scope")
    return session


def _urls(request: Request, user: dict[str, Any]) -> dict[str, str]:
    version = request.param("version") or "{version}"
    base = request.base_url
    rest = f"{base}/services/data/v{version}/"
    return {
        "rest": rest,
        "sobjects": rest + "sobjects/",
        "query": rest + "query/",
        "tooling_rest": rest + "tooling/",
        "profile": f"{base}/{user['Id']}",
        "custom_domain": base,
    }


def _common(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "active": user["IsActive"],
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "is_app_installed": True,
    }


def _b64(payload: dict[str, Any]) -> str:
    return b64url(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def b64url(raw: bytes) -> str:
    """Base64url without the trailing "=" padding, as JWT and PKCE use it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
