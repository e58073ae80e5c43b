"""More Celery worker processes, for tests that need many tasks at once."""

from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.support.worker import WorkerProcess, _worker_env


@contextmanager
def extra_workers(count: int, *, concurrency: int, env: dict[str, str]):
    """Start ``count`` more workers beside the session's, each with
    ``concurrency`` processes; stop them on the way out."""
    workers = [
        WorkerProcess(
            Path(settings.VAR_DIR) / ("extra-worker-%d.log" % number),
            _worker_env(env),
            hostname="extra-%d@%%h" % number,
            concurrency=concurrency,
        )
        for number in range(count)
    ]
    try:
        for worker in workers:
            worker.start()
        yield
    finally:
        for worker in workers:
            worker.stop()
