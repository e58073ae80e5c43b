"""Writing the audit trail."""

from django.contrib.auth.models import AbstractBaseUser

from salesforce.models import AuditEvent, Org


def audit_record(
    *,
    org: Org,
    actor: AbstractBaseUser | None,
    action: str,
    outcome: str,
    target: str = "",
    salesforce_ids: list[str] | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event to ``org``'s audit trail; ``actor`` None means the system."""
    label = (actor.get_username() if actor else "") or "system"
    return AuditEvent.objects.create(
        org=org,
        actor=actor,
        actor_label=label,
        action=action,
        target=target,
        salesforce_ids=salesforce_ids or [],
        outcome=outcome,
        detail=detail,
    )
