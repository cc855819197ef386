"""The referral sweep: one set-based statement, idempotent, with the program's threshold."""

import datetime

from django.conf import settings
from django.utils import timezone

from clients.models import Alert
from drugcourt.services import program_settings_change_alert_thresholds
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services
from treatment_plans.tasks import referral_sweep_task


def sent_days_ago(days, participant, provider, casemanager, time_machine):
    time_machine.move_to(timezone.now() - datetime.timedelta(days=days), tick=False)
    referral = refer(participant, provider.organization, casemanager)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=days), tick=False)
    return referral


def test_old_open_referrals_raise_one_alert_each_however_often_it_runs(
    participant, provider, casemanager, time_machine, django_assert_num_queries
):
    old = sent_days_ago(20, participant, provider, casemanager, time_machine)
    sent_days_ago(3, participant, provider, casemanager, time_machine)

    with django_assert_num_queries(1):
        first = services.referral_sweep()
    second = services.referral_sweep()

    alert = Alert.objects.get()
    assert (first, second) == (1, 0)
    assert alert.source_key == f"referral:{old.pk}"
    assert alert.assigned_to == casemanager
    assert "not engaged after 14 days" in alert.message


def test_engaged_and_declined_referrals_are_not_flagged(
    participant, provider, casemanager, time_machine
):
    declined = sent_days_ago(20, participant, provider, casemanager, time_machine)
    services.referral_decline(referral=declined, reason="Full", actor=provider)

    assert services.referral_sweep() == 0


def test_the_programs_threshold_decides(
    participant, provider, casemanager, coordinator, program, time_machine
):
    sent_days_ago(10, participant, provider, casemanager, time_machine)
    assert services.referral_sweep() == 0

    program_settings_change_alert_thresholds(
        program=program,
        effective_from=timezone.localdate(),
        referral_engagement_days=7,
        plan_review_notice_days=7,
        change_note="Tighter",
        actor=coordinator,
    )

    assert services.referral_sweep() == 1


def test_beat_runs_the_sweep_task_hourly(participant, provider, casemanager, time_machine):
    sent_days_ago(20, participant, provider, casemanager, time_machine)

    assert settings.CELERY_BEAT_SCHEDULE["referral-sweep"]["task"] == (
        "treatment_plans.tasks.referral_sweep_task"
    )
    assert referral_sweep_task() == 1
