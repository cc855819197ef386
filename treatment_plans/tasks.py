"""Celery tasks of treatment plans: thin, taking no arguments the sweep does not need."""

from celery import shared_task

from drugcourt.tasks import TASK_RETRY_POLICY

from .services import plan_review_sweep, referral_sweep


@shared_task(**TASK_RETRY_POLICY)
def referral_sweep_task() -> int:
    """Beat runs it hourly: idempotent, so a missed or doubled run changes nothing."""
    return referral_sweep()


@shared_task(**TASK_RETRY_POLICY)
def plan_review_sweep_task() -> int:
    """Beat runs it daily: idempotent per plan and due date."""
    return plan_review_sweep()
