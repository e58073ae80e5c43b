"""Masking of tokens, secrets and email addresses in anything that is logged.

Redaction works by shape as well as by name, so a token is masked whether it
arrives as ``access_token=...``, inside a JSON body, after ``Bearer`` or on
its own in an exception message. ``install_record_factory`` applies it to
every log record when the record is made, before any handler (the console's
own, Celery's or a test's) sees it.
"""

import logging
import re

MASK = "[redacted]"

# The names under which secrets travel (not secrets themselves).
_SECRET_NAMES = "|".join(
    [
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code_verifier",
        "oauth_token",
        "password",
        "secret",
        "signature",
        "token",
        "code",
    ]
)
_PATTERNS = [
    # name=value in query strings and form bodies
    (re.compile(r"\b(%s)=[^&\s\"']+" % _SECRET_NAMES, re.I), r"\1=" + MASK),
    # "name": "value" in JSON
    (
        re.compile(r"([\"'](?:%s)[\"']\s*:\s*)[\"'][^\"']*[\"']" % _SECRET_NAMES, re.I),
        r'\1"' + MASK + '"',
    ),
    # Authorization header values
    (re.compile(r"\b(Bearer|OAuth|Basic)\s+[^\s\"',;]+", re.I), r"\1 " + MASK),
    # Salesforce access tokens: 15-character org id, "!", then the session part
    (re.compile(r"\b00D\w{12,15}![\w.\-]+"), MASK),
    # Salesforce refresh tokens
    (re.compile(r"\b5Aep\w{20,}[\w.\-]*"), MASK),
    # JSON Web Tokens
    (re.compile(r"\beyJ[\w\-]+\.[\w\-]+\.[\w\-]*"), MASK),
]
# "@" may arrive percent-encoded, as in a logged query string.
_EMAIL = re.compile(
    r"\b([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*(?:@|%40)([A-Za-z0-9.\-]+\.\w+)"
)


def mask_email(email: str) -> str:
    """``jane.doe@example.com`` becomes ``j***@example.com``."""
    return _EMAIL.sub(r"\1***@\2", email)


def redact(text: str) -> str:
    """Mask every token, secret and email address found in ``text``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return mask_email(text)


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_console_redacted", False):
        return
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = "%s %r" % (record.msg, record.args)
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    record._console_redacted = True


class RedactingFilter(logging.Filter):
    """A handler filter that redacts records, for handlers set up by config."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_record_factory() -> None:
    """Redact every log record at creation; safe to call more than once."""
    current = logging.getLogRecordFactory()
    if getattr(current, "console_redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory.console_redacting = True
    logging.setLogRecordFactory(factory)
