"""Fixtures for the sign-in tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Sign-in rate limits are counted in the cache; every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def choice_offered(settings):
    """A real installation with no SALESFORCE_LOGIN_URL: people choose."""
    settings.DEMO_MODE = False
    settings.SALESFORCE_LOGIN_URL = ""
    return settings
