"""django-allauth fitted to the console.

- ``ConsoleSalesforceOAuth2Adapter`` takes its base URL from the login host
  chosen for this browser's sign-in (kept in the session and checked again on
  every read), so authorize, token and userinfo always go to the same
  Salesforce host, and it keeps what the token response says about the org,
  the user, the instance and the granted scopes.
- ``ConsoleSalesforceProvider`` reads the login host choice from the posted
  sign-in form and ignores scopes and parameters from the query string.
- ``ConsoleSocialAccountAdapter`` finishes "connect integration user",
  "reconnect" and "add another Salesforce org" round trips without signing
  anyone in or out, refuses a new Salesforce login whose email address
  someone here already has, and turns every failed sign-in into a sentence on
  the sign-in page.
- ``ConsoleAccountAdapter`` closes sign-up except through an invitation,
  records the Salesforce sign-in once the person is signed in, and drops
  session-only tokens at sign-out.
"""

import logging
import re

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.salesforce.provider import SalesforceProvider
from allauth.socialaccount.providers.salesforce.views import SalesforceOAuth2Adapter
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from salesforce import signin
from salesforce.access import switch_org
from salesforce.connections import connections_drop_session_tokens
from salesforce.forms import (
    INVITATION_SESSION_KEY,
    SalesforceSignInForm,
    invitation_in_session,
)
from salesforce.members import invitation_accept, invitation_for_token
from salesforce.models import Connection, Membership, Role

logger = logging.getLogger(__name__)

PURPOSE_LOGIN = "login"
PURPOSE_INTEGRATION = "integration"
PURPOSE_RECONNECT = "reconnect"
PURPOSE_ADD_ORG = "add_org"

_OAUTH_ERROR_CODE = re.compile(r"""["']error["']\s*:\s*["']([a-zA-Z_]{1,60})["']""")
_ERROR_WORD = re.compile(r"[A-Za-z_]{1,60}")

SIGN_IN_ERRORS = {
    "cancelled": "You chose Deny on Salesforce's page, so you are not signed in. "
    "To sign in, start again and choose Allow.",
    "cancelled_connect": "You chose Deny on Salesforce's page, so nothing was "
    "connected.",
    "expired": "That sign-in was started too long ago or in another browser. "
    "Please start again.",
    "code_refused": "Salesforce did not accept the sign-in: the authorization "
    "could not be confirmed for this browser, or it was already used. Please "
    "start again.",
    "client_refused": "Salesforce did not accept the console's connected app "
    "credentials. The person who runs this console must check "
    "SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET.",
    "callback_refused": "Salesforce did not accept the console's callback URL. "
    "The connected app's callback URL must be %(callback)s.",
    "unreachable": "Salesforce could not be reached to finish the sign-in. Check "
    "your connection and try again.",
    "salesforce_error": "Salesforce stopped the sign-in (%(code)s). Check that "
    "your Salesforce user may use the connected app, then try again.",
    "unknown": "The sign-in with Salesforce did not complete. Please try again.",
    "local_account": "%(email)s already has an email-and-password account here. "
    "Sign in with your email and password instead; to use this Salesforce login "
    "too, choose Add another Salesforce org under Settings once you are in.",
    "known_email": "%(email)s already belongs to someone here. If that is you, "
    "sign in first the way you usually do, then choose Add another Salesforce "
    "org under Settings to add this Salesforce login.",
    "login_taken": "The Salesforce login %(login)s is how someone else signs in "
    "here, so it cannot be added to your account.",
    "not_admin": "Only an admin of the org can connect Salesforce users to it.",
}
SIGNED_IN_MESSAGES = {
    "org_connected": "%(org)s is connected. You are its admin.",
    "pending": "You signed in with Salesforce, but %(org)s is already connected "
    "here. An admin of %(org)s must give you a role before you can use it.",
    "kept_for_execution": "Your Salesforce token is kept after you sign out, "
    "because it sends %(org)s's activities. Connect an integration user under "
    "Settings to change that.",
    "no_execution": "Your Salesforce token is dropped when you sign out, so %(org)s "
    "has no connection to send activities yet. Connect an integration user "
    "under Settings.",
    "integration": "%(user)s now sends %(org)s's activities.",
    "reconnected": "%(user)s is connected again.",
}


