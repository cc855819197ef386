"""The 42 CFR Part 2 gate at the level of `access.visibility`: role × data class × consent state
(none, in force, expired by date, expired by event, revoked, a §2.35 consent irrevocable before
and after its event), who a consent names, the set-based form, and what a request showed."""

import datetime

import pytest
from django.http import Http404

from clients import access
from clients.access import DataClass, Visibility
from clients.models import Consent, ConsentTrigger
from drugcourt.roles import Role
from drugcourt.selectors import program_today
from tests.conftest import enrolled
from tests.factories import ProgramFactory, consent_to

SHOWN, WITHHELD, HIDDEN = Visibility.SHOWN, Visibility.WITHHELD, Visibility.HIDDEN

# What each role outside the treatment program needs a consent for (DESIGN.md, class by class):
# the Part 2 classes it reaches, and the classes of which some rows are Part 2. A provider's own
# records (treatment detail, progress reports, its agency's attendance) are never gated for it.
COURT_GATED = {
    DataClass.PLAN_SUMMARY,
    DataClass.PROGRESS_REPORTS,
    DataClass.ATTENDANCE,
    DataClass.DRUG_TESTS,
    DataClass.STAFFING,
}
GATED = {
    "coordinator": set(),
    "casemanager": set(),
    "judge": COURT_GATED,
    "clerk": COURT_GATED,
    "prosecutor": COURT_GATED,
    "defence_assigned": COURT_GATED,
    "probation_assigned": COURT_GATED,
    "provider_treating": {
        DataClass.ASSESSMENT_SUMMARY,
        DataClass.ASSESSMENT_DETAIL,
        DataClass.PLAN_SUMMARY,
        DataClass.DRUG_TESTS,
        DataClass.STAFFING,
    },
}
RECIPIENT_ROLES = (
    Role.JUDGE,
    Role.CLERK,
    Role.PROSECUTOR,
    Role.DEFENCE_ATTORNEY,
    Role.PROBATION_OFFICER,
)
# Consent states and whether a consent in that state covers (a §2.35 consent covers whether or
# not it is still irrevocable).
STATES = {
    "none": False,
    "in_force": True,
    "expired_by_date": False,
    "expired_by_event": False,
    "revoked": False,
    "irrevocable_before_event": True,
    "irrevocable_after_event": True,
}


def consent_in_state(state, participant, recipients):
    if state == "none":
        return None
    today = program_today(participant.enrollments.get().program)
    yesterday = today - datetime.timedelta(days=1)
    fields = {
        "in_force": {},
        "expired_by_date": {"expires_on": yesterday},
        "expired_by_event": {
            "expiry_event": ConsentTrigger.FINAL_DISPOSITION,
            "final_disposition_on": yesterday,
        },
        "revoked": {
            "revoked_on": yesterday,
            "revocation_received_how": "Letter to the coordinator",
        },
        "irrevocable_before_event": {
            "criminal_justice": True,
            "irrevocable_until_event": ConsentTrigger.FINAL_DISPOSITION,
        },
        "irrevocable_after_event": {
            "criminal_justice": True,
            "irrevocable_until_event": ConsentTrigger.FINAL_DISPOSITION,
            "final_disposition_on": yesterday,
        },
    }[state]
    return consent_to(participant, *recipients, **fields)


