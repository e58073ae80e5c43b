"""Orgs, the people who belong to them, and the connections that hold tokens.

An ``Org`` is one Salesforce organization. Every row elsewhere that belongs to
an org points at it, and every view reaches org data through the member's
current org (see ``salesforce.access``), so one org's data is never visible
from another.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from salesforce.fields import EncryptedTextField


class OrgType(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"
    DEVELOPER = "developer", "Developer Edition"


ACCOUNT_ENGAGEMENT_HOSTS = {
    OrgType.PRODUCTION: "https://pi.pardot.com",
    OrgType.SANDBOX: "https://pi.demo.pardot.com",
    OrgType.DEVELOPER: "https://pi.demo.pardot.com",
}


class Org(models.Model):
    sf_org_id = models.CharField("Salesforce org id", max_length=18, unique=True)
    name = models.CharField(max_length=255)
    org_type = models.CharField(
        max_length=20, choices=OrgType.choices, default=OrgType.PRODUCTION
    )
    login_url = models.URLField(help_text="The host people sign in through.")
    instance_url = models.URLField(blank=True)
    account_engagement_url = models.URLField(
        "Account Engagement host",
        blank=True,
        help_text="Leave empty to use the host for the org type.",
    )
    execution_connection = models.ForeignKey(
        "Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The connection whose token sends activities.",
    )
    api_requests_used = models.PositiveIntegerField(null=True, blank=True)
    api_requests_limit = models.PositiveIntegerField(null=True, blank=True)
    api_usage_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def account_engagement_host(self) -> str:
        """The base URL of the Account Engagement API for this org."""
        if self.account_engagement_url:
            return self.account_engagement_url.rstrip("/")
        if settings.ACCOUNT_ENGAGEMENT_URL:
            return settings.ACCOUNT_ENGAGEMENT_URL.rstrip("/")
        return ACCOUNT_ENGAGEMENT_HOSTS[OrgType(self.org_type)]


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SUPPORT = "support", "Support"
    PENDING = "pending", "Awaiting access"


class Membership(models.Model):
    """A person's role in one org. ``pending`` grants nothing until an admin acts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org"], name="one_membership_per_org"
            )
        ]
        ordering = ["org__name"]

    def __str__(self) -> str:
        return "%s in %s (%s)" % (self.user, self.org, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    DISCONNECTED = "disconnected", "Disconnected"


def granted_scopes(scopes) -> set[str]:
    """The scopes in effect: offline_access is refresh_token under its other
    name, and full covers every scope but that one."""
    granted = set(scopes)
    if "offline_access" in granted:
        granted.add("refresh_token")
    if "full" in granted:
        granted |= {"api", "pardot_api"}
    return granted


class Connection(models.Model):
    """One Salesforce user's tokens for one org, encrypted at rest."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="connections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="salesforce_connections",
        help_text="The console user who made the connection.",
    )
    sf_user_id = models.CharField("Salesforce user id", max_length=18)
    sf_username = models.CharField("Salesforce username", max_length=255, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    instance_url = models.URLField()
    scopes = models.CharField(max_length=500, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)
    refreshing_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Until when one caller holds the right to refresh the token.",
    )
    last_error = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE
    )
    keep_token = models.BooleanField(
        default=True,
        help_text="Off for a setup-only connection whose token is dropped at sign-out.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "sf_user_id"], name="one_connection_per_salesforce_user"
            )
        ]

    def __str__(self) -> str:
        return "%s (%s)" % (self.sf_username or self.sf_user_id, self.org)

    @property
    def scope_set(self) -> set[str]:
        """The scopes in effect, as ``granted_scopes`` reads them."""
        return granted_scopes(self.scopes.split())

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE and bool(self.access_token)


class AuditEvent(models.Model):
    """One change made through the console, kept for good: append-only.

    Setup changes, role changes, connections made and dropped, retries and
    forced resends each write one row: who, when, what, the Salesforce ids
    involved and the outcome. Rows are never updated or deleted by the app.
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        STARTED = "started", "Started"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=255, blank=True, help_text="Who acted, kept if the user is deleted."
    )
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=255, blank=True)
    salesforce_ids = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"])]

    def __str__(self) -> str:
        return "%s %s (%s)" % (self.action, self.target, self.outcome)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class InvitationQuerySet(models.QuerySet):
    def open(self) -> "InvitationQuerySet":
        """Invitations that can still be accepted: not used, revoked or expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gt=timezone.now() - Invitation.MAX_AGE,
        )


class Invitation(models.Model):
    """An admin's invitation for someone without a Salesforce login.

    The link carries a signed random key; only a hash of the key is stored, so
    the link cannot be rebuilt from the database. It works once, and not after
    ``MAX_AGE`` or after it is revoked.
    """

    MAX_AGE = timedelta(days=7)

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=20,
        choices=[(Role.ADMIN, Role.ADMIN.label), (Role.SUPPORT, Role.SUPPORT.label)],
    )
    key_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return "%s to %s (%s)" % (self.email, self.org, self.role)

    @property
    def expires_at(self):
        return self.created_at + self.MAX_AGE

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and timezone.now() < self.expires_at
        )


# The mirror of each org's setup lives in its own module; importing it here
# registers its models with this app.
from salesforce.mirror import (  # noqa: E402
    ActivityType,
    Assignment,
    BusinessUnit,
    Extension,
)

__all__ = [
    "ActivityType",
    "Assignment",
    "AuditEvent",
    "BusinessUnit",
    "Connection",
    "ConnectionStatus",
    "Extension",
    "Invitation",
    "Membership",
    "Org",
    "OrgType",
    "Role",
]
