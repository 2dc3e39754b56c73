"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 while the process serves; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """200 when the database (and Redis, when configured) answer, else 503 with each check's state."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means not ready; the log says which
        logger.warning("readiness: database check failed", extra={"error": type(exc).__name__})
        return "unavailable"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
        return "ok"
    except Exception as exc:  # any failure means not ready; the log says which
        logger.warning("readiness: redis check failed", extra={"error": type(exc).__name__})
        return "unavailable"
