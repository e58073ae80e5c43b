"""Everything the emulator remembers, behind one lock, optionally kept on disk.

``State.data`` is what a restart keeps (records, tokens, counters) and is
saved as JSON when a state file is given. Choice: settings are not saved;
they come from the command line at every start and from the control API.
Faults, statistics and query cursors live only in memory.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import seed
from emulator.ids import same_id

ALLOWED_SCOPES = [
    "api",
    "pardot_api",
    "refresh_token",
    "offline_access",
    "id",
    "openid",
    "profile",
    "email",
]

DEFAULT_SETTINGS: dict[str, Any] = {
    "auto_approve": False,
    "grantable_scopes": list(ALLOWED_SCOPES),
    "rotate_refresh_tokens": False,
    "token_lifetime_seconds": 7200,
    "code_lifetime_seconds": 600,
    "latency_ms": 0,
    "max_extensions": 20,
    "max_types_per_extension": 50,
    "api_request_limit": 15000,
    "daily_limit": 25000,
    "query_batch_size": 2000,
    "external_activity_success_status": 204,
    "max_concurrent_per_business_unit": 5,
}
_AT_LEAST_ONE = {"query_batch_size", "max_concurrent_per_business_unit"}


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    client_secret: str
    name: str = "External Activity Console"
    allowed_scopes: tuple[str, ...] = tuple(ALLOWED_SCOPES)


class Runtime:
    """What is never saved: injected faults, statistics and query cursors."""

    def __init__(self) -> None:
        self.faults: list[dict[str, Any]] = []
        self.cursors: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.max_in_flight: dict[str, int] = {}
        self.stats: dict[str, Any] = {
            "requests": {"oauth": 0, "rest": 0, "pardot": 0, "control": 0},
            "token_grants": {"authorization_code": 0, "refresh_token": 0},
            "token_errors": 0,
            "refreshes": 0,
            "rest_calls": 0,
            "tooling_calls": 0,
            "pardot_posts": 0,
            "pardot_posts_accepted": 0,
            "pardot_reads": 0,
            "faults_applied": 0,
        }


class State:
    def __init__(
        self,
        app: ConnectedApp,
        settings: dict[str, Any] | None = None,
        path: Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.app = app
        self.defaults = {**copy.deepcopy(DEFAULT_SETTINGS), **(settings or {})}
        self.settings = copy.deepcopy(self.defaults)
        self.path = path
        self.data = self._load() or seed.build()
        self.runtime = Runtime()
        # Requests in flight per business unit survive a reset: their
        # handlers are still running and will give their slot back.
        self.in_flight: dict[str, int] = {}

    def reset(self) -> None:
        with self.lock:
            self.data = seed.build()
            self.settings = copy.deepcopy(self.defaults)
            self.runtime = Runtime()
            self.save()

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            text = json.dumps(self.data, indent=1, sort_keys=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.path)

    def _load(self) -> dict[str, Any] | None:
        if self.path is None or not self.path.exists():
            return None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError(f"{self.path} is not an emulator state file")
        return data

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply validated changes; raises ValueError naming the bad one."""
        with self.lock:
            for key, value in changes.items():
                _check_setting(key, value)
            for key, value in changes.items():
                if key == "api_requests_used":
                    # Choice: the counter is set for every org at once.
                    for org_id in self.records("Organization"):
                        self.data["api_usage"][org_id] = value
                else:
                    self.settings[key] = value
            self.save()
            return dict(self.settings)

    def records(self, object_name: str) -> dict[str, dict[str, Any]]:
        return self.data["records"].setdefault(object_name, {})

    def org_records(self, object_name: str, org_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records(object_name).values() if r["_org"] == org_id]

    def find(
        self, object_name: str, org_id: str | None, record_id: object
    ) -> dict[str, Any] | None:
        """The record with that id (15 or 18 characters), in that org if given."""
        for record in self.records(object_name).values():
            if same_id(record["Id"], record_id) and org_id in (None, record["_org"]):
                return record
        return None

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        users = self.records("User").values()
        return next((u for u in users if u["Username"] == username), None)


def _check_setting(key: str, value: Any) -> None:
    if key != "api_requests_used" and key not in DEFAULT_SETTINGS:
        raise ValueError(f"Unknown setting {key!r}.")
    default = DEFAULT_SETTINGS.get(key, 0)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false.")
    elif isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings.")
    elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a whole number of zero or more.")
    elif key in _AT_LEAST_ONE and value < 1:
        raise ValueError(f"{key} must be at least 1.")
    elif key == "external_activity_success_status" and not 200 <= value <= 299:
        raise ValueError(f"{key} must be a 2xx status.")
