from django.apps import AppConfig


class SetupWizardConfig(AppConfig):
    name = "setup_wizard"
    verbose_name = "Setup"