class ConsoleSalesforceOAuth2Adapter(SalesforceOAuth2Adapter):
    @property
    def base_url(self) -> str:
        return signin.session_login_url(self.request)

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        with get_social_adapter().get_requests_session() as session:
            # The token goes in a header, where the provider's default puts it
            # in the query string.
            answer = session.get(
                self.userinfo_url, headers={"Authorization": "Bearer %s" % token.token}
            )
            answer.raise_for_status()
            userinfo = answer.json()
        grant = signin.grant_from_token_response(
            login_url=self.base_url,
            response=kwargs.get("response") or {},
            userinfo=userinfo,
        )
        login = self.get_provider().sociallogin_from_response(request, userinfo)
        login.account.extra_data = {**userinfo, "grant": grant.facts()}
        return login


class ConsoleSalesforceProvider(SalesforceProvider):
    oauth2_adapter_class = ConsoleSalesforceOAuth2Adapter

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        return self.get_scope()

    def get_auth_params_from_request(self, request: HttpRequest, action) -> dict:
        return self.get_auth_params()

    def get_redirect_from_request_kwargs(self, request: HttpRequest) -> dict:
        kwargs = super().get_redirect_from_request_kwargs(request)
        form = SalesforceSignInForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, errors[0])
            raise ImmediateHttpResponse(HttpResponseRedirect(reverse("account_login")))
        kwargs.update(
            process=AuthProcess.LOGIN,
            purpose=PURPOSE_LOGIN,
            login_url=form.login_url,
            keep_token=not form.cleaned_data["forget_token"],
        )
        return kwargs

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kw):
        signin.remember_login_url(request, kw["login_url"])
        return super().redirect(request, process, next_url, data, **kw)


oauth2_login = OAuth2LoginView.adapter_view(ConsoleSalesforceOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(ConsoleSalesforceOAuth2Adapter)


def salesforce_authorization(
    request: HttpRequest,
    *,
    purpose: str,
    login_url: str,
    login_hint: str = "",
    **state,
) -> HttpResponse:
    """Start an OAuth round trip that connects a Salesforce user to
    ``request.org`` and comes back to Settings, leaving the sign-in alone."""
    provider = get_social_adapter(request).get_provider(request, "salesforce")
    auth_params = provider.get_auth_params()
    if login_hint:
        auth_params["login_hint"] = login_hint
    else:
        # Ask Salesforce for a fresh login, so another user can be chosen.
        auth_params["prompt"] = "login"
    return provider.redirect(
        request,
        AuthProcess.REDIRECT,
        next_url=reverse("salesforce:settings"),
        purpose=purpose,
        login_url=login_url,
        org_id=request.org.pk,
        auth_params=auth_params,
        **state,
    )


def salesforce_add_org(
    request: HttpRequest, *, login_url: str, keep_token: bool
) -> HttpResponse:
    """Start an OAuth round trip that adds another Salesforce login (in
    another org) to the signed-in person, who then joins that org."""
    provider = get_social_adapter(request).get_provider(request, "salesforce")
    auth_params = provider.get_auth_params()
    auth_params["prompt"] = "login"
    return provider.redirect(
        request,
        AuthProcess.CONNECT,
        next_url=reverse("salesforce:settings"),
        purpose=PURPOSE_ADD_ORG,
        login_url=login_url,
        keep_token=keep_token,
        auth_params=auth_params,
    )


def grant_of(sociallogin: SocialLogin) -> signin.Grant:
    token = sociallogin.token
    return signin.Grant.from_facts(
        sociallogin.account.extra_data["grant"],
        access_token=token.token if token else "",
        refresh_token=token.token_secret if token else "",
    )


class ConsoleSocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider, client_id=None):
        found = super().get_provider(request, provider, client_id=client_id)
        if isinstance(found, SalesforceProvider) and not isinstance(
            found, ConsoleSalesforceProvider
        ):
            return ConsoleSalesforceProvider(request, app=found.app)
        return found

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        # Anyone with a Salesforce login may arrive; what they may see is
        # decided by their role in the org they come from.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin):
        purpose = sociallogin.state.get("purpose")
        if purpose in (PURPOSE_INTEGRATION, PURPOSE_RECONNECT):
            raise ImmediateHttpResponse(_finish_connect(request, sociallogin))
        if purpose == PURPOSE_ADD_ORG:
            raise ImmediateHttpResponse(_finish_add_org(request, sociallogin))
        if purpose != PURPOSE_LOGIN:
            raise ImmediateHttpResponse(
                _refuse(request, sociallogin, SIGN_IN_ERRORS["expired"])
            )
        if not sociallogin.is_existing and sociallogin.user.email:
            _refuse_known_email(request, sociallogin)

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        state = (extra_context or {}).get("state") or {}
        connecting = state.get("purpose") in (PURPOSE_INTEGRATION, PURPOSE_RECONNECT)
        message = _error_sentence(request, error, exception, connecting)
        logger.warning(
            "Salesforce sign-in failed (%s): %s", error, exception or "no detail"
        )
        messages.error(request, message)
        target = "salesforce:settings" if connecting else "account_login"
        raise ImmediateHttpResponse(HttpResponseRedirect(reverse(target)))


class ConsoleAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "Too many failed sign-in attempts for this "
        "email address. Wait 15 minutes and try again, or reset your password.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        token = request.GET.get("invitation")
        if token and invitation_for_token(token) is not None:
            request.session[INVITATION_SESSION_KEY] = token
        return invitation_in_session(request) is not None

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            _finish_sign_in(request, user, sociallogin)
            email = sociallogin.account.extra_data.get("email")
        else:
            email = user.email
        _accept_invitation_in_session(request, user, email)
        return response

    def logout(self, request: HttpRequest) -> None:
        if request.user.is_authenticated:
            connections_drop_session_tokens(user=request.user)
        super().logout(request)


def _finish_sign_in(request: HttpRequest, user, sociallogin: SocialLogin) -> None:
    keep_token = sociallogin.state.get("keep_token", True) is not False
    result = signin.salesforce_sign_in(
        user=user, grant=grant_of(sociallogin), keep_token=keep_token
    )
    words = {"org": result.org.name}
    if result.membership.role == Role.PENDING:
        messages.warning(request, SIGNED_IN_MESSAGES["pending"] % words)
        return
    switch_org(request, result.org.pk)
    if result.org_created:
        messages.success(request, SIGNED_IN_MESSAGES["org_connected"] % words)
    if result.token_kept_for_execution:
        messages.info(request, SIGNED_IN_MESSAGES["kept_for_execution"] % words)
    elif result.connection and not result.connection.keep_token:
        result.org.refresh_from_db(fields=["execution_connection"])
        if result.org.execution_connection_id is None:
            messages.warning(request, SIGNED_IN_MESSAGES["no_execution"] % words)
    if result.connection:
        _warn_missing_scopes(request, result.connection.scope_set)


def _finish_connect(request: HttpRequest, sociallogin: SocialLogin) -> HttpResponse:
    state = sociallogin.state
    grant = grant_of(sociallogin)
    target = HttpResponseRedirect(reverse("salesforce:settings"))
    membership = _admin_membership(request, state.get("org_id"))
    if membership is None:
        return _refuse(request, sociallogin, SIGN_IN_ERRORS["not_admin"], target)
    try:
        if state["purpose"] == PURPOSE_INTEGRATION:
            connection = signin.integration_connect(
                org=membership.org, actor=request.user, grant=grant
            )
            message = SIGNED_IN_MESSAGES["integration"]
        else:
            connection = signin.connection_reconnect(
                connection=Connection.objects.get(
                    org=membership.org, pk=state.get("connection_id")
                ),
                actor=request.user,
                grant=grant,
            )
            message = SIGNED_IN_MESSAGES["reconnected"]
    except (signin.SignInRefused, Connection.DoesNotExist) as exc:
        text = str(exc) if isinstance(exc, signin.SignInRefused) else ""
        return _refuse(request, sociallogin, text or SIGN_IN_ERRORS["unknown"], target)
    words = {"user": connection.sf_username, "org": membership.org.name}
    messages.success(request, message % words)
    _warn_missing_scopes(request, connection.scope_set)
    return target