def fresh(user):
    """The user as a new request would have it (access caches per request on the user)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", GATED)
def test_the_consent_matrix(request, persona, state, program, participant, casemanager):
    user = request.getfixturevalue(persona)
    consent_in_state(
        state,
        participant,
        [
            *((program, role) for role in RECIPIENT_ROLES),
            request.getfixturevalue("provider_treating").organization,
        ],
    )
    user = fresh(user)
    roles = access.reach_roles(user, participant)
    reached = frozenset().union(*(access.ROLE_DATA_CLASSES[role] for role in roles))
    assert reached, f"{persona} must reach the participant"

    answers = {
        data_class: access.visibility(user, participant, data_class) for data_class in DataClass
    }

    expected = {
        data_class: HIDDEN
        if data_class not in reached
        else WITHHELD
        if data_class in GATED[persona] and not STATES[state]
        else SHOWN
        for data_class in DataClass
    }
    assert answers == expected


@pytest.mark.parametrize("persona", ["judge", "prosecutor", "provider_treating"])
def test_a_withheld_whole_class_is_said_and_a_row_class_shows_its_other_rows(
    request, persona, participant
):
    user = fresh(request.getfixturevalue(persona))

    assert not access.can_see(user, participant, DataClass.PLAN_SUMMARY)
    assert access.can_see(user, participant, DataClass.DRUG_TESTS)
    assert access.withholds_part2_rows(user, participant, DataClass.DRUG_TESTS)
    with pytest.raises(access.WithheldError):
        access.get_participant_or_404(user, participant.pk, DataClass.PLAN_SUMMARY)
    # Reach is unchanged: the participant page itself opens.
    assert access.get_participant_or_404(user, participant.pk) == participant


def test_a_hidden_class_still_answers_404(judge, participant):
    with pytest.raises(Http404):
        access.get_participant_or_404(fresh(judge), participant.pk, DataClass.CASE_NOTES)


def test_a_consent_covers_only_the_roles_it_names(
    judge, prosecutor, program, participant, casemanager
):
    consent_to(participant, (program, Role.JUDGE))

    assert access.visibility(fresh(judge), participant, DataClass.PROGRESS_REPORTS) is SHOWN
    assert access.visibility(fresh(prosecutor), participant, DataClass.PROGRESS_REPORTS) is WITHHELD


def test_a_consent_to_another_programs_court_covers_nobody_here(judge, participant, casemanager):
    consent_to(participant, (ProgramFactory(), Role.JUDGE))

    assert access.visibility(fresh(judge), participant, DataClass.PROGRESS_REPORTS) is WITHHELD


def test_a_consent_naming_a_person_covers_that_person_only(judge, clerk, participant, casemanager):
    consent_to(participant, clerk)

    assert access.visibility(fresh(clerk), participant, DataClass.PLAN_SUMMARY) is SHOWN
    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is WITHHELD


def test_a_consent_covers_only_the_information_it_describes(
    judge, program, participant, casemanager
):
    consent_to(participant, (program, Role.JUDGE), data_classes=[DataClass.DRUG_TESTS])
    judge = fresh(judge)

    assert access.visibility(judge, participant, DataClass.DRUG_TESTS) is SHOWN
    assert access.visibility(judge, participant, DataClass.PROGRESS_REPORTS) is WITHHELD


def test_a_consent_to_a_providers_organization_covers_its_staff(
    provider_treating, provider_elsewhere, participant, casemanager
):
    consent_to(participant, provider_treating.organization)

    assert (
        access.visibility(fresh(provider_treating), participant, DataClass.ASSESSMENT_SUMMARY)
        is SHOWN
    )
    assert (
        access.visibility(fresh(provider_elsewhere), participant, DataClass.ASSESSMENT_SUMMARY)
        is WITHHELD
    )


def test_a_consent_signed_after_today_is_not_in_force_yet(judge, program, participant, casemanager):
    today = program_today(program)
    consent_to(participant, (program, Role.JUDGE))
    Consent.objects.update(signed_on=today + datetime.timedelta(days=1))

    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is WITHHELD


def test_a_consent_expires_when_its_enrollment_closes(judge, program, participant, casemanager):
    consent_to(
        participant,
        (program, Role.JUDGE),
        expires_on=None,
        expiry_event=ConsentTrigger.ENROLLMENT_CLOSED,
    )
    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is SHOWN

    participant.enrollments.update(status="graduated")

    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is WITHHELD


def test_revocation_takes_effect_on_the_next_read(judge, program, participant, casemanager):
    consent = consent_to(participant, (program, Role.JUDGE))
    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is SHOWN

    Consent.objects.filter(pk=consent.pk).update(
        revoked_on=program_today(program), revocation_received_how="In person, in writing"
    )

    assert access.visibility(fresh(judge), participant, DataClass.PLAN_SUMMARY) is WITHHELD


def test_the_set_based_form_answers_many_participants_in_a_fixed_number_of_queries(
    judge, program, casemanager, django_assert_num_queries
):
    people = [enrolled(program, creator=casemanager) for _ in range(6)]
    for person in people[:3]:
        consent_to(person, (program, Role.JUDGE))
    judge = fresh(judge)

    # The reach of all, then the consents and their recipients.
    with django_assert_num_queries(3):
        answers = access.visibility_of(judge, [p.pk for p in people], DataClass.PROGRESS_REPORTS)

    assert answers == {p.pk: SHOWN if i < 3 else WITHHELD for i, p in enumerate(people)}


def test_a_request_remembers_what_it_showed_and_under_which_consent(
    judge, program, participant, casemanager
):
    consent = consent_to(participant, (program, Role.JUDGE))
    judge = fresh(judge)

    access.visibility(judge, participant, DataClass.COURT)
    access.visibility(judge, participant, DataClass.PROGRESS_REPORTS)
    access.visibility(judge, participant, DataClass.CASE_NOTES)

    assert access.shown(judge) == {
        participant.pk: {DataClass.COURT: None, DataClass.PROGRESS_REPORTS: consent.pk}
    }
