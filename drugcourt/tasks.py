"""Core Celery tasks: thin, idempotent, taking primary keys."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from . import health
from .models import User
from .services import staff_set_password_path

TASK_RETRY_POLICY = {
    "autoretry_for": (ConnectionError, TimeoutError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_TASK_RETRY_BACKOFF_MAX,
    "max_retries": settings.CELERY_TASK_MAX_RETRIES,
}


@shared_task(bind=True)
def heartbeat_task(self) -> None:
    """Beat sends it every minute; a worker running it proves both are alive (/healthz)."""
    health.record_worker_heartbeat(hostname=self.request.hostname or "unknown")


@shared_task(**TASK_RETRY_POLICY)
def staff_set_password_email_task(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    link = settings.SITE_URL.rstrip("/") + staff_set_password_path(user=user)
    body = render_to_string("drugcourt/email/set_password.txt", {"user": user, "link": link})
    send_mail("Set your drugcourt password", body, None, [user.email])
