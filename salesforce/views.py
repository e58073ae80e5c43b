"""Settings pages for the current org: connections, members and invitations,
and switching between orgs.

Support members see the Settings page and a connection's health read-only;
everything that changes something is for the org's admins.
"""

import logging
import smtplib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from salesforce import signin
from salesforce.access import (
    admin_required,
    get_for_org_or_404,
    member_required,
    org_objects,
    switch_org,
)
from salesforce.adapters import (
    PURPOSE_INTEGRATION,
    PURPOSE_RECONNECT,
    salesforce_add_org,
    salesforce_authorization,
)
from salesforce.connections import (
    TOKEN_FIELDS,
    ConnectionRefused,
    connection_disconnect,
    connection_make_execution,
    org_set_account_engagement_url,
)
from salesforce.forms import (
    AccountEngagementHostForm,
    InvitationForm,
    MemberRoleForm,
    SalesforceSignInForm,
)
from salesforce.members import (
    MembershipRefused,
    invitation_create,
    invitation_revoke,
    invitation_send,
    member_remove,
    member_set_role,
)
from salesforce.models import Connection, Invitation, Membership, Role

logger = logging.getLogger(__name__)

NEW_INVITATION_SESSION_KEY = "salesforce_new_invitation_link"
UNSENT_INVITATION_SESSION_KEY = "salesforce_new_invitation_unsent"
INVITATION_NOT_EMAILED = (
    "The email could not be sent; copy the link below and send it yourself."
)


def _missing_scope_labels(connection: Connection) -> list[str]:
    missing = signin.missing_scopes(connection.scope_set)
    return [signin.SCOPE_LABELS[scope] for scope in missing]


def _connection_rows(request: HttpRequest) -> list[dict]:
    connections = org_objects(request, Connection).select_related("user")
    connections = connections.defer(*TOKEN_FIELDS)
    return [
        {
            "connection": c,
            "missing_scopes": _missing_scope_labels(c),
            "is_execution": c.pk == request.org.execution_connection_id,
        }
        for c in connections.order_by("sf_username")
    ]


@member_required
def org_settings(request: HttpRequest) -> HttpResponse:
    org = request.org
    host_form = AccountEngagementHostForm(
        initial={"account_engagement_url": org.account_engagement_url}
    )

    ctx = {
        "org": org,
        "rows": _connection_rows(request),
        "is_admin": request.membership.is_admin,
        "host_form": host_form,
    }
    return render(request, "salesforce/settings.html", ctx)


@admin_required
@require_POST
def account_engagement_host(request: HttpRequest) -> HttpResponse:
    form = AccountEngagementHostForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["account_engagement_url"][0])
        return redirect("salesforce:settings")

    url = form.cleaned_data["account_engagement_url"]
    org_set_account_engagement_url(org=request.org, url=url, actor=request.user)
    host = request.org.account_engagement_host
    messages.success(request, "Activities for %s now go to %s." % (request.org, host))
    return redirect("salesforce:settings")


@member_required
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connections = org_objects(request, Connection).defer(*TOKEN_FIELDS)
    connection = get_object_or_404(connections, pk=pk)

    ctx = {
        "org": request.org,
        "connection": connection,
        "missing_scopes": _missing_scope_labels(connection),
        "is_execution": connection.pk == request.org.execution_connection_id,
        "is_admin": request.membership.is_admin,
    }
    return render(request, "salesforce/connection.html", ctx)


@admin_required
@require_POST
def connection_disconnect_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_for_org_or_404(request, Connection, pk=pk)

    if connection_disconnect(connection=connection, actor=request.user):
        messages.success(
            request,
            "%s is disconnected: its tokens were revoked at Salesforce and deleted "
            "here." % connection.sf_username,
        )
    else:
        messages.warning(
            request,
            "%s is disconnected and its tokens are deleted here, but Salesforce did "
            "not confirm that it revoked them. They stop working when they expire, "
            "or revoke them in Salesforce under Setup → Connected Apps OAuth Usage."
            % connection.sf_username,
        )
    return redirect("salesforce:settings")


