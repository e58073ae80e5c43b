"""Signing in with Salesforce: where people log in, what a grant holds, and what
a sign-in changes here.

A sign-in names the Salesforce org and user. The first person to arrive from
an org becomes its admin and their token is stored as the org's first
connection; anyone after that waits for an admin to give them a role, and
their token is revoked at once because nothing here will use it. Admins can
also connect a second Salesforce user (the integration user) or reconnect a
connection that Salesforce stopped accepting; both run the same OAuth round
trip without changing who is signed in.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import urlsplit

from allauth.socialaccount.providers.base import ProviderException
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from salesforce import tooling
from salesforce.audit import audit_record
from salesforce.client import SalesforceClient
from salesforce.connections import connection_make_execution, connection_revoke
from salesforce.errors import SalesforceError
from salesforce.hosts import MY_DOMAIN_HOST as _MY_DOMAIN_HOST
from salesforce.hosts import (  # the login hosts, also offered from here
    PRODUCTION_LOGIN_URL,  # noqa: F401
    SANDBOX_LOGIN_URL,  # noqa: F401
    checked_instance_url,
    checked_login_url,
    default_login_url,
    login_url_is_fixed,  # noqa: F401
    org_login_url,  # noqa: F401
)
from salesforce.models import (
    AuditEvent,
    Connection,
    ConnectionStatus,
    Membership,
    Org,
    OrgType,
    Role,
    granted_scopes,
)
from salesforce.wire import issued_at as _issued_at

logger = logging.getLogger(__name__)

LOGIN_URL_SESSION_KEY = "salesforce_login_url"

_SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")

MY_DOMAIN_ERRORS = {
    "required": "Enter your org's My Domain host, such as acme.my.salesforce.com.",
    "not_https": "My Domain hosts are reached over https only; enter just the host, "
    "such as acme.my.salesforce.com.",
    "not_my_domain": "%(host)s is not a Salesforce My Domain host. Enter a host that "
    "ends in .my.salesforce.com, such as acme.my.salesforce.com or "
    "acme--uat.sandbox.my.salesforce.com.",
}

REQUIRED_SCOPES = ("api", "pardot_api", "refresh_token")
SCOPE_LABELS = {
    "api": "Manage user data via APIs (api)",
    "pardot_api": "Access Account Engagement services (pardot_api)",
    "refresh_token": "Perform requests at any time (refresh_token, offline_access)",
}
SCOPE_CONSEQUENCES = {
    "api": "the console cannot read or change your org's setup",
    "pardot_api": "Account Engagement will refuse the activities the console sends",
    "refresh_token": "the connection stops working when the Salesforce session ends",
}
MISSING_SCOPE_MESSAGE = (
    'Salesforce did not grant the permission "%(label)s", so %(consequence)s. A '
    "Salesforce admin grants it in Setup → App Manager → the connected app → Edit "
    '→ Selected OAuth Scopes: add "%(label)s", save, then sign in again.'
)


class SignInRefused(ProviderException):
    """A sign-in or connection that cannot go on; the text says why and what
    to do, in words for the person who tried."""


# Where people sign in


def my_domain_login_url(value: str) -> str:
    """The login URL for a My Domain host typed by a person; ValidationError
    unless it is a Salesforce My Domain host."""
    host = (value or "").strip().lower()
    if not host:
        raise ValidationError(MY_DOMAIN_ERRORS["required"], code="required")
    if host.startswith("http://"):
        raise ValidationError(MY_DOMAIN_ERRORS["not_https"], code="not_https")
    host = host.removeprefix("https://").removesuffix("/")
    if not _MY_DOMAIN_HOST.fullmatch(host):
        raise ValidationError(
            MY_DOMAIN_ERRORS["not_my_domain"],
            code="not_my_domain",
            params={"host": value.strip()[:100]},
        )
    return "https://" + host


def remember_login_url(request: HttpRequest, url: str) -> None:
    if checked_login_url(url) is None:
        raise ValueError("Not a Salesforce login URL: %s" % url)
    request.session[LOGIN_URL_SESSION_KEY] = url


def session_login_url(request: HttpRequest) -> str:
    """The login URL chosen for this browser's sign-in, checked again."""
    chosen = checked_login_url(request.session.get(LOGIN_URL_SESSION_KEY))
    return chosen or default_login_url()


