"""Celery tasks of the sign-in side."""

import logging

from celery import shared_task

from salesforce.connections import connections_drop_ended_sessions

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, max_retries=0, soft_time_limit=100, time_limit=120)
def drop_session_only_tokens() -> None:
    """Disconnect session-only connections whose owner's sessions all
    expired without a sign-out (beat, every five minutes)."""
    dropped = connections_drop_ended_sessions()
    if dropped:
        logger.info("Dropped the tokens of %s session-only connections", dropped)
