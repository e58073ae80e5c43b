"""Tokens are encrypted at rest, a wrong key fails loudly, and keys rotate."""

from io import StringIO
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from salesforce import crypto
from salesforce.models import Connection, ConnectionStatus
from tests.factories import ConnectionFactory

ACCESS = "00D000000000001!AQ4AQPlantedAccessTokenValue1234567890"
REFRESH = "5Aep861PlantedRefreshTokenValue1234567890abcdef"


def _raw_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM orgs_connection")
        return cursor.fetchall()


def test_tokens_are_stored_encrypted_and_read_back_in_clear(db):
    ConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)

    raw = _raw_rows()
    stored = Connection.objects.get()

    assert ACCESS not in str(raw) and REFRESH not in str(raw)
    assert stored.access_token == ACCESS
    assert stored.refresh_token == REFRESH


def test_a_new_first_key_still_reads_rows_written_with_the_old_one(db, settings):
    ConnectionFactory(access_token=ACCESS)
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]

    assert Connection.objects.get().access_token == ACCESS


def test_a_row_no_key_can_read_raises_instead_of_returning_ciphertext(db, settings):
    ConnectionFactory(access_token=ACCESS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.DecryptionError):
        Connection.objects.get()


def test_rotation_re_encrypts_under_the_first_key(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    secret = crypto.encrypt("a secret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    rotated = crypto.rotate(secret)
    settings.FIELD_ENCRYPTION_KEYS = [new]

    assert crypto.decrypt(rotated) == "a secret"


def _rotate_keys() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rotating_the_keys_keeps_every_row_readable_once_the_old_key_is_gone(
    db, settings
):
    written = [
        ConnectionFactory(access_token=ACCESS, refresh_token=REFRESH),
        *ConnectionFactory.create_batch(3),
        ConnectionFactory(access_token=ACCESS + "2", refresh_token=""),
    ]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *settings.FIELD_ENCRYPTION_KEYS]

    out, err = _rotate_keys()
    settings.FIELD_ENCRYPTION_KEYS = [new]

    stored = {c.pk: (c.access_token, c.refresh_token) for c in Connection.objects.all()}
    assert stored == {c.pk: (c.access_token, c.refresh_token) for c in written}
    assert "9 values re-encrypted" in out
    assert "rows no key reads: 0" in out
    assert err == ""
    assert ACCESS not in out + err and REFRESH not in out + err


def test_a_row_no_key_can_read_is_reported_and_its_connection_asks_for_a_reconnect(
    db, settings
):
    lost = ConnectionFactory(access_token=ACCESS, refresh_token=REFRESH)
    # The key that wrote it was dropped before the rotation.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    kept = ConnectionFactory(access_token=ACCESS + "2")

    out, err = _rotate_keys()

    assert "Connection %s: no key reads access_token, refresh_token" % lost.pk in err
    assert "2 values re-encrypted" in out and "rows no key reads: 1." in out
    stored = Connection.objects.get(pk=lost.pk)
    assert stored.status == ConnectionStatus.NEEDS_RECONNECT
    assert "Reconnect the org" in stored.last_error
    assert (stored.access_token, stored.refresh_token) == ("", "")
    assert Connection.objects.get(pk=kept.pk).access_token == ACCESS + "2"


def test_a_token_written_during_the_rotation_is_left_as_written(db, settings):
    connection = ConnectionFactory(access_token=ACCESS)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *settings.FIELD_ENCRYPTION_KEYS]
    real_rotate = crypto.rotate

    def rotate_while_refreshed(ciphertext: str) -> str:
        Connection.objects.filter(pk=connection.pk).update(access_token="refreshed")
        return real_rotate(ciphertext)

    with mock.patch.object(crypto, "rotate", rotate_while_refreshed):
        out, _ = _rotate_keys()
    settings.FIELD_ENCRYPTION_KEYS = [new]

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.access_token == "refreshed"
    assert stored.refresh_token == connection.refresh_token
    assert "1 values re-encrypted, 1 changed meanwhile" in out
