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


def test_the_limit_in_force_is_the_one_of_the_programs_date_not_the_workers(
    participant, provider, casemanager, coordinator, program, time_machine
):
    """A shorter limit from tomorrow does not apply at 23:30 in Los Angeles, though the
    worker's clock (UTC, 07:30) already says tomorrow."""
    program.time_zone = "America/Los_Angeles"
    program.save()
    tomorrow = datetime.date(2026, 1, 15)
    time_machine.move_to(datetime.datetime(2026, 1, 5, 18, 0, tzinfo=datetime.UTC), tick=False)
    refer(participant, provider.organization, casemanager)  # 10 days before tomorrow
    program_settings_change_alert_thresholds(
        program=program,
        effective_from=tomorrow,
        referral_engagement_days=7,
        plan_review_notice_days=7,
        change_note="Tighter from tomorrow",
        actor=coordinator,
    )
    eve = datetime.datetime.combine(tomorrow, datetime.time(7, 30), datetime.UTC)

    time_machine.move_to(eve, tick=False)  # 23:30 on the 14th in Los Angeles
    assert referral_sweep_task() == 0  # still the default 14 days
    time_machine.move_to(eve + datetime.timedelta(hours=1), tick=False)  # 00:30 on the 15th
    assert referral_sweep_task() == 1
