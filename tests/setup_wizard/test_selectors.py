"""The plan shown on review, the health line on the dashboard, and where an
extension choice stands. No Salesforce involved."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesforce.errors import AccessDenied
from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension, Org
from setup_wizard import inspection, selectors
from setup_wizard.models import Check, RecordProgress, SetupRun
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

UNIT = "0Uv000000000001AAA"


@pytest.fixture
def unit(org):
    return BusinessUnit.objects.create(org=org, sf_id=UNIT, name="Demo Marketing")


def _run(org, **choices) -> SetupRun:
    fields = {
        "extension_label": "Webinar Service",
        "extension_api_name": "Webinar_Service",
        "activity_types": [
            {"label": "Registered", "api_name": "Registered"},
            {"label": "Attended", "api_name": "Attended"},
        ],
        "business_unit_ids": [UNIT],
        **choices,
    }
    return SetupRun.objects.create(org=org, **fields)


def _mirror(org, unit, active=True) -> Extension:
    extension = Extension.objects.create(
        org=org,
        sf_id="1Me000000000001AAA",
        api_name="Webinar_Service",
        label="Webinar Service",
        is_active=active,
    )
    for n, name in enumerate(["Registered", "Attended"], start=1):
        ActivityType.objects.create(
            org=org,
            extension=extension,
            sf_id="1Ma00000000000%sAAA" % n,
            api_name=name,
            label=name,
            is_active=active,
        )
    Assignment.objects.create(
        org=org, extension=extension, business_unit=unit, sf_id="1Mg000000000001AAA"
    )
    return extension


def _plan(run, activate=True):
    return [
        (p.kind, p.action, p.api_name, p.already)
        for p in selectors.run_plan(run, activate)
    ]


def test_a_fresh_setup_plans_creates_an_assignment_and_activations(org, unit):
    assert _plan(_run(org)) == [
        ("extension", "create", "Webinar_Service", False),
        ("activity_type", "create", "Registered", False),
        ("activity_type", "create", "Attended", False),
        ("assignment", "assign", UNIT, False),
        ("activity_type", "activate", "Registered", False),
        ("activity_type", "activate", "Attended", False),
        ("extension", "activate", "Webinar_Service", False),
    ]


def test_activating_later_plans_no_activation(org, unit):
    assert [a for _, a, _, _ in _plan(_run(org), activate=False)] == [
        "create",
        "create",
        "create",
        "assign",
    ]


def test_the_same_setup_again_plans_only_what_already_exists(org, unit):
    _mirror(org, unit)

    plan = selectors.run_plan(_run(org), activate=True)

    assert [p.action for p in plan[:4]] == ["exists"] * 4
    assert all(p.already for p in plan[4:])
    assert plan[0].sentence == (
        "Use the extension Webinar Service (Webinar_Service), already set up"
    )
    assert plan[3].sentence == "Keep the assignment to Demo Marketing"


def test_adopting_plans_the_existing_types_and_assignments_as_they_are(org, unit):
    run = _run(
        org,
        adopt_sf_id="1Me000000000009AAA",
        adopt_is_active=True,
        activity_types=[
            {
                "label": "Joined",
                "api_name": "Joined",
                "sf_id": "1Ma0",
                "is_active": True,
            }
        ],
        existing_assignments=[UNIT],
    )

    assert _plan(run) == [
        ("extension", "adopt", "Webinar_Service", False),
        ("activity_type", "exists", "Joined", False),
        ("assignment", "exists", UNIT, False),
        ("activity_type", "activate", "Joined", True),
        ("extension", "activate", "Webinar_Service", True),
    ]


def _healthy_org(org):
    org.execution_connection = ConnectionFactory(org=org)
    org.save()
    return org


def test_health_asks_for_a_connection_first(org):
    health = selectors.setup_health(org)

    assert not health.ok
    assert "Reconnect the org under Settings" in health.sentence
    assert health.link == "/settings/"


def test_health_sends_a_new_org_to_the_wizard(org):
    health = selectors.setup_health(_healthy_org(org))

    assert not health.ok
    assert health.sentence.startswith("Nothing is set up yet")
    assert health.link == "/setup/"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("extension_inactive", "The extension Webinar Service is inactive"),
        ("types_inactive", "has no active activity type"),
        ("unassigned", "is not assigned to a business unit"),
    ],
)
def test_health_says_in_one_line_why_activity_would_be_refused(
    org, unit, change, expected
):
    extension = _mirror(_healthy_org(org), unit)
    if change == "extension_inactive":
        Extension.objects.update(is_active=False)
    elif change == "types_inactive":
        ActivityType.objects.update(is_active=False)
    else:
        Assignment.objects.all().delete()

    health = selectors.setup_health(org)

    assert not health.ok
    assert expected in health.sentence
    assert health.link == "/setup/extensions/"
    assert extension.label in health.sentence


def test_health_is_green_when_a_setup_accepts_activity(org, unit):
    _mirror(_healthy_org(org), unit)

    health = selectors.setup_health(org)

    assert health.ok
    assert health.sentence == (
        "Ready: Webinar Service accepts Attended and Registered for Demo Marketing."
    )


def test_health_reports_a_stopped_setup_and_unresolved_drift(org, unit):
    _mirror(_healthy_org(org), unit)
    Check.objects.create(
        org=org,
        kind="drift",
        state="done",
        result={"differences": [{"object": "extension", "change": "missing"}]},
    )
    assert (
        "differs from the console in 1 place " in selectors.setup_health(org).sentence
    )

    run = _run(org, status=SetupRun.Status.FAILED)
    RecordProgress.objects.create(
        run=run,
        kind="extension",
        action="create",
        api_name="X",
        state="failed",
        reason="Salesforce allows no more extensions in this org.",
    )
    health = selectors.setup_health(org)
    assert health.sentence == (
        "The setup stopped before it finished: Salesforce allows no more "
        "extensions in this org."
    )
    assert health.link == "/setup/runs/%s/progress/" % run.pk


def test_the_extension_choice_follows_the_look_up(org, unit):
    run = _run(org)
    assert selectors.extension_state(run)[0] == "unchecked"

    check = Check.objects.create(
        org=org, run=run, kind="extension_lookup", subject="Webinar_Service"
    )
    assert selectors.extension_state(run) == ("checking", check)

    Check.objects.filter(pk=check.pk).update(state="done", result={"found": False})
    assert selectors.extension_state(run)[0] == "free"

    Check.objects.filter(pk=check.pk).update(result={"found": True})
    assert selectors.extension_state(run)[0] == "taken"

    _mirror(org, unit)
    assert selectors.extension_state(run)[0] == "known"
    run.extension_api_name = ""
    assert selectors.extension_state(run)[0] == "empty"


@pytest.mark.parametrize(
    ("scopes", "state", "missing"),
    [
        ("api pardot_api refresh_token id", "ok", None),
        ("api pardot_api offline_access", "ok", None),
        ("full refresh_token", "ok", None),
        ("api refresh_token", "warning", "lacks pardot_api"),
        ("pardot_api refresh_token", "failed", "lacks api"),
    ],
)
def test_the_scope_check_names_what_the_connection_lacks(org, scopes, state, missing):
    org.execution_connection = ConnectionFactory(org=org, scopes=scopes)

    def unreachable():
        raise AccessDenied("not in this test")

    result = inspection.preflight(unreachable, org)

    item = next(i for i in result["checks"] if i["key"] == "scopes")

    assert item["state"] == state
    if missing:
        assert missing in item["sentence"]
        assert "reconnect under Settings" in item["sentence"]


def _many_extensions(org, count: int, units: int) -> None:
    """Extensions that each accept activity, on several business units."""
    business_units = [
        BusinessUnit.objects.create(
            org=org, sf_id="0Uv%012dAAA" % (n + 10), name="BU %s" % n
        )
        for n in range(units)
    ]
    for n in range(count):
        extension = Extension.objects.create(
            org=org,
            sf_id="1Me%015d" % n,
            api_name="Extension_%s" % n,
            label="Extension %s" % n,
            is_active=True,
        )
        ActivityType.objects.create(
            org=org,
            extension=extension,
            sf_id="1Ma%015d" % n,
            api_name="Registered",
            label="Registered",
            is_active=True,
        )
        for m, unit in enumerate(business_units):
            Assignment.objects.create(
                org=org,
                extension=extension,
                business_unit=unit,
                sf_id="1Mg%06d%09d" % (n, m),
            )


def _health_queries(org) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert selectors.setup_health(Org.objects.get(pk=org.pk)).ok
    return len(queries)


def test_the_health_line_costs_as_many_queries_for_many_extensions_as_for_one(
    org, django_assert_max_num_queries
):
    _many_extensions(_healthy_org(org), count=1, units=1)
    for_one = _health_queries(org)
    Extension.objects.all().delete()
    BusinessUnit.objects.all().delete()
    _many_extensions(org, count=12, units=4)

    with django_assert_max_num_queries(for_one):
        health = selectors.setup_health(Org.objects.get(pk=org.pk))

    assert health.ok
    assert "Registered for BU 0, BU 1, BU 2 and BU 3." in health.sentence
