"""Who may see and do what: the one permission check every console view uses.

A view is wrapped in ``member_required`` (any role in the current org) or
``admin_required``. The wrapper finds the person's current org, refuses
people without a role there, and sets ``request.org`` and
``request.membership`` so the view can scope every query to that org with
``org_objects`` and ``get_for_org_or_404``. A test walks the URL patterns and
fails if a console view is not wrapped.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from salesforce.models import Membership, Role

CURRENT_ORG_SESSION_KEY = "console_org_id"
ACTIVE_ROLES = (Role.ADMIN, Role.SUPPORT)


def memberships_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Membership]:
    """The memberships that grant access, current org choices for the switcher."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, role__in=ACTIVE_ROLES).select_related(
        "org"
    )


def current_membership(request: HttpRequest) -> Membership | None:
    memberships = memberships_for(request.user)
    org_id = request.session.get(CURRENT_ORG_SESSION_KEY)
    chosen = memberships.filter(org_id=org_id).first() if org_id else None
    return chosen or memberships.first()


def switch_org(request: HttpRequest, org_id: int) -> bool:
    """Make ``org_id`` the current org if the user has a role in it."""
    if not memberships_for(request.user).filter(org_id=org_id).exists():
        return False
    request.session[CURRENT_ORG_SESSION_KEY] = org_id
    return True


def _refuse(request: HttpRequest, membership: Membership | None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": "forbidden", "message": "You do not have access to this."},
            status=403,
        )
    if membership is None:
        pending = Membership.objects.filter(user=request.user, role=Role.PENDING)
        ctx = {"pending": pending.select_related("org")}
        return render(request, "salesforce/no_access.html", ctx, status=403)
    raise PermissionDenied("Your role in %s does not allow this." % membership.org)


def require_role(*roles: str) -> Callable:
    """Wrap a view so only members of the current org with one of ``roles`` pass."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = current_membership(request)
            if membership is None or membership.role not in roles:
                return _refuse(request, membership)
            request.membership = membership
            request.org = membership.org
            return view(request, *args, **kwargs)

        wrapped.console_roles = tuple(roles)
        return wrapped

    return decorator


member_required = require_role(Role.ADMIN, Role.SUPPORT)
admin_required = require_role(Role.ADMIN)


def org_objects(request: HttpRequest, model: type[Model]) -> QuerySet:
    """All rows of ``model`` that belong to the request's current org."""
    return model.objects.filter(org=request.org)


def get_for_org_or_404(request: HttpRequest, model: type[Model], **lookups) -> Model:
    """One row of the current org, or 404 (also when it belongs to another org)."""
    return get_object_or_404(org_objects(request, model), **lookups)
