"""Values every page needs: demo mode, the current org and the org switcher."""

from django.conf import settings
from django.http import HttpRequest

from salesforce.access import current_membership, memberships_for


def console(request: HttpRequest) -> dict:
    ctx = {"demo_mode": settings.DEMO_MODE}
    if not request.user.is_authenticated:
        return ctx
    membership = getattr(request, "membership", None) or current_membership(request)
    ctx["current_membership"] = membership
    ctx["current_org"] = membership.org if membership else None
    ctx["org_choices"] = memberships_for(request.user)
    return ctx
