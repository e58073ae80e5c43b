"""The HTTP server: reading requests, routing them, and what every API request
shares (added latency, injected faults, Account Engagement's concurrency
limit, the request log)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulator import control, identity, oauth, pardot, tooling
from emulator.messages import Request, Response, SalesforceError, json_response
from emulator.state import State

logger = logging.getLogger("emulator")

ANY_METHOD = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class Route:
    kind: str  # oauth, rest, pardot or control
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Callable[..., Response]


def _route(kind: str, methods: set[str], pattern: str, handler: Callable) -> Route:
    return Route(kind, frozenset(methods), re.compile(pattern), handler)


ROUTES = [
    _route("oauth", {"GET", "POST"}, r"/services/oauth2/authorize", oauth.authorize),
    _route("oauth", {"POST"}, r"/services/oauth2/token", oauth.token),
    _route("oauth", {"GET", "POST"}, r"/services/oauth2/revoke", oauth.revoke),
    _route("oauth", {"GET", "POST"}, r"/services/oauth2/userinfo", identity.userinfo),
    _route(
        "oauth",
        {"GET", "POST"},
        r"/id/(?P<org_id>\w+)/(?P<user_id>\w+)/?",
        identity.identity,
    ),
    _route("rest", {"GET"}, r"/services/data/?", tooling.versions),
    _route(
        "rest",
        ANY_METHOD,
        r"/services/data/(?P<version>[^/]+)/?(?P<rest>.*)",
        tooling.handle,
    ),
    _route(
        "pardot",
        ANY_METHOD,
        r"/api/v5/external-activities(?:/(?P<activity_id>[^/]+))?/?",
        pardot.handle,
    ),
    _route("pardot", ANY_METHOD, r"/api/.*", pardot.not_found),
    _route("control", ANY_METHOD, r"/__emulator__/(?P<rest>.*)", control.handle),
]


class App:
    """Routes a request and applies latency, faults and concurrency limits."""

    def __init__(self, state: State) -> None:
        self.state = state

    def respond(self, request: Request) -> Response:
        route, groups = self._match(request)
        if route is None:
            error = SalesforceError(404, "NOT_FOUND", "There is nothing at this path.")
            return error.response()
        if request.method not in route.methods:
            return json_response(405, {"error": f"{request.method} is not allowed"})
        with self.state.lock:
            self.state.runtime.stats["requests"][route.kind] += 1
        if route.kind == "control":
            return self._run(route, request, groups)

        unit = ""
        if route.kind == "pardot":
            unit = (request.headers.get("Pardot-Business-Unit-Id") or "").strip()
        # Choice: requests count against the concurrency limit by the header
        # they send, before any other check; without the header they do not.
        if unit and not self._enter(unit):
            return pardot.PardotError(66).response()
        try:
            return self._process(route, request, groups)
        finally:
            if unit:
                self._leave(unit)

    def _match(self, request: Request) -> tuple[Route | None, dict[str, Any]]:
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match:
                return route, match.groupdict()
        return None, {}

    def _process(
        self, route: Route, request: Request, groups: dict[str, Any]
    ) -> Response:
        fault = self._take_fault(request)
        delay_ms = fault["latency_ms"] if fault else 0
        if route.kind in ("rest", "pardot"):
            delay_ms += self.state.settings["latency_ms"]
        if delay_ms:
            time.sleep(delay_ms / 1000)
        if fault and fault["drop"] is True:
            return Response(0, drop="before")
        if fault and fault["status"]:
            return _fault_response(fault)
        response = self._run(route, request, groups)
        if fault and fault["drop"] == "after_read":
            response.drop = "after"
        return response

    def _run(self, route: Route, request: Request, groups: dict[str, Any]) -> Response:
        with self.state.lock:
            response = route.handler(self.state, request, **groups)
            if route.kind != "control" or request.method != "GET":
                self.state.save()
        return response

    def _take_fault(self, request: Request) -> dict[str, Any] | None:
        with self.state.lock:
            faults = self.state.runtime.faults
            fault = next((f for f in faults if _fault_matches(f, request)), None)
            if fault is None:
                return None
            fault["count"] -= 1
            if fault["count"] <= 0:
                faults.remove(fault)
            self.state.runtime.stats["faults_applied"] += 1
            return fault

    def _enter(self, unit: str) -> bool:
        with self.state.lock:
            busy = self.state.in_flight.get(unit, 0)
            if busy >= self.state.settings["max_concurrent_per_business_unit"]:
                return False
            self.state.in_flight[unit] = busy + 1
            highest = self.state.runtime.max_in_flight
            highest[unit] = max(highest.get(unit, 0), busy + 1)
            return True

    def _leave(self, unit: str) -> None:
        with self.state.lock:
            self.state.in_flight[unit] -= 1


def _fault_matches(fault: dict[str, Any], request: Request) -> bool:
    method_fits = fault["method"] in (None, request.method)
    return method_fits and request.path.startswith(fault["path"])


def _fault_response(fault: dict[str, Any]) -> Response:
    body = fault["body"]
    if isinstance(body, str):
        response = Response(fault["status"], body.encode("utf-8"))
        response.headers["Content-Type"] = "text/plain;charset=UTF-8"
    elif body is None:
        response = Response(fault["status"])
    else:
        response = json_response(fault["status"], body)
    response.headers.update(fault["headers"])
    return response


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SalesforceEmulator/1.0"
    # Headers and body go out in two writes; without this, Nagle's algorithm
    # and delayed ACKs add 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server: EmulatorServer

    def do_GET(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=self._read_body(),
            base_url=self.server.base_url,
        )
        try:
            response = self.server.app.respond(request)
        except Exception:
            logger.exception("Unhandled error on %s %s", self.command, parts.path)
            message = "The emulator failed; its log says why."
            response = SalesforceError(500, "UNKNOWN_EXCEPTION", message).response()
        if response.drop:
            self.close_connection = True
        else:
            self._write(response)
        elapsed_ms = (time.monotonic() - started) * 1000
        status = f"dropped ({response.drop})" if response.drop else response.status
        # Only the path: query strings can hold tokens, codes and emails.
        logger.info("%s %s %s %.0fms", self.command, parts.path, status, elapsed_ms)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: do_GET logs one line per request without secrets."""


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Tests open many connections at once; the default backlog of 5 would
    # make some of them wait for a TCP retry.
    request_queue_size = 128

    def __init__(self, port: int, state: State) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.app = App(state)
