"""The hosts the console may send people and tokens to.

A login URL read back from the session or the database, and an instance URL
named in a token answer, each pass a check here before a browser, a refresh
token or an access token goes there: only Salesforce's hosts qualify, or the
one login host the installation names (the emulator, in the demo).
"""

import re
from urllib.parse import urlsplit

from django.conf import settings

from salesforce.models import Org

PRODUCTION_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"

# Enhanced My Domain hosts: "acme.my.salesforce.com" and, for sandboxes and
# other special orgs, "acme--uat.sandbox.my.salesforce.com" and the like.
MY_DOMAIN_KINDS = ("sandbox", "develop", "scratch", "demo", "patch", "trailblaze")
MY_DOMAIN_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.(?:%s))?\.my\.salesforce\.com"
    % "|".join(MY_DOMAIN_KINDS)
)


def login_url_is_fixed() -> bool:
    """Whether the installation names the only login host (demo, or the
    SALESFORCE_LOGIN_URL variable) instead of offering a choice."""
    return settings.DEMO_MODE or bool(settings.SALESFORCE_LOGIN_URL)


def default_login_url() -> str:
    return (settings.SALESFORCE_LOGIN_URL or PRODUCTION_LOGIN_URL).rstrip("/")


def checked_login_url(url: object) -> str | None:
    """``url`` if people may be sent there to sign in, otherwise None.

    Every login URL read back from the session or the database passes here
    before it is used, so only Salesforce's hosts (or the one host the
    installation names) ever receive a browser or a token request.
    """
    if not isinstance(url, str):
        return None
    if login_url_is_fixed():
        return url if url == default_login_url() else None
    if url in (PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL):
        return url
    host = url.removeprefix("https://")
    if host != url and MY_DOMAIN_HOST.fullmatch(host):
        return url
    return None


def org_login_url(org: Org) -> str:
    """Where the org's people sign in and its tokens are refreshed."""
    return checked_login_url(org.login_url) or default_login_url()


def checked_instance_url(url: object, login_url: str) -> str | None:
    """The origin of ``url`` if an access token may be sent there: a
    Salesforce host over https, or the login host itself; otherwise None."""
    parts = urlsplit(str(url or ""))
    origin = "%s://%s" % (parts.scheme, parts.netloc)
    salesforce_host = parts.scheme == "https" and (
        (parts.hostname or "").endswith((".salesforce.com", ".force.com"))
    )
    if not (salesforce_host or origin == login_url) or parts.username:
        return None
    return origin
