"""Every URL is closed to anonymous visitors, and every console view checks roles."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

PUBLIC_CONSOLE_VIEWS = {"healthz"}
CONSOLE_MODULES = ("config.", "salesforce.", "setup_wizard.", "activity.")
SAMPLE_VALUES = {"int": "1", "uuid": str(uuid.uuid4()), "path": "x/y"}


def _sample_path(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        for name, converter in pattern.converters.items():
            kind = type(converter).__name__.replace("Converter", "").lower()
            value = SAMPLE_VALUES.get(kind, "abc1")
            route = route.replace("<%s:%s>" % (kind, name), value)
            route = route.replace("<%s>" % name, value)
        return route
    regex = pattern.regex
    text = regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    for name in regex.groupindex:
        start = text.index("(?P<%s>" % name)
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[:start] + "abc1" + text[end + 1 :]
    return text


def _walk(patterns, prefix=""):
    for entry in patterns:
        here = prefix + _sample_path(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            yield "/" + here, entry


def _is_public(callback) -> bool:
    return getattr(callback, "login_required", True) is False


ALL_URLS = list(_walk(get_resolver().url_patterns))
PROTECTED_URLS = [(u, e) for u, e in ALL_URLS if not _is_public(e.callback)]


def _module(callback) -> str:
    view_class = getattr(callback, "view_class", None)
    return (view_class or callback).__module__


@pytest.mark.parametrize(
    ("url", "entry"), PROTECTED_URLS, ids=[u for u, _ in PROTECTED_URLS]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, url, entry, db):
    response = client.get(url)

    if url.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


CONSOLE_URLS = [
    (u, e) for u, e in ALL_URLS if _module(e.callback).startswith(CONSOLE_MODULES)
]


def test_the_console_urls_are_found():
    assert CONSOLE_URLS
    assert any(_is_public(e.callback) for _, e in CONSOLE_URLS)
    assert any(not _is_public(e.callback) for _, e in CONSOLE_URLS)


@pytest.mark.parametrize(
    ("url", "entry"), CONSOLE_URLS, ids=[u for u, _ in CONSOLE_URLS]
)
def test_every_console_view_checks_the_role_or_is_deliberately_public(url, entry):
    callback = entry.callback

    if _is_public(callback):
        assert entry.name in PUBLIC_CONSOLE_VIEWS, "%s is public by mistake" % url
    else:
        assert getattr(callback, "console_roles", None), (
            "%s does not use salesforce.access.require_role" % url
        )


def test_only_allauth_and_health_views_are_public():
    public = {
        _module(entry.callback).split(".")[0]
        for _, entry in ALL_URLS
        if _is_public(entry.callback)
    }

    assert public <= {"allauth", "config"}
