"""Reading configuration from the environment, with defaults for local runs.

Local runs keep generated secrets in the ``var/`` data folder so that a second
``make run`` reuses them; production must pass every secret in the environment.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured("%s must be true or false, not %r." % (name, raw))


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured("%s must be a whole number." % name) from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured("%s must be a number, such as 2.5." % name) from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def local_secret(var_dir: Path, filename: str, make) -> str:
    """Return a secret kept in ``var/``, creating it on first use."""
    path = var_dir / filename
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def secret_key(var_dir: Path, production: bool) -> str:
    value = env_str("SECRET_KEY")
    if value:
        return value
    if production:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    return local_secret(var_dir, "secret_key", lambda: secrets.token_urlsafe(50))


def encryption_keys(var_dir: Path, production: bool) -> list[str]:
    keys = env_list("FIELD_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    if production:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off."
        )
    key = local_secret(
        var_dir, "field_encryption_key", lambda: Fernet.generate_key().decode()
    )
    return [key]
