"""A newcomer signs in with Salesforce in a real browser, as they would after
``make run``: the sign-in page, the emulator's consent page, the dashboard."""

import pytest
from playwright.sync_api import expect

from salesforce.models import Membership, Org, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_approves_on_the_consent_page_and_lands_as_the_orgs_admin(
    sf, page, live_server
):
    sf.settings(auto_approve=False)

    page.goto("/")
    page.get_by_role("button", name="Log in with Salesforce").click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    page.get_by_label("Alex Admin").check()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.url == live_server.url + "/"
    expect(
        page.get_by_text("Demo Org is connected. You are its admin.")
    ).to_be_visible()
    expect(page.locator(".session .badge")).to_have_text("Admin")
    org = Org.objects.get(sf_org_id="00D000000000001EAA")
    assert Membership.objects.get(org=org).role == Role.ADMIN
    assert org.execution_connection is not None
