"""A member of one org reaches nothing of another org, and support members
change nothing."""

import pytest
from django.urls import reverse

from salesforce.models import Connection, Invitation, Membership, Role
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    OrgFactory,
    UserFactory,
)


@pytest.fixture
def other_org(db):
    """Org B, with an admin, a waiting person, a connection and an invitation."""
    org = OrgFactory(name="Org B Private")
    admin = MembershipFactory(org=org, role=Role.ADMIN)
    waiting = MembershipFactory(
        org=org, role=Role.PENDING, user=UserFactory(email="waiting-b@example.com")
    )
    connection = ConnectionFactory(org=org, sf_username="secret-b@example.com")
    org.execution_connection = connection
    org.save()
    invitation = Invitation.objects.create(
        org=org, email="invitee-b@example.com", role=Role.SUPPORT, key_hash="x" * 64
    )
    return {
        "org": org,
        "admin": admin,
        "waiting": waiting,
        "connection": connection,
        "invitation": invitation,
    }


def _org_b_posts(b):
    connection, waiting = b["connection"].pk, b["waiting"].pk
    return [
        (reverse("salesforce:disconnect", args=[connection]), {}),
        (reverse("salesforce:make_execution", args=[connection]), {}),
        (reverse("salesforce:reconnect", args=[connection]), {}),
        (reverse("salesforce:member_role", args=[waiting]), {"role": "admin"}),
        (reverse("salesforce:member_remove", args=[waiting]), {}),
        (reverse("salesforce:revoke_invitation", args=[b["invitation"].pk]), {}),
    ]


def test_no_page_of_another_org_answers_an_admin_of_this_one(admin_client, other_org):
    b = other_org

    detail = admin_client.get(
        reverse("salesforce:connection", args=[b["connection"].pk])
    )
    answers = [admin_client.post(url, data) for url, data in _org_b_posts(b)]
    members = admin_client.get(reverse("salesforce:members")).content.decode()
    settings_page = admin_client.get(reverse("salesforce:settings")).content.decode()

    assert detail.status_code == 404
    assert [a.status_code for a in answers] == [404] * len(answers)
    for page in (members, settings_page):
        assert "Org B Private" not in page
        assert "waiting-b@example.com" not in page
        assert "invitee-b@example.com" not in page
        assert "secret-b@example.com" not in page
    connection = Connection.objects.get(pk=b["connection"].pk)
    assert connection.status == "active" and connection.access_token
    assert Membership.objects.get(pk=b["waiting"].pk).role == Role.PENDING
    assert Invitation.objects.get(pk=b["invitation"].pk).revoked_at is None


def test_being_pending_in_another_org_opens_none_of_its_pages(
    admin_client, admin_user, other_org
):
    Membership.objects.create(user=admin_user, org=other_org["org"], role=Role.PENDING)

    switched = admin_client.post(
        reverse("salesforce:switch"), {"org": other_org["org"].pk}, follow=True
    )
    answers = [admin_client.post(url, data) for url, data in _org_b_posts(other_org)]

    assert "You do not belong to that org." in switched.content.decode()
    assert [a.status_code for a in answers] == [404] * len(answers)


def test_support_members_change_nothing(support_client, org):
    connection = ConnectionFactory(org=org)
    waiting = MembershipFactory(org=org, role=Role.PENDING)
    invitation = Invitation.objects.create(
        org=org, email="i@example.com", role=Role.SUPPORT, key_hash="y" * 64
    )
    posts = [
        (reverse("salesforce:disconnect", args=[connection.pk]), {}),
        (reverse("salesforce:make_execution", args=[connection.pk]), {}),
        (reverse("salesforce:reconnect", args=[connection.pk]), {}),
        (reverse("salesforce:integration_connect"), {}),
        (reverse("salesforce:member_role", args=[waiting.pk]), {"role": "admin"}),
        (reverse("salesforce:member_remove", args=[waiting.pk]), {}),
        (reverse("salesforce:invite"), {"email": "n@example.com", "role": "admin"}),
        (reverse("salesforce:revoke_invitation", args=[invitation.pk]), {}),
        (
            reverse("salesforce:account_engagement_host"),
            {"account_engagement_url": "https://pi.demo.pardot.com"},
        ),
    ]

    answers = [support_client.post(url, data) for url, data in posts]

    assert [a.status_code for a in answers] == [403] * len(answers)
    connection.refresh_from_db()
    assert connection.status == "active"
    assert Membership.objects.get(pk=waiting.pk).role == Role.PENDING
    assert Invitation.objects.count() == 1
    org.refresh_from_db()
    assert org.account_engagement_url == ""