# What a grant holds


@dataclass(frozen=True)
class Grant:
    """What Salesforce handed over for one authorization."""

    login_url: str
    instance_url: str
    sf_org_id: str
    sf_user_id: str
    sf_username: str
    scopes: tuple[str, ...]
    issued_at: datetime | None
    access_token: str = ""
    refresh_token: str = ""

    def facts(self) -> dict:
        """Everything but the tokens, safe to keep with the social account."""
        facts = asdict(self)
        del facts["access_token"], facts["refresh_token"]
        facts["issued_at"] = self.issued_at.isoformat() if self.issued_at else None
        return facts

    @classmethod
    def from_facts(cls, facts: dict, *, access_token: str, refresh_token: str):
        issued_at = facts.get("issued_at")
        return cls(
            **{
                **facts,
                "scopes": tuple(facts.get("scopes") or ()),
                "issued_at": datetime.fromisoformat(issued_at) if issued_at else None,
            },
            access_token=access_token,
            refresh_token=refresh_token,
        )


def grant_from_token_response(
    *, login_url: str, response: dict, userinfo: dict
) -> Grant:
    """Read the parts of the token response allauth ignores.

    The identity URL in ``id`` (``.../id/{org id}/{user id}``) must name the
    same user and org as the userinfo answer, and ``instance_url`` must be a
    Salesforce host (or the login host itself, for the demo emulator): the
    console later sends the token there.
    """
    org_id, user_id = _ids_from_identity_url(response.get("id"))
    if userinfo.get("user_id", "")[:15] != user_id[:15] or (
        userinfo.get("organization_id", "")[:15] != org_id[:15]
    ):
        raise SignInRefused(
            "Salesforce's answer did not add up (the user named in the token is not "
            "the one signed in). Please sign in again."
        )
    return Grant(
        login_url=login_url,
        instance_url=_checked_instance_url(response.get("instance_url"), login_url),
        sf_org_id=org_id,
        sf_user_id=user_id,
        sf_username=str(userinfo.get("preferred_username") or "")[:255],
        scopes=tuple(sorted(set(str(response.get("scope") or "").split()))),
        issued_at=_issued_at(response.get("issued_at")),
        access_token=response["access_token"],
        refresh_token=response.get("refresh_token") or "",
    )


def _ids_from_identity_url(url: object) -> tuple[str, str]:
    parts = str(url or "").rstrip("/").split("/")
    org_id, user_id = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", "")
    if not (
        org_id.startswith("00D")
        and user_id.startswith("005")
        and _SALESFORCE_ID.fullmatch(org_id)
        and _SALESFORCE_ID.fullmatch(user_id)
    ):
        raise SignInRefused(
            "Salesforce's answer did not name an org and a user. Please sign in again."
        )
    return org_id, user_id


def _checked_instance_url(url: object, login_url: str) -> str:
    origin = checked_instance_url(url, login_url)
    if origin is None:
        raise SignInRefused(
            "Salesforce's answer named an instance the console does not recognise. "
            "Please sign in again."
        )
    return origin


def missing_scopes(scopes: Iterable[str]) -> list[str]:
    """The required scopes ``scopes`` does not grant."""
    granted = granted_scopes(scopes)
    return [scope for scope in REQUIRED_SCOPES if scope not in granted]


def missing_scope_message(scope: str) -> str:
    return MISSING_SCOPE_MESSAGE % {
        "label": SCOPE_LABELS[scope],
        "consequence": SCOPE_CONSEQUENCES[scope],
    }


