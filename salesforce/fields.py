"""A model field that keeps its text encrypted in the database."""

from django.db import models

from salesforce import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with the configured Fernet keys before it is stored.

    Reading a value that no key can decrypt raises ``crypto.DecryptionError``;
    the field never hands ciphertext back as if it were the secret.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
