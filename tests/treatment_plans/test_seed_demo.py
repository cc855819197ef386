"""`seed_demo` refers the admitted demo participants to the demo treatment agency, with
referrals in every state and service episodes whose access matches (treatment_plans/demo.py)."""

import datetime
import itertools

from django.apps import apps
from django.core.management import call_command
from django.db.models import Min
from django.utils import timezone

from assessments.models import Need, NeedStatus
from clients import access
from clients.models import Appointment, CaseAssignment, Enrollment, ParticipantGroupObjectPermission
from clients.reconcile import access_drift
from court.models import PhaseChange
from drugcourt.models import Organization, Program, User
from treatment_plans.models import (
    ENGAGEMENT_LIMIT_DAYS,
    Engagement,
    Goal,
    NeedDeferral,
    Objective,
    ObjectiveProgress,
    PlannedService,
    PlanReview,
    PlanStatus,
    ProgressReport,
    Referral,
    ReferralState,
    ServiceEpisode,
    TreatmentPlan,
)
from treatment_plans.selectors import plans_due_for_review

AGENCY = "Harbor Light Recovery Services"
DISCHARGE_REASONS = {
    "graduated": {"completed"},
    "terminated": {"left_against_advice", "administrative"},
    "withdrawn": {"administrative", "left_against_advice"},
    "neutral_discharge": {"transferred", "administrative"},
    "absconded": {"left_against_advice"},
}


def counts():
    models = (Referral, ServiceEpisode, Appointment, ParticipantGroupObjectPermission)
    return [model.objects.count() for model in models]


def test_seed_demo_refers_the_admitted_participants_in_every_state(db, seeded_demo):
    before = seeded_demo

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    provider = User.objects.get(username="provider")
    managers = dict(
        CaseAssignment.objects.filter(team_role="case_manager")
        .order_by("started_on", "pk")  # the last one: a closed enrollment's team has left
        .values_list("participant", "user")
    )
    entries = dict(
        Enrollment.objects.filter(case_number__startswith="LV-DC-").values_list(
            "participant", "entry_date"
        )
    )
    referrals = Referral.objects.select_related("provider", "intake_appointment")
    states = {state: referrals.filter(state=state) for state in ReferralState}
    assert all(states.values()), {state: rows.count() for state, rows in states.items()}
    assert states[ReferralState.ENGAGED].count() > 40
    # Every participant ever admitted but one who left on the day of entry was referred.
    referred = set(referrals.values_list("participant", flat=True))
    admitted = {participant for participant, entry in entries.items() if entry is not None}
    assert referred <= admitted
    assert len(admitted - referred) <= 1

    now = timezone.now()
    for referral in referrals.prefetch_related("episode"):
        assert referral.provider.name == AGENCY
        assert referral.sent_by_id == managers[referral.participant_id]
        assert all((referral.requested_service, referral.reason, referral.shared_information))
        # None in the future, none before entry, each step after the one before.
        assert entries[referral.participant_id] <= timezone.localdate(referral.sent_at)
        assert referral.sent_at <= now
        if referral.state == ReferralState.SENT:
            assert (referral.responded_at, referral.responded_by) == (None, None)
        else:
            assert referral.sent_at < referral.responded_at <= now
            assert referral.responded_by == provider
        episode = getattr(referral, "episode", None)
        if referral.state in (ReferralState.SENT, ReferralState.DECLINED):
            assert episode is None
            assert referral.intake_appointment is None
        else:
            assert episode is not None
            assert episode.started_on == timezone.localdate(referral.responded_at)
            assert (episode.participant_id, episode.provider_id) == (
                referral.participant_id,
                referral.provider_id,
            )
        assert bool(referral.decline_reason) == (referral.state == ReferralState.DECLINED)
        assert (referral.engaged_at is not None) == (referral.state == ReferralState.ENGAGED)
        intake = referral.intake_appointment
        if referral.state == ReferralState.ACCEPTED:
            assert intake is None
        if referral.state in (ReferralState.INTAKE_SCHEDULED, ReferralState.ENGAGED):
            assert (intake.kind, intake.staff, intake.created_by) == (
                "treatment",
                provider,
                provider,
            )
            assert intake.participant_id == referral.participant_id
            assert intake.created_at == referral.responded_at < intake.scheduled_at
        if referral.state == ReferralState.INTAKE_SCHEDULED:
            assert intake.outcome == ""
        if referral.state == ReferralState.ENGAGED:
            assert intake.outcome == "attended"
            assert intake.outcome_recorded_by == provider
            assert intake.scheduled_at < intake.outcome_recorded_at <= now
            assert referral.engaged_at == intake.outcome_recorded_at
            assert referral.days_open <= ENGAGEMENT_LIMIT_DAYS

    open_sent = states[ReferralState.SENT]
    assert len([r for r in open_sent if r.is_overdue]) >= 2
    assert len([r for r in open_sent if r.days_open <= 7]) >= 2
    assert len([r for r in referrals if r.is_overdue]) == 2
    future_intakes = states[ReferralState.INTAKE_SCHEDULED].filter(
        intake_appointment__scheduled_at__gt=before
    )
    assert future_intakes.count() >= 2
    assert today < max(
        timezone.localdate(r.intake_appointment.scheduled_at) for r in future_intakes
    )
    assert states[ReferralState.DECLINED].exclude(decline_reason="").count() == 2
    # The sent_at correction is no change of the referral: one history row each.
    assert apps.get_model("treatment_plans", "ReferralEvent").objects.count() == referrals.count()


