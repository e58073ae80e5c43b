"""The control API under /__emulator__/: JSON in and out, no authentication.

Tests and demos use it to look inside the emulator, change its settings,
inject faults and change records as an admin would in Setup.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from emulator import oauth, seed, sessions
from emulator.messages import Request, Response, json_response
from emulator.schema import OBJECTS
from emulator.state import State

# The keys a fault may set, each with the value it takes when left out.
_FAULT_DEFAULTS: dict[str, Any] = {
    "method": None,
    "path": None,
    "count": 1,
    "status": 0,
    "body": None,
    "headers": None,
    "latency_ms": 0,
    "drop": False,
}
_DELETABLE = " and ".join(n for n, s in OBJECTS.items() if "DELETE" in s.verbs)
_fault_ids = itertools.count(1)


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def handle(state: State, request: Request, rest: str) -> Response:
    for pattern, methods, endpoint in _ROUTES:
        match = pattern.fullmatch(rest.rstrip("/"))
        if match and request.method in methods:
            try:
                return endpoint(state, request, **match.groupdict())
            except ControlError as error:
                return json_response(error.status, {"error": str(error)})
        if match:
            return json_response(405, {"error": f"{request.method} is not allowed"})
    return json_response(404, {"error": "unknown control endpoint"})


def _state(state: State, request: Request) -> Response:
    data = state.data
    grants = [
        {
            "id": grant["id"],
            "user": state.find("User", None, grant["user_id"])["Username"],
            "scopes": grant["scopes"],
            "refresh_token": _mask(grant["refresh_token"]),
            "access_tokens": [
                _mask(token)
                for token, entry in data["access_tokens"].items()
                if entry["grant"] == grant["id"]
            ],
        }
        for grant in data["grants"].values()
    ]
    view = {
        "orgs": _rows(state, "Organization"),
        "users": _rows(state, "User"),
        "business_units": _rows(state, "PardotTenant"),
        "extensions": _rows(state, "MarketingAppExtension"),
        "activity_types": _rows(state, "MarketingAppExtActivity"),
        "assignments": _rows(state, "MarketingAppExtAssignment"),
        "external_activities": [_public(a) for a in data["external_activities"]],
        "grants": grants,
        "settings": state.settings,
        "counters": {
            "api_usage": data["api_usage"],
            "daily_usage": data["daily_usage"],
        },
        "faults": state.runtime.faults,
    }
    return json_response(200, view)


def _reset(state: State, request: Request) -> Response:
    state.reset()
    return json_response(200, {"reset": True})


def _settings(state: State, request: Request) -> Response:
    if request.method == "GET":
        return json_response(200, state.settings)
    try:
        return json_response(200, state.update_settings(_object_body(request)))
    except ValueError as error:
        raise ControlError(str(error)) from error


def _mint_token(state: State, request: Request) -> Response:
    body = _object_body(request)
    user = _user(state, body.get("user")) or state.find("User", None, seed.ADMIN_ID)
    scopes = body.get("scopes", list(state.app.allowed_scopes))
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ControlError("scopes must be a list of strings")
    grant = sessions.new_grant(state, user, scopes)
    payload = oauth.token_payload(
        state, request.base_url, grant, refresh_token=grant["refresh_token"]
    )
    return json_response(200, payload)


def _expire_tokens(state: State, request: Request) -> Response:
    user = _user(state, _object_body(request).get("user"))
    count = sessions.expire_access_tokens(state, user and user["Id"])
    return json_response(200, {"expired": count})


def _revoke_tokens(state: State, request: Request) -> Response:
    user = _user(state, _object_body(request).get("user"))
    count = sessions.revoke_grants(state, user and user["Id"])
    return json_response(200, {"revoked": count})


def _faults(state: State, request: Request) -> Response:
    if request.method == "DELETE":
        state.runtime.faults.clear()
    elif request.method == "POST":
        state.runtime.faults.append(_fault(_object_body(request)))
    return json_response(200, {"faults": state.runtime.faults})


def _stats(state: State, request: Request) -> Response:
    stats = {
        **state.runtime.stats,
        "max_in_flight": state.runtime.max_in_flight,
        "in_flight": {unit: n for unit, n in state.in_flight.items() if n},
    }
    return json_response(200, stats)


def _record(state: State, request: Request, name: str, record_id: str) -> Response:
    spec = OBJECTS.get(name)
    record = spec and state.find(spec.name, None, record_id)
    if record is None:
        raise ControlError(f"no {name} with id {record_id}", 404)
    if request.method == "DELETE":
        if "DELETE" not in spec.verbs:
            raise ControlError(f"only {_DELETABLE} records can be deleted")
        del state.records(name)[record["Id"]]
        return Response(204)
    # Choice: a direct change skips the API's validation, as a change made
    # in Setup would not go through the Tooling API either.
    for key, value in _object_body(request).items():
        field = spec.field(key)
        if field is None or field.name == "Id":
            raise ControlError(f"{name} has no settable field {key}")
        record[field.name] = value
    return json_response(200, _public(record))


def _add_org(state: State, request: Request) -> Response:
    body = _object_body(request)
    name, org_type = body.get("name"), body.get("org_type", "production")
    users, units = body.get("users"), body.get("business_units", [])
    if not isinstance(name, str) or not name:
        raise ControlError("name is required")
    if org_type not in seed.ORG_TYPES:
        raise ControlError(f"org_type must be one of {', '.join(seed.ORG_TYPES)}")
    if not users or not _all_dicts_with(users, "username", "name"):
        raise ControlError("users must be a non-empty list of {username, name}")
    if not isinstance(units, list) or not _all_dicts_with(units, "name"):
        raise ControlError("business_units must be a list of {name}")
    for user in users:
        if state.user_by_username(user["username"]):
            raise ControlError(f"username {user['username']} is already taken")
    created = seed.add_org(
        state.data, name=name, org_type=org_type, users=users, business_units=units
    )
    return json_response(201, created)


def _reset_daily(state: State, request: Request) -> Response:
    state.data["daily_usage"] = {}
    return json_response(200, {"daily_usage": {}})


def _fault(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - _FAULT_DEFAULTS.keys()
    if unknown:
        raise ControlError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    fault = {"id": next(_fault_ids), **_FAULT_DEFAULTS, **body}
    fault["method"] = (fault["method"] or "").upper() or None
    fault["headers"] = fault["headers"] or {}
    if not isinstance(fault["path"], str) or not fault["path"].startswith("/"):
        raise ControlError("path must start with /")
    for key, least in (("count", 1), ("status", 0), ("latency_ms", 0)):
        value = fault[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ControlError(f"{key} must be a whole number of {least} or more")
    if fault["status"] and not 100 <= fault["status"] <= 599:
        raise ControlError("status must be 0 (process normally) or 100 to 599")
    if fault["drop"] not in (False, True, "after_read"):
        raise ControlError('drop must be true, false or "after_read"')
    return fault


def _object_body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = request.json()
    except ValueError as error:
        raise ControlError("the body must be JSON") from error
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _user(state: State, username: Any) -> dict[str, Any] | None:
    if username is None:
        return None
    user = state.user_by_username(str(username))
    if user is None:
        raise ControlError(f"no user {username}")
    return user


def _all_dicts_with(items: Any, *keys: str) -> bool:
    return isinstance(items, list) and all(
        isinstance(i, dict) and all(isinstance(i.get(k), str) for k in keys)
        for i in items
    )


def _rows(state: State, object_name: str) -> list[dict[str, Any]]:
    return [_public(r) for r in state.records(object_name).values()]


_PUBLIC_NAMES = {
    "_org": "org_id",
    "_unit": "business_unit_id",
    "_org_type": "org_type",
    "_admin": "is_admin",
}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in row.items() if not k.startswith("_")}
    shown.update((_PUBLIC_NAMES[k], v) for k, v in row.items() if k in _PUBLIC_NAMES)
    return shown


def _mask(token: str | None) -> str | None:
    return token and token[:4] + "…(masked)"


_ROUTES = [
    (re.compile(r"state"), {"GET"}, _state),
    (re.compile(r"reset"), {"POST"}, _reset),
    (re.compile(r"settings"), {"GET", "POST"}, _settings),
    (re.compile(r"tokens"), {"POST"}, _mint_token),
    (re.compile(r"tokens/expire"), {"POST"}, _expire_tokens),
    (re.compile(r"tokens/revoke"), {"POST"}, _revoke_tokens),
    (re.compile(r"faults"), {"GET", "POST", "DELETE"}, _faults),
    (re.compile(r"stats"), {"GET"}, _stats),
    (
        re.compile(r"records/(?P<name>\w+)/(?P<record_id>\w+)"),
        {"POST", "DELETE"},
        _record,
    ),
    (re.compile(r"orgs"), {"POST"}, _add_org),
    (re.compile(r"daily/reset"), {"POST"}, _reset_daily),
]
