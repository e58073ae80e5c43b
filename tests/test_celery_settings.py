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


def _submission_tasks():
    import activity.tasks  # noqa: F401  registers the tasks

    return {
        name: task for name, task in app.tasks.items() if name.startswith("activity.")
    }


def test_every_submission_task_sets_its_time_limits_and_retry_policy():
    tasks = _submission_tasks()

    assert {"activity.tasks.send_submission", "activity.tasks.sweep"} <= set(tasks)
    for name, task in tasks.items():
        assert task.soft_time_limit and task.time_limit, name
        assert (
            task.soft_time_limit < task.time_limit < settings.CELERY_VISIBILITY_TIMEOUT
        )
        assert task.max_retries == 0, name


def test_the_longest_countdown_stays_well_below_the_visibility_timeout():
    longest_countdown = max(
        settings.ACTIVITY_RETRY_CAP_SECONDS,
        settings.ACTIVITY_SLOT_WAIT_SECONDS,
        settings.ACTIVITY_CHECK_DELAY_SECONDS,
    )
    longest_task = max(task.time_limit for task in _submission_tasks().values())

    assert longest_countdown + longest_task < settings.CELERY_VISIBILITY_TIMEOUT / 4


def test_a_send_slot_outlives_the_task_holding_it_and_the_read_timeout():
    send = _submission_tasks()["activity.tasks.send_submission"]

    assert send.time_limit < settings.ACTIVITY_SLOT_LEASE_SECONDS
    assert settings.ACTIVITY_SLOT_LEASE_SECONDS > settings.SALESFORCE_READ_TIMEOUT


def test_beat_resumes_deferred_submissions_and_sweeps_stuck_ones():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"activity.tasks.resume_deferred", "activity.tasks.sweep"} <= scheduled
    assert {"activity.tasks.resume_deferred", "activity.tasks.sweep"} <= set(
        _submission_tasks()
    )
