"""API names as the wizard offers and checks them.

Salesforce's own rules (and its 40-character limit) live in
``salesforce.tooling``; this adds what the wizard needs around them: no
suggestion for an empty label, and a short random suffix, because an
extension's API name travels with every activity and should not clash with
another vendor's in the same org.
"""

import secrets
import string

from salesforce.tooling import API_NAME_MAX_LENGTH, suggest_api_name, validate_api_name

SUFFIX_LENGTH = 4
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def api_name_problem(value: str) -> str | None:
    """Why ``value`` is not a usable API name, as a sentence, or None."""
    return validate_api_name(value)


def suggest(label: str) -> str:
    """An API name for ``label`` that fits the rules, or "" for an empty label."""
    if not label.strip():
        return ""
    return suggest_api_name(label)


def with_unique_suffix(api_name: str) -> str:
    """``api_name`` with a short random suffix, still at most 40 characters."""
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    room = API_NAME_MAX_LENGTH - SUFFIX_LENGTH - 1
    base = (api_name or "Extension")[:room].rstrip("_") or "Extension"
    return "%s_%s" % (base, suffix)
