import datetime

from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from clients import access, selectors
from clients.models import (
    LIFE_DOMAIN_STATUSES,
    Addendum,
    Appointment,
    CaseAssignment,
    Contact,
    Enrollment,
    FollowUp,
    Incident,
    LifeDomain,
    LifeDomainRecord,
    Participant,
)
from clients.reconcile import access_drift
from clients.services import contact_is_editable
from court.models import CompletionDecision
from drugcourt.demo import DEMO_USERNAMES
from drugcourt.models import Organization, Phase, Program, ProgramMembership, User
from tests.conftest import SEEDED_DEMO_PASSWORD

DAILY_RECORD = (Contact, Addendum, FollowUp, Appointment, LifeDomainRecord, Incident)


def counts():
    models = (User, Organization, Program, ProgramMembership, Phase)
    people = (Participant, Enrollment, CaseAssignment)
    return [model.objects.count() for model in (*models, *people, *DAILY_RECORD)]


def test_seed_demo_creates_the_demo_staff_once(db, seeded_demo, settings):
    settings.DEMO_PASSWORD = SEEDED_DEMO_PASSWORD
    first = counts()
    call_command("seed_demo")

    assert counts() == first
    assert all(first[-len(DAILY_RECORD) :])
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERNAMES)
    assert User.objects.get(username="judge").check_password(SEEDED_DEMO_PASSWORD)
    assert not User.objects.filter(is_superuser=True).exists()
    program = Program.objects.get()
    assert set(program.members.values_list("username", flat=True)) == set(DEMO_USERNAMES) - {
        "admin",
        "evaluator",
    }


def test_seed_demo_loads_sixty_participants_across_statuses_with_consistent_access(db, seeded_demo):

    statuses = set(Enrollment.objects.values_list("status", flat=True))
    casemanager = User.objects.get(username="casemanager")
    casemanager2 = User.objects.get(username="casemanager2")
    assert Participant.objects.count() == 60
    assert {"referred", "active", "graduated", "terminated"} <= statuses
    assert set(Enrollment.objects.exclude(phase=None).values_list("phase", flat=True)) == {
        1,
        2,
        3,
        4,
        5,
    }
    # Each carries 30; the team of a completed enrollment left with it (court.completion).
    completed = Enrollment.objects.filter(
        status__in=["graduated", "terminated", "withdrawn", "neutral_discharge"]
    )
    for manager in (casemanager, casemanager2):
        assigned = CaseAssignment.objects.filter(user=manager, team_role="case_manager")
        assert assigned.count() == 30
        assert access.participants_visible_to(manager).count() == 30 - (
            assigned.filter(participant__enrollments__in=completed).count()
        )
        assert not assigned.filter(participant__enrollments__in=completed, ended_on=None).exists()
    assert access.participants_visible_to(User.objects.get(username="probation")).exists()
    assert access.participants_visible_to(User.objects.get(username="judge")).count() == 60
    assert access_drift().is_clean


def test_the_demo_graduates_and_terminates_at_hearings(db, seeded_demo):
    """Each graduation and termination was decided by the judge at a hearing on the exit day,
    which the participant appeared at (court.demo, through completion_decide)."""

    closed = Enrollment.objects.filter(status__in=["graduated", "terminated"])
    decisions = CompletionDecision.objects.filter(enrollment__in=closed)
    assert decisions.count() == closed.count() == 8
    assert set(decisions.values_list("kind", "enrollment__status").distinct()) == {
        ("graduated", "graduated"),
        ("terminated", "terminated"),
    }
    assert set(decisions.values_list("decided_by__username", flat=True)) == {"judge"}
    # Withdrawals and neutral discharges: the coordinator's, with no hearing.
    left = CompletionDecision.objects.exclude(enrollment__in=closed)
    assert set(left.values_list("kind", "decided_by__username", "entry")) == {
        ("withdrawn", "coordinator", None),
        ("neutral_discharge", "coordinator", None),
    }
    assert not decisions.exclude(
        decided_on=F("enrollment__exit_date"),
        entry__session__held_on=F("decided_on"),
        entry__appearance="appeared",
        entry__appointment__outcome="attended",
    ).exists()


