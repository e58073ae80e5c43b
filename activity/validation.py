"""Checking a submission against the org's mirror before anything is queued.

Account Engagement accepts an activity only when the extension and the type
exist and are active and the extension is assigned to the business unit; it
wants a valid email, a value of at most 100 characters and a date in ISO 8601
with an offset. Everything here is checked against the console's mirror of
the org's setup, so a mistake is explained next to the field at once instead
of failing in a worker later.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from salesforce.models import ActivityType, Assignment, BusinessUnit, Extension, Org

VALUE_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
# Clocks differ a little; an activity dated later than this is a mistake.
FUTURE_LEEWAY = timedelta(days=1)
READY_STATUS = "created"

ERROR_MESSAGES = {
    "business_unit_unknown": "Choose one of this org's business units.",
    "business_unit_not_ready": (
        "The business unit %(name)s is not ready in Account Engagement yet "
        "(its status is %(status)s)."
    ),
    "extension_unknown": (
        "There is no extension %(name)s in this org. Create it in Setup, step 2."
    ),
    "extension_inactive": (
        "The extension %(label)s is not active. Activate it in Setup, step 5."
    ),
    "extension_not_assigned": (
        "The extension %(label)s is not assigned to %(business_unit)s. Assign it "
        "in Setup, step 4."
    ),
    "type_unknown": (
        "The extension %(extension)s has no activity type %(name)s. Add it in "
        "Setup, step 3."
    ),
    "type_inactive": (
        "The activity type %(label)s is not active. Activate it in Setup, step 5."
    ),
    "email_invalid": "Enter a valid email address.",
    "value_required": "Enter a value, for example the name of the webinar.",
    "value_too_long": (
        "Keep the value to %(limit)d characters or fewer (this one has %(length)d)."
    ),
    "value_control_characters": "The value cannot contain control characters.",
    "date_naive": "Give the activity date with its time zone offset.",
    "date_too_early": "The activity date cannot be before 2000.",
    "date_in_future": "The activity date cannot be more than a day from now.",
}


@dataclass(frozen=True)
class CheckedSubmission:
    business_unit: BusinessUnit
    extension: Extension
    activity_type: ActivityType
    email: str
    value: str
    activity_date: datetime


def _error(code: str, **params) -> ValidationError:
    return ValidationError(ERROR_MESSAGES[code], code=code, params=params or None)


def _business_unit(org: Org, business_unit: BusinessUnit | str | None):
    # Instances are read again: the mirror may have changed since they were.
    rows = BusinessUnit.objects.filter(org=org)
    if isinstance(business_unit, BusinessUnit):
        found = rows.filter(pk=business_unit.pk).first()
    else:
        found = rows.filter(sf_id=business_unit or "").first()
    if found is None:
        raise _error("business_unit_unknown")
    status = (found.creation_status or READY_STATUS).lower()
    if status != READY_STATUS:
        raise _error("business_unit_not_ready", name=found.name, status=status)
    return found


def _extension(org: Org, extension: Extension | str | None) -> Extension:
    rows = Extension.objects.filter(org=org)
    if isinstance(extension, Extension):
        name = extension.api_name
        found = rows.filter(pk=extension.pk).first()
    else:
        name = extension or ""
        found = rows.filter(api_name=name).first()
    if found is None:
        raise _error("extension_unknown", name=name or "(none)")
    if not found.is_active:
        raise _error("extension_inactive", label=found.label)
    return found


def _activity_type(
    extension: Extension, activity_type: ActivityType | str | None
) -> ActivityType:
    rows = extension.activity_types.all()
    if isinstance(activity_type, ActivityType):
        name = activity_type.api_name
        found = rows.filter(pk=activity_type.pk).first()
    else:
        name = activity_type or ""
        found = rows.filter(api_name=name).first()
    if found is None:
        raise _error("type_unknown", extension=extension.label, name=name or "(none)")
    if not found.is_active:
        raise _error("type_inactive", label=found.label)
    return found


def _check_assigned(extension: Extension, business_unit: BusinessUnit) -> None:
    assigned = Assignment.objects.filter(
        extension=extension, business_unit=business_unit
    ).exists()
    if not assigned:
        raise _error(
            "extension_not_assigned",
            label=extension.label,
            business_unit=business_unit.name,
        )


def clean_email(email: str | None) -> str:
    """The address as sent: trimmed and lower-cased (Account Engagement matches
    prospects without regard to case)."""
    email = (email or "").strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise _error("email_invalid")
    try:
        validate_email(email)
    except ValidationError:
        raise _error("email_invalid") from None
    return email


def clean_value(value: str | None) -> str:
    value = value or ""
    if not value.strip():
        raise _error("value_required")
    if len(value) > VALUE_MAX_LENGTH:
        raise _error("value_too_long", limit=VALUE_MAX_LENGTH, length=len(value))
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise _error("value_control_characters")
    return value


def clean_activity_date(activity_date: datetime | None) -> datetime:
    """The moment in UTC, to the second (what is sent and matched later)."""
    if activity_date is None:
        activity_date = timezone.now()
    if timezone.is_naive(activity_date):
        raise _error("date_naive")
    activity_date = activity_date.astimezone(UTC).replace(microsecond=0)
    if activity_date < EARLIEST_DATE:
        raise _error("date_too_early")
    if activity_date > timezone.now() + FUTURE_LEEWAY:
        raise _error("date_in_future")
    return activity_date


def _collect(errors: dict, field: str, check, *args):
    try:
        return check(*args)
    except ValidationError as error:
        errors[field] = error
        return None


def submission_check(
    *,
    org: Org,
    business_unit: BusinessUnit | str | None,
    extension: Extension | str | None,
    activity_type: ActivityType | str | None,
    email: str | None,
    value: str | None,
    activity_date: datetime | None,
) -> CheckedSubmission:
    """Everything the submission needs, checked; a ValidationError keyed by
    field (business_unit, extension, activity_type, email, value,
    activity_date) otherwise."""
    errors: dict[str, ValidationError] = {}
    unit = _collect(errors, "business_unit", _business_unit, org, business_unit)
    ext = _collect(errors, "extension", _extension, org, extension)
    kind = ext and _collect(errors, "activity_type", _activity_type, ext, activity_type)
    if unit and ext:
        _collect(errors, "extension", _check_assigned, ext, unit)
    email = _collect(errors, "email", clean_email, email)
    value = _collect(errors, "value", clean_value, value)
    moment = _collect(errors, "activity_date", clean_activity_date, activity_date)
    if errors:
        raise ValidationError(errors)
    return CheckedSubmission(unit, ext, kind, email, value, moment)
