"""Core Celery tasks: thin, idempotent, taking primary keys."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from . import health
from .models import Program, User
from .roles import Role
from .selectors import coordinators_of
from .services import staff_email_change_token, staff_set_password_path

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


def _site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@shared_task(**TASK_RETRY_POLICY)
def staff_email_change_confirmation_task(user_id: int, new_email: str) -> None:
    """Sends the link that confirms a new e-mail address to the account's current one."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    token = staff_email_change_token(user=user, new_email=new_email)
    link = _site_link(reverse("core:staff_email_change_confirm", args=[token]))
    body = render_to_string(
        "drugcourt/email/email_change.txt", {"user": user, "new_email": new_email, "link": link}
    )
    send_mail("Confirm the change of your drugcourt e-mail address", body, None, [user.email])


@shared_task(**TASK_RETRY_POLICY)
def staff_role_granted_email_task(
    user_id: int, program_id: int, roles: list[str], actor_id: int | None
) -> None:
    """Tells a program's coordinators that someone now reaches its participants."""
    user = User.objects.filter(pk=user_id).first()
    program = Program.objects.filter(pk=program_id).first()
    if user is None or program is None:
        return
    recipients = [
        coordinator.email
        for coordinator in coordinators_of(program).exclude(pk=user_id)
        if coordinator.email
    ]
    if not recipients:
        return
    body = render_to_string(
        "drugcourt/email/role_granted.txt",
        {
            "user": user,
            "program": program,
            "roles": [Role(role).label for role in roles],
            "actor": User.objects.filter(pk=actor_id).first() if actor_id else None,
            "link": _site_link(reverse("core:staff_audit")),
        },
    )
    send_mail(f"{user} now reaches participants of {program}", body, None, recipients)