@admin_required
@require_POST
def connection_execution(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_for_org_or_404(request, Connection, pk=pk)

    try:
        connection_make_execution(connection=connection, actor=request.user)
    except ConnectionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "%s now sends %s's activities." % (connection.sf_username, request.org),
        )
    return redirect("salesforce:settings")


@admin_required
@require_POST
def connection_reconnect(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_for_org_or_404(request, Connection, pk=pk)

    return salesforce_authorization(
        request,
        purpose=PURPOSE_RECONNECT,
        login_url=signin.org_login_url(request.org),
        login_hint=connection.sf_username,
        connection_id=connection.pk,
    )


@admin_required
@require_POST
def integration_connect(request: HttpRequest) -> HttpResponse:
    return salesforce_authorization(
        request,
        purpose=PURPOSE_INTEGRATION,
        login_url=signin.org_login_url(request.org),
    )


@member_required
def org_add(request: HttpRequest) -> HttpResponse:
    """Add another Salesforce login of the signed-in person, such as their
    sandbox's, and with it a membership in that login's org."""
    posted = request.method == "POST"
    form = SalesforceSignInForm(request.POST if posted else None)
    if posted and form.is_valid():
        keep_token = not form.cleaned_data["forget_token"]
        return salesforce_add_org(
            request, login_url=form.login_url, keep_token=keep_token
        )

    ctx = {"form": form}
    return render(request, "salesforce/add_org.html", ctx)


@admin_required
def members(request: HttpRequest) -> HttpResponse:
    memberships = org_objects(request, Membership).select_related("user")
    invitations = org_objects(request, Invitation).open()

    ctx = {
        "org": request.org,
        "memberships": memberships.order_by("role", "user__email"),
        "invitations": invitations,
        "form": InvitationForm(org=request.org),
        "role_choices": MemberRoleForm.base_fields["role"].choices,
        "new_link": request.session.pop(NEW_INVITATION_SESSION_KEY, None),
        "new_link_unsent": request.session.pop(UNSENT_INVITATION_SESSION_KEY, False),
        "pending": Role.PENDING,
    }
    return render(request, "salesforce/members.html", ctx)


@admin_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_for_org_or_404(request, Membership, pk=pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the Admin or the Support role.")
        return redirect("salesforce:members")

    try:
        role = form.cleaned_data["role"]
        member_set_role(membership=membership, role=role, actor=request.user)
    except MembershipRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "%s is now %s."
            % (membership.user.get_username(), membership.get_role_display()),
        )
    return redirect("salesforce:members")


@admin_required
@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_for_org_or_404(request, Membership, pk=pk)

    try:
        member_remove(membership=membership, actor=request.user)
    except MembershipRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "%s no longer belongs to %s."
            % (membership.user.get_username(), request.org),
        )
    return redirect("salesforce:members")


@admin_required
@require_POST
def invitation_create_view(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST, org=request.org)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("salesforce:members")

    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    invitation, token = invitation_create(
        org=request.org, email=email, role=role, actor=request.user
    )
    link = request.build_absolute_uri(
        "%s?invitation=%s" % (reverse("account_signup"), token)
    )
    request.session[NEW_INVITATION_SESSION_KEY] = link
    try:
        invitation_send(invitation=invitation, link=link)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "Could not email invitation %s (org %s): %s",
            invitation.pk,
            request.org.pk,
            type(exc).__name__,
        )
        request.session[UNSENT_INVITATION_SESSION_KEY] = True
        messages.warning(request, INVITATION_NOT_EMAILED)
    else:
        messages.success(
            request, "%s is invited and will get the link by email." % invitation.email
        )
    return redirect("salesforce:members")


@admin_required
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_for_org_or_404(request, Invitation, pk=pk)

    invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, "The invitation to %s is revoked." % invitation.email)
    return redirect("salesforce:members")


@member_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    org_id = request.POST.get("org", "")
    if not org_id.isdigit() or not switch_org(request, int(org_id)):
        messages.error(request, "You do not belong to that org.")
    return redirect("home")
