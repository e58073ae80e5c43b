"""The whole sign-in against the emulator: who becomes what, what is stored,
and what people are told when it goes wrong."""

import threading
import time

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.db import connection as db
from django.test import Client
from django.urls import reverse

from salesforce import signin
from salesforce.models import AuditEvent, Connection, Membership, Org, Role
from tests.factories import OrgFactory, UserFactory
from tests.signin import flows
from tests.support.salesforce import oauth_tokens

DEMO_ORG_ID = "00D000000000001EAA"
ADMIN_ID = "005000000000001AAA"


@pytest.mark.django_db
def test_the_first_person_to_connect_an_org_lands_on_the_dashboard_as_its_admin(
    client, sf
):
    response = flows.sign_in(client, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Demo Org is connected. You are its admin." in page
    assert "Admin" in page
    org = Org.objects.get(sf_org_id=DEMO_ORG_ID)
    assert org.name == "Demo Org"
    assert org.org_type == "production"
    assert org.login_url == sf.url
    assert org.instance_url == sf.url
    membership = Membership.objects.get(org=org)
    assert membership.role == Role.ADMIN
    assert membership.user.email == "admin@demo.example"
    connection = Connection.objects.get(org=org)
    assert connection.sf_user_id == ADMIN_ID
    assert connection.sf_username == "admin@demo.example"
    assert connection.user == membership.user
    assert connection.scope_set == {
        "api",
        "pardot_api",
        "refresh_token",
        "id",
        "openid",
    }
    assert connection.issued_at is not None
    assert connection.status == "active"
    assert org.execution_connection == connection
    actions = set(AuditEvent.objects.filter(org=org).values_list("action", flat=True))
    assert {"org.connected", "connection.made", "execution_connection.changed"} <= (
        actions
    )


@pytest.mark.django_db
def test_tokens_are_stored_only_on_the_connection_and_only_encrypted(client, sf):
    flows.sign_in(client)

    connection = Connection.objects.get()
    assert connection.access_token.startswith("00D000000000001!")
    assert connection.refresh_token
    assert not SocialToken.objects.exists()
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM orgs_connection")
        stored_access, stored_refresh = cursor.fetchone()
        cursor.execute("SELECT session_data FROM django_session")
        sessions = " ".join(row[0] for row in cursor.fetchall())
    assert connection.access_token not in stored_access
    assert connection.refresh_token not in stored_refresh
    assert connection.access_token not in sessions
    assert connection.refresh_token not in sessions
    extra = str(SocialAccount.objects.get().extra_data)
    assert connection.access_token not in extra
    assert connection.refresh_token not in extra
    assert SocialAccount.objects.get().extra_data["grant"]["sf_org_id"] == DEMO_ORG_ID


@pytest.mark.django_db
def test_signing_in_again_keeps_one_connection_with_fresh_tokens(client, sf):
    flows.sign_in(client)
    first = Connection.objects.get().access_token
    client.post(reverse("account_logout"))

    flows.sign_in(client)

    assert Connection.objects.count() == 1
    assert Connection.objects.get().access_token != first
    assert Membership.objects.get().role == Role.ADMIN


@pytest.mark.django_db
def test_a_second_person_from_a_connected_org_waits_for_an_admin(client, sf):
    flows.sign_in(client)
    client.post(reverse("account_logout"))

    response = flows.sign_in(client, as_user=flows.INTEGRATION, follow=True)

    assert response.status_code == 403
    page = response.content.decode()
    assert "Demo Org is already connected here" in page
    assert "has not given you a role yet" in page
    waiting = Membership.objects.get(user__email="integration@demo.example")
    assert waiting.role == Role.PENDING
    assert Connection.objects.count() == 1
    grants = [g["user"] for g in sf.state()["grants"]]
    assert "integration@demo.example" not in grants
    assert client.get(reverse("salesforce:settings")).status_code == 403


@pytest.mark.django_db
def test_deny_on_the_consent_page_returns_to_sign_in_with_a_sentence(client, sf):
    sf.settings(auto_approve=False)
    url = flows.start(client)

    response = flows.callback(client, flows.decide(url, "deny"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "You chose Deny on Salesforce&#x27;s page" in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert not Org.objects.exists()


@pytest.mark.django_db
def test_allow_on_the_consent_page_for_a_chosen_user_signs_that_user_in(client, sf):
    sf.settings(auto_approve=False)
    url = flows.start(client)

    response = flows.callback(
        client, flows.decide(url, "allow", user_id=ADMIN_ID), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].email == "admin@demo.example"


@pytest.mark.django_db
def test_a_missing_permission_is_named_with_how_an_admin_grants_it(client, sf):
    sf.settings(grantable_scopes=["api", "id", "openid"])

    response = flows.sign_in(client, follow=True)

    said = flows.messages_of(response)
    pardot = [m for m in said if "(pardot_api)" in m]
    refresh = [m for m in said if "(refresh_token, offline_access)" in m]
    assert len(pardot) == 1 and len(refresh) == 1
    assert '"Access Account Engagement services (pardot_api)"' in pardot[0]
    assert (
        "Setup → App Manager → the connected app → Edit → Selected OAuth" in (pardot[0])
    )
    assert (
        '"Perform requests at any time (refresh_token, offline_access)"' in (refresh[0])
    )
    connection = Connection.objects.get()
    assert connection.scope_set == {"api", "id", "openid"}
    assert connection.refresh_token == ""
    settings_page = client.get(reverse("salesforce:settings")).content.decode()
    assert "Missing: Access Account Engagement services (pardot_api)" in settings_page


@pytest.mark.django_db
def test_a_pkce_verifier_that_does_not_match_fails_the_token_exchange(client, sf):
    url = flows.start(client)
    session = client.session
    states = session["socialaccount_states"]
    for stashed in states.values():
        stashed[0]["pkce_code_verifier"] = "x" * 96
    session["socialaccount_states"] = states
    session.save()

    response = flows.callback(client, flows.authorize(url), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "Salesforce did not accept the sign-in" in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert sf.stats()["token_errors"] == 1
    assert not Org.objects.exists()


@pytest.mark.django_db
def test_a_code_used_twice_is_refused_with_a_sentence(client, sf):
    callback_url = flows.authorize(flows.start(client))
    flows.callback(client, callback_url)
    client.post(reverse("account_logout"))

    response = flows.callback(client, callback_url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "start again" in response.content.decode()


@pytest.mark.django_db
def test_a_callback_with_a_forged_state_signs_nobody_in(client, sf):
    callback_url = flows.authorize(flows.start(client))
    forged = callback_url.replace("state=", "state=forged")

    response = flows.callback(client, forged, follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert not response.context["user"].is_authenticated
    assert not Org.objects.exists()


@pytest.mark.django_db
def test_a_failed_token_exchange_is_a_sentence_on_the_sign_in_page(client, sf):
    url = flows.start(client)
    sf.add_fault(path="/services/oauth2/token", status=500, body="oops")

    response = flows.callback(client, flows.authorize(url), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "did not complete" in response.content.decode()


@pytest.mark.django_db
def test_a_salesforce_user_whose_email_has_a_local_account_is_sent_to_password(
    client, sf
):
    UserFactory(email="admin@demo.example")

    response = flows.sign_in(client, follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "already has an email-and-password account" in response.content.decode()
    assert not Org.objects.exists()
    assert sf.state()["grants"] == []


def _sandbox_with_the_same_person(sf) -> dict:
    return sf.add_org(
        "Demo Sandbox",
        org_type="sandbox",
        users=[
            {
                "username": "admin@demo.example.uat",
                "name": "Alex Admin",
                "email": "admin@demo.example",
            }
        ],
    )


@pytest.mark.django_db
def test_one_person_with_logins_in_two_orgs_belongs_to_both_and_can_switch(client, sf):
    sandbox = _sandbox_with_the_same_person(sf)
    flows.sign_in(client)
    settings_page = client.get(reverse("salesforce:settings")).content.decode()
    assert reverse("salesforce:add_org") in settings_page

    start = client.post(reverse("salesforce:add_org"))
    assert flows.query(start["Location"])["prompt"] == "login"
    callback = flows.authorize(start["Location"], as_user="admin@demo.example.uat")
    response = flows.callback(client, callback, follow=True)

    assert response.redirect_chain[-1][0] == reverse("salesforce:settings")
    assert "Demo Sandbox is connected. You are its admin." in response.content.decode()
    person = response.context["user"]
    assert person.socialaccount_set.count() == 2
    assert set(person.memberships.values_list("org__name", "role")) == {
        ("Demo Org", Role.ADMIN),
        ("Demo Sandbox", Role.ADMIN),
    }
    assert Org.objects.get(sf_org_id=sandbox["org_id"]).org_type == "sandbox"
    demo = Org.objects.get(sf_org_id=DEMO_ORG_ID)
    switched = client.post(reverse("salesforce:switch"), {"org": demo.pk}, follow=True)
    assert "Demo Org" in switched.content.decode()
    client.post(reverse("account_logout"))
    again = flows.sign_in(client, as_user="admin@demo.example.uat", follow=True)
    assert again.context["user"] == person


@pytest.mark.django_db
def test_a_new_salesforce_login_with_a_known_email_is_refused_while_signed_out(
    client, sf
):
    sandbox = _sandbox_with_the_same_person(sf)
    flows.sign_in(client)
    client.post(reverse("account_logout"))

    response = flows.sign_in(client, as_user="admin@demo.example.uat", follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    page = response.content.decode()
    assert "admin@demo.example already belongs to someone here." in page
    assert "sign in first" in page and "Add another Salesforce org" in page
    assert not response.context["user"].is_authenticated
    assert SocialAccount.objects.count() == 1
    assert not Org.objects.filter(sf_org_id=sandbox["org_id"]).exists()
    grants = [g["user"] for g in sf.state()["grants"]]
    assert "admin@demo.example.uat" not in grants


@pytest.mark.django_db
def test_a_salesforce_login_someone_else_signs_in_with_cannot_be_added(
    client, sf, support_user
):
    flows.sign_in(Client())
    client.force_login(support_user)

    start = client.post(reverse("salesforce:add_org"))
    response = flows.callback(client, flows.authorize(start["Location"]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("salesforce:settings")
    assert (
        "The Salesforce login admin@demo.example is how someone else signs in here"
        in response.content.decode()
    )
    assert response.context["user"] == support_user
    assert not support_user.socialaccount_set.exists()
    demo = Org.objects.get(sf_org_id=DEMO_ORG_ID)
    assert not demo.memberships.filter(user=support_user).exists()


def _grant(sf, username: str) -> signin.Grant:
    """A grant as a sign-in by ``username`` at the emulator hands it over."""
    tokens = oauth_tokens(sf.url, username)
    org_id, user_id = tokens["id"].rstrip("/").split("/")[-2:]
    return signin.Grant(
        login_url=sf.url,
        instance_url=tokens["instance_url"],
        sf_org_id=org_id,
        sf_user_id=user_id,
        sf_username=username,
        scopes=tuple(tokens["scope"].split()),
        issued_at=None,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
    )


def _sign_in_at_once(monkeypatch, arrivals: list[tuple]) -> list[object]:
    """Run ``salesforce_sign_in`` for each (user, grant) in its own thread,
    each pausing once it has its membership, so the others arrive meanwhile."""
    record = signin.audit_record

    def record_then_pause(**kwargs):
        event = record(**kwargs)
        if kwargs["action"] in ("org.connected", "member.access_requested"):
            time.sleep(0.5)
        return event

    monkeypatch.setattr(signin, "audit_record", record_then_pause)
    outcomes: list[object] = []
    together = threading.Barrier(len(arrivals))

    def arrive(user, grant) -> None:
        try:
            together.wait(timeout=10)
            result = signin.salesforce_sign_in(user=user, grant=grant, keep_token=True)
            outcomes.append(result.membership.role)
        except Exception as error:  # noqa: BLE001 (reported below)
            outcomes.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=arrive, args=pair) for pair in arrivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_people_arriving_at_once_at_an_org_without_an_admin_make_one_admin(
    sf, monkeypatch
):
    org = OrgFactory(sf_org_id=DEMO_ORG_ID, login_url=sf.url, instance_url=sf.url)
    alex = UserFactory(email="admin@demo.example")
    ivy = UserFactory(email="integration@demo.example")

    outcomes = _sign_in_at_once(
        monkeypatch,
        [(alex, _grant(sf, flows.ADMIN)), (ivy, _grant(sf, flows.INTEGRATION))],
    )

    assert sorted(map(str, outcomes)) == [Role.ADMIN, Role.PENDING]
    assert org.memberships.filter(role=Role.ADMIN).count() == 1
    assert org.memberships.filter(role=Role.PENDING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_person_signing_in_twice_at_once_gets_one_membership(sf, monkeypatch):
    org = OrgFactory(sf_org_id=DEMO_ORG_ID, login_url=sf.url, instance_url=sf.url)
    alex = UserFactory(email="admin@demo.example")

    outcomes = _sign_in_at_once(
        monkeypatch,
        [(alex, _grant(sf, flows.ADMIN)), (alex, _grant(sf, flows.ADMIN))],
    )

    assert outcomes == [Role.ADMIN, Role.ADMIN]
    assert Membership.objects.get(org=org, user=alex).role == Role.ADMIN
    assert Connection.objects.filter(org=org).count() == 1
