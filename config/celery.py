"""The Celery application shared by the web process, the workers and beat."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# "filesystem://" means the console's embedded broker, which writes each
# message whole (see config/broker.py); other broker URLs are untouched.
TRANSPORT_ALIASES["filesystem"] = "config.broker:Transport"

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
