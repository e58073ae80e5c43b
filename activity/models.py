"""Rows owned by the submission side of the console."""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran a task, so a stalled queue shows on /healthz."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "%s at %s" % (self.hostname, self.seen_at)
