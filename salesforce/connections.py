"""What admins do with an org's connections, and the token drop at sign-out.

Tokens live only on ``Connection`` rows, encrypted. Disconnecting blanks them
here, then asks Salesforce to revoke them; a connection made "for this session
only" (``keep_token`` off) is disconnected the same way when its owner signs
out, or, if the owner's sessions simply expire, by a periodic sweep.
"""

import logging
from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from salesforce import tokens
from salesforce.audit import audit_record
from salesforce.models import AuditEvent, Connection, ConnectionStatus, Org

logger = logging.getLogger(__name__)

# Revoking runs in the web request that disconnects or signs out, after the
# tokens are gone here: it gets a few seconds in all, far below the web
# server's timeout, however slowly Salesforce answers.
REVOKE_BUDGET_SECONDS = 5.0

# A sign-in stores its connection before the request that saves the new
# session ends; the sweep leaves connections that young alone.
SWEEP_GRACE = timedelta(minutes=2)

# Pages that list connections leave these out: decrypting them is wasted
# work, and a wrong FIELD_ENCRYPTION_KEYS would break every page.
TOKEN_FIELDS = ("access_token", "refresh_token")


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
) -> bool:
    """Delete ``connection``'s tokens here, then ask Salesforce to revoke them.

    The deletion is committed before Salesforce is asked, so a slow or
    unreachable Salesforce cannot leave a disconnected connection holding
    tokens; call this outside a transaction. Revoking is best effort, from
    the copy in memory; True when Salesforce confirmed it. A revocation that
    was not confirmed is kept in the audit trail.
    """
    org = connection.org
    held = Connection(
        pk=connection.pk,
        org=org,
        sf_user_id=connection.sf_user_id,
        access_token=connection.access_token,
        refresh_token=connection.refresh_token,
    )
    with transaction.atomic():
        # The org row before the connection row, in the order a sign-in
        # locks them.
        was_execution = Org.objects.filter(
            pk=org.pk, execution_connection=connection
        ).update(execution_connection=None)
        Connection.objects.filter(pk=connection.pk).update(
            access_token="",
            refresh_token="",
            status=ConnectionStatus.DISCONNECTED,
            last_error=reason,
        )
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
                        "It no longer sends activities." if was_execution else "",
                    ],
                )
            ),
        )
    revoked = connection_revoke(held)
    if not revoked and (held.access_token or held.refresh_token):
        audit_record(
            org=org,
            actor=actor,
            action="connection.revoke_unconfirmed",
            outcome=AuditEvent.Outcome.FAILED,
            target=connection.sf_username,
            salesforce_ids=[connection.sf_user_id],
            detail="Salesforce did not confirm that it revoked the tokens. They "
            "stop working when they expire, or an admin revokes them in "
            "Salesforce under Setup → Connected Apps OAuth Usage.",
        )
    connection.refresh_from_db()
    return revoked


def connection_revoke(connection: Connection) -> bool:
    """Ask Salesforce to revoke the tokens within a few seconds in all; False
    when there were none or Salesforce did not confirm in time."""
    return tokens.revoke_tokens(connection, budget_seconds=REVOKE_BUDGET_SECONDS)


def connections_drop_session_tokens(*, user: AbstractBaseUser) -> int:
    """Disconnect the connections ``user`` made for one session only."""
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


def connections_drop_ended_sessions() -> int:
    """Disconnect the session-only connections whose owner has no live
    session left, their sessions having expired without a sign-out."""
    candidates = Connection.objects.filter(
        keep_token=False,
        status=ConnectionStatus.ACTIVE,
        updated_at__lt=timezone.now() - SWEEP_GRACE,
    )
    if not candidates.exists():
        return 0
    ended = candidates.exclude(user_id__in=_users_signed_in()).select_related("org")
    count = 0
    for connection in ended:
        connection_disconnect(
            connection=connection,
            actor=None,
            reason="Token dropped: its owner's session ended without a sign-out.",
        )
        count += 1
    return count


def _users_signed_in() -> set[str]:
    live = Session.objects.filter(expire_date__gt=timezone.now())
    users = set()
    for session in live.only("session_data").iterator():
        user_id = session.get_decoded().get(SESSION_KEY)
        if user_id is not None:
            users.add(str(user_id))
    return users


def connections_needing_reconnect(org: Org) -> QuerySet[Connection]:
    return (
        Connection.objects.filter(org=org, status=ConnectionStatus.NEEDS_RECONNECT)
        .defer(*TOKEN_FIELDS)
        .order_by("sf_username")
    )


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
