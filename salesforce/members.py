"""Who belongs to an org: role changes, removals and invitations.

An org always keeps at least one admin. Invitations bring in people without a
Salesforce login: the admin gets a link (also sent by email) that carries a
signed random key; only a hash of the key is stored, and the link works once.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from salesforce.audit import audit_record
from salesforce.models import AuditEvent, Invitation, Membership, Org, Role

logger = logging.getLogger(__name__)

INVITATION_SALT = "salesforce.members.invitation"


class MembershipRefused(Exception):
    """A change to an org's members that cannot be done; the text says why."""


def member_set_role(
    *, membership: Membership, role: str, actor: AbstractBaseUser
) -> None:
    if role not in (Role.ADMIN, Role.SUPPORT):
        raise MembershipRefused("Choose the Admin or the Support role.")
    if role == membership.role:
        return
    with transaction.atomic():
        if membership.role == Role.ADMIN:
            _refuse_losing_last_admin(membership, "demote")
        before = membership.get_role_display()
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
        audit_record(
            org=membership.org,
            actor=actor,
            action="member.role_changed",
            outcome=AuditEvent.Outcome.SUCCEEDED,
            target=membership.user.get_username(),
            detail="%s → %s." % (before, membership.get_role_display()),
        )


def member_remove(*, membership: Membership, actor: AbstractBaseUser) -> None:
    with transaction.atomic():
        if membership.role == Role.ADMIN:
            _refuse_losing_last_admin(membership, "remove")
        membership.delete()
        audit_record(
            org=membership.org,
            actor=actor,
            action="member.removed",
            outcome=AuditEvent.Outcome.SUCCEEDED,
            target=membership.user.get_username(),
            detail="Was %s." % membership.get_role_display(),
        )


def _refuse_losing_last_admin(membership: Membership, verb: str) -> None:
    # The org row is the one lock every change to its admins takes, so two
    # admins demoting each other wait in turn instead of deadlocking on
    # each other's membership rows.
    Org.objects.select_for_update(no_key=True).get(pk=membership.org_id)
    admins = Membership.objects.filter(org_id=membership.org_id, role=Role.ADMIN)
    if not admins.exclude(pk=membership.pk).exists():
        raise MembershipRefused(
            "You cannot %s %s: they are the last admin of %s. Make someone else an "
            "admin first." % (verb, membership.user.get_username(), membership.org)
        )


def invitation_create(
    *, org: Org, email: str, role: str, actor: AbstractBaseUser
) -> tuple[Invitation, str]:
    """A new invitation and the signed token for its link (shown only now).

    An expired invitation to the same address is closed first: it can no
    longer be accepted, but would otherwise count as the one open invitation.
    """
    key = secrets.token_urlsafe(32)
    email = email.strip().lower()
    with transaction.atomic():
        now = timezone.now()
        Invitation.objects.filter(
            org=org,
            email=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__lte=now - Invitation.MAX_AGE,
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            org=org,
            email=email,
            role=role,
            key_hash=_key_hash(key),
            invited_by=actor,
        )
    audit_record(
        org=org,
        actor=actor,
        action="invitation.created",
        outcome=AuditEvent.Outcome.SUCCEEDED,
        target=invitation.email,
        detail="Role: %s." % invitation.get_role_display(),
    )
    return invitation, signing.dumps(key, salt=INVITATION_SALT)


def invitation_send(*, invitation: Invitation, link: str) -> None:
    ctx = {"invitation": invitation, "link": link, "org": invitation.org}
    subject = render_to_string("account/email/invitation_subject.txt", ctx)
    body = render_to_string("account/email/invitation_message.txt", ctx)
    send_mail(
        " ".join(subject.split()),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation a link's token names, or None."""
    try:
        key = signing.loads(
            token,
            salt=INVITATION_SALT,
            max_age=Invitation.MAX_AGE.total_seconds(),
        )
    except (signing.BadSignature, TypeError):
        return None
    invitation = (
        Invitation.objects.filter(key_hash=_key_hash(str(key)))
        .select_related("org")
        .first()
    )
    return invitation if invitation and invitation.is_open else None


def invitation_accept(
    *, invitation: Invitation, user: AbstractBaseUser
) -> Membership | None:
    """Give ``user`` the invitation's role; None if it was already used."""
    with transaction.atomic():
        used = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not used:
            return None
        membership, created = Membership.objects.get_or_create(
            org=invitation.org, user=user, defaults={"role": invitation.role}
        )
        if not created and membership.role != Role.ADMIN:
            Membership.objects.filter(pk=membership.pk).update(role=invitation.role)
            membership.role = invitation.role
        audit_record(
            org=invitation.org,
            actor=user,
            action="invitation.accepted",
            outcome=AuditEvent.Outcome.SUCCEEDED,
            target=invitation.email,
            detail="Role: %s." % membership.get_role_display(),
        )
    return membership


def invitation_revoke(*, invitation: Invitation, actor: AbstractBaseUser) -> None:
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            org=invitation.org,
            actor=actor,
            action="invitation.revoked",
            outcome=AuditEvent.Outcome.SUCCEEDED,
            target=invitation.email,
        )


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
