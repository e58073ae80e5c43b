"""Invitations: how people without a Salesforce login get an account."""

import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salesforce.models import AuditEvent, Invitation, Membership, Role
from tests.factories import MembershipFactory, OrgFactory, UserFactory
from tests.signin import flows

PASSWORD = "a long and unusual passphrase"


def _invite(admin_client, email="sam@example.com", role="support") -> str:
    response = admin_client.post(
        reverse("salesforce:invite"), {"email": email, "role": role}, follow=True
    )
    page = response.content.decode()
    return re.search(r'<code class="invitation-link">([^<]+)</code>', page)[1]


def _relative(link: str) -> str:
    parts = urlsplit(link.replace("&amp;", "&"))
    return "%s?%s" % (parts.path, parts.query)


def _accept(link: str, password: str = PASSWORD, **extra):
    visitor = Client()
    page = visitor.get(_relative(link))
    response = visitor.post(
        reverse("account_signup"),
        {"password1": password, "password2": password, **extra},
        follow=True,
    )
    return visitor, page, response


def test_an_admin_invites_someone_and_sees_and_emails_the_link(admin_client, org):
    link = _invite(admin_client)

    assert link.startswith("http://testserver/accounts/signup/?invitation=")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"]
    assert org.name in message.subject
    assert link.replace("&amp;", "&") in message.body
    invitation = Invitation.objects.get()
    assert invitation.role == Role.SUPPORT
    assert invitation.key_hash not in link
    assert AuditEvent.objects.filter(action="invitation.created").exists()
    page = admin_client.get(reverse("salesforce:members")).content.decode()
    assert "sam@example.com" in page
    assert "invitation-link" not in page


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_email_that_cannot_be_sent_leaves_the_link_to_copy(
    admin_client, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2

    response = admin_client.post(
        reverse("salesforce:invite"),
        {"email": "sam@example.com", "role": "support"},
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "The email could not be sent; copy the link below and send it yourself." in page
    )
    assert "will get the link by email" not in page
    link = re.search(r'<code class="invitation-link">([^<]+)</code>', page)[1]
    invitation = Invitation.objects.get()
    assert invitation.is_open
    assert "Could not email invitation %s" % invitation.pk in caplog.text
    assert "sam@example.com" not in caplog.text
    _, _, accepted = _accept(link)
    assert accepted.redirect_chain[-1][0] == reverse("home")


def test_the_invitee_sets_a_password_and_gets_the_role(admin_client, org):
    link = _invite(admin_client, role="admin")

    visitor, page, response = _accept(link)

    assert "Accept your invitation" in page.content.decode()
    assert "sam@example.com" in page.content.decode()
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.status_code == 200
    user = get_user_model().objects.get(email="sam@example.com")
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user).role == Role.ADMIN
    assert Invitation.objects.get().accepted_by == user
    assert AuditEvent.objects.filter(action="invitation.accepted").exists()


def test_the_invited_email_address_cannot_be_changed(admin_client):
    link = _invite(admin_client)

    _accept(link, email="someone-else@example.com")

    assert get_user_model().objects.filter(email="sam@example.com").exists()
    assert (
        not get_user_model().objects.filter(email="someone-else@example.com").exists()
    )


def test_an_invitation_link_works_only_once(admin_client):
    link = _invite(admin_client)
    _accept(link)

    _, page, response = _accept(link, password="another long passphrase")

    assert "Accounts are by invitation" in page.content.decode()
    assert get_user_model().objects.filter(email="sam@example.com").count() == 1


def test_a_revoked_invitation_no_longer_opens_sign_up(admin_client):
    link = _invite(admin_client)
    invitation = Invitation.objects.get()
    admin_client.post(reverse("salesforce:revoke_invitation", args=[invitation.pk]))

    _, page, _ = _accept(link)

    assert "Accounts are by invitation" in page.content.decode()
    assert not get_user_model().objects.filter(email="sam@example.com").exists()


def test_an_expired_invitation_no_longer_opens_sign_up(admin_client):
    link = _invite(admin_client)

    with time_machine.travel("2099-01-01"):
        _, page, _ = _accept(link)

    assert "Accounts are by invitation" in page.content.decode()


