"""More Celery worker processes, for tests that need many tasks at once."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.support.worker import _worker_env, wait_for


@contextmanager
def extra_workers(count: int, *, concurrency: int, env: dict[str, str]):
    """Start ``count`` more workers beside the session's, each with
    ``concurrency`` processes; stop them on the way out."""
    processes = []
    try:
        for number in range(count):
            log_path = Path(settings.VAR_DIR) / ("extra-worker-%d.log" % number)
            log = log_path.open("w")
            command = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                "extra-%d@%%h" % number,
            ]
            process = subprocess.Popen(
                command, env=_worker_env(env), stdout=log, stderr=subprocess.STDOUT
            )
            processes.append((process, log_path))
        for _, log_path in processes:
            wait_for(lambda p=log_path: " ready." in p.read_text(), timeout=60)
        yield
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
