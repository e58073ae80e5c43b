"""Tokens are encrypted at rest, and a wrong key fails loudly."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from salesforce import crypto
from salesforce.models import Connection
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
