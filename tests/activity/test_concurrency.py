"""Never more than five requests in flight per business unit, however many
workers send at once."""

import pytest

from activity.models import SendSlot, Submission
from activity.slots import slot_acquire, slot_release, slots_in_use
from tests.activity.conftest import MARKETING_UNIT
from tests.activity.helpers import submit
from tests.activity.workers import extra_workers
from tests.factories import OrgFactory
from tests.support.worker import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_twenty_submissions_through_ten_worker_processes_keep_five_in_flight(
    celery_worker_process, worker_env_extra, live_setup, sf
):
    sf.settings(latency_ms=300)

    with extra_workers(2, concurrency=4, env=worker_env_extra):
        submissions = [
            submit(live_setup, email="person%d@example.com" % n) for n in range(20)
        ]
        wait_for(
            lambda: Submission.objects.filter(status="succeeded").count() == 20,
            timeout=90,
        )

    stats = sf.stats()
    assert stats["max_in_flight"][MARKETING_UNIT] <= 5
    # The budget was used, not just respected.
    assert stats["max_in_flight"][MARKETING_UNIT] >= 3
    assert stats["pardot_posts_accepted"] == len(submissions)
    assert not Submission.objects.exclude(attempt_count=1).exists()
    assert slots_in_use(live_setup["org"].pk, MARKETING_UNIT) == 0


def test_a_business_unit_has_five_slots_and_a_sixth_sender_waits(org):
    taken = [slot_acquire(org.pk, MARKETING_UNIT) for _ in range(5)]

    assert all(taken)
    assert slot_acquire(org.pk, MARKETING_UNIT) is None
    slot_release(taken[0])
    assert slot_acquire(org.pk, MARKETING_UNIT) is not None


def test_slots_are_counted_per_business_unit(org):
    for _ in range(5):
        slot_acquire(org.pk, MARKETING_UNIT)

    assert slot_acquire(org.pk, "0Uv000000000002AAA") is not None


def test_slots_are_counted_per_org_when_two_share_a_business_unit_id(org):
    sandbox = OrgFactory()
    for _ in range(5):
        slot_acquire(org.pk, MARKETING_UNIT)

    assert slot_acquire(sandbox.pk, MARKETING_UNIT) is not None
    assert slots_in_use(org.pk, MARKETING_UNIT) == 5
    assert slots_in_use(sandbox.pk, MARKETING_UNIT) == 1


def test_a_slot_whose_lease_ran_out_can_be_taken_again(org):
    slots = [slot_acquire(org.pk, MARKETING_UNIT) for _ in range(5)]
    SendSlot.objects.filter(number=slots[0].number).update(
        leased_until="2000-01-01T00:00:00Z"
    )

    again = slot_acquire(org.pk, MARKETING_UNIT)

    assert again is not None and again.number == slots[0].number
    # The old holder's release does not free the slot taken over.
    slot_release(slots[0])
    assert slots_in_use(org.pk, MARKETING_UNIT) == 5
