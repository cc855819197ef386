import datetime

from clients.models import Alert
from drugcourt.services import program_settings_change_alert_thresholds
from tests.treatment_plans.test_plans import START, draft_with_objective
from treatment_plans import services
from treatment_plans.tasks import plan_review_sweep_task


def active_plan(participant, actor):
    plan = draft_with_objective(participant, actor)
    return services.plan_activate(plan=plan, acknowledged_on=START, actor=actor)


def test_a_review_due_within_a_week_raises_one_alert(
    casemanager, participant, django_assert_num_queries
):
    plan = active_plan(participant, casemanager)  # review due START + 90 days
    due = plan.review_due_on

    assert services.plan_review_sweep(today=due - datetime.timedelta(days=8)) == 0
    with django_assert_num_queries(1):
        first = services.plan_review_sweep(today=due - datetime.timedelta(days=7))
    second = services.plan_review_sweep(today=due + datetime.timedelta(days=3))

    alert = Alert.objects.get()
    assert (first, second) == (1, 0)
    assert (alert.kind, alert.assigned_to) == ("plan_review_due", casemanager)
    assert str(due) in alert.message


def test_a_review_moves_the_due_date_and_the_next_one_alerts_again(casemanager, participant):
    plan = active_plan(participant, casemanager)
    services.plan_review_sweep(today=plan.review_due_on)
    objective = plan.goals.get().objectives.get()
    services.plan_review_record(
        plan=plan,
        reviewed_on=START + datetime.timedelta(days=1),
        progress={objective.pk: "met"},
        note="",
        actor=casemanager,
    )
    plan.refresh_from_db()

    assert services.plan_review_sweep(today=plan.review_due_on) == 1
    assert Alert.objects.count() == 2


def test_the_programs_notice_decides(coordinator, casemanager, participant, program):
    plan = active_plan(participant, casemanager)
    day = plan.review_due_on - datetime.timedelta(days=20)
    assert services.plan_review_sweep(today=day) == 0  # the default notice is 7 days

    program_settings_change_alert_thresholds(
        program=program,
        effective_from=day,
        referral_engagement_days=14,
        plan_review_notice_days=30,
        change_note="Earlier notice",
        actor=coordinator,
    )

    assert services.plan_review_sweep(today=day) == 1


def test_beat_runs_the_plan_review_sweep_daily(db, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["plan-review-sweep"]

    assert entry["task"] == "treatment_plans.tasks.plan_review_sweep_task"
    assert plan_review_sweep_task() == 0


def test_people_who_left_the_program_raise_no_review_alert(casemanager, participant):
    plan = active_plan(participant, casemanager)
    enrollment = participant.enrollments.get()
    enrollment.status = "graduated"
    enrollment.save()

    assert services.plan_review_sweep(today=plan.review_due_on) == 0
