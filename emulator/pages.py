"""The two HTML pages a browser sees: the consent page and the error page."""

from __future__ import annotations

from html import escape
from typing import Any

SCOPE_WORDS = {
    "api": "Manage your data through the APIs",
    "pardot_api": "Use Account Engagement (Pardot) services",
    "refresh_token": "Keep working on your behalf when you are away",
    "offline_access": "Keep working on your behalf when you are away",
    "id": "Read your identity URL",
    "openid": "Know who you are (OpenID Connect)",
    "profile": "Read your basic profile",
    "email": "Read your email address",
}

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; background: #f3f5f8; margin: 0; }
main { max-width: 30rem; margin: 3rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }
.badge { color: #6b7280; font-size: 13px; margin: 0; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
fieldset { border: 1px solid #d1d5db; border-radius: 6px; margin: 1rem 0; }
label { display: block; padding: .25rem 0; }
small { color: #6b7280; }
button { font: inherit; padding: .5rem 1.25rem; border-radius: 6px;
         border: 1px solid #0b5cab; margin-right: .5rem; cursor: pointer; }
.allow { background: #0b5cab; color: #fff; }
.deny { background: #fff; color: #0b5cab; }
"""


def consent(
    app_name: str,
    scopes: list[str],
    users: list[dict[str, Any]],
    orgs: dict[str, str],
    request_id: str,
    chosen_user_id: str,
) -> str:
    wanted = sorted({SCOPE_WORDS.get(s, s) for s in scopes})
    scope_items = "".join(f"<li>{escape(words)}</li>" for words in wanted)
    user_items = "".join(
        _user_choice(user, orgs[user["_org"]], user["Id"] == chosen_user_id)
        for user in users
    )
    body = f"""
<h1>Allow access?</h1>
<p><strong>{escape(app_name)}</strong> is asking to:</p>
<ul>{scope_items or "<li>Nothing beyond your basic identity</li>"}</ul>
<form method="post" action="/services/oauth2/authorize">
  <input type="hidden" name="request_id" value="{escape(request_id)}">
  <fieldset><legend>Log in as</legend>{user_items}</fieldset>
  <button class="allow" name="decision" value="allow">Allow</button>
  <button class="deny" name="decision" value="deny">Deny</button>
</form>"""
    return _page("Allow access?", body)


def error(code: str, description: str) -> str:
    body = f"""
<h1>This login request cannot go on</h1>
<p><strong>{escape(code)}</strong>: {escape(description)}</p>"""
    return _page("Login error", body)


def _user_choice(user: dict[str, Any], org_name: str, checked: bool) -> str:
    mark = " checked" if checked else ""
    return (
        f'<label><input type="radio" name="user_id" value="{escape(user["Id"])}"'
        f"{mark}> {escape(user['Name'])} "
        f"<small>{escape(user['Username'])} · {escape(org_name)}</small></label>"
    )


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{escape(title)} · Salesforce emulator</title>
<style>{_STYLE}</style></head>
<body><main><p class="badge">Salesforce emulator</p>{body}</main></body>
</html>
"""
