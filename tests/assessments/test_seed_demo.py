"""`seed_demo` screens, admits and assesses the demo participants (assessments/demo.py)."""

import datetime
from collections import Counter

from django.core.management import call_command
from django.utils import timezone

from assessments.models import (
    ASAM_DIMENSIONS,
    ASAM_LEVELS,
    Administration,
    Admission,
    AsamAssessment,
    EligibilityScreening,
    Need,
    RiskNeedAssessment,
)
from assessments.scoring import score
from assessments.services import (
    Intensity,
    asam_program_rule_level,
    quadrant_for,
    risk_need_config_for,
)
from clients.access import DataClass
from clients.models import (
    Alert,
    CaseAssignment,
    Enrollment,
    EnrollmentStatusChange,
    LifeDomainRecord,
    TeamRole,
)
from drugcourt.models import Program, ProgramSettings
from drugcourt.selectors import program_settings_in_force
from treatment_plans.models import PlanReview, ProgressReport, TreatmentPlan

INTAKE_SCREENS = {"PHQ-9", "GAD-7", "AUDIT", "DAST-10"}


ASSESSMENTS = (RiskNeedAssessment, AsamAssessment, Need)


def counts():
    models = (EligibilityScreening, Admission, Administration, Alert, EnrollmentStatusChange)
    return [model.objects.count() for model in (*models, *ASSESSMENTS)]


def demo_enrollments():
    return Enrollment.objects.filter(case_number__startswith="LV-DC-").prefetch_related(
        "screenings", "charges", "status_changes"
    )


def test_seed_demo_screens_and_admits_the_demo_enrollments_as_their_history_says(db, seeded_demo):
    first = counts()
    statuses = dict(Enrollment.objects.values_list("pk", "status"))
    call_command("seed_demo")

    assert counts() == first
    assert dict(Enrollment.objects.values_list("pk", "status")) == statuses
    program = Program.objects.get()
    first_settings = ProgramSettings.objects.filter(program=program).earliest("effective_from")
    enrollments = demo_enrollments()
    assert len(enrollments) == 60
    for enrollment in enrollments:
        screenings = list(enrollment.screenings.all())
        changes = {change.to_status: change for change in enrollment.status_changes.all()}
        # The lifecycle was walked once, by the clients demo; nothing moved it again.
        assert len(changes) == len(enrollment.status_changes.all())
        if enrollment.status == "referred":
            assert screenings == []
        elif enrollment.status == "screening":
            [screening] = screenings
            assert screening.decision == "needs_information"
            assert screening.reason
            assert enrollment.referral_date <= screening.screened_on
        elif enrollment.status == "declined":
            [screening] = screenings
            assert screening.decision == "not_eligible"
            assert screening.screened_on == changes["declined"].effective_date
            assert screening.reason.lower().rstrip(".") in changes["declined"].reason.lower()
            assert not all(screening.legal_criteria.values())
        else:
            assert enrollment.entry_date is not None
            [screening] = screenings
            assert screening.decision == "eligible"
            assert enrollment.referral_date < screening.screened_on <= enrollment.entry_date
            in_force = program_settings_in_force(program, screening.screened_on) or first_settings
            assert screening.legal_criteria == dict.fromkeys(in_force.legal_criteria, True)
            assert screening.substance_use_disorder_indicated
            assert screening.level_of_care_available
            assert_admission_matches(enrollment, screening)
    assert Admission.objects.count() == enrollments.exclude(entry_date=None).count() > 40


def assert_admission_matches(enrollment, screening):
    admission = Admission.objects.get(enrollment=enrollment)
    arrest = min(charge.arrest_date for charge in enrollment.charges.all())
    assert admission.entry_date == enrollment.entry_date
    assert admission.entry_date == max(admission.order_or_plea_date, admission.agreement_signed_on)
    assert screening.screened_on <= admission.order_or_plea_date
    assert screening.screened_on <= admission.agreement_signed_on
    assert admission.days_from_referral == (enrollment.entry_date - enrollment.referral_date).days
    assert admission.days_from_arrest == (enrollment.entry_date - arrest).days


def test_seed_demo_gives_scored_screens_with_a_believable_trend(db, seeded_demo):

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    managers = dict(
        CaseAssignment.objects.filter(team_role=TeamRole.CASE_MANAGER)
        .order_by("started_on", "pk")  # the last one: a closed enrollment's team has left
        .values_list("participant", "user")
    )
    administrations = Administration.objects.select_related(
        "instrument_version__instrument", "participant"
    ).order_by("participant", "administered_on", "id")
    assert administrations.count() > 200
    phq9 = {}
    for administration in administrations:
        enrollment = administration.participant.enrollments.get()
        result = score(administration.instrument_version.definition, administration.answers)
        assert administration.instrument_version.instrument.program_id is None
        assert (administration.total_score, administration.band) == (result.total, result.band)
        assert bool(result.safety_items) == bool(administration.safety_action)
        assert enrollment.entry_date <= administration.administered_on <= today
        assert administration.administered_by_id == managers[administration.participant_id]
        if administration.instrument_version.instrument.code == "PHQ-9":
            phq9.setdefault(enrollment, []).append(administration.total_score)
    for enrollment in demo_enrollments().filter(status__in=["active", "absconded", "graduated"]):
        codes = enrollment.participant.administrations.values_list(
            "instrument_version__instrument__code", flat=True
        )
        assert set(codes) == INTAKE_SCREENS
        if enrollment.status != "active":
            assert len(codes) == len(INTAKE_SCREENS)
    assert not Administration.objects.filter(
        participant__enrollments__status__in=["terminated", "withdrawn", "neutral_discharge"]
    ).exists()
    trends = [scores for scores in phq9.values() if len(scores) >= 4]
    improving = [scores for scores in trends if scores[-1] < scores[0]]
    assert len(trends) * 2 / 3 < len(improving) < len(trends)


