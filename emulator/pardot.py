"""Account Engagement API v5: sending and reading external activities.

Every call needs a live token with the ``pardot_api`` scope and a
``Pardot-Business-Unit-Id`` header naming one of the token's org's business
units. Errors are ``{"code": n, "message": "..."}``.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

from emulator import clock, identity, seed
from emulator.messages import Request, Response, json_response
from emulator.sessions import bearer_token, session_for
from emulator.state import State

MESSAGES = {
    66: (
        "You have exceeded your concurrent request limit. "
        "Please wait, before trying again"
    ),
    122: "Daily API rate limit met",
    150: "Input needs to be valid JSON",
    151: "Unsupported content-type",
    152: "Request body can't be empty",
    153: "Missing required property in request",
    154: "Invalid property in request",
    180: "One or more of the specified fields are invalid",
    181: "A required header is missing",
    184: "access_token is invalid, unknown, or malformed",
    192: "Object specified does not exist",
    198: "Endpoint not found.",
    201: (
        "Business Unit specified in Pardot-Business-Unit-Id header "
        "not found or inactive."
    ),
}
# Choice: the documentation gives no HTTP status per code; these follow the
# reference's suggested mapping.
STATUSES = {66: 429, 122: 429, 184: 401, 192: 404, 198: 404}

REQUIRED = ("extension", "type", "email", "value")
PROPERTIES = (*REQUIRED, "activityDate")
FIELDS = (*PROPERTIES, "id", "createdAt", "updatedAt")
ORDERABLE = ("id", "createdAt", "activityDate")
TIME_FILTERS = {
    "createdAtAfter": lambda created, bound: created > bound,
    "createdAtAfterOrEqualTo": lambda created, bound: created >= bound,
    "createdAtBefore": lambda created, bound: created < bound,
    "createdAtBeforeOrEqualTo": lambda created, bound: created <= bound,
}
TEXT_FILTERS = ("email", "extension", "type")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class PardotError(Exception):
    def __init__(self, code: int, detail: str | None = None) -> None:
        super().__init__(detail or MESSAGES[code])
        self.code = code
        self.detail = detail

    def response(self) -> Response:
        message = MESSAGES[self.code]
        if self.detail:
            message = f"{message}: {self.detail}"
        payload = {"code": self.code, "message": message}
        return json_response(STATUSES.get(self.code, 400), payload)


def handle(state: State, request: Request, activity_id: str | None = None) -> Response:
    stats = state.runtime.stats
    try:
        if request.method == "POST" and activity_id is None:
            stats["pardot_posts"] += 1
            response = _create(state, request)
            stats["pardot_posts_accepted"] += 1
            return response
        if request.method == "GET":
            stats["pardot_reads"] += 1
            if activity_id is None:
                return _query(state, request)
            return _read(state, request, activity_id)
        raise PardotError(198)
    except PardotError as error:
        return error.response()


def not_found(state: State, request: Request) -> Response:
    return PardotError(198).response()


def _business_unit(state: State, request: Request) -> dict[str, Any]:
    """Check the token, the header and the daily limit; return the unit."""
    session = session_for(state, bearer_token(request))
    # Choice: a missing Authorization header is 184 too, not 196.
    if session is None or "pardot_api" not in session.scopes:
        raise PardotError(184)
    unit_id = (request.headers.get("Pardot-Business-Unit-Id") or "").strip()
    if not unit_id:
        raise PardotError(181, "Pardot-Business-Unit-Id")
    unit = state.find("PardotTenant", session.org["Id"], unit_id)
    if unit is None or unit["CreationStatus"] != "Created":
        raise PardotError(201)
    _count_daily_call(state, unit["Id"])
    return unit


def _count_daily_call(state: State, unit_id: str) -> None:
    # Choice: the day ends at midnight UTC, and every call that names a
    # known business unit counts, even one refused later on.
    today = clock.utc_day(clock.now())
    usage = state.data["daily_usage"].get(unit_id)
    if not usage or usage["day"] != today:
        usage = {"day": today, "count": 0}
    if usage["count"] >= state.settings["daily_limit"]:
        raise PardotError(122)
    usage["count"] += 1
    state.data["daily_usage"][unit_id] = usage


def _create(state: State, request: Request) -> Response:
    unit = _business_unit(state, request)
    body = _body(request)
    _check_properties(body)
    _check_setup(state, unit, body["extension"], body["type"])

    now = clock.iso_datetime(clock.now())
    activity = {
        "id": seed.next_number(state.data, "external_activity"),
        **{name: body[name] for name in REQUIRED},
        # Choice: activityDate is kept exactly as sent; "now" when left out.
        "activityDate": body.get("activityDate") or now,
        "createdAt": now,
        "updatedAt": now,
        "_unit": unit["Id"],
    }
    state.data["external_activities"].append(activity)
    status = state.settings["external_activity_success_status"]
    # Choice: 200 and 201 carry the stored activity; other 2xx carry nothing.
    if status in (200, 201):
        return json_response(status, _shown(activity, FIELDS))
    return Response(status)


def _body(request: Request) -> dict[str, Any]:
    content_type = (request.headers.get("Content-Type") or "").split(";")[0]
    if content_type.strip().lower() != "application/json":
        raise PardotError(151)
    if not request.body.strip():
        raise PardotError(152)
    try:
        body = request.json()
    except ValueError as error:
        raise PardotError(150) from error
    if not isinstance(body, dict):
        raise PardotError(150)
    return body


def _check_properties(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - set(PROPERTIES))
    if unknown:
        raise PardotError(154, f"unknown property {unknown[0]}")
    # Choice: an empty string counts as missing.
    missing = [name for name in REQUIRED if body.get(name) in (None, "")]
    if missing:
        raise PardotError(153, ", ".join(missing))
    for name in PROPERTIES:
        if name in body and not isinstance(body[name], str):
            raise PardotError(154, f"{name} must be a string")
    if len(body["value"]) > 100:
        raise PardotError(154, "value is longer than 100 characters")
    if not _EMAIL.fullmatch(body["email"]):
        raise PardotError(154, "email is not a valid email address")
    if "activityDate" in body and _datetime(body["activityDate"]) is None:
        raise PardotError(154, "activityDate must be ISO 8601 with an offset")


def _check_setup(
    state: State, unit: dict[str, Any], extension_name: str, type_name: str
) -> None:
    # Choice: the documentation names no codes for these, so each is 154
    # with its own message. Names match exactly, case included.
    org_id = unit["_org"]
    extension = _by_name(
        state.org_records("MarketingAppExtension", org_id), extension_name
    )
    if extension is None:
        raise PardotError(154, f"extension {extension_name} does not exist")
    if not extension["IsActive"]:
        raise PardotError(154, f"extension {extension_name} is not active")
    types = [
        t
        for t in state.org_records("MarketingAppExtActivity", org_id)
        if t["MarketingAppExtensionId"] == extension["Id"]
    ]
    activity_type = _by_name(types, type_name)
    if activity_type is None:
        detail = f"type {type_name} does not exist in extension {extension_name}"
        raise PardotError(154, detail)
    if not activity_type["IsActive"]:
        raise PardotError(154, f"type {type_name} is not active")
    assigned = any(
        a["MarketingAppExtensionId"] == extension["Id"] and a["ParentId"] == unit["Id"]
        for a in state.org_records("MarketingAppExtAssignment", org_id)
    )
    if not assigned:
        detail = f"extension {extension_name} is not assigned to this business unit"
        raise PardotError(154, detail)


def _by_name(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["DeveloperName"] == name), None)


def _read(state: State, request: Request, activity_id: str) -> Response:
    unit = _business_unit(state, request)
    fields = _fields(request.param("fields"))
    found = next(
        (
            a
            for a in state.data["external_activities"]
            if str(a["id"]) == activity_id and a["_unit"] == unit["Id"]
        ),
        None,
    )
    if found is None:
        raise PardotError(192)
    return json_response(200, _shown(found, fields))


def _query(state: State, request: Request) -> Response:
    unit = _business_unit(state, request)
    params = {key: values[0] for key, values in request.query.items()}
    offset = 0
    if "nextPageToken" in params:
        # Choice: the token carries the first page's parameters; any others
        # sent with it are ignored.
        params, offset = _decode_page_token(params["nextPageToken"])
    fields = _fields(params.get("fields"))
    # Choice: unknown parameters are refused (154) rather than ignored.
    unknown = set(params) - {"fields", "limit", "orderBy", *TIME_FILTERS, *TEXT_FILTERS}
    if unknown:
        raise PardotError(154, f"unknown parameter {sorted(unknown)[0]}")
    limit = _limit(params.get("limit"))
    rows = [a for a in state.data["external_activities"] if a["_unit"] == unit["Id"]]
    rows = _sorted(_filtered(rows, params), params.get("orderBy"))

    page = rows[offset : offset + limit]
    payload: dict[str, Any] = {
        "values": [_shown(a, fields) for a in page],
        "nextPageToken": None,
        "nextPageUrl": None,
    }
    if offset + limit < len(rows):
        token = _encode_page_token(params, offset + limit)
        payload["nextPageToken"] = token
        payload["nextPageUrl"] = (
            f"{request.base_url}/api/v5/external-activities?nextPageToken={token}"
        )
    return json_response(200, payload)


def _fields(value: str | None) -> list[str]:
    # Choice: fields is required, as for the other v5 reads; 400 code 180.
    if not value:
        raise PardotError(180, "the fields parameter is required")
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in FIELDS]
    if unknown or not names:
        raise PardotError(180, ", ".join(unknown) or value)
    return names


def _limit(value: str | None) -> int:
    if value is None:
        return 200
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise PardotError(154, "limit must be a number from 1 to 1000")
    return int(value)


def _filtered(rows: list[dict[str, Any]], params: dict[str, str]) -> list[dict]:
    for name in TEXT_FILTERS:
        if name in params:
            wanted = params[name].lower()
            rows = [r for r in rows if r[name].lower() == wanted]
    for name, test in TIME_FILTERS.items():
        if name in params:
            bound = _datetime(params[name])
            if bound is None:
                raise PardotError(154, f"{name} must be ISO 8601 with an offset")
            rows = [r for r in rows if test(_datetime(r["createdAt"]), bound)]
    return rows


def _sorted(rows: list[dict[str, Any]], order_by: str | None) -> list[dict]:
    name, _, direction = (order_by or "id").strip().partition(" ")
    direction = direction.strip().lower() or "asc"
    if name not in ORDERABLE or direction not in ("asc", "desc"):
        raise PardotError(154, f"orderBy must be one of {', '.join(ORDERABLE)}")
    key = (lambda r: r["id"]) if name == "id" else (lambda r: _datetime(r[name]))
    return sorted(rows, key=key, reverse=direction == "desc")


def _shown(activity: dict[str, Any], fields: list[str] | tuple[str, ...]) -> dict:
    return {name: activity[name] for name in fields}


def _datetime(text: str) -> datetime | None:
    """The moment in ISO 8601 text, or None unless it has an offset."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _encode_page_token(params: dict[str, str], offset: int) -> str:
    raw = json.dumps({"params": params, "offset": offset}).encode("utf-8")
    return identity.b64url(raw)


def _decode_page_token(token: str) -> tuple[dict[str, str], int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
        return dict(decoded["params"]), int(decoded["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise PardotError(154, "nextPageToken is not valid") from error
