"""``make run``: start the web server, a Celery worker, beat and, in demo mode,
the Salesforce emulator, in one terminal with prefixed output (honcho).
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

BANNER = """
  External Activity Console is starting.

  Open http://127.0.0.1:8000 and click "Log in with Salesforce".
  %s
  Press Ctrl-C to stop everything.
"""
DEMO_HINT = (
    "Demo mode: the built-in emulator plays Salesforce. On its consent page pick\n"
    '  Alex Admin and click "Allow"; you land on the dashboard as the org\'s admin.'
)
LIVE_HINT = "Salesforce client %s is configured: you sign in to your real org."


def main() -> None:
    os.chdir(BASE_DIR)
    demo = not os.environ.get("SALESFORCE_CLIENT_ID", "").strip()
    processes = ["web", "worker", "beat"] + (["emulator"] if demo else [])
    hint = DEMO_HINT if demo else LIVE_HINT % os.environ["SALESFORCE_CLIENT_ID"]
    print(BANNER % hint, flush=True)
    os.environ["PYTHON"] = sys.executable
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    honcho = str(Path(sys.executable).with_name("honcho"))
    os.execv(honcho, [honcho, "start", "-f", "Procfile", *processes])  # noqa: S606


if __name__ == "__main__":
    main()
