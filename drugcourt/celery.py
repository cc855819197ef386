"""The Celery app. Beat runs as exactly one process (see Procfile); its schedule is static
(CELERY_BEAT_SCHEDULE in settings). DJANGO_SETTINGS_MODULE comes from the environment (the
launcher, manage.py, wsgi.py or the deployment): importing the package must not pick one, or
tests started through the launcher would get the development settings."""

from celery import Celery
from celery.signals import before_task_publish

app = Celery("drugcourt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_TASK_NAME = "drugcourt.tasks.heartbeat_task"


@before_task_publish.connect
def record_beat_heartbeat(sender: str | None = None, **kwargs) -> None:
    """Only beat publishes the heartbeat task: publishing it is beat's own heartbeat, so
    /healthz can tell a dead beat from a dead worker."""
    if sender == HEARTBEAT_TASK_NAME:
        from drugcourt import health

        health.record_beat_heartbeat()
