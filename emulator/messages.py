"""The request and response objects that the emulator's handlers exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def form(self) -> dict[str, str]:
        text = self.body.decode("utf-8", "replace")
        parsed = parse_qs(text, keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def json(self) -> Any:
        """Decode the body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # "before" closes the socket without answering; "after" also closes it,
    # but only once the handler has done its work.
    drop: str | None = None


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload).encode("utf-8")
    all_headers = {"Content-Type": "application/json;charset=UTF-8"}
    all_headers.update(headers or {})
    return Response(status, body, all_headers)


def text_response(status: int, text: str) -> Response:
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    return Response(status, text.encode("utf-8"), headers)


def html_response(status: int, text: str) -> Response:
    headers = {"Content-Type": "text/html;charset=UTF-8"}
    return Response(status, text.encode("utf-8"), headers)


def redirect(location: str) -> Response:
    return Response(302, b"", {"Location": location})


class SalesforceError(Exception):
    """A REST or Tooling API error, answered as a JSON array of one error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            error["fields"] = self.fields
        return json_response(self.status, [error], self.headers)
