"""The test-submit form an admin uses to send one activity by hand.

The form only reads what was typed; ``activity.services.submission_create``
decides whether it can be sent, and its errors are shown next to the fields.
"""

from django import forms
from django.core.exceptions import ValidationError

from activity.selectors import activity_options
from activity.validation import VALUE_MAX_LENGTH
from salesforce.models import ActivityType, BusinessUnit, Extension, Org

# Where each of the service's error keys is shown on this form.
SERVICE_FIELDS = {
    "business_unit": "business_unit",
    "extension": "activity",
    "activity_type": "activity",
    "email": "email",
    "value": "value",
    "activity_date": "activity_date",
}


class TestSubmissionForm(forms.Form):
    error_messages = {
        "activity_unknown": "Choose an extension and activity type from the list.",
    }

    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        empty_label="Choose a business unit",
    )
    activity = forms.CharField(label="Extension and activity type")
    email = forms.CharField(
        label="Prospect email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    value = forms.CharField(
        help_text="What happened, at most %s characters (for example the "
        "webinar's name)." % VALUE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": VALUE_MAX_LENGTH}),
    )
    activity_date = forms.DateTimeField(
        label="Activity date (UTC)",
        required=False,
        help_text="Leave empty for now. ISO 8601 with an offset is accepted too.",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S"
        ),
    )

    def __init__(self, *args, org: Org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["business_unit"].queryset = BusinessUnit.objects.filter(org=org)

    def chosen_business_unit(self) -> BusinessUnit | None:
        """The business unit picked so far, even on an unbound form."""
        raw = self["business_unit"].value()
        if isinstance(raw, BusinessUnit):
            return raw
        if not raw or not str(raw).isdigit():
            return None
        return BusinessUnit.objects.filter(org=self.org, pk=raw).first()

    def activity_choices(self):
        return activity_options(org=self.org, business_unit=self.chosen_business_unit())

    def clean_activity(self) -> tuple[Extension, ActivityType]:
        raw = self.cleaned_data["activity"]
        extension_pk, _, type_pk = raw.partition(":")
        kind = None
        if extension_pk.isdigit() and type_pk.isdigit():
            kind = (
                ActivityType.objects.select_related("extension")
                .filter(org=self.org, pk=type_pk, extension_id=extension_pk)
                .first()
            )
        if kind is None:
            raise ValidationError(
                self.error_messages["activity_unknown"], code="activity_unknown"
            )
        return kind.extension, kind

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the errors of ``submission_create`` next to this form's fields."""
        for key, messages in error.error_dict.items():
            self.add_error(SERVICE_FIELDS.get(key), messages)
