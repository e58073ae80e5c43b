"""System checks that stop a misconfigured console at start-up, not at first use."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def check_api_version(app_configs, **kwargs) -> list[Error]:
    from salesforce.client import api_version

    try:
        api_version()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="console.E001")]
    return []
