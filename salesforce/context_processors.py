"""What the sign-in page and the reconnect banner need on every page."""

from django.http import HttpRequest

from salesforce import signin
from salesforce.access import current_membership
from salesforce.connections import connections_needing_reconnect


def salesforce_signin(request: HttpRequest) -> dict:
    ctx = {"salesforce_login_choice": not signin.login_url_is_fixed()}
    if not request.user.is_authenticated:
        return ctx
    membership = getattr(request, "membership", None) or current_membership(request)
    if membership is not None and membership.is_admin:
        # Lazy: only the full page's banner reads it, not polled partials.
        ctx["reconnect_connections"] = connections_needing_reconnect(membership.org)
    return ctx
