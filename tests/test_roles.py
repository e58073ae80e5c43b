"""Per-org roles: who sees what, and switching between orgs."""

from django.urls import reverse

from tests.factories import MembershipFactory, OrgFactory


def test_member_lands_on_the_dashboard_of_their_org(admin_client, org):
    response = admin_client.get(reverse("home"))

    assert response.status_code == 200
    assert org.name in response.content.decode()


def test_person_without_an_org_is_told_how_to_get_access(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("home"))

    assert response.status_code == 403
    assert "do not belong to any org" in response.content.decode()


def test_person_awaiting_a_role_is_told_who_must_grant_it(client, org):
    waiting = MembershipFactory(org=org, role="pending").user
    client.force_login(waiting)

    response = client.get(reverse("activity:history"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "has not given you a role yet" in page
    assert org.name in page


def test_member_of_two_orgs_can_switch_and_sees_only_the_current_one(client, db):
    first, second = OrgFactory(name="Acme East"), OrgFactory(name="Acme West")
    person = MembershipFactory(org=first, role="support").user
    MembershipFactory(user=person, org=second, role="admin")
    client.force_login(person)

    client.post(reverse("salesforce:switch"), {"org": second.pk})
    page = client.get(reverse("salesforce:settings")).content.decode()

    assert second.sf_org_id in page
    assert first.sf_org_id not in page


def test_switching_to_an_org_you_do_not_belong_to_is_refused(support_client, org):
    stranger = OrgFactory(name="Someone Else")

    response = support_client.post(
        reverse("salesforce:switch"), {"org": stranger.pk}, follow=True
    )

    page = response.content.decode()
    assert "You do not belong to that org." in page
    assert (
        stranger.sf_org_id
        not in support_client.get(reverse("salesforce:settings")).content.decode()
    )
