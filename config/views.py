"""The dashboard home and the health check."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from activity.models import WorkerHeartbeat
from activity.selectors import dashboard as activity_dashboard
from config.celery import app as celery_app
from salesforce.access import member_required
from setup_wizard.selectors import setup_health

logger = logging.getLogger(__name__)


@member_required
def home(request: HttpRequest) -> HttpResponse:
    ctx = {
        "org": request.org,
        "activity": activity_dashboard(org=request.org),
        "health": setup_health(request.org),
    }
    return render(request, "home.html", ctx)


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        logger.warning("Health check: database unreachable: %s", exc)
        return False, "unreachable"
    return True, "ok"


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        logger.warning("Health check: broker unreachable: %s", exc)
        return False, "unreachable"
    return True, "ok"


def _worker_last_seen() -> str | None:
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return latest.seen_at.isoformat() if latest else None


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_state = _database_ok()
    broker_ok, broker_state = _broker_ok()
    healthy = db_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": db_state,
        "broker": broker_state,
        "worker_last_seen": _worker_last_seen() if db_ok else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