# What a sign-in changes


@dataclass
class SignInResult:
    org: Org
    membership: Membership
    connection: Connection | None
    org_created: bool
    token_kept_for_execution: bool = False


def salesforce_sign_in(
    *, user: AbstractBaseUser, grant: Grant, keep_token: bool
) -> SignInResult:
    """Record a completed Salesforce sign-in by ``user``.

    Admins get their connection stored (and, if the org has none, made the
    org's execution connection); support and waiting members get nothing
    stored, and the fresh token is revoked.
    """
    with transaction.atomic():
        org, created = _org_for_grant(grant)
        membership = _membership_for(org=org, user=user)
        result = SignInResult(org, membership, None, created)
        replaced = None
        if membership.role == Role.ADMIN:
            result.connection, replaced = _connection_save(
                org=org, user=user, grant=grant, keep_token=keep_token
            )
            result.token_kept_for_execution = keep_token is False and (
                result.connection.keep_token
            )
            Org.objects.filter(pk=org.pk).update(
                login_url=grant.login_url, instance_url=grant.instance_url
            )
            _default_execution_connection(org, result.connection, user)
    if result.connection is None:
        grant_revoke(grant, org)
    else:
        _revoke_replaced(replaced)
        org_describe(org=org, connection=result.connection)
    return result


def integration_connect(
    *, org: Org, actor: AbstractBaseUser, grant: Grant
) -> Connection:
    """Store the connection of another Salesforce user of ``org`` and make it
    the one that sends the org's activities."""
    _check_same_org(org, grant)
    with transaction.atomic():
        connection, replaced = _connection_save(
            org=org, user=actor, grant=grant, keep_token=True
        )
        connection_make_execution(connection=connection, actor=actor)
    _revoke_replaced(replaced)
    return connection


def connection_reconnect(
    *, connection: Connection, actor: AbstractBaseUser, grant: Grant
) -> Connection:
    """Put fresh tokens on ``connection`` from a new authorization by the same
    Salesforce user."""
    _check_same_org(connection.org, grant)
    if grant.sf_user_id != connection.sf_user_id:
        raise SignInRefused(
            "You signed in to Salesforce as %s, but this connection belongs to %s. "
            "Sign in to Salesforce as %s to reconnect it."
            % (grant.sf_username, connection.sf_username, connection.sf_username)
        )
    with transaction.atomic():
        connection, replaced = _connection_save(
            org=connection.org,
            user=actor,
            grant=grant,
            keep_token=connection.keep_token,
            action="connection.reconnected",
        )
    _revoke_replaced(replaced)
    return connection


def org_describe(*, org: Org, connection: Connection) -> None:
    """Read the org's name and type from Salesforce with ``connection``."""
    try:
        with SalesforceClient(connection) as client:
            remote = tooling.describe_org(client)
    except SalesforceError as exc:
        logger.warning("Could not read org %s from Salesforce: %s", org.sf_org_id, exc)
        return
    Org.objects.filter(pk=org.pk).update(name=remote.name, org_type=remote.org_type)
    org.name, org.org_type = remote.name, remote.org_type


def grant_revoke(grant: Grant, org: Org | None = None) -> None:
    """Revoke a grant that nothing here will use, so no live token is left
    behind at Salesforce."""
    org = org or Org(
        sf_org_id=grant.sf_org_id,
        login_url=grant.login_url,
        instance_url=grant.instance_url,
    )
    unsaved = Connection(
        org=org,
        sf_user_id=grant.sf_user_id,
        sf_username=grant.sf_username,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        instance_url=grant.instance_url,
    )
    if not connection_revoke(unsaved):
        logger.warning("Could not revoke an unused grant in %s", org.sf_org_id)


def _check_same_org(org: Org, grant: Grant) -> None:
    if grant.sf_org_id != org.sf_org_id:
        raise SignInRefused(
            "You signed in to a different Salesforce org (%s), not %s. Sign in to "
            "Salesforce with a user of %s." % (grant.sf_org_id, org.name, org.name)
        )


