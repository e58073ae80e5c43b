"""Forms for signing in, members, invitations and org settings."""

from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from salesforce import signin
from salesforce.members import invitation_accept, invitation_for_token
from salesforce.models import (
    ACCOUNT_ENGAGEMENT_HOSTS,
    Invitation,
    Membership,
    Org,
    Role,
)

INVITATION_SESSION_KEY = "salesforce_invitation"
GRANTABLE_ROLES = [(Role.ADMIN, Role.ADMIN.label), (Role.SUPPORT, Role.SUPPORT.label)]


class SalesforceSignInForm(forms.Form):
    """Where to log in to Salesforce, and whether to keep the token.

    When the installation names its login host (demo mode, or the
    SALESFORCE_LOGIN_URL variable) the choice is not offered and whatever was
    posted for it is ignored.
    """

    PRODUCTION, SANDBOX, MY_DOMAIN = "production", "sandbox", "my_domain"

    environment = forms.ChoiceField(
        choices=[
            (PRODUCTION, "Production (login.salesforce.com)"),
            (SANDBOX, "Sandbox (test.salesforce.com)"),
            (MY_DOMAIN, "My Domain"),
        ],
        initial=PRODUCTION,
        required=False,
        widget=forms.RadioSelect,
    )
    my_domain = forms.CharField(
        label="My Domain host",
        max_length=253,
        required=False,
        help_text="Such as acme.my.salesforce.com or "
        "acme--uat.sandbox.my.salesforce.com.",
    )
    forget_token = forms.BooleanField(
        label="Forget my Salesforce token when I sign out",
        required=False,
        help_text="For running setup without leaving your token behind; activities "
        "are then sent with an integration user's connection.",
    )

    def clean(self):
        cleaned = super().clean()
        if signin.login_url_is_fixed():
            self.login_url = signin.default_login_url()
        elif cleaned.get("environment") == self.MY_DOMAIN:
            try:
                self.login_url = signin.my_domain_login_url(cleaned.get("my_domain"))
            except ValidationError as error:
                self.add_error("my_domain", error)
        elif cleaned.get("environment") == self.SANDBOX:
            self.login_url = signin.SANDBOX_LOGIN_URL
        else:
            self.login_url = signin.PRODUCTION_LOGIN_URL
        return cleaned


class InvitationForm(forms.Form):
    error_messages = {
        "member": "%(email)s already belongs to %(org)s.",
        "invited": "%(email)s already has an open invitation to %(org)s. Revoke it "
        "first to send a new one.",
    }

    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=GRANTABLE_ROLES, initial=Role.SUPPORT)

    def __init__(self, *args, org: Org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        params = {"email": email, "org": self.org}
        members = Membership.objects.filter(org=self.org, user__email__iexact=email)
        if members.exists():
            raise ValidationError(
                self.error_messages["member"], code="member", params=params
            )
        if Invitation.objects.open().filter(org=self.org, email=email).exists():
            raise ValidationError(
                self.error_messages["invited"], code="invited", params=params
            )
        return email


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=GRANTABLE_ROLES)


class AccountEngagementHostForm(forms.Form):
    """An override of the org's Account Engagement host.

    The console sends the org's access token to this host, so only Account
    Engagement's own hosts (and the one named by ACCOUNT_ENGAGEMENT_URL) are
    accepted.
    """

    error_messages = {
        "not_account_engagement": "%(url)s is not an Account Engagement host. Use "
        "%(hosts)s, or leave the field empty for the host that matches the org "
        "type.",
    }

    account_engagement_url = forms.CharField(
        label="Account Engagement host",
        required=False,
        max_length=200,
        help_text="Leave empty to use the host for the org type.",
    )

    @staticmethod
    def allowed_hosts() -> list[str]:
        hosts = sorted(set(ACCOUNT_ENGAGEMENT_HOSTS.values()))
        configured = settings.ACCOUNT_ENGAGEMENT_URL.rstrip("/")
        return [configured, *hosts] if configured else hosts

    def clean_account_engagement_url(self) -> str:
        url = self.cleaned_data["account_engagement_url"].strip().rstrip("/")
        if url and url not in self.allowed_hosts():
            raise ValidationError(
                self.error_messages["not_account_engagement"],
                code="not_account_engagement",
                params={"url": url[:100], "hosts": " or ".join(self.allowed_hosts())},
            )
        return url


class InvitationSignupForm(SignupForm):
    """allauth's sign-up form, open only to the holder of an invitation link:
    the email address is the invited one and cannot be changed."""

    error_messages = {
        "no_invitation": "This invitation link has expired, was already used or was "
        "revoked. Ask an admin of your org for a new one.",
        "account_exists": "An account with this email address already exists. Sign "
        "in with it instead (with Salesforce or with your password); the invitation "
        "is accepted when you do.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation_in_session(context.request)
        if self.invitation is not None:
            self.fields["email"].initial = self.invitation.email
            self.fields["email"].disabled = True

    def validate_unique_email(self, value: str) -> str:
        # allauth refuses a taken address here (with email verification
        # mandatory, it only flags it); either way the invitee is told to
        # sign in instead.
        try:
            email = super().validate_unique_email(value)
        except ValidationError:
            email, self.account_already_exists = value, True
        if self.account_already_exists:
            raise ValidationError(
                self.error_messages["account_exists"], code="account_exists"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        if self.invitation is None or not self.invitation.is_open:
            raise ValidationError(
                self.error_messages["no_invitation"], code="no_invitation"
            )
        return cleaned

    def save(self, request):
        user = super().save(request)
        invitation_accept(invitation=self.invitation, user=user)
        request.session.pop(INVITATION_SESSION_KEY, None)
        return user


def invitation_in_session(request: HttpRequest | None) -> Invitation | None:
    """The open invitation whose link this browser followed, if any."""
    if request is None:
        return None
    token = request.session.get(INVITATION_SESSION_KEY)
    return invitation_for_token(token) if token else None
