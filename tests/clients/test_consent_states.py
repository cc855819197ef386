"""What a consent must say for a page to show Part 2 information (issue 18), end to end: the
judge opens the participant's treatment plan under consents in each state and naming each kind
of recipient. Shown only while one in force names the plan summary and the judge (their
program's judges, their organization or them by name); otherwise the page says "not covered by
consent" and shows nothing of the plan. A consent never widens what a role reaches."""

import datetime

import pytest
from django.urls import reverse

from clients.access import DataClass
from clients.models import ConsentTrigger, EnrollmentStatus
from drugcourt.roles import Role
from drugcourt.selectors import program_today
from tests.factories import consent_to, consent_to_team
from treatment_plans import services as plans

NOT_COVERED = "Plan summary: not covered by consent"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def plan(participant, casemanager, program):
    plan = plans.plan_start_draft(
        participant=participant, starts_on=program_today(program), actor=casemanager
    )
    plans.goal_add(
        plan=plan, participant_words="My own place", clinical_terms="GOAL-MARKER", actor=casemanager
    )
    return plan


def _judges(program):
    return (program, Role.JUDGE)


# name → (the consent given, whether the judge reads the plan under it)
CONSENTS = {
    "in force, naming the program's judges": (
        lambda p, program, judge, today: consent_to(p, _judges(program)),
        True,
    ),
    "naming the judge by name": (lambda p, program, judge, today: consent_to(p, judge), True),
    "naming the judge's organization": (
        lambda p, program, judge, today: consent_to(p, judge.organization),
        True,
    ),
    "none": (lambda p, program, judge, today: None, False),
    "expired yesterday": (
        lambda p, program, judge, today: consent_to(p, _judges(program), expires_on=today - DAY),
        False,
    ),
    "revoked": (
        lambda p, program, judge, today: consent_to(
            p, _judges(program), revoked_on=today, revocation_received_how="Signed letter"
        ),
        False,
    ),
    "signed only tomorrow": (
        lambda p, program, judge, today: consent_to(p, _judges(program), signed_on=today + DAY),
        False,
    ),
    "naming drug tests only": (
        lambda p, program, judge, today: consent_to(
            p, _judges(program), data_classes={DataClass.DRUG_TESTS}
        ),
        False,
    ),
    "naming the program's prosecutors": (
        lambda p, program, judge, today: consent_to(p, (program, Role.PROSECUTOR)),
        False,
    ),
    "naming another program's judges": (
        lambda p, program, judge, today: consent_to(p, (_other_program(), Role.JUDGE)),
        False,
    ),
}


def _other_program():
    from tests.factories import ProgramFactory

    return ProgramFactory(name="Elsewhere Drug Court")


@pytest.mark.parametrize("consent", CONSENTS)
def test_the_judge_reads_the_plan_only_under_a_consent_in_force_naming_them(
    client, judge, participant, program, plan, consent
):
    give, shown = CONSENTS[consent]
    give(participant, program, judge, program_today(program))
    client.force_login(judge)

    response = client.get(reverse("treatment_plans:plan_detail", args=[plan.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert ("GOAL-MARKER" in text) is shown
    assert (NOT_COVERED in text) is not shown


def test_a_consent_ending_with_the_enrollment_ends_with_it(
    client, judge, participant, program, plan
):
    consent_to(
        participant,
        _judges(program),
        expires_on=None,
        expiry_event=ConsentTrigger.ENROLLMENT_CLOSED,
    )
    client.force_login(judge)
    url = reverse("treatment_plans:plan_detail", args=[plan.pk])
    assert "GOAL-MARKER" in client.get(url).content.decode()

    participant.enrollments.update(status=EnrollmentStatus.GRADUATED)

    text = client.get(url).content.decode()
    assert "GOAL-MARKER" not in text
    assert NOT_COVERED in text


def test_a_consent_never_widens_what_a_role_reaches(client, judge, participant):
    consent_to_team(participant)
    client.force_login(judge)

    for name in ("clients:life_domains", "clients:document_upload", "assessments:screens"):
        assert client.get(reverse(name, args=[participant.pk])).status_code == 404, name