def test_seed_demo_gives_every_participant_months_of_daily_record(db, seeded_demo):
    before = seeded_demo

    program = Program.objects.get()
    today = timezone.localdate(timezone=program.zone)
    ever_active = Participant.objects.filter(enrollments__entry_date__isnull=False)
    assert ever_active.count() > 40
    assert not ever_active.filter(contacts=None).exists()
    assert not ever_active.filter(appointments=None).exists()
    assert_contacts_are_believable(program, today, before)
    assert_past_appointments_have_outcomes(before)
    assert_every_participant_has_a_life_domain_history()
    incidents = Incident.objects.all()
    assert incidents.filter(reported_to_court=True).exists()
    assert incidents.filter(category="new_arrest").exists()
    assert not incidents.filter(occurred_on__gt=today).exists()
    assert FollowUp.objects.exclude(completed_at=None).exists()
    for username in ("casemanager", "casemanager2"):
        manager = User.objects.get(username=username)
        assert selectors.follow_ups_due(manager, today).exists()
        assert selectors.appointments_of_day(manager, today).filter(staff=manager).count() >= 2
    assert access_drift().is_clean


def assert_contacts_are_believable(program, today, before):
    contacts = Contact.objects.all()
    assert not contacts.filter(occurred_at__gt=timezone.now()).exists()
    assert set(contacts.values_list("note_format", flat=True)) == {"free_text"}
    assert not contacts.filter(narrative="").exists()
    assert contacts.filter(shared_with_supervision=True).exists()
    assert set(contacts.values_list("kind", flat=True)) >= {"in_person", "phone", "collateral"}
    assert 1 <= contacts.filter(entered_in_error=True).count() <= 2
    assert Addendum.objects.exists()
    managers = dict(
        CaseAssignment.objects.filter(team_role="case_manager").values_list("participant", "user")
    )
    windows = {
        enrollment.participant_id: (enrollment.referral_date, enrollment.exit_date or today)
        for enrollment in Enrollment.objects.all()
    }
    for contact in contacts:
        local = timezone.localtime(contact.occurred_at, timezone=program.zone)
        first, last = windows[contact.participant_id]
        assert first <= local.date() <= last
        assert 8 <= local.hour < 17  # office hours in the program's time zone
        assert 10 <= contact.duration_minutes <= 60
        assert contact.primary_function not in contact.other_functions
        assert contact.author_id == managers[contact.participant_id]
    week_old = contacts.filter(occurred_at__lt=before - datetime.timedelta(days=7)).first()
    assert not contact_is_editable(week_old, week_old.author, timezone.now())


def assert_past_appointments_have_outcomes(before):
    appointments = Appointment.objects.all()
    # Court hearings are placed on dockets by the court (court.demo), not made by this step.
    assert {"case_manager", "treatment"} <= set(appointments.values_list("kind", flat=True))
    assert not appointments.filter(kind="court", docket_entry=None).exists()
    assert not appointments.filter(scheduled_at__lt=before, outcome="").exists()
    assert not appointments.filter(scheduled_at__gt=timezone.now()).exclude(outcome="").exists()
    assert appointments.filter(
        scheduled_at__gt=timezone.now() + datetime.timedelta(days=7)
    ).exists()
    with_outcome = appointments.exclude(outcome="")
    assert not with_outcome.filter(outcome_recorded_by=None).exists()
    assert not with_outcome.filter(outcome_recorded_at=None).exists()
    struggling = with_outcome.filter(
        participant__enrollments__status__in=["absconded", "terminated"]
    )
    others = with_outcome.exclude(pk__in=struggling)

    def missed_share(rows):
        return rows.filter(outcome="missed").count() / rows.count()

    assert 0 < missed_share(others) < missed_share(struggling)


def assert_every_participant_has_a_life_domain_history():
    for participant in Participant.objects.all():
        history = LifeDomainRecord.objects.filter(participant=participant)
        assert set(history.values_list("domain", flat=True)) == set(LifeDomain)
    for record in LifeDomainRecord.objects.all():
        assert record.status in dict(LIFE_DOMAIN_STATUSES[record.domain])
    assert LifeDomainRecord.objects.filter(
        effective_from__gt=F("participant__enrollments__entry_date")
    ).exists()


def test_the_launcher_prints_exactly_the_demo_logins():
    from drugcourt.launcher import DEMO_USERS

    # The launcher may not import Django models, so it keeps its own list; they must agree.
    assert set(DEMO_USERS) == set(DEMO_USERNAMES)
