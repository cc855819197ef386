from django.core.management import call_command

from clients import access
from clients.models import CaseAssignment, Enrollment, Participant
from clients.reconcile import access_drift
from drugcourt.demo import DEMO_USERNAMES
from drugcourt.models import Organization, Phase, Program, ProgramMembership, User


def counts():
    models = (User, Organization, Program, ProgramMembership, Phase)
    return [model.objects.count() for model in (*models, Participant, Enrollment, CaseAssignment)]


def test_seed_demo_creates_the_demo_staff_once(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"

    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")

    assert counts() == first
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERNAMES)
    assert User.objects.get(username="judge").check_password("demo-password-for-tests")
    assert not User.objects.filter(is_superuser=True).exists()
    program = Program.objects.get()
    assert set(program.members.values_list("username", flat=True)) == set(DEMO_USERNAMES) - {
        "admin",
        "evaluator",
    }


def test_seed_demo_loads_sixty_participants_across_statuses_with_consistent_access(db):
    call_command("seed_demo")

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
    assert access.participants_visible_to(casemanager).count() == 30
    assert access.participants_visible_to(casemanager2).count() == 30
    assert access.participants_visible_to(User.objects.get(username="probation")).exists()
    assert access.participants_visible_to(User.objects.get(username="judge")).count() == 60
    assert access_drift().is_clean


def test_the_launcher_prints_exactly_the_demo_logins():
    from drugcourt.launcher import DEMO_USERS

    # The launcher may not import Django models, so it keeps its own list; they must agree.
    assert set(DEMO_USERS) == set(DEMO_USERNAMES)
