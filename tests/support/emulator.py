"""Run the Salesforce emulator as a subprocess and drive its control API.

Typical use from a session-scoped fixture::

    emulator = Emulator.start()
    yield emulator
    emulator.stop()
"""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10


class EmulatorError(RuntimeError):
    pass


class Emulator:
    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url
        self.http = requests.Session()

    @classmethod
    def start(
        cls,
        *args: str,
        auto_approve: bool = True,
        state_file: Path | str | None = None,
        log_file: Path | str | None = None,
        timeout: float = TIMEOUT,
    ) -> Emulator:
        """Start ``python -m emulator`` on a free port; extra args pass through."""
        command = [sys.executable, "-m", "emulator", "--port", "0", *args]
        if auto_approve:
            command.append("--auto-approve")
        if state_file is not None:
            command += ["--state-file", str(state_file)]
        # The log goes to a file or nowhere: an unread pipe would fill up and
        # stall the emulator.
        log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        finally:
            if log_file:
                log.close()
        return cls(process, _read_url(process, timeout))

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=TIMEOUT)
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    def reset(self) -> None:
        self._call("POST", "reset")

    def settings(self, **settings: Any) -> dict[str, Any]:
        """Change settings (none given: read them); returns all settings."""
        if not settings:
            return self._call("GET", "settings")
        return self._call("POST", "settings", settings)

    def token(self, user: str | None = None, scopes: list[str] | None = None) -> dict:
        """A token response for a user, minted without the browser flow."""
        body: dict[str, Any] = {}
        if user:
            body["user"] = user
        if scopes is not None:
            body["scopes"] = scopes
        return self._call("POST", "tokens", body)

    def expire_tokens(self, user: str | None = None) -> int:
        return self._call("POST", "tokens/expire", _user(user))["expired"]

    def revoke_tokens(self, user: str | None = None) -> int:
        return self._call("POST", "tokens/revoke", _user(user))["revoked"]

    def add_fault(self, **fault: Any) -> list[dict[str, Any]]:
        return self._call("POST", "faults", fault)["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def patch_record(self, obj: str, record_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", f"records/{obj}/{record_id}", fields)

    def delete_record(self, obj: str, record_id: str) -> None:
        self._call("DELETE", f"records/{obj}/{record_id}")

    def add_org(
        self,
        name: str,
        org_type: str = "production",
        users: list[dict[str, str]] | None = None,
        business_units: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Add an org; returns its ``org_id``, ``users`` and ``business_units``."""
        body = {
            "name": name,
            "org_type": org_type,
            "users": users
            or [{"username": f"admin@{_slug(name)}.example", "name": "Org Admin"}],
            "business_units": business_units or [],
        }
        return self._call("POST", "orgs", body)

    def reset_daily(self) -> None:
        self._call("POST", "daily/reset")

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        response = self.http.request(
            method, f"{self.url}/__emulator__/{path}", json=body, timeout=TIMEOUT
        )
        if response.status_code >= 400:
            raise EmulatorError(
                f"{method} {path}: {response.status_code} {response.text}"
            )
        return response.json() if response.content else None


def _read_url(process: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        process.wait(timeout=TIMEOUT)
        raise EmulatorError(f"the emulator did not start (said {line!r})")
    return line[len(prefix) :].strip()


def _user(user: str | None) -> dict[str, str]:
    return {"user": user} if user else {}


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum()) or "org"
