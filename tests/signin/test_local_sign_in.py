"""Email-and-password sign-in for support staff, and its rate limit."""

from django.urls import reverse

PASSWORD = "correct horse battery staple"


def _attempt(client, email, password):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, follow=True
    )


def test_support_staff_sign_in_with_email_and_password(client, support_user, org):
    response = _attempt(client, support_user.email, PASSWORD)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == support_user
    assert org.name in response.content.decode()


def test_a_wrong_password_is_refused_with_a_sentence(client, support_user):
    response = _attempt(client, support_user.email, "wrong")

    assert not response.context["user"].is_authenticated
    assert "not correct" in response.content.decode()


def test_the_sixth_failed_attempt_is_refused_even_with_the_right_password(
    client, support_user
):
    for _ in range(5):
        page = _attempt(client, support_user.email, "wrong").content.decode()
        assert "Too many failed sign-in attempts" not in page

    response = _attempt(client, support_user.email, PASSWORD)

    assert not response.context["user"].is_authenticated
    page = response.content.decode()
    assert "Too many failed sign-in attempts for this email address." in page
    assert "Wait 15 minutes" in page


def test_the_limit_counts_per_address(client, support_user, admin_user):
    for _ in range(5):
        _attempt(client, support_user.email, "wrong")

    response = _attempt(client, admin_user.email, PASSWORD)

    assert response.context["user"] == admin_user