def test_seed_demo_episodes_match_the_enrollments_and_the_provider_access(db, seeded_demo):

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    provider = User.objects.get(username="provider")
    episodes = ServiceEpisode.objects.select_related("referral", "participant")
    enrollments = {
        enrollment.participant_id: enrollment
        for enrollment in Enrollment.objects.filter(case_number__startswith="LV-DC-")
    }
    active = episodes.filter(discharged_on__isnull=True)
    discharged = episodes.filter(discharged_on__isnull=False)
    assert active.count() > 30
    assert discharged.filter(discharge_reason="completed").exists()
    assert discharged.exclude(discharge_reason="completed").exists()

    for episode in discharged:
        enrollment = enrollments[episode.participant_id]
        if episode.referral.state == "withdrawn":  # by the case manager, after a missed intake
            assert (episode.discharge_reason, episode.discharged_by) == (
                "administrative",
                episode.referral.sent_by,
            )
            continue
        assert enrollment.status in DISCHARGE_REASONS
        assert episode.discharge_reason in DISCHARGE_REASONS[enrollment.status]
        assert episode.discharge_summary.strip()
        assert episode.discharged_by == provider
        intake_day = timezone.localdate(episode.referral.intake_appointment.scheduled_at)
        assert episode.started_on <= intake_day <= episode.discharged_on
        assert episode.discharged_on <= (enrollment.exit_date or today)
    for episode in active:
        assert enrollments[episode.participant_id].status in ("active", "absconded")
        assert (episode.discharged_by, episode.discharge_reason, episode.discharge_summary) == (
            None,
            "",
            "",
        )
    # Everyone who left the program left treatment too.
    assert not active.exclude(participant__enrollments__exit_date=None).exists()
    # Each participant's first loop closed within days of entry.
    for episode in episodes.filter(referral__state="engaged"):
        entry = enrollments[episode.participant_id].entry_date
        assert episode.started_on - entry <= datetime.timedelta(days=14)

    visible = set(access.participants_visible_to(provider).values_list("pk", flat=True))
    assert visible == set(active.values_list("participant", flat=True))
    assert access_drift().is_clean


def test_seed_demo_refers_once(db, seeded_demo):
    first = counts()
    referrals = list(Referral.objects.order_by("pk").values("participant", "state", "sent_at"))

    call_command("seed_demo")

    assert counts() == first
    assert list(Referral.objects.order_by("pk").values("participant", "state", "sent_at")) == (
        referrals
    )
    assert access_drift().is_clean


def plan_counts():
    models = (TreatmentPlan, Goal, Objective, PlannedService, NeedDeferral, PlanReview)
    return [model.objects.count() for model in (*models, ProgressReport)]


