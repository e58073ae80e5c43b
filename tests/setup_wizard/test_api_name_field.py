"""The live API-name field: checked as the admin types, suggested from the
label until the admin changes it, and given a unique suffix on request."""

import re

import pytest

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_check_answers_the_rule_that_is_broken(admin_client):
    bad = admin_client.get(
        "/setup/api-name/check/",
        {"field": "api_name", "api_name": "Webinar__X"},
        **HTMX,
    )
    good = admin_client.get(
        "/setup/api-name/check/", {"field": "api_name", "api_name": "Webinar"}, **HTMX
    )

    assert b"two underscores" in bad.content
    assert b"Webinar fits Salesforce's naming rules" in good.content


def test_the_name_follows_the_label_until_the_admin_edits_it(admin_client):
    following = admin_client.get(
        "/setup/api-name/suggest/",
        {
            "field": "types-1-api_name",
            "types-1-label": "Watched the replay",
            "types-1-api_name": "Watched",
            "types-1-api_name_suggested": "Watched",
        },
        **HTMX,
    )
    edited = admin_client.get(
        "/setup/api-name/suggest/",
        {
            "field": "api_name",
            "label": "Webinar Service",
            "api_name": "My_Own",
            "api_name_suggested": "Webinar",
        },
        **HTMX,
    )

    assert b'name="types-1-api_name"' in following.content
    assert b'value="Watched_the_replay"' in following.content
    assert b'value="My_Own"' in edited.content


def test_the_suffix_button_adds_a_short_random_ending(admin_client):
    response = admin_client.get(
        "/setup/api-name/suffix/",
        {"field": "api_name", "api_name": "Webinar_Service"},
        **HTMX,
    )

    assert re.search(rb'value="Webinar_Service_[a-z0-9]{4}"', response.content)


def test_an_unknown_field_name_is_refused(admin_client):
    response = admin_client.get("/setup/api-name/check/", {"field": "password"})

    assert response.status_code == 400


def test_without_javascript_the_suffix_button_posts_the_form_back(admin_client, org):
    admin_client.post("/setup/start/")
    run_id = admin_client.get("/setup/").context["run"].pk

    response = admin_client.post(
        "/setup/runs/%s/extension/" % run_id,
        {
            "label": "Webinar Service",
            "api_name": "Webinar_Service",
            "suffix": "api_name",
        },
    )

    assert response.status_code == 200
    assert re.search(rb'value="Webinar_Service_[a-z0-9]{4}"', response.content)
