"""A task published through the real broker runs in a real worker process."""

import pytest

from activity.models import WorkerHeartbeat
from activity.tasks import heartbeat
from tests.support.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_the_broker_is_run_by_a_worker(celery_worker_process):
    heartbeat.delay()

    beat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=30)
    assert beat.hostname.startswith("test-worker@")


def test_health_reports_when_a_worker_last_ran(celery_worker_process, client):
    heartbeat.delay()
    wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=30)

    response = client.get("/healthz")

    assert response.json()["worker_last_seen"] is not None