def test_seed_demo_gives_every_admitted_participant_a_signed_plan(db, seeded_demo):

    today = timezone.localdate(timezone=Program.objects.get().zone)
    now = timezone.now()
    enrollments = {
        enrollment.participant_id: enrollment
        for enrollment in Enrollment.objects.filter(
            case_number__startswith="LV-DC-", entry_date__isnull=False
        )
    }
    managers = dict(
        CaseAssignment.objects.filter(team_role="case_manager")
        .order_by("started_on", "pk")  # the last one: a closed enrollment's team has left
        .values_list("participant", "user")
    )
    plans = TreatmentPlan.objects.prefetch_related(
        "goals__objectives__services", "deferrals", "reviews"
    )
    assert set(plans.values_list("participant", flat=True)) == set(enrollments)
    active = {plan.participant_id: plan for plan in plans.filter(status=PlanStatus.ACTIVE)}
    assert set(active) == set(enrollments)
    assert plans.filter(status=PlanStatus.DRAFT).count() == 0
    superseded = plans.filter(status=PlanStatus.SUPERSEDED)
    assert 5 <= superseded.count() <= 15
    for plan in superseded:
        newer = active[plan.participant_id]
        assert (plan.version, newer.version) == (1, 2)
        assert plan.starts_on < newer.starts_on
        assert plan.signed_at < newer.signed_at

    agency = Organization.objects.get(name=AGENCY)
    for plan in plans:
        enrollment = enrollments[plan.participant_id]
        assert plan.signed_by_id == plan.created_by_id == managers[plan.participant_id]
        assert plan.created_at <= plan.signed_at <= now
        assert plan.acknowledged_on == timezone.localdate(plan.signed_at)
        assert enrollment.entry_date <= plan.acknowledged_on <= plan.starts_on <= today
        goals = list(plan.goals.all())
        assert 1 <= len(goals) <= 3
        for goal in goals:
            assert all((goal.participant_words, goal.clinical_terms))
            objectives = list(goal.objectives.all())
            assert 1 <= len(objectives) <= 2
            for objective in objectives:
                assert objective.target_date > plan.starts_on
                services = list(objective.services.all())
                assert 1 <= len(services) <= 2
                assert all(service.frequency for service in services)
        objectives = [o for goal in goals for o in goal.objectives.all()]
        assert any(s.provider == agency for o in objectives for s in o.services.all())
        reviews = sorted(plan.reviews.all(), key=lambda review: review.reviewed_on)
        ids = {str(objective.pk) for objective in objectives}
        for review in reviews:
            assert set(review.progress) == ids
            assert set(review.progress.values()) <= set(ObjectiveProgress.values)
            assert plan.starts_on <= review.reviewed_on <= today
            assert review.reviewed_by_id == plan.signed_by_id
        last = reviews[-1].reviewed_on if reviews else plan.starts_on
        # A phase change since then made the review due on its day (court.seed_demo_court).
        changed = PhaseChange.objects.filter(
            enrollment__participant_id=plan.participant_id, decided_on__gte=last
        ).aggregate(first=Min("decided_on"))["first"]
        assert plan.review_due_on == min(
            day for day in (last + datetime.timedelta(days=90), changed) if day is not None
        )
    assert any("revised" in review.progress.values() for review in PlanReview.objects.all())

    # Every need of an admitted participant is answered or deferred by the plan in force.
    needs = Need.objects.filter(participant__in=enrollments)
    assert needs.exists()
    assert not needs.filter(status=NeedStatus.OPEN).exists()
    for need in needs:
        plan = active[need.participant_id]
        answered = Objective.objects.filter(goal__plan=plan, need=need).exists()
        deferred = plan.deferrals.filter(need=need).exists()
        assert (need.status, answered or deferred) in (
            (NeedStatus.ADDRESSED, True),
            (NeedStatus.DEFERRED, True),
        )
        assert (need.status == NeedStatus.ADDRESSED) == answered
    assert 1 <= needs.filter(status=NeedStatus.DEFERRED).count() <= 2
    assert all(deferral.reason for deferral in NeedDeferral.objects.all())

    # The daily sweep has work: reviews due within the week or overdue for active participants.
    due = plans_due_for_review(timezone.now()).filter(
        participant__enrollments__status="active",
    )
    assert due.filter(review_due_on__lt=today).count() >= 2
    assert due.filter(review_due_on__gte=today).count() >= 1
    assert access_drift().is_clean


def test_seed_demo_writes_monthly_progress_reports(db, seeded_demo):

    today = timezone.localdate(timezone=Program.objects.get().zone)
    provider = User.objects.get(username="provider")
    reports = ProgressReport.objects.select_related("episode")
    assert reports.count() > 50
    assert set(reports.values_list("engagement", flat=True)) == set(Engagement.values)
    months_by_episode = {}
    for report in reports:
        episode = report.episode
        assert report.month.day == 1
        assert report.month <= today.replace(day=1)
        assert report.month >= episode.started_on.replace(day=1)
        if episode.discharged_on is not None:
            assert report.month <= episode.discharged_on
        assert report.written_by == provider
        assert report.written_at <= timezone.now()
        assert timezone.localdate(report.written_at) >= report.month
        assert all((report.attendance_summary, report.clinical_progress, report.recommendation))
        months_by_episode.setdefault(episode.pk, []).append(report.month)
    for months in months_by_episode.values():
        assert len(months) == len(set(months)) <= 4
        ordered = sorted(months)
        for earlier, later in itertools.pairwise(ordered):
            assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
    # Every episode a full month old has reports.
    for episode in ServiceEpisode.objects.all():
        end = episode.discharged_on or today
        if (end - episode.started_on).days > 62:
            assert episode.pk in months_by_episode


def test_seed_demo_plans_once(db, seeded_demo):
    first = plan_counts()
    needs = list(Need.objects.order_by("pk").values_list("pk", "status"))

    call_command("seed_demo")

    assert plan_counts() == first
    assert list(Need.objects.order_by("pk").values_list("pk", "status")) == needs
    assert access_drift().is_clean
