"""The console's mirror of an org's external-activity setup in Salesforce.

Salesforce is the truth; these rows are what the console last created, adopted
or read there. Each carries its Salesforce id once known (``sf_id``), so a
re-run finds the record instead of creating it again. The setup wizard writes
the mirror and submissions are checked against it before anything is queued,
which is why it lives here, in the layer both of them use.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class BusinessUnit(models.Model):
    """An Account Engagement business unit (a ``PardotTenant`` record)."""

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="business_units"
    )
    sf_id = models.CharField("business unit id", max_length=18)
    name = models.CharField(max_length=255)
    creation_status = models.CharField(max_length=40, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "sf_id"], name="unique_bu_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Extension(models.Model):
    """A Marketing App Extension: the integration activities are filed under."""

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="extensions"
    )
    sf_id = models.CharField("Salesforce id", max_length=18, blank=True)
    api_name = models.CharField("API name", max_length=40)
    label = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "api_name"], name="unique_extension_api_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.label


class ActivityType(models.Model):
    """A Marketing App Extension activity (e.g. Registered, Attended)."""

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="activity_types"
    )
    extension = models.ForeignKey(
        Extension, on_delete=models.CASCADE, related_name="activity_types"
    )
    sf_id = models.CharField("Salesforce id", max_length=18, blank=True)
    api_name = models.CharField("API name", max_length=40)
    label = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "api_name"], name="unique_type_api_name_per_ext"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Assignment(models.Model):
    """An extension assigned to a business unit, which may then receive activity."""

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, related_name="assignments"
    )
    extension = models.ForeignKey(
        Extension, on_delete=models.CASCADE, related_name="assignments"
    )
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="assignments"
    )
    sf_id = models.CharField("Salesforce id", max_length=18, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "business_unit"], name="unique_assignment"
            )
        ]

    def __str__(self) -> str:
        return "%s → %s" % (self.extension, self.business_unit)
