"""Rows owned by the submission side of the console.

``Submission`` is the log: one row per activity the console was asked to send,
and the source of truth for where it stands. ``Attempt`` keeps each HTTP
exchange made to send it. ``BusinessUnitQueue`` and ``SendSlot`` hold the
per-business-unit state the sender shares across every worker.

The log grows to millions of rows, so every index below serves one page or
one background query, and each starts with the column that page filters on
and ends with the history's order (newest first, then id).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# PostgreSQL can only use an index for ``LIKE 'prefix%'`` under a non-C
# collation when the text column uses a pattern operator class. Every other
# column keeps its default class (an index names either all or none).
# SQLite ignores operator classes.
_PATTERN_OPCLASSES = ["int8_ops", "varchar_pattern_ops", "timestamptz_ops", "int8_ops"]


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    DEFERRED = "deferred", "Deferred"
    UNKNOWN = "unknown", "Outcome unknown"
    DUPLICATE = "duplicate", "Duplicate"


#: States a submission passes through on its own, within seconds or minutes.
MOVING = (Status.QUEUED, Status.SENDING)
#: States an admin may send again with Retry.
RETRYABLE = (Status.FAILED, Status.UNKNOWN, Status.DEFERRED)


class Source(models.TextChoices):
    TEST_FORM = "test_form", "Test form"
    RETRY = "retry", "Resend"
    API = "api", "API"
    IMPORT = "import", "Import"


class Submission(models.Model):
    """One external activity on its way to Account Engagement."""

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="submissions", db_index=False
    )
    # The mirror rows may change or go; the names below are what was sent.
    business_unit = models.ForeignKey(
        "orgs.BusinessUnit",
        on_delete=models.SET_NULL,
        null=True,
        related_name="submissions",
        db_index=False,
    )
    extension = models.ForeignKey(
        "orgs.Extension",
        on_delete=models.SET_NULL,
        null=True,
        related_name="submissions",
        db_index=False,
    )
    activity_type = models.ForeignKey(
        "orgs.ActivityType",
        on_delete=models.SET_NULL,
        null=True,
        related_name="submissions",
        db_index=False,
    )
    business_unit_sf_id = models.CharField("business unit id", max_length=18)
    extension_name = models.CharField("extension", max_length=40)
    type_name = models.CharField("type", max_length=40)
    email = models.CharField(max_length=254)
    value = models.CharField(max_length=100)
    activity_date = models.DateTimeField()
    # Hash of what makes two submissions the same activity (see services).
    fingerprint = models.CharField(max_length=64)

    source = models.CharField(max_length=20, choices=Source.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    sent_by_label = models.CharField(max_length=255, blank=True)
    resent_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resends",
        db_index=False,
    )
    force = models.BooleanField(
        default=False, help_text="Sent even if an identical activity succeeded."
    )

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    reason = models.TextField(blank=True)
    error_class = models.CharField(max_length=60, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    retries_used = models.PositiveIntegerField(default=0)
    # Look-ups started since the outcome became unknown.
    look_ups = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    deferred_until = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at", "-id"], name="sub_org_recent"),
            models.Index(
                fields=["org", "email", "-created_at", "-id"],
                name="sub_org_email",
                opclasses=_PATTERN_OPCLASSES,
            ),
            models.Index(
                fields=["org", "value", "-created_at", "-id"],
                name="sub_org_value",
                opclasses=_PATTERN_OPCLASSES,
            ),
            models.Index(
                fields=["org", "status", "-created_at", "-id"], name="sub_org_status"
            ),
            models.Index(
                fields=["business_unit", "-created_at", "-id"], name="sub_bu_recent"
            ),
            models.Index(
                fields=["extension", "-created_at", "-id"], name="sub_ext_recent"
            ),
            models.Index(
                fields=["activity_type", "-created_at", "-id"], name="sub_type_recent"
            ),
            models.Index(
                fields=["fingerprint"],
                condition=Q(status="succeeded"),
                name="sub_succeeded_fingerprint",
            ),
            models.Index(
                fields=["status", "deferred_until"],
                condition=Q(status="deferred"),
                name="sub_deferred",
            ),
            models.Index(
                fields=["status", "claimed_at"],
                condition=Q(status__in=["queued", "sending", "unknown"]),
                name="sub_unsettled",
            ),
            models.Index(
                fields=["sent_by"],
                condition=Q(sent_by__isnull=False),
                name="sub_sent_by",
            ),
            models.Index(
                fields=["resent_from"],
                condition=Q(resent_from__isnull=False),
                name="sub_resent_from",
            ),
        ]

    def __str__(self) -> str:
        return "Submission %s (%s)" % (self.pk, self.status)

    @property
    def is_moving(self) -> bool:
        return self.status in MOVING

    @property
    def can_retry(self) -> bool:
        return self.status in RETRYABLE

    @property
    def retry_looks_up(self) -> bool:
        """Whether Retry looks the activity up instead of sending it: its
        outcome is unknown and no look-up has settled it yet."""
        return self.status == Status.UNKNOWN and self.checked_at is None


class Attempt(models.Model):
    """One HTTP exchange made to send a submission, as it went over the wire.

    The row is written before the request leaves (``finished_at`` empty) and
    completed when the answer is in, so a worker lost mid-call leaves proof
    that the request may have been sent.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10, default="POST")
    url = models.CharField(max_length=500, blank=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    error_class = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "number"], name="one_attempt_number"
            )
        ]

    def __str__(self) -> str:
        return "Attempt %s of submission %s" % (self.number, self.submission_id)

    @property
    def accepted(self) -> bool:
        """Account Engagement answered with a 2xx: the activity was recorded."""
        return self.response_status is not None and 200 <= self.response_status < 300


class BusinessUnitQueue(models.Model):
    """Whether a business unit's submissions are held back, and until when.

    Account Engagement's daily limit (code 122) holds back every submission
    for the unit, not just the one that met it. A unit is named by its org
    and its id together: a sandbox keeps its production org's record ids.
    """

    business_unit_sf_id = models.CharField(max_length=18)
    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="business_unit_queues"
    )
    deferred_until = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    deferred_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "business_unit_sf_id"], name="one_queue_per_unit"
            )
        ]

    def __str__(self) -> str:
        return "Queue of %s" % self.business_unit_sf_id


class SendSlot(models.Model):
    """One of a business unit's slots for a request in flight.

    A sender takes a slot with a conditional update (free, or its lease run
    out) and gives it back when its request is answered; that is what keeps
    every worker on every host within Account Engagement's limit.
    """

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="send_slots"
    )
    business_unit_sf_id = models.CharField(max_length=18)
    number = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "business_unit_sf_id", "number"],
                name="one_slot_number",
            )
        ]

    def __str__(self) -> str:
        return "Slot %s of %s" % (self.number, self.business_unit_sf_id)


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran a task, so a stalled queue shows on /healthz."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "%s at %s" % (self.hostname, self.seen_at)
