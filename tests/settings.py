"""Settings for the test suite: the console's own, with a data folder of its own.

Tests keep their SQLite file, broker folder and generated keys under
``var/test`` so that a ``make run`` in another terminal never picks up a test's
tasks, and the suite never touches the demo's data.
"""

import os
from pathlib import Path

os.environ.setdefault(
    "CONSOLE_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

# A worker process started by the tests is pointed at the test database.
if os.environ.get("CONSOLE_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["CONSOLE_TEST_DB_NAME"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
