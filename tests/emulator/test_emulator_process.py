import json
import re
import signal
import subprocess
import sys

import pytest
import requests

from tests.emulator.helpers import (
    TIMEOUT,
    create,
    login,
    post_activity,
    ready_extension,
)
from tests.support.emulator import PROJECT_ROOT, Emulator


def test_the_first_line_names_the_url_of_a_free_port():
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)
        process.stdout.close()

    assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+\n", line)
    assert not line.endswith(":0\n")


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_the_emulator_exits_cleanly_on_a_signal(signal_number):
    emulator = Emulator.start()

    emulator.process.send_signal(signal_number)

    assert emulator.process.wait(timeout=TIMEOUT) == 0
    emulator.stop()


def test_state_survives_a_restart_with_a_state_file(tmp_path):
    state_file = tmp_path / "state.json"
    with Emulator.start(state_file=state_file) as first:
        tokens = login(first)
        ready_extension(first, tokens["access_token"])
        post_activity(first, tokens["access_token"])

    with Emulator.start(state_file=state_file) as second:
        state = second.state()
        query = requests.get(
            f"{second.url}/services/data/v60.0/tooling/query/",
            params={"q": "SELECT DeveloperName FROM MarketingAppExtension"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=TIMEOUT,
        )

    assert [e["DeveloperName"] for e in state["extensions"]] == ["Webinar_Service"]
    assert len(state["external_activities"]) == 1
    assert query.json()["records"][0]["DeveloperName"] == "Webinar_Service"
    assert json.loads(state_file.read_text())["version"] == 1
    assert not (tmp_path / "state.json.tmp").exists()


def test_a_broken_state_file_stops_the_start(tmp_path):
    state_file = tmp_path / "state.json"
    state_file.write_text("[1, 2]")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--state-file",
            str(state_file),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert result.returncode == 2
    assert "state file" in result.stderr
    assert state_file.read_text() == "[1, 2]"


def test_the_log_has_one_line_per_request_without_secrets(tmp_path):
    log_file = tmp_path / "emulator.log"
    with Emulator.start(log_file=log_file) as emulator:
        tokens = login(emulator)
        create(
            emulator, tokens["access_token"], "MarketingAppExtension", MasterLabel="X"
        )
        requests.get(
            emulator.url + "/services/oauth2/userinfo",
            params={"oauth_token": tokens["access_token"]},
            timeout=TIMEOUT,
        )

    log = log_file.read_text()
    assert "GET /services/oauth2/authorize 302" in log
    assert "POST /services/oauth2/token 200" in log
    assert (
        "POST /services/data/v60.0/tooling/sobjects/MarketingAppExtension/ 201" in log
    )
    assert "GET /services/oauth2/userinfo 200" in log
    for secret in (
        tokens["access_token"],
        tokens["refresh_token"],
        "admin@demo.example",
    ):
        assert secret not in log
    assert "demo-client-secret" not in log


def test_command_line_options_set_the_client_and_the_token_lifetime():
    with Emulator.start(
        "--client-id", "abc", "--client-secret", "xyz", "--token-lifetime", "60"
    ) as emulator:
        settings = emulator.settings()
        good = requests.post(
            emulator.url + "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "abc",
                "client_secret": "xyz",
            },
            timeout=TIMEOUT,
        )

    assert settings["token_lifetime_seconds"] == 60
    assert good.json()["error"] == "invalid_grant"
