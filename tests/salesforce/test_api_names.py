"""Checking and suggesting API names the way Salesforce accepts them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesforce.tooling import suggest_api_name, validate_api_name


@pytest.mark.parametrize(
    "name",
    ["Webinar_Service", "registered", "A", "X2024_Webinar", "a1_b2_c3", "A" * 40],
)
def test_valid_api_names_pass(name):
    assert validate_api_name(name) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "Enter an API name"),
        ("Webinar Service", "only letters"),
        ("Webinär", "only letters"),
        ("Web-inar", "only letters"),
        ("2024_Webinar", "start with a letter"),
        ("_Webinar", "start with a letter"),
        ("Webinar__Service", "two underscores in a row"),
        ("Webinar_", "end with an underscore"),
        ("A" * 41, "at most 40 characters"),
    ],
)
def test_invalid_api_names_say_what_is_wrong(name, words):
    assert words in validate_api_name(name)


@pytest.mark.parametrize(
    ("label", "suggestion"),
    [
        ("Webinar Service", "Webinar_Service"),
        ("Spring Webinar 2024!", "Spring_Webinar_2024"),
        ("  Café -- Events  ", "Cafe_Events"),
        ("2024 Webinars", "X2024_Webinars"),
        ("Registered", "Registered"),
        ("!!!", "Unnamed"),
        (
            "A very long label for an extension that goes on",
            "A_very_long_label_for_an_extension_that",
        ),
    ],
)
def test_suggested_api_names_follow_the_label(label, suggestion):
    assert suggest_api_name(label) == suggestion


@given(st.text(max_size=80))
def test_every_suggestion_is_a_valid_api_name(label):
    assert validate_api_name(suggest_api_name(label)) is None
