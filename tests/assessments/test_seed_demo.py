"""`seed_demo` screens, admits and assesses the demo participants (assessments/demo.py)."""

from django.core.management import call_command
from django.utils import timezone

from assessments.models import Administration, Admission, EligibilityScreening
from assessments.scoring import score
from clients.access import DataClass
from clients.models import (
    Alert,
    CaseAssignment,
    Enrollment,
    EnrollmentStatusChange,
    TeamRole,
)
from drugcourt.models import Program, ProgramSettings
from drugcourt.selectors import program_settings_in_force

INTAKE_SCREENS = {"PHQ-9", "GAD-7", "AUDIT", "DAST-10"}


def counts():
    models = (EligibilityScreening, Admission, Administration, Alert, EnrollmentStatusChange)
    return [model.objects.count() for model in models]


def demo_enrollments():
    return Enrollment.objects.filter(case_number__startswith="LV-DC-").prefetch_related(
        "screenings", "charges", "status_changes"
    )


def test_seed_demo_screens_and_admits_the_demo_enrollments_as_their_history_says(db):
    call_command("seed_demo")
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


def test_seed_demo_gives_scored_screens_with_a_believable_trend(db):
    call_command("seed_demo")

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    managers = dict(
        CaseAssignment.objects.filter(team_role=TeamRole.CASE_MANAGER, ended_on=None).values_list(
            "participant", "user"
        )
    )
    administrations = Administration.objects.select_related(
        "instrument_version__instrument", "participant"
    ).order_by("participant", "administered_on", "id")
    assert administrations.count() > 200
    phq9 = {}
    for administration in administrations:
        enrollment = administration.participant.enrollments.get()
        result = score(administration.instrument_version.definition, administration.answers)
        assert administration.instrument_version.instrument.is_standard
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


def test_seed_demo_safety_answers_carry_the_step_taken_and_an_urgent_alert(db):
    call_command("seed_demo")

    safety = Administration.objects.exclude(safety_action="")
    assert 1 <= safety.count() <= 2
    for administration in safety:
        assert int(administration.answers["9"]) > 0
        manager = CaseAssignment.objects.get(
            participant=administration.participant, team_role=TeamRole.CASE_MANAGER, ended_on=None
        ).user
        alert = Alert.objects.get(
            participant=administration.participant,
            kind="safety_item",
            source_key=f"administration:{administration.pk}:{manager.pk}",
        )
        assert (alert.severity, alert.state, alert.assigned_to) == ("urgent", "open", manager)
        assert alert.data_class == DataClass.ASSESSMENT_DETAIL
        assert alert.message.startswith("PHQ-9 item 9 needs follow-up: ")
    assert Alert.objects.filter(kind="safety_item").count() == safety.count()
