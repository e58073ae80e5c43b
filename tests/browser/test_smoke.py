"""A first visit in a real browser lands on the sign-in page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_first_visit_lands_on_sign_in_with_the_salesforce_button(page):
    page.goto("/")

    assert "/accounts/login/" in page.url
    button = page.get_by_role("button", name="Log in with Salesforce")
    assert button.is_visible()
    assert page.get_by_text("Demo org.").is_visible()
