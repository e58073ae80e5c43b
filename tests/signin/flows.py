"""Steps of a sign-in with Salesforce, driven the way a browser would.

The console's pages are called with Django's test client; the authorize step
goes to the emulator over HTTP with ``requests``, whose answer (a redirect
carrying the code and the state, or an error) is then handed back to the
console's callback.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from django.urls import reverse

ADMIN = "admin@demo.example"
INTEGRATION = "integration@demo.example"
TIMEOUT = 10


def start(client, data: dict | None = None) -> str:
    """Post the sign-in form; the authorize URL the browser is sent to."""
    response = client.post(reverse("salesforce_login") + "?process=login", data or {})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def authorize(url: str, *, as_user: str = ADMIN) -> str:
    """Approve at the emulator as ``as_user``; the callback URL it answers with.

    With auto-approve on, ``login_hint`` stands for the person picking that
    user on the consent page.
    """
    parts = urlsplit(url)
    params = {**query(url), "login_hint": as_user}
    answer = requests.get(
        parts._replace(query=urlencode(params)).geturl(),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def consent_page(url: str) -> tuple[str, str]:
    """Open the consent page; its form's action and request id."""
    answer = requests.get(url, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text[:500]
    request_id = re.search(r'name="request_id" value="([^"]+)"', answer.text)[1]
    parts = urlsplit(url)
    return "%s://%s/services/oauth2/authorize" % (
        parts.scheme,
        parts.netloc,
    ), request_id


def decide(url: str, decision: str, user_id: str = "") -> str:
    """Click Allow or Deny on the consent page; the callback URL."""
    action, request_id = consent_page(url)
    form = {"request_id": request_id, "decision": decision, "user_id": user_id}
    answer = requests.post(action, data=form, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def callback(client, url: str, **kwargs):
    parts = urlsplit(url)
    return client.get("%s?%s" % (parts.path, parts.query), **kwargs)


def sign_in(client, *, as_user: str = ADMIN, data: dict | None = None, **kwargs):
    """The whole round trip; the console's answer to the callback."""
    return callback(client, authorize(start(client, data), as_user=as_user), **kwargs)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
