"""What admins do with an org's connections, and the token drop at sign-out.

Tokens live only on ``Connection`` rows, encrypted. Disconnecting revokes them
at Salesforce and blanks them here; a connection made "for this session only"
(``keep_token`` off) is disconnected the same way when its owner signs out.
"""

import logging

import requests
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from salesforce import tokens
from salesforce.audit import audit_record
from salesforce.errors import SalesforceError
from salesforce.models import AuditEvent, Connection, ConnectionStatus, Org

logger = logging.getLogger(__name__)


class ConnectionRefused(Exception):
    """An admin action on a connection that cannot be done; the text says why."""


def connection_make_execution(
    *, connection: Connection, actor: AbstractBaseUser | None
) -> None:
    """Make ``connection`` the one whose token sends the org's activities."""
    if not connection.is_usable:
        raise ConnectionRefused(
            "%s is not connected. Reconnect it before it can send activities."
            % connection.sf_username
        )
    if not connection.keep_token:
        raise ConnectionRefused(
            "The token of %s is dropped when its owner signs out, so it cannot send "
            "activities. Connect an integration user instead." % connection.sf_username
        )
    org = connection.org
    Org.objects.filter(pk=org.pk).update(execution_connection=connection)
    org.execution_connection = connection
    audit_record(
        org=org,
        actor=actor,
        action="execution_connection.changed",
        outcome=AuditEvent.Outcome.SUCCEEDED,
        target=connection.sf_username,
        salesforce_ids=[connection.sf_user_id],
    )


def connection_disconnect(
    *, connection: Connection, actor: AbstractBaseUser | None, reason: str = ""
) -> None:
    """Revoke ``connection``'s tokens at Salesforce and delete them here.

    Revoking is best effort: the tokens are deleted here whatever Salesforce
    answers, and the answer is kept in the audit trail.
    """
    revoked = connection_revoke(connection)
    org = connection.org
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            access_token="",
            refresh_token="",
            status=ConnectionStatus.DISCONNECTED,
            last_error=reason,
        )
        was_execution = Org.objects.filter(
            pk=org.pk, execution_connection=connection
        ).update(execution_connection=None)
        audit_record(
            org=org,
            actor=actor,
            action="connection.disconnected",
            outcome=AuditEvent.Outcome.SUCCEEDED,
            target=connection.sf_username,
            salesforce_ids=[connection.sf_user_id],
            detail=" ".join(
                filter(
                    None,
                    [
                        reason,
                        "Revocation asked of Salesforce." if revoked else "",
                        "It no longer sends activities." if was_execution else "",
                    ],
                )
            ),
        )
    connection.refresh_from_db()


def connection_revoke(connection: Connection) -> bool:
    """Ask Salesforce to revoke the tokens; False when there were none or the
    request could not be made."""
    if not (connection.access_token or connection.refresh_token):
        return False
    try:
        tokens.revoke_tokens(connection)
    except (SalesforceError, requests.RequestException) as exc:
        logger.warning(
            "Could not revoke the tokens of connection %s: %s", connection.pk, exc
        )
        return False
    return True


def connections_drop_session_tokens(*, user: AbstractBaseUser) -> int:
    """Disconnect the connections ``user`` made for one session only."""
    # TODO: a session that expires without a sign-out keeps its token until
    # the owner next signs out; a sweep of expired sessions would need a
    # periodic task, which belongs with the worker's upkeep.
    dropped = Connection.objects.filter(
        user=user, keep_token=False, status=ConnectionStatus.ACTIVE
    ).select_related("org")
    count = 0
    for connection in dropped:
        connection_disconnect(
            connection=connection,
            actor=user,
            reason="Token dropped at sign-out, as chosen at sign-in.",
        )
        count += 1
    return count


def connections_needing_reconnect(org: Org) -> QuerySet[Connection]:
    return Connection.objects.filter(
        org=org, status=ConnectionStatus.NEEDS_RECONNECT
    ).order_by("sf_username")


def org_set_account_engagement_url(
    *, org: Org, url: str, actor: AbstractBaseUser
) -> None:
    """Override (or, with "", go back to the default for) the org's Account
    Engagement host."""
    before = org.account_engagement_host
    Org.objects.filter(pk=org.pk).update(account_engagement_url=url)
    org.account_engagement_url = url
    audit_record(
        org=org,
        actor=actor,
        action="account_engagement_host.changed",
        outcome=AuditEvent.Outcome.SUCCEEDED,
        target=org.account_engagement_host,
        detail="Was %s." % before,
    )
