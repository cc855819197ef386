import datetime
from zoneinfo import ZoneInfo

from clients.models import Alert
from drugcourt.services import program_settings_change_alert_thresholds
from tests.treatment_plans.test_plans import START, draft_with_objective
from treatment_plans import services
from treatment_plans.tasks import plan_review_sweep_task


def noon(day: datetime.date) -> datetime.datetime:
    """Midday of `day` in the test program's zone (tests/factories.py)."""
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=ZoneInfo("America/Chicago"))


def active_plan(participant, actor):
    plan = draft_with_objective(participant, actor)
    return services.plan_activate(plan=plan, acknowledged_on=START, actor=actor)


def test_a_review_due_within_a_week_raises_one_alert(
    casemanager, participant, django_assert_num_queries
):
    plan = active_plan(participant, casemanager)  # review due START + 90 days
    due = plan.review_due_on

    assert services.plan_review_sweep(now=noon(due - datetime.timedelta(days=8))) == 0
    with django_assert_num_queries(1):
        first = services.plan_review_sweep(now=noon(due - datetime.timedelta(days=7)))
    second = services.plan_review_sweep(now=noon(due + datetime.timedelta(days=3)))

    alert = Alert.objects.get()
    assert (first, second) == (1, 0)
    assert (alert.kind, alert.assigned_to) == ("plan_review_due", casemanager)
    assert str(due) in alert.message


def test_a_review_moves_the_due_date_and_the_next_one_alerts_again(casemanager, participant):
    plan = active_plan(participant, casemanager)
    services.plan_review_sweep(now=noon(plan.review_due_on))
    objective = plan.goals.get().objectives.get()
    services.plan_review_record(
        plan=plan,
        reviewed_on=START + datetime.timedelta(days=1),
        progress={objective.pk: "met"},
        note="",
        actor=casemanager,
    )
    plan.refresh_from_db()

    assert services.plan_review_sweep(now=noon(plan.review_due_on)) == 1
    assert Alert.objects.count() == 2


def test_the_programs_notice_decides(coordinator, casemanager, participant, program):
    plan = active_plan(participant, casemanager)
    day = plan.review_due_on - datetime.timedelta(days=20)
    assert services.plan_review_sweep(now=noon(day)) == 0  # the default notice is 7 days

    program_settings_change_alert_thresholds(
        program=program,
        effective_from=day,
        referral_engagement_days=14,
        plan_review_notice_days=30,
        change_note="Earlier notice",
        actor=coordinator,
    )

    assert services.plan_review_sweep(now=noon(day)) == 1


def test_beat_runs_the_plan_review_sweep_daily(db, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["plan-review-sweep"]

    assert entry["task"] == "treatment_plans.tasks.plan_review_sweep_task"
    assert plan_review_sweep_task() == 0


def test_people_who_left_the_program_raise_no_review_alert(casemanager, participant):
    plan = active_plan(participant, casemanager)
    enrollment = participant.enrollments.get()
    enrollment.status = "graduated"
    enrollment.save()

    assert services.plan_review_sweep(now=noon(plan.review_due_on)) == 0


# Near midnight in a program west of the worker: 23:30 in Los Angeles is 07:30 UTC of the
# next day, and the worker (UTC) must still judge by the program's date.
def test_the_review_notice_counts_from_the_programs_date_not_the_workers(
    casemanager, participant, program, time_machine
):
    program.time_zone = "America/Los_Angeles"
    program.save()
    plan = active_plan(participant, casemanager)
    notice_starts = plan.review_due_on - datetime.timedelta(days=7)  # the default notice
    eve = datetime.datetime.combine(notice_starts, datetime.time(7, 30), datetime.UTC)

    time_machine.move_to(eve, tick=False)  # 23:30 the day before, in Los Angeles
    assert plan_review_sweep_task() == 0
    time_machine.move_to(eve + datetime.timedelta(hours=1), tick=False)  # 00:30 local
    assert plan_review_sweep_task() == 1
