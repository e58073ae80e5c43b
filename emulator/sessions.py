"""OAuth grants and their tokens: issuing, checking, expiring and revoking.

A grant is one user's consent to the app with a set of scopes. It holds at
most one refresh token; every access token points at its grant, so revoking
the refresh token takes its access tokens with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from emulator import clock
from emulator.messages import Request
from emulator.state import State

REFRESH_SCOPES = frozenset({"refresh_token", "offline_access"})


@dataclass
class Session:
    user: dict[str, Any]
    org: dict[str, Any]
    scopes: frozenset[str]


def bearer_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer`` (or ``OAuth``), if any."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def new_grant(state: State, user: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
    grant = {
        "id": secrets.token_hex(8),
        "user_id": user["Id"],
        "org_id": user["_org"],
        "scopes": scopes,
        "refresh_token": None,
        "created": clock.now(),
    }
    if REFRESH_SCOPES & set(scopes):
        grant["refresh_token"] = _refresh_token_value()
    state.data["grants"][grant["id"]] = grant
    return grant


def new_access_token(state: State, grant: dict[str, Any]) -> str:
    tokens = state.data["access_tokens"]
    # Forget expired tokens so a long demo does not grow without end; an
    # unknown token is refused just as an expired one is.
    oldest = clock.now() - state.settings["token_lifetime_seconds"]
    for stale in [t for t, e in tokens.items() if e["issued_at"] <= oldest]:
        del tokens[stale]
    # Salesforce's shape: the 15-character org id, "!", then random text.
    token = f"{grant['org_id'][:15]}!{secrets.token_urlsafe(48)}"
    tokens[token] = {"grant": grant["id"], "issued_at": clock.now()}
    return token


def rotate_refresh_token(grant: dict[str, Any]) -> str:
    grant["refresh_token"] = _refresh_token_value()
    return grant["refresh_token"]


def session_for(state: State, token: str | None) -> Session | None:
    """The live session of an access token, or None if unknown or expired."""
    entry = state.data["access_tokens"].get(token or "")
    if entry is None:
        return None
    # Choice: the lifetime runs from issue, not from last use, and a change
    # of the setting applies to tokens already issued.
    if clock.now() - entry["issued_at"] >= state.settings["token_lifetime_seconds"]:
        return None
    grant = state.data["grants"].get(entry["grant"])
    user = grant and state.find("User", None, grant["user_id"])
    if not user or not user["IsActive"]:
        return None
    org = state.find("Organization", None, user["_org"])
    return Session(user, org, frozenset(grant["scopes"]))


def grant_for_refresh_token(state: State, token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    grants = state.data["grants"].values()
    return next((g for g in grants if g["refresh_token"] == token), None)


def revoke_token(state: State, token: str | None) -> bool:
    """Revoke an access token, or a refresh token with its access tokens.

    Choice: revoked tokens are forgotten, so revoking one twice is refused
    the second time as an unknown token.
    """
    if token and state.data["access_tokens"].pop(token, None):
        return True
    grant = grant_for_refresh_token(state, token)
    if grant is None:
        return False
    _revoke_grant(state, grant)
    return True


def revoke_grants(state: State, user_id: str | None = None) -> int:
    grants = [
        g for g in state.data["grants"].values() if user_id in (None, g["user_id"])
    ]
    for grant in grants:
        _revoke_grant(state, grant)
    return len(grants)


def expire_access_tokens(state: State, user_id: str | None = None) -> int:
    expired = 0
    for entry in state.data["access_tokens"].values():
        grant = state.data["grants"].get(entry["grant"])
        if grant and user_id in (None, grant["user_id"]) and entry["issued_at"]:
            entry["issued_at"] = 0
            expired += 1
    return expired


def _revoke_grant(state: State, grant: dict[str, Any]) -> None:
    del state.data["grants"][grant["id"]]
    tokens = state.data["access_tokens"]
    for token in [t for t, e in tokens.items() if e["grant"] == grant["id"]]:
        del tokens[token]


def _refresh_token_value() -> str:
    return "5Aep861" + secrets.token_urlsafe(64)
