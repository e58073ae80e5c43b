"""API names as the wizard offers and checks them.

Salesforce's own rules live in ``salesforce.tooling``; this adds what the
wizard needs around them: a length that fits the console and Salesforce, and
a short random suffix, because an extension's API name travels with every
activity and should not clash with another vendor's in the same org.
"""

import secrets
import string

from django.core.exceptions import ValidationError

from salesforce.tooling import suggest_api_name, validate_api_name

MAX_LENGTH = 40
SUFFIX_LENGTH = 4
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def api_name_problem(value: str) -> str | None:
    """Why ``value`` is not a usable API name, as a sentence, or None."""
    if not value:
        return "Enter an API name."
    if len(value) > MAX_LENGTH:
        return "Use at most %s characters." % MAX_LENGTH
    try:
        problem = validate_api_name(value)
    except (ValidationError, ValueError) as error:
        messages = getattr(error, "messages", None) or [str(error)]
        return " ".join(messages)
    return problem or None


def suggest(label: str) -> str:
    """An API name for ``label`` that fits the rules, or "" for an empty label."""
    if not label.strip():
        return ""
    return suggest_api_name(label)[:MAX_LENGTH].rstrip("_")


def with_unique_suffix(api_name: str) -> str:
    """``api_name`` with a short random suffix, still at most 40 characters."""
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    room = MAX_LENGTH - SUFFIX_LENGTH - 1
    base = (api_name or "Extension")[:room].rstrip("_") or "Extension"
    return "%s_%s" % (base, suffix)
