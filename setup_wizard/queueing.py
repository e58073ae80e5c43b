"""Handing setup work to the task queue once the current transaction commits.

A broker that cannot be reached must cost the admin neither a server error
nor a page that waits for ever: the publish is guarded, logged with its ids,
and the row is told, so the page can say so and offer to try again.
"""

import logging
from collections.abc import Callable

from celery import Task
from django.conf import settings
from django.db import transaction

from config.celery import app

logger = logging.getLogger(__name__)


def enqueue(
    task: Task, row_id: int, *, org_id: int, on_failure: Callable[[int], None]
) -> None:
    """Queue ``task`` for ``row_id`` after commit; when the broker does not
    take it, log why and call ``on_failure(row_id)``."""

    def publish() -> None:
        try:
            # The broker the settings name, reached as the health check does.
            with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
                task.apply_async((row_id,), connection=connection)
        except Exception:
            logger.exception(
                "Could not queue %s for row %s of org %s", task.name, row_id, org_id
            )
            on_failure(row_id)

    transaction.on_commit(publish)