def _finish_add_org(request: HttpRequest, sociallogin: SocialLogin) -> HttpResponse:
    target = HttpResponseRedirect(reverse("salesforce:settings"))
    if not request.user.is_authenticated:
        return _refuse(request, sociallogin, SIGN_IN_ERRORS["expired"])
    if sociallogin.is_existing and sociallogin.user != request.user:
        words = {"login": grant_of(sociallogin).sf_username}
        return _refuse(
            request, sociallogin, SIGN_IN_ERRORS["login_taken"] % words, target
        )
    if not sociallogin.is_existing:
        sociallogin.connect(request, request.user)
    _finish_sign_in(request, request.user, sociallogin)
    return target


def _refuse(
    request: HttpRequest,
    sociallogin: SocialLogin,
    message: str,
    target: HttpResponse | None = None,
) -> HttpResponse:
    """Tell the person why, and revoke the grant that will not be used."""
    signin.grant_revoke(grant_of(sociallogin))
    messages.error(request, message)
    return target or HttpResponseRedirect(reverse("account_login"))


def _admin_membership(request: HttpRequest, org_id) -> Membership | None:
    if not request.user.is_authenticated or not isinstance(org_id, int):
        return None
    return (
        Membership.objects.filter(user=request.user, org_id=org_id, role=Role.ADMIN)
        .select_related("org")
        .first()
    )


def _refuse_known_email(request: HttpRequest, sociallogin) -> None:
    """Refuse a new Salesforce login whose email address someone here has.

    A login never joins an existing person by its address alone: whoever
    controls a Salesforce login with that address, in any org, would get
    that person's roles in every other org. The person signs in first and
    adds the login themselves with "Add another Salesforce org".
    """
    email = sociallogin.user.email
    owners = list(get_user_model().objects.filter(email__iexact=email)) or [
        address.user
        for address in EmailAddress.objects.filter(email__iexact=email)
        .select_related("user")
        .order_by("pk")
    ]
    if not owners:
        return
    has_password = any(owner.has_usable_password() for owner in owners)
    message = SIGN_IN_ERRORS["local_account" if has_password else "known_email"]
    raise ImmediateHttpResponse(
        _refuse(request, sociallogin, message % {"email": email})
    )


def _warn_missing_scopes(request: HttpRequest, scopes) -> None:
    for scope in signin.missing_scopes(scopes):
        messages.warning(request, signin.missing_scope_message(scope))


def _accept_invitation_in_session(request: HttpRequest, user, email) -> None:
    """Accept the invitation this browser followed, if it was sent to
    ``email``, the address of the identity that just signed in."""
    invitation = invitation_in_session(request)
    request.session.pop(INVITATION_SESSION_KEY, None)
    if invitation is None or invitation.email != str(email or "").lower():
        return
    if invitation_accept(invitation=invitation, user=user):
        switch_org(request, invitation.org_id)


def _error_sentence(request: HttpRequest, error, exception, connecting: bool) -> str:
    if error == AuthError.CANCELLED:
        return SIGN_IN_ERRORS["cancelled_connect" if connecting else "cancelled"]
    if isinstance(exception, signin.SignInRefused):
        return str(exception)
    if isinstance(exception, OAuth2Error):
        return _token_error_sentence(request, str(exception))
    if isinstance(exception, requests.RequestException):
        return SIGN_IN_ERRORS["unreachable"]
    code = request.GET.get("error", "")
    if code and _ERROR_WORD.fullmatch(code):
        return SIGN_IN_ERRORS["salesforce_error"] % {"code": code}
    if exception is None:
        return SIGN_IN_ERRORS["expired"]
    return SIGN_IN_ERRORS["unknown"]


def _token_error_sentence(request: HttpRequest, text: str) -> str:
    match = _OAUTH_ERROR_CODE.search(text)
    code = match.group(1) if match else ""
    if code in ("invalid_grant", "invalid_request"):
        return SIGN_IN_ERRORS["code_refused"]
    if code in ("invalid_client_id", "invalid_client"):
        return SIGN_IN_ERRORS["client_refused"]
    if code == "redirect_uri_mismatch":
        callback = request.build_absolute_uri(reverse("salesforce_callback"))
        return SIGN_IN_ERRORS["callback_refused"] % {"callback": callback}
    return SIGN_IN_ERRORS["unknown"]
