"""Headless Chromium driven by Playwright, for end-to-end tests.

Debian's Chromium is used as installed (``/usr/bin/chromium``); Playwright's
own browser download is never needed. Without the browser the tests skip and
say how to install it, except under ``CI=true``, where a missing browser fails
the run instead of letting it pass without its browser tests.
"""

import os
import shutil

import pytest

__all__ = ["chromium", "page"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return configured if os.path.exists(configured) else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium():
    path = _chromium_path()
    if path is None:
        message = (
            "Chromium not found at /usr/bin/chromium: install it with "
            "`apt-get install chromium` (or set CHROMIUM_PATH) to run browser tests."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
