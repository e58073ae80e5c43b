"""A business unit's budget of requests in flight, shared by every worker.

Each business unit of each org has ``ACTIVITY_MAX_IN_FLIGHT`` slot rows (the
unit's id alone is not enough: a sandbox keeps its production org's ids). A sender takes
one with a conditional UPDATE (the slot is free, or its lease ran out) and
gives it back when its request is answered. Two workers racing for the same
slot both run the UPDATE; the database lets exactly one of them change the
row, so no business unit ever has more requests in flight than slots, however
many workers and hosts there are. Times come from the database's clock, the
one clock every host shares.
"""

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now

from activity.models import SendSlot

logger = logging.getLogger(__name__)

# Seconds between looks at a business unit's slots while waiting for one.
POLL_INTERVAL = (0.02, 0.08)


@dataclass(frozen=True)
class Slot:
    org_id: int
    business_unit_sf_id: str
    number: int
    holder: str


def _free() -> Q:
    return Q(holder="") | Q(leased_until__lt=Now())


def _lease_end() -> ExpressionWrapper:
    lease = timedelta(seconds=settings.ACTIVITY_SLOT_LEASE_SECONDS)
    return ExpressionWrapper(Now() + Value(lease), output_field=DateTimeField())


def _ensure_slots(org_id: int, business_unit_sf_id: str) -> None:
    SendSlot.objects.bulk_create(
        [
            SendSlot(
                org_id=org_id, business_unit_sf_id=business_unit_sf_id, number=number
            )
            for number in range(settings.ACTIVITY_MAX_IN_FLIGHT)
        ],
        ignore_conflicts=True,
    )


def _slots(org_id: int, business_unit_sf_id: str):
    return SendSlot.objects.filter(
        org_id=org_id,
        business_unit_sf_id=business_unit_sf_id,
        number__lt=settings.ACTIVITY_MAX_IN_FLIGHT,
    )


def slot_acquire(
    org_id: int, business_unit_sf_id: str, *, wait: float = 0
) -> Slot | None:
    """Take a free slot of the org's business unit, looking again for up to
    ``wait`` seconds; None when all stay busy."""
    deadline = time.monotonic() + wait
    while True:
        slot = _try_acquire(org_id, business_unit_sf_id)
        if slot is not None or time.monotonic() >= deadline:
            return slot
        time.sleep(random.uniform(*POLL_INTERVAL))


def _try_acquire(org_id: int, business_unit_sf_id: str) -> Slot | None:
    slots = _slots(org_id, business_unit_sf_id)
    numbers = list(slots.filter(_free()).values_list("number", flat=True))
    if not numbers and not slots.exists():
        _ensure_slots(org_id, business_unit_sf_id)
        numbers = list(range(settings.ACTIVITY_MAX_IN_FLIGHT))
    # Trying the free slots in random order keeps racing workers apart.
    random.shuffle(numbers)
    holder = uuid.uuid4().hex
    for number in numbers:
        taken = slots.filter(_free(), number=number).update(
            holder=holder, leased_until=_lease_end()
        )
        if taken:
            return Slot(org_id, business_unit_sf_id, number, holder)
    return None


def slot_release(slot: Slot) -> None:
    """Give a slot back; a slot whose lease ran out and was taken stays taken."""
    released = (
        _slots(slot.org_id, slot.business_unit_sf_id)
        .filter(number=slot.number, holder=slot.holder)
        .update(holder="", leased_until=None)
    )
    if not released:
        logger.warning(
            "Slot %s of business unit %s (org %s) was taken over before it was "
            "released",
            slot.number,
            slot.business_unit_sf_id,
            slot.org_id,
        )


def slots_in_use(org_id: int, business_unit_sf_id: str) -> int:
    return _slots(org_id, business_unit_sf_id).exclude(_free()).count()
