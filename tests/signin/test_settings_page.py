"""The Settings page: each connection's health, API usage, and the Account
Engagement host."""

from cryptography.fernet import Fernet
from django.urls import reverse
from django.utils import timezone

from salesforce.models import AuditEvent
from tests.factories import ConnectionFactory


def test_settings_show_each_connections_health_and_the_execution_one(admin_client, org):
    sender = ConnectionFactory(org=org, sf_username="ivy@example.com")
    broken = ConnectionFactory(
        org=org,
        sf_username="old@example.com",
        scopes="api id openid",
        status="needs_reconnect",
        last_error="Salesforce refused the stored refresh token.",
        last_refresh_at=timezone.now(),
    )
    org.execution_connection = sender
    org.api_requests_used, org.api_requests_limit = 120, 15000
    org.api_usage_seen_at = timezone.now()
    org.save()

    page = admin_client.get(reverse("salesforce:settings")).content.decode()

    assert "ivy@example.com" in page and "old@example.com" in page
    assert page.count("Sends activities") == 1
    assert "Missing: Access Account Engagement services (pardot_api)" in page
    assert (
        "Missing: Perform requests at any time (refresh_token, offline_access)" in page
    )
    assert "Salesforce refused the stored refresh token." in page
    assert "Needs reconnect" in page
    assert "120 of 15000" in page
    assert reverse("salesforce:reconnect", args=[broken.pk]) in page
    assert reverse("salesforce:make_execution", args=[sender.pk]) not in page
    assert "Connect integration user" in page


def test_a_full_scope_connection_agrees_with_the_setup_check(admin_client, org):
    org.execution_connection = ConnectionFactory(
        org=org, sf_username="ivy@example.com", scopes="full refresh_token id"
    )
    org.save()

    page = admin_client.get(reverse("salesforce:settings")).content.decode()

    assert "ivy@example.com" in page
    assert "Missing:" not in page


def test_support_sees_the_settings_read_only(support_client, org):
    connection = ConnectionFactory(org=org, sf_username="ivy@example.com")

    page = support_client.get(reverse("salesforce:settings")).content.decode()
    detail = support_client.get(reverse("salesforce:connection", args=[connection.pk]))

    assert "ivy@example.com" in page
    assert "<form" not in page.split("</header>")[1]
    assert "Connect integration user" not in page
    assert detail.status_code == 200
    assert "Disconnect" not in detail.content.decode()


def test_an_admin_overrides_the_account_engagement_host(admin_client, org, admin_user):
    response = admin_client.post(
        reverse("salesforce:account_engagement_host"),
        {"account_engagement_url": "https://pi.demo.pardot.com/"},
        follow=True,
    )

    org.refresh_from_db()
    assert org.account_engagement_url == "https://pi.demo.pardot.com"
    assert org.account_engagement_host == "https://pi.demo.pardot.com"
    assert "now go to https://pi.demo.pardot.com" in response.content.decode()
    assert AuditEvent.objects.get(action="account_engagement_host.changed").actor == (
        admin_user
    )


def test_a_host_that_is_not_account_engagement_is_refused(admin_client, org):
    response = admin_client.post(
        reverse("salesforce:account_engagement_host"),
        {"account_engagement_url": "https://collector.example.com"},
        follow=True,
    )

    org.refresh_from_db()
    assert org.account_engagement_url == ""
    assert "is not an Account Engagement host" in response.content.decode()


def test_an_empty_host_goes_back_to_the_default_for_the_org_type(
    admin_client, org, settings
):
    settings.ACCOUNT_ENGAGEMENT_URL = ""
    org.account_engagement_url = "https://pi.demo.pardot.com"
    org.save()

    admin_client.post(
        reverse("salesforce:account_engagement_host"), {"account_engagement_url": ""}
    )

    org.refresh_from_db()
    assert org.account_engagement_host == "https://pi.pardot.com"


def test_a_wrong_encryption_key_does_not_break_the_pages_that_list_connections(
    admin_client, org, settings
):
    broken = ConnectionFactory(
        org=org, sf_username="old@example.com", status="needs_reconnect"
    )
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    page = admin_client.get(reverse("salesforce:settings"))
    detail = admin_client.get(reverse("salesforce:connection", args=[broken.pk]))
    members = admin_client.get(reverse("salesforce:members"))

    assert page.status_code == 200
    assert "old@example.com" in page.content.decode()
    assert reverse("salesforce:reconnect", args=[broken.pk]) in page.content.decode()
    assert detail.status_code == 200
    assert members.status_code == 200
