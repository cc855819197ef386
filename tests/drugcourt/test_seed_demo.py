from django.core.management import call_command

from drugcourt.demo import DEMO_USERNAMES
from drugcourt.models import Organization, Phase, Program, ProgramMembership, User


def counts():
    return [
        model.objects.count() for model in (User, Organization, Program, ProgramMembership, Phase)
    ]


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