def _org_for_grant(grant: Grant) -> tuple[Org, bool]:
    return Org.objects.get_or_create(
        sf_org_id=grant.sf_org_id,
        defaults={
            "name": "Salesforce org %s" % grant.sf_org_id,
            "org_type": _org_type_guess(grant.login_url),
            "login_url": grant.login_url,
            "instance_url": grant.instance_url,
        },
    )


def _org_type_guess(login_url: str) -> str:
    # Until Salesforce says otherwise, the login host is the best hint.
    host = urlsplit(login_url).hostname or ""
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return OrgType.SANDBOX
    return OrgType.PRODUCTION


def _membership_for(*, org: Org, user: AbstractBaseUser) -> Membership:
    # The org row lock makes people arriving at once take turns: only the
    # first becomes admin, and one person signing in twice gets one row.
    # "No key" leaves rows that merely point at the org free to be written.
    Org.objects.select_for_update(no_key=True).get(pk=org.pk)
    has_admin = org.memberships.filter(role=Role.ADMIN).exists()
    membership, created = Membership.objects.get_or_create(
        org=org, user=user, defaults={"role": Role.PENDING if has_admin else Role.ADMIN}
    )
    if not created:
        return membership
    audit_record(
        org=org,
        actor=user,
        action="member.access_requested" if has_admin else "org.connected",
        outcome=AuditEvent.Outcome.SUCCEEDED,
        target=user.get_username(),
        detail="" if has_admin else "First to connect the org: admin.",
    )
    return membership


def _connection_save(
    *,
    org: Org,
    user: AbstractBaseUser,
    grant: Grant,
    keep_token: bool,
    action: str = "connection.made",
) -> tuple[Connection, Connection | None]:
    """Store ``grant`` on the org's connection for its Salesforce user; also
    an unsaved copy holding the tokens it replaced, to be revoked once the
    new ones are committed."""
    connection = (
        Connection.objects.select_for_update()
        .filter(org=org, sf_user_id=grant.sf_user_id)
        .first()
    ) or Connection(org=org, sf_user_id=grant.sf_user_id)
    is_execution = connection.pk is not None and (
        Org.objects.filter(pk=org.pk, execution_connection=connection).exists()
    )
    replaced = None
    if connection.access_token or connection.refresh_token:
        replaced = Connection(
            pk=connection.pk,
            org=org,
            sf_user_id=connection.sf_user_id,
            access_token=connection.access_token,
            refresh_token=connection.refresh_token,
        )
    connection.user = user
    connection.sf_username = grant.sf_username
    connection.access_token = grant.access_token
    connection.refresh_token = grant.refresh_token
    connection.instance_url = grant.instance_url
    connection.scopes = " ".join(grant.scopes)
    connection.issued_at = grant.issued_at
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = ""
    # The connection that sends the org's activities always keeps its token.
    connection.keep_token = keep_token or is_execution
    connection.save()
    audit_record(
        org=org,
        actor=user,
        action=action,
        outcome=AuditEvent.Outcome.SUCCEEDED,
        target=connection.sf_username,
        salesforce_ids=[connection.sf_user_id],
        detail="Scopes: %s.%s"
        % (
            connection.scopes or "none",
            "" if connection.keep_token else " Token dropped at sign-out.",
        ),
    )
    return connection, replaced


def _revoke_replaced(replaced: Connection | None) -> None:
    # A caller still holding an old access token gets the new one from the
    # row when Salesforce refuses the old one, so revoking is safe here.
    if replaced is not None:
        connection_revoke(replaced)


def _default_execution_connection(
    org: Org, connection: Connection, user: AbstractBaseUser
) -> None:
    org.refresh_from_db(fields=["execution_connection"])
    if org.execution_connection_id is None and connection.keep_token:
        connection_make_execution(connection=connection, actor=user)
