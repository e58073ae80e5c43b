"""Driving the wizard through its views, and reading the emulator's state."""

import requests
from django.conf import settings

from setup_wizard.models import Check, SetupRun
from tests.support.worker import wait_for

MARKETING_UNIT = "0Uv000000000001AAA"
SALES_UNIT = "0Uv000000000002AAA"
DEFAULT_TYPES = (("Registered", "Registered"), ("Attended", "Attended"))


def tooling_path(sobject: str) -> str:
    return "/services/data/v%s/tooling/sobjects/%s" % (
        settings.SALESFORCE_API_VERSION,
        sobject,
    )


def wait_check(run: SetupRun | None, kind: str, org=None, timeout: float = 20) -> Check:
    def finished():
        checks = Check.objects.filter(kind=kind)
        checks = checks.filter(run=run) if run else checks.filter(org=org)
        check = checks.first()
        return check if check and check.is_final else None

    return wait_for(finished, timeout=timeout)


def wait_run(run: SetupRun, timeout: float = 30) -> SetupRun:
    def settled():
        run.refresh_from_db()
        return run.status != SetupRun.Status.RUNNING

    wait_for(settled, timeout=timeout)
    return run


def types_data(types=DEFAULT_TYPES, **extra) -> dict:
    data = {
        "types-TOTAL_FORMS": str(len(types)),
        "types-INITIAL_FORMS": str(len(types)),
        "types-MIN_NUM_FORMS": "0",
        "types-MAX_NUM_FORMS": "1000",
    }
    for index, (label, api_name) in enumerate(types):
        data["types-%s-label" % index] = label
        data["types-%s-api_name" % index] = api_name
        data["types-%s-description" % index] = ""
    data.update(extra)
    return data


def open_run(client) -> SetupRun:
    response = client.post("/setup/start/")
    assert response.status_code == 302
    return SetupRun.objects.filter(kind="wizard").order_by("-id").first()


def pass_connect(client, run: SetupRun) -> Check:
    check = wait_check(run, Check.Kind.PREFLIGHT)
    assert check.result["ok"], check.result
    response = client.post("/setup/runs/%s/connect/" % run.pk, {"action": "continue"})
    assert response["Location"] == "/setup/runs/%s/extension/" % run.pk
    return check


def name_extension(client, run: SetupRun, api_name: str, label: str = "") -> None:
    response = client.post(
        "/setup/runs/%s/extension/" % run.pk,
        {"label": label or api_name.replace("_", " "), "api_name": api_name},
    )
    assert response.status_code == 302, response.content.decode()


def choose_types_and_units(client, run: SetupRun, types=DEFAULT_TYPES, units=None):
    response = client.post("/setup/runs/%s/types/" % run.pk, types_data(types))
    assert response["Location"] == "/setup/runs/%s/business-units/" % run.pk
    response = client.post(
        "/setup/runs/%s/business-units/" % run.pk,
        {"business_units": list(units or [MARKETING_UNIT])},
    )
    assert response["Location"] == "/setup/runs/%s/review/" % run.pk


def start(client, run: SetupRun, activate: str = "now"):
    response = client.post("/setup/runs/%s/review/" % run.pk, {"activate": activate})
    assert response.status_code == 302, response.content.decode()
    return response


def walk_wizard(
    client,
    api_name: str = "Webinar_Service",
    types=DEFAULT_TYPES,
    units=None,
    activate: str = "now",
) -> SetupRun:
    """Every step through the views, up to the run's end."""
    run = open_run(client)
    pass_connect(client, run)
    name_extension(client, run, api_name)
    if run.checks.filter(kind=Check.Kind.EXTENSION_LOOKUP).exists():
        wait_check(run, Check.Kind.EXTENSION_LOOKUP)
    choose_types_and_units(client, run, types, units)
    start(client, run, activate)
    return wait_run(run)


def org_records(sf, org) -> dict:
    """The emulator's extensions, types and assignments of one org."""
    state = sf.state()
    mine = {
        key: [r for r in state[key] if r.get("org_id") == org.sf_org_id]
        for key in ("extensions", "activity_types", "assignments")
    }
    return mine


def create_in_salesforce(sf, sobject: str, fields: dict) -> str:
    """Create a record through the emulator's Tooling API, as another tool
    or a person in Setup would; its id."""
    token = sf.token(user="integration@demo.example")
    response = requests.post(
        token["instance_url"] + tooling_path(sobject) + "/",
        json=fields,
        headers={"Authorization": "Bearer %s" % token["access_token"]},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]
