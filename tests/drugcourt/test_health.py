import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections
from django.urls import reverse

from drugcourt import health
from drugcourt.celery import app as celery_app
from drugcourt.tasks import heartbeat_task


def test_healthz_is_ok_when_postgres_and_redis_answer(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_does_not_answer(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_healthz_is_503_when_postgres_does_not_answer(client, db, monkeypatch):
    broken = connections.create_connection("default")
    broken.settings_dict = {**broken.settings_dict, "HOST": "127.0.0.1", "PORT": "1"}
    monkeypatch.setattr(health, "connection", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_that_beat_publishes(client):
    """Through the real Redis broker: publishing records beat's heartbeat, the worker's run
    records the worker's; /healthz shows both."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping the worker waits for)

    with start_worker(celery_app, perform_ping_check=True, shutdown_timeout=10):
        heartbeat_task.delay().get(timeout=10)

    report = client.get(reverse("healthz")).json()
    assert report["beat"]["last_heartbeat"] is not None
    assert report["worker"]["last_heartbeat"] is not None
    assert report["worker"]["hostname"]


def test_heartbeat_age_counts_whole_days_too(db):
    import datetime

    now = datetime.datetime(2026, 11, 23, 12, tzinfo=datetime.UTC)
    health.record_worker_heartbeat(hostname="w1", now=now - datetime.timedelta(days=2))

    worker = health.report(now=now)["worker"]

    assert worker == {
        "last_heartbeat": "2026-11-21T12:00:00+00:00",
        "age_seconds": 172800,
        "hostname": "w1",
    }
