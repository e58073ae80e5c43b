"""Fixtures shared by the whole suite: people, a real worker, a real browser."""

import os

import pytest

from tests.factories import MembershipFactory, OrgFactory, UserFactory
from tests.support.browser import *  # noqa: F403
from tests.support.salesforce import *  # noqa: F403
from tests.support.worker import *  # noqa: F403

# Playwright's synchronous API runs an event loop in the test's thread; the
# ORM calls the tests make around it are still ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def org(db):
    return OrgFactory()


@pytest.fixture
def admin_user(org):
    return MembershipFactory(org=org, role="admin").user


@pytest.fixture
def support_user(org):
    return MembershipFactory(org=org, role="support").user


@pytest.fixture
def outsider(db):
    """A signed-in person who belongs to no org."""
    return UserFactory()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client
