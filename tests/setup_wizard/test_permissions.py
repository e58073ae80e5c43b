"""Support staff may read setup progress and results, and change nothing."""

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from salesforce.models import AuditEvent, Extension
from setup_wizard.models import Check, RecordProgress, SetupRun
from tests.factories import OrgFactory


def _setup_patterns():
    [resolver] = [
        r
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "setup_wizard"
    ]
    for entry in resolver.url_patterns:
        assert isinstance(entry, URLPattern)
        route = str(entry.pattern)
        for name in entry.pattern.converters:
            route = route.replace("<int:%s>" % name, "1")
        yield "/setup/" + route, entry


ADMIN_ONLY = [
    url
    for url, entry in _setup_patterns()
    if entry.callback.console_roles == ("admin",)
]


def test_every_setup_endpoint_that_changes_something_is_admin_only():
    assert {
        "/setup/start/",
        "/setup/runs/1/review/",
        "/setup/runs/1/retry/",
        "/setup/extensions/1/active/",
        "/setup/activity-types/1/active/",
        "/setup/extensions/1/types/",
        "/setup/extensions/1/assignments/",
        "/setup/assignments/1/remove/",
        "/setup/verify/run/",
        "/setup/verify/1/resolve/",
        "/setup/audit/",
    } <= set(ADMIN_ONLY)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_ONLY)
def test_support_staff_are_refused_every_write(support_client, org, url):
    run = SetupRun.objects.create(org=org, status=SetupRun.Status.FAILED)

    response = support_client.post(url, {"active": "on", "activate": "now"})

    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == SetupRun.Status.FAILED
    assert SetupRun.objects.count() == 1
    assert not Check.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_support_staff_read_progress_extensions_and_verify_without_controls(
    support_client, org, admin_user
):
    run = SetupRun.objects.create(
        org=org, status=SetupRun.Status.FAILED, extension_api_name="Webinar"
    )
    RecordProgress.objects.create(
        run=run,
        kind="extension",
        action="create",
        api_name="Webinar",
        state="failed",
        reason="Salesforce allows no more extensions in this org.",
    )
    Extension.objects.create(
        org=org, sf_id="1Me000000000001AAA", api_name="Webinar", label="Webinar"
    )

    progress = support_client.get("/setup/runs/%s/progress/" % run.pk)
    extensions = support_client.get("/setup/extensions/")
    verify = support_client.get("/setup/verify/")
    overview = support_client.get("/setup/")
    # The same pages seen by an admin of the org, in a session of their own
    # (admin_client and support_client share one test client).
    admin = Client()
    admin.force_login(admin_user)
    admin_progress = admin.get("/setup/runs/%s/progress/" % run.pk)
    admin_extensions = admin.get("/setup/extensions/")
    admin_verify = admin.get("/setup/verify/")

    assert progress.status_code == 200
    assert b"Salesforce allows no more extensions" in progress.content
    assert b"/retry/" not in progress.content
    assert extensions.status_code == 200
    assert b'role="switch"' not in extensions.content
    assert verify.status_code == 200
    assert b"Verify now" not in verify.content
    assert overview.status_code == 200
    assert b"See its progress" in overview.content
    # The controls hidden from support staff are there for an admin.
    assert admin_progress.status_code == 200
    assert b"/setup/runs/%d/retry/" % run.pk in admin_progress.content
    assert admin_extensions.status_code == 200
    assert b'role="switch"' in admin_extensions.content
    assert admin_verify.status_code == 200
    assert b"Verify now" in admin_verify.content


@pytest.mark.django_db
def test_a_run_of_another_org_is_not_found(admin_client):
    other = SetupRun.objects.create(org=OrgFactory())

    assert admin_client.get("/setup/runs/%s/progress/" % other.pk).status_code == 404
    assert admin_client.post("/setup/runs/%s/retry/" % other.pk).status_code == 404
