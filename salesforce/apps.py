from django.apps import AppConfig


class SalesforceConfig(AppConfig):
    name = "salesforce"
    # allauth's Salesforce provider already uses the label "salesforce".
    label = "orgs"
    verbose_name = "Salesforce"

    def ready(self) -> None:
        from salesforce import checks, redaction  # noqa: F401 (registers checks)

        redaction.install_record_factory()
