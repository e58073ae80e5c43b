"""The Members page: roles, removal, and the org's last admin."""

import threading
import time

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from salesforce import members
from salesforce.models import AuditEvent, Membership, Role
from tests.factories import MembershipFactory, OrgFactory


@pytest.fixture
def admin_membership(admin_user, org):
    return Membership.objects.get(user=admin_user, org=org)


def test_the_members_page_lists_the_org_and_its_people(admin_client, org, support_user):
    waiting = MembershipFactory(org=org, role=Role.PENDING).user

    page = admin_client.get(reverse("salesforce:members")).content.decode()

    assert "Members of %s" % org.name in page
    assert support_user.email in page
    assert waiting.email in page
    assert "Awaiting access" in page


def test_support_members_cannot_open_the_members_page(support_client):
    response = support_client.get(reverse("salesforce:members"))

    assert response.status_code == 403


def test_an_admin_grants_a_waiting_person_a_role(admin_client, org, admin_user):
    waiting = MembershipFactory(org=org, role=Role.PENDING)

    response = admin_client.post(
        reverse("salesforce:member_role", args=[waiting.pk]),
        {"role": "support"},
        follow=True,
    )

    waiting.refresh_from_db()
    assert waiting.role == Role.SUPPORT
    assert "is now Support" in response.content.decode()
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.actor == admin_user
    assert event.detail == "Awaiting access → Support."
    person = Client()
    person.force_login(waiting.user)
    assert person.get(reverse("home")).status_code == 200


def test_an_admin_makes_a_support_member_an_admin(admin_client, org, support_user):
    membership = Membership.objects.get(user=support_user)

    admin_client.post(
        reverse("salesforce:member_role", args=[membership.pk]), {"role": "admin"}
    )

    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_pending_is_not_a_role_an_admin_can_give(admin_client, support_user):
    membership = Membership.objects.get(user=support_user)

    response = admin_client.post(
        reverse("salesforce:member_role", args=[membership.pk]),
        {"role": "pending"},
        follow=True,
    )

    membership.refresh_from_db()
    assert membership.role == Role.SUPPORT
    assert "Choose the Admin or the Support role." in response.content.decode()


def test_the_last_admin_cannot_be_demoted(admin_client, admin_membership, org):
    response = admin_client.post(
        reverse("salesforce:member_role", args=[admin_membership.pk]),
        {"role": "support"},
        follow=True,
    )

    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.ADMIN
    assert "they are the last admin of %s" % org.name in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_the_last_admin_cannot_be_removed(admin_client, admin_membership, org):
    response = admin_client.post(
        reverse("salesforce:member_remove", args=[admin_membership.pk]), follow=True
    )

    assert Membership.objects.filter(pk=admin_membership.pk).exists()
    assert "You cannot remove" in response.content.decode()


def test_an_admin_can_step_down_when_another_admin_remains(
    admin_client, admin_membership, org
):
    MembershipFactory(org=org, role=Role.ADMIN)

    admin_client.post(
        reverse("salesforce:member_role", args=[admin_membership.pk]),
        {"role": "support"},
    )

    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.SUPPORT


def test_an_admin_removes_a_member(admin_client, support_user, admin_user):
    membership = Membership.objects.get(user=support_user)

    response = admin_client.post(
        reverse("salesforce:member_remove", args=[membership.pk]), follow=True
    )

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert "no longer belongs to" in response.content.decode()
    event = AuditEvent.objects.get(action="member.removed")
    assert event.actor == admin_user
    assert event.target == support_user.username


def test_role_changes_are_posts_only(admin_client, support_user):
    membership = Membership.objects.get(user=support_user)

    response = admin_client.get(
        reverse("salesforce:member_remove", args=[membership.pk])
    )

    assert response.status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_exactly_one_admin(monkeypatch):
    org = OrgFactory()
    first = MembershipFactory(org=org, role=Role.ADMIN)
    second = MembershipFactory(org=org, role=Role.ADMIN)
    check = members._refuse_losing_last_admin

    def check_then_pause(membership, verb):
        check(membership, verb)
        # Long enough for the other demotion to reach its own check.
        time.sleep(0.5)

    monkeypatch.setattr(members, "_refuse_losing_last_admin", check_then_pause)
    outcomes: list[object] = []
    together = threading.Barrier(2)

    def demote(target: Membership, actor) -> None:
        try:
            together.wait(timeout=10)
            members.member_set_role(
                membership=Membership.objects.select_related("org", "user").get(
                    pk=target.pk
                ),
                role=Role.SUPPORT,
                actor=actor,
            )
            outcomes.append("demoted")
        except members.MembershipRefused:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 (reported below)
            outcomes.append(error)
        finally:
            db_connection.close()

    threads = [
        threading.Thread(target=demote, args=(second, first.user)),
        threading.Thread(target=demote, args=(first, second.user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, outcomes)) == ["demoted", "refused"]
    assert Membership.objects.filter(org=org, role=Role.ADMIN).count() == 1
