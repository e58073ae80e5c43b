"""Production settings pass Django's deploy checks and refuse missing secrets."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-only-secret-key-that-is-long-enough-0123",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "console.example.com",
    "DATABASE_URL": "postgres://console@db.example.com:5432/console",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    "SALESFORCE_CLIENT_ID": "3MVG9example",
    "SALESFORCE_CLIENT_SECRET": "example-secret",
}


LOCAL_ONLY_ENV = (
    "CONSOLE_VAR_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CONSOLE_TEST_DB_NAME",
)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    for name in LOCAL_ONLY_ENV:
        clean.pop(name, None)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    clean["CONSOLE_VAR_DIR"] = str(ROOT / "var" / "test-production")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_an_api_version_older_than_business_units_is_refused_at_start():
    result = _manage("check", env={"SALESFORCE_API_VERSION": "55.0"})

    assert result.returncode != 0
    assert "needs 56.0 or later" in result.stderr


def test_a_wait_that_is_not_a_number_is_refused_at_start_with_its_name():
    result = _manage("check", env={"ACTIVITY_RETRY_BASE_SECONDS": "two"})

    assert result.returncode != 0
    assert "ACTIVITY_RETRY_BASE_SECONDS must be a number, such as 2.5." in result.stderr
    assert "Traceback" not in result.stderr.split("ImproperlyConfigured")[-1]


def test_a_read_timeout_may_be_a_fraction_of_a_second():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SALESFORCE_READ_TIMEOUT)",
        env={"SALESFORCE_READ_TIMEOUT": "2.5"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2.5"