def test_seed_demo_safety_answers_carry_the_step_taken_and_an_urgent_alert(db, seeded_demo):

    safety = Administration.objects.exclude(safety_action="")
    assert 1 <= safety.count() <= 2
    for administration in safety:
        assert int(administration.answers["9"]) > 0
        manager = (
            CaseAssignment.objects.filter(
                participant=administration.participant, team_role=TeamRole.CASE_MANAGER
            )
            .order_by("started_on", "pk")
            .last()
            .user
        )
        alert = Alert.objects.get(
            participant=administration.participant,
            kind="safety_item",
            source_key=f"administration:{administration.pk}:{manager.pk}",
        )
        assert (alert.severity, alert.state, alert.assigned_to) == ("urgent", "open", manager)
        assert alert.data_class == DataClass.ASSESSMENT_DETAIL
        assert alert.message.startswith("PHQ-9 item 9 needs follow-up: ")
    assert Alert.objects.filter(kind="safety_item").count() == safety.count()


def test_seed_demo_assesses_everyone_admitted_within_a_week_of_entry(db, seeded_demo):

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    managers = dict(
        CaseAssignment.objects.filter(team_role=TeamRole.CASE_MANAGER)
        .order_by("started_on", "pk")  # the last one: a closed enrollment's team has left
        .values_list("participant", "user")
    )
    admissions = Admission.objects.filter(enrollment__case_number__startswith="LV-DC-")
    quadrants, overrides, editions = Counter(), [], Counter()
    for admission in admissions.select_related("enrollment__participant"):
        participant = admission.enrollment.participant
        manager = managers[participant.pk]
        window = (admission.entry_date, min(admission.entry_date + datetime.timedelta(7), today))

        [assessment] = participant.risk_need_assessments.all()
        assert window[0] <= assessment.assessed_on <= window[1]
        assert assessment.assessed_by_id == manager
        config = risk_need_config_for(participant, assessment.assessed_on)
        assert set(assessment.risk_answers) == set(config["risk_items"])
        assert set(assessment.need_answers) == set(config["need_items"])
        result = quadrant_for(config, assessment.risk_answers, assessment.need_answers)
        assert (assessment.risk_score, assessment.need_score) == (
            result.risk_score,
            result.need_score,
        )
        assert assessment.quadrant == result.quadrant
        assert assessment.recommended == result.recommended.as_dict()
        accepted = Intensity(
            assessment.track,
            assessment.court_every_weeks,
            assessment.tests_per_week,
            assessment.contacts_per_week,
        )
        assert assessment.is_override == (accepted != result.recommended)
        assert bool(assessment.override_reason) == assessment.is_override
        assert 0 < accepted.tests_per_week <= 7
        assert accepted.court_every_weeks >= 1
        quadrants[assessment.quadrant] += 1
        if assessment.is_override:
            overrides.append(assessment.override_reason)

        [asam] = participant.asam_assessments.all()
        assert window[0] <= asam.assessed_on <= window[1]
        assert asam.assessed_by_id == manager
        assert asam.level_of_care in ASAM_LEVELS[asam.edition]
        assert len(asam.ratings) == len(ASAM_DIMENSIONS[asam.edition])
        assert all(rating["rating"] in range(5) for rating in asam.ratings)
        assert all(rating["notes"] for rating in asam.ratings if rating["rating"] >= 2)
        assert asam.justification.startswith(f"Level {asam.level_of_care} (")
        assert asam.program_rule_level == asam_program_rule_level(
            participant, asam.assessed_on, asam.edition, asam.ratings
        )
        editions[asam.edition] += 1

        needs = list(participant.needs.all())
        assert 1 <= len(needs) <= 3
        # The plans seeded after the assessments answer or defer every need.
        assert {need.status for need in needs} <= {"open", "addressed", "deferred"}
        assert len({need.domain for need in needs}) == len(needs)
        for need in needs:
            assert need.description
            assert need.identified_by_id == manager
            assert window[0] <= need.identified_on <= window[1]
        if housing_on(participant, asam.assessed_on) in ("homeless", "shelter", "temporary"):
            assert "housing" in {need.domain for need in needs}

    admitted = admissions.count()
    assert admitted > 40
    assert [model.objects.count() for model in ASSESSMENTS[:2]] == [admitted, admitted]
    # Drug courts target high risk / high need; a few others were admitted.
    assert quadrants["high_high"] > admitted * 2 / 3
    assert len(quadrants) >= 3
    assert 2 <= len(overrides) <= 3
    assert any("night shifts" in reason for reason in overrides)
    assert editions[3] > editions[4] > 0


def housing_on(participant, day):
    record = (
        LifeDomainRecord.objects.filter(participant=participant, domain="housing")
        .filter(effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    return record.status if record else None


def test_seed_demo_assesses_a_database_seeded_before_the_assessments(db, seeded_demo):
    first = counts()
    rows = {model: rows_of(model) for model in ASSESSMENTS}
    # Plans point at needs: remove them too, as a database from before both steps had none.
    PlanReview.objects.all().delete()
    ProgressReport.objects.all().delete()
    TreatmentPlan.objects.all().delete()
    for model in ASSESSMENTS:
        model.objects.all().delete()

    call_command("seed_demo")

    assert counts() == first
    assert {model: rows_of(model) for model in ASSESSMENTS} == rows


def rows_of(model):
    """The rows as written (in the order they were written), without their ids."""
    fields = [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in ("id", "created_at")
    ]
    return list(model.objects.order_by("pk").values(*fields))
