"""The wizard's forms and API-name helpers: naming rules, suggestion, suffix."""

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setup_wizard import naming
from setup_wizard.forms import (
    ActivityTypeFormSet,
    BusinessUnitsForm,
    ExtensionForm,
)
from tests.setup_wizard.helpers import types_data
from tests.setup_wizard.test_selectors import _run


@pytest.mark.parametrize(
    ("api_name", "problem"),
    [
        ("Webinar_Service", None),
        ("W2", None),
        ("2Webinar", "must start with a letter"),
        ("Webinar Service", "only letters"),
        ("Webinar__Service", "two underscores"),
        ("Webinar_", "cannot end with an underscore"),
        ("W" * 41, "at most 40 characters"),
        ("Wébinar", "only letters"),
    ],
)
def test_api_names_follow_salesforce_naming_rules(api_name, problem):
    form = ExtensionForm({"label": "Webinar", "api_name": api_name})

    if problem is None:
        assert form.is_valid(), form.errors
    else:
        assert not form.is_valid()
        assert problem in form.errors["api_name"][0]
        assert form.errors.as_data()["api_name"][0].code in (
            "invalid_api_name",
            "max_length",
        )


def test_the_unique_suffix_is_short_random_and_keeps_the_name_valid():
    first = naming.with_unique_suffix("Webinar_Service")
    second = naming.with_unique_suffix("Webinar_Service")

    assert re.fullmatch(r"Webinar_Service_[a-z0-9]{4}", first)
    assert first != second or naming.with_unique_suffix("Webinar_Service") != first
    assert naming.api_name_problem(first) is None


@given(st.text(max_size=80))
def test_a_suggested_name_with_a_suffix_is_always_valid(label):
    suggested = naming.suggest(label)

    if suggested:
        assert naming.api_name_problem(suggested) is None
    suffixed = naming.with_unique_suffix(suggested)
    assert naming.api_name_problem(suffixed) is None
    assert len(suffixed) <= 40


def test_a_label_suggests_its_api_name():
    assert naming.suggest("Spring Webinar 2026!") == "Spring_Webinar_2026"
    assert naming.suggest("  ") == ""


def test_activity_types_need_distinct_api_names_and_at_least_one_type():
    twice = ActivityTypeFormSet(
        types_data((("Registered", "Registered"), ("Again", "registered"))),
        prefix="types",
    )
    none = ActivityTypeFormSet(types_data(()), prefix="types")
    clash = ActivityTypeFormSet(
        types_data((("Registered", "Registered"),)),
        prefix="types",
        existing_names=("REGISTERED",),
    )

    assert not twice.is_valid()
    assert "registered is used twice" in twice.non_form_errors()[0]
    assert not none.is_valid()
    assert none.non_form_errors()[0] == "Add at least one activity type."
    assert not clash.is_valid()


def test_at_least_one_business_unit_is_required_even_when_there_is_only_one():
    class Unit:
        sf_id, name = "0Uv000000000001AAA", "Demo Marketing"

    empty = BusinessUnitsForm({}, units=[Unit()])
    picked = BusinessUnitsForm({"business_units": [Unit.sf_id]}, units=[Unit()])

    assert not empty.is_valid()
    assert "even when there is only one" in empty.errors["business_units"][0]
    assert picked.is_valid()
    assert picked.fields["business_units"].choices == [
        (Unit.sf_id, "Demo Marketing (0Uv000000000001AAA)")
    ]


def test_an_empty_api_name_follows_the_label():
    form = ExtensionForm({"label": "Spring Webinar", "api_name": ""})
    nameless = ExtensionForm({"label": "!!", "api_name": ""})

    assert form.is_valid()
    assert form.cleaned_data["api_name"] == "Spring_Webinar"
    assert nameless.is_valid()
    assert nameless.cleaned_data["api_name"] == "Unnamed"


def test_rows_left_empty_are_dropped_before_checking_the_types():
    data = types_data(
        (("Registered", "Registered"), ("", ""), ("Attended", "")),
    )

    cleaned = ActivityTypeFormSet.without_blank_rows(data)
    formset = ActivityTypeFormSet(cleaned, prefix="types")

    assert formset.is_valid(), formset.errors
    assert [f.cleaned_data["api_name"] for f in formset.forms] == [
        "Registered",
        "Attended",
    ]


@pytest.mark.django_db
def test_a_huge_claimed_row_count_is_answered_at_once_with_a_form_error(
    admin_client, org, admin_user
):
    run = _run(org, created_by=admin_user, step="types", activity_types=[])
    claimed = {"types-TOTAL_FORMS": "10000000", "types-INITIAL_FORMS": "0"}

    began = time.monotonic()
    response = admin_client.post("/setup/runs/%s/types/" % run.pk, claimed)
    took = time.monotonic() - began

    assert response.status_code == 200
    assert b"Add at least one activity type." in response.content
    assert took < 2
    run.refresh_from_db()
    assert run.step == "types"
