"""SOQL queries over REST and Tooling, with batches and nextRecordsUrl."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from emulator import records, soql
from emulator.messages import Response, SalesforceError, json_response
from emulator.schema import find_object

if TYPE_CHECKING:
    from emulator.tooling import Call

# Choice: the emulator keeps this many unfinished query results in memory.
MAX_CURSORS = 50


def query(call: Call) -> Response:
    call.require_method({"GET"})
    parsed = soql.parse(call.request.param("q"))
    spec = find_object(parsed.sobject, call.version_number, call.tooling)
    if spec is None:
        message = f"sObject type '{parsed.sobject}' is not supported."
        raise SalesforceError(400, "INVALID_TYPE", message)
    rows = call.state.org_records(spec.name, call.session.org["Id"])
    names, matched = soql.run(parsed, spec, rows)
    if parsed.count:
        return json_response(
            200, {"totalSize": len(matched), "done": True, "records": []}
        )
    shown = [records.render(spec, r, call.base, names) for r in matched]
    cursor = {
        "org": call.session.org["Id"],
        "tooling": call.tooling,
        "entity": spec.name,
        "rows": shown,
    }
    return _batch(call, cursor, None, 0)


def more(call: Call, locator: str, offset: str) -> Response:
    call.require_method({"GET"})
    cursor = call.state.runtime.cursors.get(locator)
    if (
        cursor is None
        or cursor["org"] != call.session.org["Id"]
        or cursor["tooling"] != call.tooling
        or int(offset) > len(cursor["rows"])
    ):
        raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _batch(call, cursor, locator, int(offset))


def _batch(
    call: Call, cursor: dict[str, Any], locator: str | None, offset: int
) -> Response:
    rows = cursor["rows"]
    end = offset + call.state.settings["query_batch_size"]
    # Choice: size is the whole result's size, like totalSize.
    payload: dict[str, Any] = {
        "size": len(rows),
        "totalSize": len(rows),
        "done": end >= len(rows),
    }
    if call.tooling:
        payload.update(queryLocator=None, entityTypeName=cursor["entity"])
    if end < len(rows):
        locator = locator or _remember(call, cursor)
        payload["nextRecordsUrl"] = f"{call.base}/query/{locator}-{end}"
        if call.tooling:
            payload["queryLocator"] = f"{locator}-{end}"
    payload["records"] = rows[offset:end]
    return json_response(200, payload)


def _remember(call: Call, cursor: dict[str, Any]) -> str:
    cursors = call.state.runtime.cursors
    locator = "01g" + secrets.token_hex(8)[:15]
    cursors[locator] = cursor
    while len(cursors) > MAX_CURSORS:
        cursors.popitem(last=False)
    return locator
