"""Step 2 goes on to step 3 by itself once Salesforce is found to have no
extension of the chosen name, however fast the look-up is."""

import pytest

from setup_wizard.models import Check
from tests.setup_wizard.helpers import (
    create_in_salesforce,
    open_run,
    pass_connect,
    wait_check,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HTMX = {"HTTP_HX_REQUEST": "true"}


def _save_name(client, run, api_name="Webinar_Service"):
    response = client.post(
        "/setup/runs/%s/extension/" % run.pk,
        {"label": "Webinar Service", "api_name": api_name},
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def test_a_name_found_free_before_the_page_loads_goes_on_to_the_types(
    celery_worker_process, connected_org, admin_client
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)

    saved_page = _save_name(admin_client, run)
    lookup = wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    response = admin_client.get(saved_page)

    assert lookup.result["found"] is False
    assert response.status_code == 302
    assert response["Location"] == "/setup/runs/%s/types/" % run.pk


def test_the_look_up_polled_on_the_page_sends_the_browser_on_when_the_name_is_free(
    celery_worker_process, connected_org, admin_client
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    _save_name(admin_client, run)

    lookup = wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    polled = admin_client.get("/setup/checks/%s/" % lookup.pk, **HTMX)

    assert polled["HX-Redirect"] == "/setup/runs/%s/types/" % run.pk


def test_coming_back_to_the_step_later_shows_the_form_to_change_the_name(
    celery_worker_process, connected_org, admin_client
):
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    _save_name(admin_client, run)
    wait_check(run, Check.Kind.EXTENSION_LOOKUP)

    page = admin_client.get("/setup/runs/%s/extension/" % run.pk)

    assert page.status_code == 200
    assert b'value="Webinar_Service"' in page.content
    assert b"it will be created" in page.content


def test_polling_a_look_up_for_an_old_name_offers_the_current_name_for_adoption(
    celery_worker_process, connected_org, admin_client, sf
):
    taken = create_in_salesforce(
        sf,
        "MarketingAppExtension",
        {"DeveloperName": "Webinar_Events", "MasterLabel": "Webinar Events"},
    )
    run = open_run(admin_client)
    pass_connect(admin_client, run)
    _save_name(admin_client, run, "Webinar_Service")
    old = wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    _save_name(admin_client, run, "Webinar_Events")
    current = wait_check(run, Check.Kind.EXTENSION_LOOKUP)

    polled = admin_client.get("/setup/checks/%s/" % old.pk, **HTMX)

    assert current.pk != old.pk and current.result["found"]
    assert b"Adopt it" in polled.content
    assert ('name="sf_id" value="%s"' % taken).encode() in polled.content
    assert ('name="check" value="%s"' % current.pk).encode() in polled.content
