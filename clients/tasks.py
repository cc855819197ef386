"""Celery tasks of the participant's record: thin, idempotent, taking no PHI (beat runs them;
CELERY_BEAT_SCHEDULE in settings). They return plain counts for the worker log."""

from dataclasses import asdict

from celery import shared_task

from drugcourt.tasks import TASK_RETRY_POLICY

from .services import access_log_partitions_add
from .sweeps import consents_expiring_sweep


@shared_task(**TASK_RETRY_POLICY)
def consents_expiring_sweep_task() -> dict[str, int]:
    """Daily: the case manager is told 14 days before a consent expires."""
    return asdict(consents_expiring_sweep())


@shared_task(**TASK_RETRY_POLICY)
def access_log_partitions_task() -> int:
    """Beat runs it daily (the work is monthly): the access log's partitions three months
    ahead, so one missed month of beat loses nothing. Idempotent."""
    return access_log_partitions_add()
