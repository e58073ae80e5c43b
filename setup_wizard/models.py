"""The wizard's own rows: runs, the records each run touches, and checks.

A ``SetupRun`` holds an admin's choices while the wizard is filled in, and
then the plan as ``RecordProgress`` rows, one per Salesforce record to create,
adopt, assign or (de)activate. Workers move each row from waiting to done or
failed; the page polls the rows. A ``Check`` is a read-only look at the org
(pre-flight, an API-name look-up, the list of extensions, a drift check) with
its result kept as JSON for the page to show.

Salesforce is only ever called from tasks; these rows are how the views and
the workers talk to each other.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from setup_wizard.wording import CHECK_STALLED, change_sentence


class SetupRun(models.Model):
    class Kind(models.TextChoices):
        WIZARD = "wizard", "Setup wizard"
        CHANGE = "change", "Change"

    class Step(models.TextChoices):
        CONNECT = "connect", "Check the connection"
        EXTENSION = "extension", "Extension"
        TYPES = "types", "Activity types"
        BUSINESS_UNITS = "business_units", "Business units"
        REVIEW = "review", "Review and activate"

    class Status(models.TextChoices):
        DRAFT = "draft", "Being filled in"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Stopped"
        ABANDONED = "abandoned", "Discarded"

    OPEN_STATUSES = (Status.DRAFT, Status.RUNNING, Status.FAILED)

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="setup_runs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WIZARD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.CONNECT)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT
    )

    extension_label = models.CharField(max_length=40, blank=True)
    extension_api_name = models.CharField(max_length=40, blank=True)
    extension_description = models.TextField(blank=True)
    #: Set when the admin chose to adopt an extension that exists in Salesforce.
    adopt_sf_id = models.CharField(max_length=18, blank=True)
    #: [{"label", "api_name", "description", "sf_id", "is_active"}]
    activity_types = models.JSONField(default=list, blank=True)
    #: Business unit ids (``0Uv…``) to assign the extension to.
    business_unit_ids = models.JSONField(default=list, blank=True)
    #: Assignments that already exist in Salesforce for an adopted extension.
    existing_assignments = models.JSONField(default=list, blank=True)
    adopt_is_active = models.BooleanField(default=False)
    activate = models.BooleanField(default=False)

    #: The mirrored extension this run works on, once known.
    extension = models.ForeignKey(
        "orgs.Extension",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open wizard per org: a second Start (or a double click)
            # resumes it instead of starting a rival setup.
            models.UniqueConstraint(
                fields=["org"],
                condition=Q(kind="wizard", status__in=["draft", "running", "failed"]),
                name="one_open_setup_wizard_per_org",
            )
        ]

    def __str__(self) -> str:
        return "%s %s (%s)" % (self.get_kind_display(), self.pk, self.status)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_adopting(self) -> bool:
        return bool(self.adopt_sf_id)


class RecordProgress(models.Model):
    """One Salesforce record a run creates, adopts, assigns or changes."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", "Extension"
        ACTIVITY_TYPE = "activity_type", "Activity type"
        ASSIGNMENT = "assignment", "Business unit assignment"

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        ADOPT = "adopt", "Adopt"
        EXISTS = "exists", "Already exists"
        ASSIGN = "assign", "Assign"
        ACTIVATE = "activate", "Activate"
        DEACTIVATE = "deactivate", "Deactivate"
        UNASSIGN = "unassign", "Remove assignment"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        WORKING = "working", "Working"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Result(models.TextChoices):
        CREATED = "created", "Created"
        EXISTING = "existing", "Found in Salesforce"
        CHANGED = "changed", "Changed"
        UNCHANGED = "unchanged", "Already so"
        REMOVED = "removed", "Removed"

    run = models.ForeignKey(SetupRun, on_delete=models.CASCADE, related_name="records")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField(max_length=20, choices=Action.choices)
    #: The API name of an extension or type; the business unit id of an
    #: assignment.
    api_name = models.CharField("API name", max_length=40)
    label = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.WAITING
    )
    result = models.CharField(max_length=20, choices=Result.choices, blank=True)
    reason = models.TextField(blank=True)
    sf_id = models.CharField("Salesforce id", max_length=18, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    #: The Celery task that holds the row while it is working, so a redelivery
    #: of that same message may take it over after a worker was lost.
    task_id = models.CharField(max_length=255, blank=True)
    #: Set just before a create is sent. A record found later with this set
    #: was made by this row; without it, it was there before.
    create_sent_at = models.DateTimeField(null=True, blank=True)
    #: "<org>:<kind>:<target>" while a change to one record is waiting or
    #: working, so two clicks never queue two changes of the same record.
    pending_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "kind", "action", "api_name"],
                name="one_progress_row_per_record_and_action",
            )
        ]

    def __str__(self) -> str:
        return "%s %s %s (%s)" % (self.action, self.kind, self.api_name, self.state)

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def sentence(self) -> str:
        return change_sentence(self.kind, self.action, self.label, self.api_name)


class Check(models.Model):
    """A read-only look at the org, done by a worker, shown by the page."""

    #: Longer than any check takes with its retries: one waiting or working
    #: past this lost its task and is offered again.
    PATIENCE = timedelta(minutes=3)

    class Kind(models.TextChoices):
        PREFLIGHT = "preflight", "Connection check"
        EXTENSION_LOOKUP = "extension_lookup", "API name look-up"
        EXTENSION_LIST = "extension_list", "Extensions in Salesforce"
        DRIFT = "drift", "Verify"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        WORKING = "working", "Working"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(
        SetupRun,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checks",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: What was asked, such as the API name to look up.
    subject = models.CharField(max_length=255, blank=True)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.WAITING
    )
    result = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task_id = models.CharField(max_length=255, blank=True)
    #: When the mirror was brought in line with this drift check's findings.
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "kind", "-created_at"])]

    def __str__(self) -> str:
        return "%s %s (%s)" % (self.kind, self.subject, self.state)

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def is_stale(self) -> bool:
        """Not finished, and nothing moved for longer than any check takes."""
        if self.is_final:
            return False
        moved = self.started_at or self.created_at
        return moved < timezone.now() - self.PATIENCE

    @property
    def is_settled(self) -> bool:
        """Nothing more will come of it: the page stops polling."""
        return self.is_final or self.is_stale

    @property
    def problem(self) -> str:
        """Why there is no result, for a failed or stale check."""
        return CHECK_STALLED if self.is_stale else self.reason
