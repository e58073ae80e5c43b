"""A newcomer sends a test activity, watches it land, then finds it in the
history by email with its request and response."""

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.activity.helpers import make_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def _sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie,
                "url": live_server.url,
            }
        ]
    )


def test_a_test_activity_lands_and_is_found_in_the_history_by_email(
    page, live_server, celery_worker_process, live_setup, admin_user, sf
):
    _sign_in(page, live_server, admin_user)
    page.goto("/submissions/test/")

    page.get_by_label("Business unit").select_option(label="Demo Marketing")
    page.wait_for_selector(
        "#id_activity option:has-text('Webinar Service')", state="attached"
    )
    page.get_by_label("Extension and activity type").select_option(
        label="Webinar Service · Registered"
    )
    page.get_by_label("Prospect email").fill("newcomer@example.com")
    page.get_by_label("Value").fill("First webinar")
    page.get_by_role("button", name="Send").click()

    result = page.get_by_role("region", name="Result")
    result.get_by_text("Succeeded", exact=True).wait_for(timeout=15_000)
    assert "HTTP 204" in result.inner_text()

    # Someone else's submission, which the email filter has to leave out.
    make_rows(live_setup, 1, email="other@example.com")
    page.get_by_role("link", name="Submissions", exact=True).first.click()
    page.wait_for_url(re.compile(r"/submissions/$"))
    assert page.locator("tbody tr").count() == 2
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]email=newcomer%40example\.com"))
    row = page.locator("tbody tr")
    assert row.count() == 1
    assert "Succeeded" in row.inner_text()

    row.get_by_role("link").first.click()
    page.get_by_text("Attempt 1").wait_for()
    body = page.locator(".attempt pre").first.inner_text()
    assert '"email": "newcomer@example.com"' in body
    assert "Bearer [redacted]" in page.content()
