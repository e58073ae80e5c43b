"""Re-encrypt every stored secret under the first of FIELD_ENCRYPTION_KEYS.

Run it once every process uses the new key list (new key first, old keys
after it); when it reports no unreadable rows, the old keys can be dropped.
Rows are read in batches by primary key and each value is written with a
conditional update, so a token refreshed meanwhile (already written under
the new key) is left as it is. A connection whose token no key reads is
reported by id, cleared and marked for a reconnect. Nothing secret is
printed.
"""

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone

from salesforce import crypto
from salesforce.fields import EncryptedTextField
from salesforce.models import Connection, ConnectionStatus

logger = logging.getLogger(__name__)

UNREADABLE_ERROR = (
    "The stored token could not be read with any of the configured encryption "
    "keys when they were rotated, so it was cleared. Reconnect the org under "
    "Settings."
)


@dataclass
class Tally:
    rotated: int = 0
    changed: int = 0
    unreadable: list[tuple[object, list[str]]] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first key of "
        "FIELD_ENCRYPTION_KEYS, so that the other keys can be dropped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows read at a time."
        )

    def handle(self, *args, batch_size: int, **options):
        unreadable = 0
        for model, names in encrypted_columns():
            tally = rotate_model(model, names, batch_size=batch_size)
            self.stdout.write(
                "%s (%s): %s values re-encrypted, %s changed meanwhile and left "
                "as written; rows no key reads: %s."
                % (
                    model.__name__,
                    ", ".join(names),
                    tally.rotated,
                    tally.changed,
                    len(tally.unreadable),
                )
            )
            for pk, columns in tally.unreadable:
                self.stderr.write(
                    "%s %s: no key reads %s%s"
                    % (
                        model.__name__,
                        pk,
                        ", ".join(columns),
                        "; cleared, and the connection needs a reconnect"
                        if model is Connection
                        else "",
                    )
                )
            unreadable += len(tally.unreadable)
        if unreadable:
            self.stdout.write(
                self.style.WARNING(
                    "Rows no key reads: %s (listed above); the connections among "
                    "them need a reconnect." % unreadable
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    "Every row is encrypted under the first key; the other keys "
                    "can be dropped."
                )
            )


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted columns, and the names of those columns."""
    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found


def rotate_model(
    model: type[models.Model], names: list[str], *, batch_size: int
) -> Tally:
    tally = Tally()
    stored = model._base_manager.order_by("pk").annotate(
        **{_alias(name): _raw(name) for name in names}
    )
    columns = [_alias(name) for name in names]
    last = None
    while True:
        page = stored if last is None else stored.filter(pk__gt=last)
        batch = list(page.values_list("pk", *columns)[:batch_size])
        for pk, *values in batch:
            _rotate_row(model, pk, dict(zip(names, values, strict=True)), tally)
        if len(batch) < batch_size:
            return tally
        last = batch[-1][0]


def _rotate_row(
    model: type[models.Model], pk: object, stored: dict[str, str | None], tally: Tally
) -> None:
    unreadable = []
    for name, ciphertext in stored.items():
        if not ciphertext:
            continue
        try:
            rotated = crypto.rotate(ciphertext)
        except crypto.DecryptionError:
            unreadable.append(name)
            continue
        if _update_unless_changed(
            model, pk, {name: ciphertext}, {name: _text(rotated)}
        ):
            tally.rotated += 1
        else:
            # Written since it was read, and so under the first key already.
            tally.changed += 1
    if not unreadable:
        return
    tally.unreadable.append((pk, unreadable))
    logger.warning("%s %s: no encryption key reads %s", model.__name__, pk, unreadable)
    if model is Connection:
        before = {name: stored[name] for name in unreadable}
        _update_unless_changed(model, pk, before, _reconnect_changes(unreadable))


def _update_unless_changed(
    model: type[models.Model], pk: object, before: dict, changes: dict
) -> bool:
    """Write ``changes`` provided the columns in ``before`` still hold the
    same ciphertext."""
    unchanged = [Exact(_raw(name), value) for name, value in before.items()]
    return bool(model._base_manager.filter(*unchanged, pk=pk).update(**changes))


def _reconnect_changes(unreadable: list[str]) -> dict[str, object]:
    """A connection whose token no key reads cannot be used or even loaded:
    the token is cleared and the connection waits for a reconnect."""
    return {
        **{name: _text("") for name in unreadable},
        "status": ConnectionStatus.NEEDS_RECONNECT,
        "last_error": UNREADABLE_ERROR,
        "updated_at": timezone.now(),
    }


def _raw(name: str) -> Cast:
    """The stored ciphertext of a column, read and compared without
    decrypting it."""
    return Cast(name, output_field=models.TextField())


def _alias(name: str) -> str:
    return "stored_%s" % name


def _text(value: str) -> models.Value:
    # A plain text value is written as it is, not encrypted once more.
    return models.Value(value, output_field=models.TextField())
