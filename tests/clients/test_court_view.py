"""The court view is the court view: judges, clerks, prosecutors and defence read plan goals, the
supervision track and intensity, that a referral exists and that a positive was explained by
prescribed medication; never needs, deferral reasons, clinical referral text, risk and need
items, override reasoning or prescription details. Each test is the request a signed-in court
role would make to read more, and each rule is kept by the selector, not the template."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.services import Intensity, need_record, risk_need_record
from clients import access
from clients.access import DataClass
from compliance import selectors as compliance_selectors
from compliance.services import PrescriptionData, prescription_record
from drugcourt.models import default_risk_need
from tests.factories import consent_to_team, settings_since_2020
from treatment_plans import selectors as plan_selectors
from treatment_plans import services as plans

DAY = datetime.date(2026, 11, 2)
COURT_ROLES = ["judge", "clerk", "prosecutor"]


@pytest.fixture
def consented(participant):
    """The participant's consent naming the program's court roles (Part 2 information)."""
    return consent_to_team(participant)


NOT_COVERED = "not covered by consent"


def page(client, user, name, *args):
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_court_view_and_probation_have_the_supervision_level_and_providers_too(
    judge, probation, provider, participant
):
    for role in ("judge", "clerk", "prosecutor", "defence_attorney", "probation_officer"):
        assert DataClass.SUPERVISION_LEVEL in access.ROLE_DATA_CLASSES[role]
    assert DataClass.SUPERVISION_LEVEL in access.ROLE_DATA_CLASSES["treatment_provider"]
    assert access.can_see(judge, participant, DataClass.SUPERVISION_LEVEL)


@pytest.fixture
def overridden(participant, casemanager):
    """A high-risk, high-need assessment whose intensity the team lowered, with its reason."""
    config = default_risk_need()
    return risk_need_record(
        participant=participant,
        assessed_on=DAY,
        risk_answers=dict.fromkeys(config["risk_items"], True),
        need_answers=dict.fromkeys(config["need_items"], True),
        accepted=Intensity(
            track="Marker track", court_every_weeks=3, tests_per_week=2, contacts_per_week=1
        ),
        override_reason="OVERRIDE-MARKER lives two hours away",
        actor=casemanager,
    )


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_court_roles_see_the_track_and_intensity_not_the_quadrant_or_override(
    request, client, persona, participant, overridden
):
    text = page(
        client, request.getfixturevalue(persona), "clients:participant_detail", participant.pk
    )

    assert "Marker track; court every 3 weeks, 2 tests" in text
    assert "OVERRIDE-MARKER" not in text
    assert overridden.get_quadrant_display() not in text


def test_the_case_manager_still_sees_the_quadrant_and_override(
    client, casemanager, participant, overridden
):
    text = page(client, casemanager, "clients:participant_detail", participant.pk)

    assert "OVERRIDE-MARKER" in text
    assert overridden.get_quadrant_display() in text


@pytest.fixture
def plan_with_deferral(participant, casemanager):
    housing = need_record(
        participant=participant,
        domain="housing",
        priority="high",
        description="NEED-MARKER sleeping on a couch",
        identified_on=DAY,
        actor=casemanager,
    )
    employment = need_record(
        participant=participant,
        domain="employment",
        priority="low",
        description="Unemployed",
        identified_on=DAY,
        actor=casemanager,
    )
    plan = plans.plan_start_draft(participant=participant, starts_on=DAY, actor=casemanager)
    goal = plans.goal_add(
        plan=plan,
        participant_words="My own place",
        clinical_terms="GOAL-MARKER stable housing",
        actor=casemanager,
    )
    plans.objective_add(
        goal=goal,
        description="Apply to two sober-living homes",
        target_date=DAY + datetime.timedelta(days=30),
        need=housing,
        actor=casemanager,
    )
    plans.need_defer(
        plan=plan, need=employment, reason="DEFER-MARKER on the waiting list", actor=casemanager
    )
    return plan


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_court_roles_read_the_plan_goals_but_not_the_needs_or_deferral_reasons(
    request, client, persona, plan_with_deferral, consented
):
    user = request.getfixturevalue(persona)
    text = page(client, user, "treatment_plans:plan_detail", plan_with_deferral.pk)

    assert "GOAL-MARKER" in text
    assert "DEFER-MARKER" not in text
    assert "Needs from the assessment" not in text
    assert "answers: Housing" not in text
    assert plan_selectors.plan_needs(user, plan_with_deferral) == {
        "needs": None,
        "deferrals": None,
    }


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_without_a_consent_court_roles_read_that_the_plan_is_not_covered(
    request, client, persona, plan_with_deferral
):
    text = page(
        client,
        request.getfixturevalue(persona),
        "treatment_plans:plan_detail",
        plan_with_deferral.pk,
    )

    assert NOT_COVERED in text
    for marker in ("GOAL-MARKER", "DEFER-MARKER", "NEED-MARKER"):
        assert marker not in text


def test_the_needs_section_is_left_out_of_the_court_view_of_the_participant(
    client, judge, casemanager, participant, plan_with_deferral
):
    assert "NEED-MARKER" not in page(client, judge, "clients:participant_detail", participant.pk)
    assert "NEED-MARKER" in page(client, casemanager, "clients:participant_detail", participant.pk)


@pytest.fixture
def discharged_referral(participant, provider, casemanager):
    referral = plans.referral_send(
        participant=participant,
        provider=provider.organization,
        requested_service="Intensive outpatient",
        reason="REASON-MARKER moderate stimulant use disorder",
        urgency="routine",
        shared_information="PACKET-MARKER history of overdose",
        actor=casemanager,
    )
    episode = plans.referral_accept(referral=referral, actor=provider)
    plans.episode_discharge(
        episode=episode,
        reason="completed",
        summary="SUMMARY-MARKER stable on buprenorphine",
        discharged_on=timezone.localdate(),
        actor=provider,
    )
    return referral


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_court_roles_see_that_a_referral_exists_but_not_its_clinical_text(
    request, client, persona, discharged_referral, consented
):
    user = request.getfixturevalue(persona)
    text = page(client, user, "treatment_plans:referral_detail", discharged_referral.pk)

    assert "Intensive outpatient" in text
    assert "Completed" in text
    for marker in ("REASON-MARKER", "PACKET-MARKER", "SUMMARY-MARKER"):
        assert marker not in text
    read = plan_selectors.referral_to_read(user, discharged_referral.pk)
    assert isinstance(read, plan_selectors.ReferralSummary)
    assert not hasattr(read, "reason")


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_without_a_consent_court_roles_read_that_the_referral_is_not_covered(
    request, client, persona, participant, discharged_referral
):
    user = request.getfixturevalue(persona)
    text = page(client, user, "treatment_plans:referral_detail", discharged_referral.pk)

    assert NOT_COVERED in text
    for marker in ("Intensive outpatient", "REASON-MARKER", "PACKET-MARKER", "SUMMARY-MARKER"):
        assert marker not in text
    detail = page(client, user, "clients:participant_detail", participant.pk)
    assert "Intensive outpatient" not in detail
    assert "Plan summary: " + NOT_COVERED in detail


def test_the_case_manager_reads_the_whole_referral(client, casemanager, discharged_referral):
    text = page(client, casemanager, "treatment_plans:referral_detail", discharged_referral.pk)

    for marker in ("REASON-MARKER", "PACKET-MARKER", "SUMMARY-MARKER"):
        assert marker in text


@pytest.fixture
def prescribed(participant, casemanager, program):
    settings_since_2020(program)
    return prescription_record(
        participant=participant,
        data=PrescriptionData(
            drug="RX-MARKER-buprenorphine",
            dose="8 mg",
            prescriber="Dr PRESCRIBER-MARKER",
            for_substance_use_disorder=True,
            starts_on=DAY,
            ends_on=None,
            explains=["BUP"],
        ),
        actor=casemanager,
    )


@pytest.mark.parametrize("persona", COURT_ROLES)
def test_court_roles_never_read_the_drug_dose_or_prescriber(
    request, client, persona, participant, prescribed
):
    user = request.getfixturevalue(persona)
    text = page(client, user, "compliance:participant_testing", participant.pk)

    assert "RX-MARKER" not in text
    assert "PRESCRIBER-MARKER" not in text
    assert compliance_selectors.prescriptions_visible(user, participant) is None


def test_the_case_manager_reads_the_prescriptions(client, casemanager, participant, prescribed):
    text = page(client, casemanager, "compliance:participant_testing", participant.pk)

    assert "RX-MARKER" in text
    assert "PRESCRIBER-MARKER" in text
