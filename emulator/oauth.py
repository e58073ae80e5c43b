"""The OAuth 2.0 web server flow: authorize, token and revoke."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from emulator import clock, identity, pages, seed
from emulator.messages import Request, Response, html_response, json_response, redirect
from emulator.sessions import (
    grant_for_refresh_token,
    new_access_token,
    new_grant,
    revoke_token,
    rotate_refresh_token,
)
from emulator.state import State

PENDING_MAX_AGE = 3600


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    def response(self) -> Response:
        payload = {"error": self.error, "error_description": self.description}
        return json_response(400, payload)


def authorize(state: State, request: Request) -> Response:
    if request.method == "POST":
        return _decide(state, request)
    if request.param("client_id") != state.app.client_id:
        return _error_page("invalid_client_id", "client identifier invalid")
    redirect_uri = request.param("redirect_uri") or ""
    # Choice: any http(s) URL counts as the app's registered callback; the
    # token call must then send exactly the same one.
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _error_page("redirect_uri_mismatch", "redirect_uri is missing")

    pending = _pending_request(state, request, redirect_uri)
    # Choice: once the callback is known, request errors go back to it, and
    # S256 is the only PKCE method.
    if request.param("response_type") != "code":
        return _callback(pending, error="unsupported_response_type")
    if pending["code_challenge"] and pending["code_challenge_method"] != "S256":
        return _callback(pending, error="invalid_request")
    # Forget stale login requests and codes on every authorize, whether or
    # not the consent page is shown.
    _purge_pending(state)
    if state.settings["auto_approve"]:
        return _approve(state, pending, _hinted_user(state, request))

    request_id = secrets.token_urlsafe(16)
    state.data["pending"][request_id] = pending
    users = list(state.records("User").values())
    orgs = {o["Id"]: o["Name"] for o in state.records("Organization").values()}
    page = pages.consent(
        state.app.name,
        pending["scopes"],
        users,
        orgs,
        request_id,
        _hinted_user(state, request)["Id"],
    )
    return html_response(200, page)


def token(state: State, request: Request) -> Response:
    try:
        payload = _token(state, request)
    except OAuthError as error:
        state.runtime.stats["token_errors"] += 1
        return error.response()
    return json_response(200, payload)


def revoke(state: State, request: Request) -> Response:
    value = request.form().get("token") or request.param("token")
    if not revoke_token(state, value):
        payload = {"error": "invalid_token", "error_description": "invalid token"}
        return json_response(400, payload)
    return Response(200)


def _pending_request(state: State, request: Request, redirect_uri: str) -> dict:
    # Choice: with no scope parameter the app's scopes are asked for; scopes
    # the app or the settings do not allow are dropped without an error.
    allowed = set(state.app.allowed_scopes) & set(state.settings["grantable_scopes"])
    requested = (request.param("scope") or " ".join(state.app.allowed_scopes)).split()
    challenge = request.param("code_challenge")
    return {
        "redirect_uri": redirect_uri,
        "state": request.param("state"),
        "scopes": [s for s in dict.fromkeys(requested) if s in allowed],
        "code_challenge": challenge,
        "code_challenge_method": (request.param("code_challenge_method") or "S256")
        if challenge
        else None,
        "nonce": request.param("nonce"),
        "created": clock.now(),
    }


def _hinted_user(state: State, request: Request) -> dict[str, Any]:
    # Choice: an unknown or missing login_hint falls back to the demo admin.
    hint = request.param("login_hint")
    user = state.user_by_username(hint) if hint else None
    return user or state.find("User", None, seed.ADMIN_ID)


def _decide(state: State, request: Request) -> Response:
    form = request.form()
    pending = state.data["pending"].pop(form.get("request_id", ""), None)
    if pending is None:
        return _error_page("invalid_request", "this login request is unknown")
    if form.get("decision") != "allow":
        return _callback(pending, error="access_denied")
    user = state.find("User", None, form.get("user_id"))
    if user is None:
        return _error_page("invalid_request", "choose a user to log in as")
    return _approve(state, pending, user)


def _approve(state: State, pending: dict, user: dict[str, Any]) -> Response:
    code = secrets.token_urlsafe(32)
    expires_at = clock.now() + state.settings["code_lifetime_seconds"]
    entry = {**pending, "user_id": user["Id"], "expires_at": expires_at}
    state.data["codes"][code] = entry
    return _callback(pending, code=code)


_ERROR_WORDS = {
    "access_denied": "end-user denied authorization",
    "unsupported_response_type": "response type not supported",
    "invalid_request": "code_challenge_method must be S256",
}


def _callback(
    pending: dict, *, code: str | None = None, error: str | None = None
) -> Response:
    params = {"code": code} if code else {"error": error}
    if error:
        params["error_description"] = _ERROR_WORDS[error]
    if pending["state"] is not None:
        params["state"] = pending["state"]
    uri = pending["redirect_uri"]
    separator = "&" if urlsplit(uri).query else "?"
    return redirect(uri + separator + urlencode(params))


def _error_page(code: str, description: str) -> Response:
    return html_response(400, pages.error(code, description))


def _purge_pending(state: State) -> None:
    oldest = clock.now() - PENDING_MAX_AGE
    for table in (state.data["pending"], state.data["codes"]):
        for key in [k for k, v in table.items() if v["created"] < oldest]:
            del table[key]


def _token(state: State, request: Request) -> dict[str, Any]:
    form = request.form()
    grant_type = form.get("grant_type")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    _check_client(state, request, form)
    if grant_type == "authorization_code":
        payload = _exchange_code(state, request, form)
    else:
        payload = _refresh(state, request, form)
    state.runtime.stats["token_grants"][grant_type] += 1
    return payload


def _check_client(state: State, request: Request, form: dict[str, str]) -> None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except ValueError as error:
            raise OAuthError("invalid_client", "invalid client credentials") from error
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)
    if client_id != state.app.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    # Choice: the secret is always required, PKCE or not.
    expected = state.app.client_secret.encode("utf-8")
    if not hmac.compare_digest((secret or "").encode("utf-8"), expected):
        raise OAuthError("invalid_client", "invalid client credentials")


def _exchange_code(
    state: State, request: Request, form: dict[str, str]
) -> dict[str, Any]:
    # Choice: a code is used up by any exchange that names it, even one that
    # fails, so a client cannot probe it.
    entry = state.data["codes"].pop(form.get("code", ""), None)
    if entry is None:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if clock.now() > entry["expires_at"]:
        raise OAuthError("invalid_grant", "expired authorization code")
    if form.get("redirect_uri") != entry["redirect_uri"]:
        raise OAuthError(
            "redirect_uri_mismatch", "redirect_uri must match configuration"
        )
    _check_verifier(entry["code_challenge"], form.get("code_verifier"))
    user = state.find("User", None, entry["user_id"])
    grant = new_grant(state, user, entry["scopes"])
    return token_payload(
        state,
        request.base_url,
        grant,
        refresh_token=grant["refresh_token"],
        nonce=entry["nonce"],
    )


def _check_verifier(challenge: str | None, verifier: str | None) -> None:
    # Choice: a verifier sent for a code issued without a challenge is ignored.
    if not challenge:
        return
    if not verifier:
        raise OAuthError("invalid_grant", "code_verifier is required")
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = identity.b64url(digest)
    if not hmac.compare_digest(computed, challenge):
        raise OAuthError("invalid_request", "invalid code verifier")


def _refresh(state: State, request: Request, form: dict[str, str]) -> dict[str, Any]:
    grant = grant_for_refresh_token(state, form.get("refresh_token"))
    if grant is None:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    user = state.find("User", None, grant["user_id"])
    if not user or not user["IsActive"]:
        raise OAuthError("invalid_grant", "authentication failure")
    new_refresh = None
    if state.settings["rotate_refresh_tokens"]:
        new_refresh = rotate_refresh_token(grant)
    state.runtime.stats["refreshes"] += 1
    return token_payload(state, request.base_url, grant, refresh_token=new_refresh)


def token_payload(
    state: State,
    base_url: str,
    grant: dict[str, Any],
    *,
    refresh_token: str | None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """The token endpoint's answer, with a new access token for the grant."""
    issued_at = str(int(clock.now() * 1000))
    identity_url = identity.identity_url(base_url, grant["org_id"], grant["user_id"])
    key = state.app.client_secret.encode("utf-8")
    mac = hmac.new(key, (identity_url + issued_at).encode("utf-8"), hashlib.sha256)
    payload = {"access_token": new_access_token(state, grant)}
    if refresh_token:
        payload["refresh_token"] = refresh_token
    payload.update(
        {
            "signature": base64.b64encode(mac.digest()).decode("ascii"),
            "scope": " ".join(grant["scopes"]),
            "instance_url": base_url,
            "id": identity_url,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
    )
    if "openid" in grant["scopes"]:
        payload["id_token"] = identity.id_token(state, base_url, grant, nonce)
    return payload
