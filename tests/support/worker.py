"""A real Celery worker process for tests that cross the broker.

The worker is a separate ``celery worker`` process on the same broker as the
tests (the embedded one locally, Redis in CI) and on the test database, so a
test sees exactly what production would: a message published after commit, a
task run elsewhere, rows written by another process.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

__all__ = ["celery_worker_process", "wait_for"]

READY_TIMEOUT = 60


def wait_for(predicate, timeout: float = 15, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail("Timed out after %ss waiting for %s" % (timeout, predicate))


def _worker_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["CONSOLE_TEST_DB_NAME"] = str(connection.settings_dict["NAME"])
    env.update(extra)
    return env


def _purge_broker() -> None:
    from config.celery import app

    app.control.purge()


def worker_command(hostname: str, *, concurrency: int = 2, loglevel: str = "INFO"):
    """The command line of one ``celery worker`` on the console's app."""
    return [
        sys.executable,
        *[
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--without-gossip",
            "--without-mingle",
        ],
        *("--loglevel", loglevel, "--concurrency", str(concurrency)),
        *("--hostname", hostname),
    ]


class WorkerProcess:
    def __init__(
        self,
        log_path: Path,
        env: dict[str, str],
        *,
        hostname: str = "test-worker@%h",
        concurrency: int = 2,
    ):
        self.log_path = log_path
        self.env = env
        self.command = worker_command(hostname, concurrency=concurrency)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(self._ready, timeout=READY_TIMEOUT, interval=0.2)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail("The Celery worker exited:\n%s" % self.log())
        return " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, worker_env_extra):
    """One worker process for the session, on the test database and broker."""
    with django_db_blocker.unblock():
        env = _worker_env(worker_env_extra)
    _purge_broker()
    worker = WorkerProcess(Path(settings.VAR_DIR) / "worker.log", env)
    worker.start()
    yield worker
    worker.stop()
