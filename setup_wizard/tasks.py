"""Celery tasks of the setup wizard: every Salesforce call of setup runs here.

Each task takes an id, claims its row with a conditional update (so a
message delivered twice, or two workers, do the work once), calls one
service and records the outcome. Passing failures are retried a few times
with a short, jittered backoff; anything else is written on the row for the
admin to read.
"""

import logging
import random

from celery import shared_task

from salesforce.errors import SalesforceError
from setup_wizard import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 3


def _backoff(retries: int) -> float:
    return min(30.0, 2.0 * 2**retries) + random.uniform(0, 1)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=75,
    time_limit=100,
    max_retries=MAX_RETRIES,
)
def apply_record(self, record_id: int) -> None:
    """Create, adopt, assign or (de)activate the Salesforce record of one row."""
    record = services.record_claim(record_id=record_id, task_id=self.request.id or "")
    if record is None:
        logger.info("Setup row %s is not waiting; nothing to do", record_id)
        return
    try:
        services.record_apply(record=record)
    except Exception as error:
        if services.is_worth_retrying(error) and self.request.retries < MAX_RETRIES:
            services.record_release(record=record, error=error)
            raise self.retry(countdown=_backoff(self.request.retries)) from error
        if not isinstance(error, SalesforceError):
            logger.exception("Setup row %s failed unexpectedly", record_id)
        services.record_fail(record=record, error=error)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=100,
    time_limit=130,
    max_retries=MAX_RETRIES,
)
def perform_check(self, check_id: int) -> None:
    """Run one read-only check of an org and keep its result."""
    check = services.check_claim(check_id=check_id, task_id=self.request.id or "")
    if check is None:
        logger.info("Check %s is not waiting; nothing to do", check_id)
        return
    try:
        services.check_perform(check=check)
    except Exception as error:
        if services.is_worth_retrying(error) and self.request.retries < MAX_RETRIES:
            raise self.retry(countdown=_backoff(self.request.retries)) from error
        if not isinstance(error, SalesforceError):
            logger.exception("Check %s failed unexpectedly", check_id)
        services.check_fail(check=check, error=error)


@shared_task(soft_time_limit=60, time_limit=90, max_retries=0)
def verify_all_orgs() -> None:
    """Beat: look for drift in every org that can be reached."""
    queued = services.verify_all_orgs()
    logger.info("Queued drift checks for %s orgs", queued)
