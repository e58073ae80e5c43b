"""Forms of the setup wizard and the Extensions page."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory

from salesforce.models import BusinessUnit, Extension
from salesforce.tooling import API_NAME_MAX_LENGTH
from setup_wizard import naming

#: Rows of a posted formset ever looked at, whatever count it claims.
MAX_POSTED_ROWS = 1000


class ApiNameField(forms.CharField):
    """An API name that Salesforce accepts for extensions and activity types."""

    default_error_messages = {
        "invalid_api_name": "%(problem)s",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "API name")
        kwargs.setdefault("max_length", API_NAME_MAX_LENGTH)
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        problem = naming.api_name_problem(value) if value else None
        if problem:
            raise ValidationError(
                self.error_messages["invalid_api_name"],
                code="invalid_api_name",
                params={"problem": problem},
            )


class NamedForm(forms.Form):
    """A label and an API name; an API name left empty follows the label, as
    the page suggests it while the label is typed."""

    def clean(self) -> dict:
        data = super().clean()
        if "api_name" in self.errors or data.get("api_name"):
            return data
        data["api_name"] = naming.suggest(data.get("label", ""))
        if not data["api_name"]:
            self.add_error(
                "api_name",
                ValidationError(
                    self.fields["api_name"].error_messages["required"],
                    code="required",
                ),
            )
        return data


class ExtensionForm(NamedForm):
    label = forms.CharField(
        label="Extension name",
        max_length=40,
        help_text="How Salesforce shows it, such as Webinar Service.",
    )
    api_name = ApiNameField(
        required=False,
        help_text=(
            "Sent with every activity. Letters, digits and underscores, starting "
            "with a letter."
        ),
    )
    description = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For your colleagues in Salesforce; optional.",
    )


class ActivityTypeForm(NamedForm):
    label = forms.CharField(label="Activity name", max_length=40)
    api_name = ApiNameField(required=False)
    description = forms.CharField(required=False, max_length=1000)


class BaseActivityTypeFormSet(BaseFormSet):
    """The new activity types of a run; API names unique, at least one type."""

    default_error_messages = {
        "duplicate_api_name": "Each activity type needs its own API name; %(name)s "
        "is used twice.",
        "no_types": "Add at least one activity type.",
    }

    def __init__(self, *args, existing_names: tuple[str, ...] = (), **kwargs):
        self.existing_names = {n.lower() for n in existing_names}
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set(self.existing_names)
        for form in self.forms:
            name = form.cleaned_data.get("api_name", "")
            if name.lower() in seen:
                raise ValidationError(
                    self.error_messages["duplicate_api_name"],
                    code="duplicate_api_name",
                    params={"name": name},
                )
            seen.add(name.lower())
        if not seen:
            raise ValidationError(self.error_messages["no_types"], code="no_types")

    @staticmethod
    def without_blank_rows(data, prefix: str = "types"):
        """``data`` without the rows left entirely empty (an unused "Add
        another type"), renumbered."""
        total = data.get("%s-TOTAL_FORMS" % prefix, "")
        if not total.isdigit():
            return data
        # The posted count is the browser's claim: never trust it to bound work.
        count = min(int(total), MAX_POSTED_ROWS)
        kept, fields = [], ("label", "api_name", "description")
        for index in range(count):
            row = {f: data.get("%s-%s-%s" % (prefix, index, f), "") for f in fields}
            if row["label"].strip() or row["api_name"].strip():
                kept.append(row)
        cleaned = data.copy()
        for index in range(count):
            for field in fields:
                cleaned.pop("%s-%s-%s" % (prefix, index, field), None)
        for index, row in enumerate(kept):
            for field, value in row.items():
                cleaned["%s-%s-%s" % (prefix, index, field)] = value
        cleaned["%s-TOTAL_FORMS" % prefix] = str(len(kept))
        cleaned["%s-INITIAL_FORMS" % prefix] = str(len(kept))
        return cleaned

    def rows(self) -> list[dict]:
        """What was typed, valid or not, to show the rows again."""
        return [
            {
                "label": form["label"].value() or "",
                "api_name": form["api_name"].value() or "",
                "description": form["description"].value() or "",
            }
            for form in self.forms
        ]


ActivityTypeFormSet = formset_factory(
    ActivityTypeForm, formset=BaseActivityTypeFormSet, extra=0, max_num=20
)


class BusinessUnitsForm(forms.Form):
    business_units = forms.MultipleChoiceField(
        label="Business units",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Pick at least one business unit: Salesforce needs the "
            "extension assigned even when there is only one.",
        },
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_units"].choices = [
            (unit.sf_id, "%s (%s)" % (unit.name, unit.sf_id)) for unit in units
        ]


class AddActivityTypeForm(ActivityTypeForm):
    activate = forms.BooleanField(label="Activate it now", required=False, initial=True)

    error_messages = {
        "exists": "%(extension)s already has an activity type with this API name.",
    }

    def __init__(self, *args, extension: Extension, **kwargs):
        self.extension = extension
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        # After the API name is filled in from the label, so a name typed
        # only as a label is checked too.
        data = super().clean()
        name = data.get("api_name")
        types = self.extension.activity_types
        if name and types.filter(api_name__iexact=name).exists():
            self.add_error(
                "api_name",
                ValidationError(
                    self.error_messages["exists"],
                    code="exists",
                    params={"extension": self.extension.label},
                ),
            )
        return data


class AssignForm(forms.Form):
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        empty_label=None,
        error_messages={
            "invalid_choice": "Pick one of the org's business units that the "
            "extension is not assigned to yet.",
        },
    )

    def __init__(
        self,
        *args,
        extension: Extension,
        free_units: list[BusinessUnit] | None = None,
        **kwargs,
    ):
        """``free_units``, the org's units the extension is not assigned to,
        may come from rows the page read already; the choices are then drawn
        from them without a query of their own. A posted form is always
        checked against the database."""
        super().__init__(*args, **kwargs)
        field = self.fields["business_unit"]
        assigned = extension.assignments.values_list("business_unit_id", flat=True)
        field.queryset = BusinessUnit.objects.filter(org_id=extension.org_id).exclude(
            pk__in=assigned
        )
        if free_units is not None:
            field.choices = [
                (field.prepare_value(unit), field.label_from_instance(unit))
                for unit in free_units
            ]
