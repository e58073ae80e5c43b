"""The REST and Tooling API under /services/data/vNN.N/.

Every call needs a live access token with the ``api`` scope, counts against
the org's API usage and answers with ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator import queries, records
from emulator.messages import (
    Request,
    Response,
    SalesforceError,
    json_response,
)
from emulator.schema import OBJECTS, SObject, find_object
from emulator.sessions import Session, bearer_token, session_for
from emulator.state import State

_VERSION = re.compile(r"v(\d{2}\.\d)")
# Choice: the versions list runs from the first version with the
# MarketingApp* objects to a recent one; any vNN.N path is still served.
LISTED_VERSIONS = [f"{n}.0" for n in range(53, 67)]


@dataclass
class Call:
    state: State
    request: Request
    session: Session
    version: str
    tooling: bool

    @property
    def version_number(self) -> float:
        return float(self.version)

    @property
    def base(self) -> str:
        """The path this API surface's resources hang from."""
        surface = "/tooling" if self.tooling else ""
        return f"/services/data/v{self.version}{surface}"

    def require_method(self, allowed: set[str]) -> None:
        if self.request.method not in allowed:
            message = f"HTTP method {self.request.method} is not allowed here."
            raise _method_not_allowed(message, allowed)


def versions(state: State, request: Request) -> Response:
    listed = [
        {"label": f"API {v}", "url": f"/services/data/v{v}", "version": v}
        for v in LISTED_VERSIONS
    ]
    return json_response(200, listed)


def handle(state: State, request: Request, version: str, rest: str) -> Response:
    match = _VERSION.fullmatch(version)
    if not match:
        return _not_found().response()
    session = session_for(state, bearer_token(request))
    if session is None:
        message = "Session expired or invalid"
        return SalesforceError(401, "INVALID_SESSION_ID", message).response()

    tooling = rest == "tooling" or rest.startswith("tooling/")
    stats = state.runtime.stats
    stats["tooling_calls" if tooling else "rest_calls"] += 1
    org_id, limit = session.org["Id"], state.settings["api_request_limit"]
    used = state.data["api_usage"].get(org_id, 0)
    try:
        if used >= limit:
            message = "TotalRequests Limit exceeded."
            raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", message)
        used += 1
        state.data["api_usage"][org_id] = used
        if "api" not in session.scopes:
            # Choice: a token without the api scope gets INSUFFICIENT_ACCESS.
            message = "This session's scopes do not include api."
            raise SalesforceError(403, "INSUFFICIENT_ACCESS", message)
        call = Call(state, request, session, match.group(1), tooling)
        response = _route(call, rest.removeprefix("tooling").lstrip("/"))
    except SalesforceError as error:
        response = error.response()
    response.headers["Sforce-Limit-Info"] = f"api-usage={min(used, limit)}/{limit}"
    return response


def _route(call: Call, rest: str) -> Response:
    for pattern, endpoint in _ROUTES:
        match = pattern.fullmatch(rest)
        if match:
            return endpoint(call, **match.groupdict())
    raise _not_found()


def _resources(call: Call) -> Response:
    links = {"query": f"{call.base}/query", "sobjects": f"{call.base}/sobjects"}
    return json_response(200, links)


def _list_objects(call: Call) -> Response:
    call.require_method({"GET"})
    available = [
        _summary(call, spec)
        for spec in OBJECTS.values()
        if find_object(spec.name, call.version_number, call.tooling)
    ]
    return json_response(200, {"encoding": "UTF-8", "sobjects": available})


def _object_root(call: Call, name: str) -> Response:
    spec = _object(call, name)
    if call.request.method == "POST":
        _require_verb(spec, "POST")
        record = records.create(call.state, call.session, spec, _body(call))
        return json_response(201, {"id": record["Id"], "success": True, "errors": []})
    call.require_method({"GET", "POST"})
    return json_response(
        200, {"objectDescribe": _summary(call, spec), "recentItems": []}
    )


def _describe(call: Call, name: str) -> Response:
    spec = _object(call, name)
    call.require_method({"GET"})
    fields = [
        {
            "name": f.name,
            "type": f.kind,
            "createable": f.create,
            "updateable": f.update,
            "nillable": not f.required and f.kind != "boolean",
            "length": f.max_length or 0,
            "referenceTo": [f.reference_to] if f.reference_to else [],
        }
        for f in spec.fields
    ]
    return json_response(200, {**_summary(call, spec), "fields": fields})


def _record(call: Call, name: str, record_id: str) -> Response:
    spec = _object(call, name)
    method = call.request.method
    _require_verb(spec, method)
    record = call.state.find(spec.name, call.session.org["Id"], record_id)
    if record is None:
        raise _not_found()
    if method == "GET":
        names = _requested_fields(call, spec)
        return json_response(200, records.render(spec, record, call.base, names))
    if method == "PATCH":
        records.update(call.state, call.session, spec, record, _body(call))
    else:
        del call.state.records(spec.name)[record["Id"]]
    return Response(204)


def _object(call: Call, name: str) -> SObject:
    spec = find_object(name, call.version_number, call.tooling)
    if spec is None:
        raise _not_found()
    return spec


def _require_verb(spec: SObject, method: str) -> None:
    if method in spec.verbs:
        return
    if spec.name == "PardotTenant" and method == "POST":
        # Choice: creating a PardotTenant provisions a business unit; the
        # console must never do that, so the emulator refuses it with 405.
        message = (
            "Creating a PardotTenant would provision a new business unit; the "
            "emulator refuses it. Add business units with the control API."
        )
    else:
        allowed = ", ".join(sorted(spec.verbs))
        message = (
            f"HTTP method {method} is not allowed on {spec.name}. Allowed: {allowed}"
        )
    raise _method_not_allowed(message, spec.verbs)


def _method_not_allowed(
    message: str, allowed: set[str] | frozenset[str]
) -> SalesforceError:
    headers = {"Allow": ", ".join(sorted(allowed))}
    return SalesforceError(405, "METHOD_NOT_ALLOWED", message, headers=headers)


def _body(call: Call) -> Any:
    try:
        return call.request.json()
    except ValueError as error:
        message = "The request body is not valid JSON."
        raise SalesforceError(400, "JSON_PARSER_ERROR", message) from error


def _requested_fields(call: Call, spec: SObject) -> list[str] | None:
    wanted = call.request.param("fields")
    if not wanted:
        return None
    names = []
    for name in wanted.split(","):
        field = spec.field(name.strip())
        if field is None:
            message = f"No such column '{name.strip()}' on entity '{spec.name}'."
            raise SalesforceError(400, "INVALID_FIELD", message)
        names.append(field.name)
    return names


def _summary(call: Call, spec: SObject) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.name,
        "keyPrefix": spec.key_prefix,
        "createable": "POST" in spec.verbs,
        "updateable": "PATCH" in spec.verbs,
        "deletable": "DELETE" in spec.verbs,
        "queryable": True,
        "urls": {"sobject": f"{call.base}/sobjects/{spec.name}"},
    }


def _not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource was not found.")


_ROUTES = [
    (re.compile(r"query/?"), queries.query),
    (re.compile(r"query/(?P<locator>\w+)-(?P<offset>\d+)/?"), queries.more),
    (re.compile(r"sobjects/?"), _list_objects),
    (re.compile(r"sobjects/(?P<name>\w+)/?"), _object_root),
    (re.compile(r"sobjects/(?P<name>\w+)/describe/?"), _describe),
    (re.compile(r"sobjects/(?P<name>\w+)/(?P<record_id>\w+)/?"), _record),
    (re.compile(r""), _resources),
]
