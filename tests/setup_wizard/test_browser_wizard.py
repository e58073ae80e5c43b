"""A new admin walks the whole wizard in a real browser, with a real worker
and the emulator, and ends on a green summary."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.setup_wizard.helpers import org_records

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def _sign_in(page, client, user, live_server) -> None:
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server.url,
            }
        ]
    )


def test_a_new_admin_completes_the_wizard_and_sees_a_green_summary(
    page, live_server, client, celery_worker_process, connected_org, admin_user, sf
):
    _sign_in(page, client, admin_user, live_server)

    page.goto("/")
    expect(page.get_by_text("Nothing is set up yet")).to_be_visible()
    page.get_by_role("link", name="Setup", exact=True).last.click()
    page.get_by_role("button", name="Start the setup wizard").click()

    expect(
        page.get_by_text("All set: the connection can do the setup.")
    ).to_be_visible()
    expect(page.get_by_text("Found Demo Marketing, Demo Sales.")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Extension name").fill("Webinar Service")
    expect(page.locator("#id_api_name")).to_have_value("Webinar_Service")
    expect(
        page.get_by_text("Webinar_Service fits Salesforce's naming rules")
    ).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/types/$"))

    expect(page.locator("#id_types-0-api_name")).to_have_value("Registered")
    expect(page.locator("#id_types-1-api_name")).to_have_value("Attended")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label(re.compile("Demo Marketing")).check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Create the extension Webinar Service")).to_be_visible()
    page.get_by_role("button", name="Create and activate").click()

    summary = page.locator(".summary.ok")
    expect(summary).to_contain_text("Setup complete", timeout=30_000)
    expect(summary).to_contain_text(
        "Webinar Service is active with 2 activity types (Attended, Registered), "
        "assigned to Demo Marketing."
    )
    expect(page.locator(".record.failed")).to_have_count(0)

    records = org_records(sf, connected_org)
    assert [e["IsActive"] for e in records["extensions"]] == [True]
    assert len(records["activity_types"]) == 2
    assert len(records["assignments"]) == 1

    page.get_by_role("link", name="See it on the Extensions page").click()
    expect(
        page.get_by_role("switch", name="Deactivate Webinar Service")
    ).to_be_visible()
