"""Connections after sign-in: refresh, revocation and reconnect, disconnect,
the integration user, and tokens kept for one session only."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from salesforce import connections
from salesforce.client import SalesforceClient
from salesforce.errors import RefreshTokenRevoked
from salesforce.models import AuditEvent, Connection, Org
from salesforce.tasks import drop_session_only_tokens
from tests.factories import MembershipFactory
from tests.signin import flows

INTEGRATION_ID = "005000000000002AAA"


def _signed_in_admin(client) -> Connection:
    flows.sign_in(client)
    return Connection.objects.get()


def _query_organization(connection: Connection) -> list[dict]:
    with SalesforceClient(connection) as salesforce:
        return salesforce.rest_query("SELECT Id, Name FROM Organization")


@pytest.mark.django_db
def test_an_expired_access_token_is_refreshed_by_the_next_call(client, sf):
    connection = _signed_in_admin(client)
    old_token = connection.access_token
    sf.expire_tokens()

    records = _query_organization(connection)

    assert records[0]["Name"] == "Demo Org"
    connection.refresh_from_db()
    assert connection.access_token != old_token
    assert connection.last_refresh_at is not None
    assert connection.status == "active"
    page = client.get(reverse("salesforce:settings")).content.decode()
    assert "<td>never</td>" not in page
    assert (
        "<td>%s</td>" % date_format(localtime(connection.last_refresh_at), "j M Y, H:i")
        in page
    )


@pytest.mark.django_db
def test_a_revoked_refresh_token_shows_the_banner_and_reconnect_restores_it(client, sf):
    connection = _signed_in_admin(client)
    sf.revoke_tokens()
    sf.expire_tokens()
    with pytest.raises(RefreshTokenRevoked):
        _query_organization(connection)
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"

    dashboard = client.get(reverse("home")).content.decode()
    assert "Salesforce no longer accepts the connection of" in dashboard
    assert reverse("salesforce:reconnect", args=[connection.pk]) in dashboard
    start = client.post(reverse("salesforce:reconnect", args=[connection.pk]))
    assert start.status_code == 302
    assert flows.query(start["Location"])["login_hint"] == "admin@demo.example"
    response = flows.callback(client, flows.authorize(start["Location"]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("salesforce:settings")
    assert "admin@demo.example is connected again." in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == "active"
    assert connection.last_error == ""
    assert _query_organization(connection)[0]["Name"] == "Demo Org"
    assert "no longer accepts" not in client.get(reverse("home")).content.decode()
    assert AuditEvent.objects.filter(action="connection.reconnected").exists()


@pytest.mark.django_db
def test_reconnecting_as_another_salesforce_user_is_refused(client, sf):
    connection = _signed_in_admin(client)
    Connection.objects.filter(pk=connection.pk).update(status="needs_reconnect")

    start = client.post(reverse("salesforce:reconnect", args=[connection.pk]))
    callback = flows.authorize(start["Location"], as_user=flows.INTEGRATION)
    response = flows.callback(client, callback, follow=True)

    assert "but this connection belongs to admin@demo.example" in (
        response.content.decode()
    )
    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"
    assert Connection.objects.count() == 1


@pytest.mark.django_db
def test_the_banner_is_for_admins_only(client, sf):
    connection = _signed_in_admin(client)
    Connection.objects.filter(pk=connection.pk).update(status="needs_reconnect")
    support = MembershipFactory(org=connection.org, role="support").user
    support_client = Client()
    support_client.force_login(support)

    support_page = support_client.get(reverse("home")).content.decode()
    admin_page = client.get(reverse("home")).content.decode()

    assert "no longer accepts" not in support_page
    assert "no longer accepts" in admin_page


@pytest.mark.django_db
def test_disconnect_revokes_the_tokens_at_salesforce_and_deletes_them(client, sf):
    connection = _signed_in_admin(client)

    response = client.post(
        reverse("salesforce:disconnect", args=[connection.pk]), follow=True
    )

    assert "is disconnected" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == "disconnected"
    assert connection.access_token == "" and connection.refresh_token == ""
    assert sf.state()["grants"] == []
    assert Org.objects.get().execution_connection is None
    assert AuditEvent.objects.filter(action="connection.disconnected").exists()


@pytest.mark.django_db
def test_a_slow_salesforce_does_not_keep_the_tokens_of_a_disconnected_connection(
    client, sf, monkeypatch
):
    monkeypatch.setattr(connections, "REVOKE_BUDGET_SECONDS", 1.0)
    connection = _signed_in_admin(client)
    sf.add_fault(path="/services/oauth2/revoke", latency_ms=4000, count=2)

    started = time.monotonic()
    response = client.post(
        reverse("salesforce:disconnect", args=[connection.pk]), follow=True
    )
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert "did not confirm that it revoked them" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == "disconnected"
    assert connection.access_token == "" and connection.refresh_token == ""
    assert Org.objects.get().execution_connection is None
    unconfirmed = AuditEvent.objects.get(action="connection.revoke_unconfirmed")
    assert unconfirmed.outcome == "failed"
    assert AuditEvent.objects.filter(action="connection.disconnected").exists()


@pytest.mark.django_db
def test_connect_integration_user_makes_it_the_execution_connection(client, sf):
    admin_connection = _signed_in_admin(client)
    admin = admin_connection.user

    start = client.post(reverse("salesforce:integration_connect"))
    assert flows.query(start["Location"])["prompt"] == "login"
    callback = flows.authorize(start["Location"], as_user=flows.INTEGRATION)
    response = flows.callback(client, callback, follow=True)

    assert response.redirect_chain[-1][0] == reverse("salesforce:settings")
    page = response.content.decode()
    assert "integration@demo.example now sends Demo Org&#x27;s activities." in page
    assert response.context["user"] == admin
    org = Org.objects.get()
    integration = Connection.objects.get(sf_user_id=INTEGRATION_ID)
    assert org.execution_connection == integration
    assert integration.keep_token
    assert integration.user == admin
    assert not admin.socialaccount_set.filter(uid=INTEGRATION_ID).exists()
    assert AuditEvent.objects.filter(
        action="execution_connection.changed", target="integration@demo.example"
    ).exists()


@pytest.mark.django_db
def test_an_integration_user_from_another_org_is_refused(client, sf):
    _signed_in_admin(client)
    other = sf.add_org(
        "Other Org", users=[{"username": "x@other.example", "name": "X"}]
    )

    start = client.post(reverse("salesforce:integration_connect"))
    callback = flows.authorize(start["Location"], as_user="x@other.example")
    response = flows.callback(client, callback, follow=True)

    assert "You signed in to a different Salesforce org (%s)" % other["org_id"] in (
        response.content.decode()
    )
    assert Connection.objects.count() == 1


@pytest.mark.django_db
def test_an_admin_can_make_another_connection_the_execution_connection(client, sf):
    admin_connection = _signed_in_admin(client)
    start = client.post(reverse("salesforce:integration_connect"))
    flows.callback(
        client, flows.authorize(start["Location"], as_user=flows.INTEGRATION)
    )

    client.post(reverse("salesforce:make_execution", args=[admin_connection.pk]))

    assert Org.objects.get().execution_connection == admin_connection


@pytest.mark.django_db
def test_a_session_only_token_is_dropped_when_the_admin_signs_out(client, sf):
    flows.sign_in(client)
    integration_start = client.post(reverse("salesforce:integration_connect"))
    flows.callback(
        client,
        flows.authorize(integration_start["Location"], as_user=flows.INTEGRATION),
    )
    client.post(reverse("account_logout"))

    flows.sign_in(client, data={"forget_token": "on"})
    own = Connection.objects.get(sf_username="admin@demo.example")
    assert not own.keep_token
    assert own.status == "active"
    client.post(reverse("account_logout"))

    own.refresh_from_db()
    assert own.status == "disconnected"
    assert own.access_token == "" and own.refresh_token == ""
    integration = Connection.objects.get(sf_username="integration@demo.example")
    assert integration.status == "active" and integration.access_token
    assert [g["user"] for g in sf.state()["grants"]] == ["integration@demo.example"]


@pytest.mark.django_db
def test_the_execution_connection_keeps_its_token_even_if_asked_not_to(client, sf):
    response = flows.sign_in(client, data={"forget_token": "on"}, follow=True)

    connection = Connection.objects.get()
    assert Org.objects.get().execution_connection is None
    assert not connection.keep_token
    assert any(
        "no connection to send activities" in m for m in flows.messages_of(response)
    )
    client.post(reverse("account_logout"))
    flows.sign_in(client)
    client.post(reverse("salesforce:make_execution", args=[connection.pk]))
    client.post(reverse("account_logout"))

    response = flows.sign_in(client, data={"forget_token": "on"}, follow=True)

    connection.refresh_from_db()
    assert connection.keep_token
    assert any("is kept after you sign out" in m for m in flows.messages_of(response))


@pytest.mark.django_db
def test_a_slow_salesforce_does_not_hold_up_signing_out_with_a_session_only_token(
    client, sf, monkeypatch
):
    monkeypatch.setattr(connections, "REVOKE_BUDGET_SECONDS", 1.0)
    flows.sign_in(client, data={"forget_token": "on"})
    sf.add_fault(path="/services/oauth2/revoke", latency_ms=4000, count=2)

    started = time.monotonic()
    response = client.post(reverse("account_logout"), follow=True)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert not response.context["user"].is_authenticated
    connection = Connection.objects.get()
    assert connection.status == "disconnected"
    assert connection.access_token == "" and connection.refresh_token == ""


@pytest.mark.django_db
def test_a_session_only_token_is_dropped_once_its_owners_session_has_expired(
    client, sf, settings
):
    sf.add_org("Other Org", users=[{"username": "bo@other.example", "name": "Bo"}])
    flows.sign_in(client, data={"forget_token": "on"})
    flows.sign_in(Client(), as_user="bo@other.example", data={"forget_token": "on"})
    alex = Connection.objects.get(sf_username=flows.ADMIN)
    bo = Connection.objects.get(sf_username="bo@other.example")
    Connection.objects.update(updated_at=timezone.now() - timedelta(minutes=10))
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    drop_session_only_tokens()

    alex.refresh_from_db()
    bo.refresh_from_db()
    assert alex.status == "disconnected"
    assert alex.access_token == "" and alex.refresh_token == ""
    assert bo.status == "active" and bo.access_token
    assert flows.ADMIN not in [g["user"] for g in sf.state()["grants"]]
    event = AuditEvent.objects.get(action="connection.disconnected", target=flows.ADMIN)
    assert event.actor is None
    assert "session ended without a sign-out" in event.detail
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "salesforce.tasks.drop_session_only_tokens" in scheduled


@pytest.mark.django_db
def test_a_session_only_token_made_a_moment_ago_is_left_alone(client, sf):
    flows.sign_in(client, data={"forget_token": "on"})
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    drop_session_only_tokens()

    assert Connection.objects.get().status == "active"
