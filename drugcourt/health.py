"""What /healthz reports: PostgreSQL and Redis decide the status; the Celery worker's and
beat's last heartbeats are shown but never change it (a stalled beat must not take the web
site out of a load balancer)."""

import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "heartbeat:worker"
BEAT_HEARTBEAT_KEY = "heartbeat:beat"
HEARTBEAT_TTL = 60 * 60 * 24


def record_worker_heartbeat(*, hostname: str, now: datetime.datetime | None = None) -> None:
    at = (now or timezone.now()).isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, {"at": at, "hostname": hostname}, HEARTBEAT_TTL)


def record_beat_heartbeat(*, now: datetime.datetime | None = None) -> None:
    cache.set(BEAT_HEARTBEAT_KEY, {"at": (now or timezone.now()).isoformat()}, HEARTBEAT_TTL)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure to answer is "down"
        return f"error: {type(error).__name__}"
    return "ok"


def _check_redis() -> tuple[str, dict]:
    try:
        heartbeats = cache.get_many([WORKER_HEARTBEAT_KEY, BEAT_HEARTBEAT_KEY])
    except Exception as error:  # any failure to answer is "down"
        return f"error: {type(error).__name__}", {}
    return "ok", heartbeats


def _age(heartbeat: dict | None, now: datetime.datetime) -> dict:
    if not heartbeat:
        return {"last_heartbeat": None, "age_seconds": None}
    at = datetime.datetime.fromisoformat(heartbeat["at"])
    extra = {key: value for key, value in heartbeat.items() if key != "at"}
    return {
        "last_heartbeat": heartbeat["at"],
        "age_seconds": int((now - at).total_seconds()),
        **extra,
    }


def report(now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    database = _check_database()
    redis, heartbeats = _check_redis()
    healthy = database == "ok" and redis == "ok"
    return {
        "status": "ok" if healthy else "error",
        "checks": {"database": database, "redis": redis},
        "worker": _age(heartbeats.get(WORKER_HEARTBEAT_KEY), now),
        "beat": _age(heartbeats.get(BEAT_HEARTBEAT_KEY), now),
    }
