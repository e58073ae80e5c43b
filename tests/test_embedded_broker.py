"""The embedded broker never lets a worker read a message that is half written."""

import base64
import json
import os
from pathlib import Path

import pytest
from kombu import Connection

from config import broker
from config.celery import app


def test_the_embedded_broker_is_the_console_transport(settings):
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("the suite runs on another broker")

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, broker.Transport)


def test_a_message_is_renamed_into_the_queue_only_once_written_whole(
    tmp_path, monkeypatch
):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
    }
    seen_at_rename = []
    real_replace = os.replace

    def replace(source, target):
        if os.path.dirname(target) == str(folder):
            seen_at_rename.append(
                (
                    os.path.basename(source),
                    Path(source).read_bytes(),
                    os.listdir(folder),
                )
            )
        real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", replace)
    with Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("checks")
        queue.put({"n": 1})
        message = queue.get(timeout=1)

    name, written, listed = seen_at_rename[0]
    assert name.startswith(".partial-")
    assert json.loads(written)["body"] == base64.b64encode(b'{"n": 1}').decode()
    assert not [entry for entry in listed if entry.endswith(".msg")]
    assert message.payload == {"n": 1}