def test_a_tampered_link_opens_nothing(admin_client):
    link = _invite(admin_client)

    _, page, _ = _accept(link[:-3] + "abc")

    assert "Accounts are by invitation" in page.content.decode()


@pytest.mark.django_db
def test_sign_up_without_an_invitation_is_closed(client):
    page = client.get(reverse("account_signup"))
    response = client.post(
        reverse("account_signup"),
        {"email": "x@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert "Accounts are by invitation" in page.content.decode()
    assert "Accounts are by invitation" in response.content.decode()
    assert not get_user_model().objects.filter(email="x@example.com").exists()


def test_someone_already_a_member_cannot_be_invited_again(admin_client, support_user):
    response = admin_client.post(
        reverse("salesforce:invite"),
        {"email": support_user.email, "role": "admin"},
        follow=True,
    )

    assert "already belongs to" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_open_invitation_must_be_revoked_before_a_new_one(admin_client):
    _invite(admin_client)

    response = admin_client.post(
        reverse("salesforce:invite"),
        {"email": "SAM@example.com", "role": "admin"},
        follow=True,
    )

    assert "already has an open invitation" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_does_not_stop_inviting_the_address_again(
    admin_client, admin_user
):
    _invite(admin_client)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        admin_client.force_login(admin_user)
        link = _invite(admin_client, role="admin")
        page = admin_client.get(reverse("salesforce:members")).content.decode()
        expired, fresh = Invitation.objects.order_by("created_at")
        assert fresh.is_open and fresh.role == Role.ADMIN

    assert link.startswith("http://testserver/accounts/signup/?invitation=")
    assert expired.revoked_at is not None
    assert reverse("salesforce:revoke_invitation", args=[fresh.pk]) in page
    assert reverse("salesforce:revoke_invitation", args=[expired.pk]) not in page


def test_someone_with_an_account_accepts_by_signing_in(admin_client, org):
    elsewhere = MembershipFactory(org=OrgFactory(), role=Role.SUPPORT).user
    link = _invite(admin_client, email=elsewhere.email)
    visitor = Client()
    page = visitor.get(_relative(link))
    refused = visitor.post(
        reverse("account_signup"), {"password1": PASSWORD, "password2": PASSWORD}
    )

    visitor.post(
        reverse("account_login"),
        {"login": elsewhere.email, "password": "correct horse battery staple"},
    )

    assert "Accept your invitation" in page.content.decode()
    assert "already exists" in refused.content.decode()
    assert Membership.objects.get(user=elsewhere, org=org).role == Role.SUPPORT


def test_an_invitation_is_not_accepted_by_someone_else_signing_in(admin_client, org):
    stranger = UserFactory()
    link = _invite(admin_client, email="sam@example.com")
    visitor = Client()
    visitor.get(_relative(link))

    signed_in = visitor.post(
        reverse("account_login"),
        {"login": stranger.email, "password": "correct horse battery staple"},
    )

    assert signed_in.status_code == 302
    assert visitor.session[SESSION_KEY] == str(stranger.pk)
    assert not Membership.objects.filter(user=stranger, org=org).exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_who_signs_in_with_salesforce_accepts_by_signing_in(
    admin_client, org, sf
):
    flows.sign_in(Client())
    alex = get_user_model().objects.get(email="admin@demo.example")
    assert not alex.has_usable_password()
    link = _invite(admin_client, email="admin@demo.example")
    visitor = Client()
    visitor.get(_relative(link))

    response = flows.sign_in(visitor, follow=True)

    assert response.context["user"] == alex
    assert Membership.objects.get(user=alex, org=org).role == Role.SUPPORT
    assert Invitation.objects.get().accepted_by == alex
    assert org.name in response.content.decode()


def test_a_salesforce_sign_in_with_another_address_leaves_the_invitation_open(
    admin_client, org, sf
):
    link = _invite(admin_client, email="sam@example.com")
    visitor = Client()
    visitor.get(_relative(link))

    response = flows.sign_in(visitor, follow=True)

    alex = response.context["user"]
    assert alex.email == "admin@demo.example"
    assert not Membership.objects.filter(user=alex, org=org).exists()
    assert Invitation.objects.get().accepted_at is None
