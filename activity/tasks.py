"""Celery tasks of the submission side."""

import logging

from celery import shared_task
from django.utils import timezone

from activity.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@shared_task(bind=True, soft_time_limit=10, time_limit=15, max_retries=0)
def heartbeat(self) -> None:
    """Record that a worker is alive and consuming from the broker."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    logger.debug("Heartbeat from %s", hostname)
