"""The history's filters, read from the URL so a filtered view can be shared."""

from datetime import UTC, datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from activity.models import Source, Status, Submission
from salesforce.access import org_objects
from salesforce.models import ActivityType, BusinessUnit, Extension


def _org_rows(model):
    def rows(request):
        if request is None or not hasattr(request, "org"):
            return model.objects.none()
        return org_objects(request, model)

    return rows


def _start_of(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


class SubmissionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any")
    business_unit = django_filters.ModelChoiceFilter(
        queryset=_org_rows(BusinessUnit), empty_label="Any"
    )
    extension = django_filters.ModelChoiceFilter(
        queryset=_org_rows(Extension), empty_label="Any"
    )
    activity_type = django_filters.ModelChoiceFilter(
        label="Type", queryset=_org_rows(ActivityType), empty_label="Any"
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any")
    created_from = django_filters.DateFilter(
        label="From",
        method="filter_created_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_to = django_filters.DateFilter(
        label="To",
        method="filter_created_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    email = django_filters.CharFilter(
        method="filter_email",
        help_text="A whole address finds exactly it; a part finds addresses "
        "starting with it.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    value = django_filters.CharFilter(
        method="filter_value",
        help_text="Values starting with this text.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    class Meta:
        model = Submission
        fields = []

    # Dates are whole UTC days, compared to created_at directly so the
    # history's index serves the range.
    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value) + timedelta(days=1))

    def filter_email(self, queryset, name, value):
        email = value.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            return queryset.filter(email__startswith=email)
        return queryset.filter(email=email)

    def filter_value(self, queryset, name, value):
        return queryset.filter(value__startswith=value)
