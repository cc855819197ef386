"""Celery tasks of monitoring: thin and idempotent, each calling one sweep or the testing tick
(beat runs them; CELERY_BEAT_SCHEDULE in settings). Time limits are the settings' task-wide
CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT; retries come from TASK_RETRY_POLICY. They
return plain counts (JSON) for the result backend and the worker log."""

from dataclasses import asdict

from celery import shared_task

from drugcourt.tasks import TASK_RETRY_POLICY

from .draw import testing_tick
from .sweeps import (
    appointments_missed_sweep,
    appointments_unrecorded_sweep,
    drug_tests_missed_sweep,
    noncompliance_sweep,
    results_overdue_sweep,
)


@shared_task(**TASK_RETRY_POLICY)
def testing_tick_task() -> dict[str, int]:
    """Every 15 minutes: each program's draw and call list once its local time has passed."""
    return testing_tick(now=None)


@shared_task(**TASK_RETRY_POLICY)
def drug_tests_missed_sweep_task() -> dict[str, int]:
    return asdict(drug_tests_missed_sweep())


@shared_task(**TASK_RETRY_POLICY)
def results_overdue_sweep_task() -> dict[str, int]:
    return asdict(results_overdue_sweep())


@shared_task(**TASK_RETRY_POLICY)
def appointments_unrecorded_sweep_task() -> dict[str, int]:
    return asdict(appointments_unrecorded_sweep())


@shared_task(**TASK_RETRY_POLICY)
def appointments_missed_sweep_task() -> dict[str, int]:
    return asdict(appointments_missed_sweep())


@shared_task(**TASK_RETRY_POLICY)
def noncompliance_sweep_task() -> dict[str, int]:
    return asdict(noncompliance_sweep())
