"""Every page carries the security headers a browser needs to protect people."""


def test_pages_allow_forms_to_post_only_here_and_to_the_login_host(
    client, db, settings
):
    settings.SALESFORCE_LOGIN_URL = "https://acme.my.salesforce.com"

    policy = client.get("/accounts/login/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "form-action 'self' https://login.salesforce.com" in policy
    assert "https://acme.my.salesforce.com" in policy


def test_pages_cannot_be_framed_or_sniffed(client, db):
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
