"""The embedded broker never lets a worker read a message that is half written."""

import os

import pytest
from kombu import Connection

from config import broker
from config.celery import app


def test_the_embedded_broker_is_the_console_transport(settings):
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("the suite runs on another broker")

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, broker.Transport)


def test_a_published_message_appears_in_the_queue_only_whole(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
    }
    with Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("checks")
        queue.put({"n": 1})

        names = os.listdir(folder)
        message = queue.get(timeout=1)

    assert len(names) == 1 and names[0].endswith(".checks.msg")
    assert message.payload == {"n": 1}
