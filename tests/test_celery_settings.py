"""The Celery settings that keep deliveries safe cannot drift unnoticed."""

import pytest
from django.conf import settings

from config.celery import app


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss is True


def test_each_worker_process_reserves_one_task_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1


def test_every_task_has_a_time_limit_below_the_visibility_timeout():
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit < settings.CELERY_VISIBILITY_TIMEOUT


def test_redis_gets_a_visibility_timeout_longer_than_any_task():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the embedded broker has no visibility timeout")
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT


def test_results_are_not_stored_because_the_database_is_the_record():
    assert app.conf.task_ignore_result is True
