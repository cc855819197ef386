"""Plan versions, the need coverage rule, activation and reviews."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.models import Need
from assessments.services import need_record
from tests.factories import consent_to_team
from treatment_plans import services
from treatment_plans.models import PlanStatus, TreatmentPlan

START = datetime.date(2026, 11, 2)


@pytest.fixture
def housing(participant, casemanager):
    return need_record(
        participant=participant,
        domain="housing",
        priority="high",
        description="Sleeping on a couch",
        identified_on=START,
        actor=casemanager,
    )


def draft_with_objective(participant, actor, need=None):
    plan = services.plan_start_draft(participant=participant, starts_on=START, actor=actor)
    goal = services.goal_add(
        plan=plan,
        participant_words="I want my own place",
        clinical_terms="Stable housing",
        actor=actor,
    )
    objective = services.objective_add(
        goal=goal,
        description="Apply to two sober-living homes",
        target_date=START + datetime.timedelta(days=30),
        need=need,
        actor=actor,
    )
    services.service_add(
        objective=objective,
        service="Housing assistance",
        provider=None,
        frequency="weekly",
        starts_on=START,
        actor=actor,
    )
    return plan


def test_a_plan_cannot_be_activated_while_a_need_is_unanswered(casemanager, participant, housing):
    plan = draft_with_objective(participant, casemanager)

    with pytest.raises(ValidationError, match="housing"):
        services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_activation_signs_schedules_the_review_and_closes_the_need(
    casemanager, participant, housing
):
    plan = draft_with_objective(participant, casemanager, need=housing)

    services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)

    plan.refresh_from_db()
    housing.refresh_from_db()
    assert (plan.status, plan.signed_by) == ("active", casemanager)
    assert plan.review_due_on == START + datetime.timedelta(days=90)
    assert housing.status == "addressed"


def test_a_deferred_need_lets_the_plan_activate(casemanager, participant, housing):
    plan = draft_with_objective(participant, casemanager)
    services.need_defer(plan=plan, need=housing, reason="On the waiting list", actor=casemanager)

    services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)

    assert Need.objects.get().status == "deferred"


def test_a_new_version_supersedes_the_old_which_stays_readable(casemanager, participant):
    first = draft_with_objective(participant, casemanager)
    services.plan_activate(plan=first, acknowledged_on=START, actor=casemanager)

    second = services.plan_start_draft(participant=participant, starts_on=START, actor=casemanager)
    assert second.goals.count() == 1  # copied from the plan in force
    services.plan_activate(plan=second, acknowledged_on=START, actor=casemanager)

    first.refresh_from_db()
    assert (first.status, second.version) == ("superseded", 2)
    assert first.goals.get().objectives.count() == 1


@pytest.mark.parametrize(
    ("target_date", "message"),
    [(None, "needs a target date"), (START - datetime.timedelta(days=1), "before the plan")],
)
def test_objectives_need_a_target_date_in_the_plan(casemanager, participant, target_date, message):
    plan = services.plan_start_draft(participant=participant, starts_on=START, actor=casemanager)
    goal = services.goal_add(
        plan=plan, participant_words="Work", clinical_terms="Employment", actor=casemanager
    )

    with pytest.raises(ValidationError, match=message):
        services.objective_add(
            goal=goal, description="Job", target_date=target_date, need=None, actor=casemanager
        )


def test_an_active_plan_is_not_edited(casemanager, participant):
    plan = draft_with_objective(participant, casemanager)
    services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)

    with pytest.raises(ValidationError, match="Only a draft"):
        services.goal_add(plan=plan, participant_words="x", clinical_terms="y", actor=casemanager)


def test_a_review_records_progress_and_moves_the_due_date(casemanager, participant):
    plan = draft_with_objective(participant, casemanager)
    services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)
    objective = plan.goals.get().objectives.get()

    with pytest.raises(ValidationError, match="every objective"):
        services.plan_review_record(
            plan=plan, reviewed_on=START, progress={}, note="", actor=casemanager
        )
    services.plan_review_record(
        plan=plan,
        reviewed_on=START + datetime.timedelta(days=20),
        progress={objective.pk: "progressing"},
        note="Two applications out",
        actor=casemanager,
    )

    plan.refresh_from_db()
    assert plan.review_due_on == START + datetime.timedelta(days=110)
    with pytest.raises(ValidationError, match="already has a review on that day"):
        services.plan_review_record(
            plan=plan,
            reviewed_on=START + datetime.timedelta(days=20),
            progress={objective.pk: "progressing"},
            note="Two applications out",
            actor=casemanager,
        )
    assert plan.reviews.count() == 1


@pytest.mark.parametrize("consented", [True, False], ids=["consent", "no-consent"])
def test_the_judge_reads_the_goals_under_a_consent_but_may_not_change_the_plan(
    client, judge, casemanager, participant, consented
):
    plan = draft_with_objective(participant, casemanager)
    services.plan_activate(plan=plan, acknowledged_on=START, actor=casemanager)
    if consented:
        consent_to_team(participant)
    client.force_login(judge)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    plan_page = client.get(reverse("treatment_plans:plan_detail", args=[plan.pk]))
    assert plan_page.status_code == 200
    for text in (page, plan_page.content.decode()):
        assert ("Stable housing" in text) is consented
        assert ("Plan summary: not covered by consent" in text) is not consented
    response = client.post(
        reverse("treatment_plans:plan_goal_add", args=[plan.pk]),
        {"participant_words": "x", "clinical_terms": "y"},
    )
    assert response.status_code == 404


def test_building_and_activating_through_the_pages(client, casemanager, participant, housing):
    client.force_login(casemanager)
    client.post(
        reverse("treatment_plans:plan_start", args=[participant.pk]), {"starts_on": "2026-11-02"}
    )
    plan = TreatmentPlan.objects.get()
    client.post(
        reverse("treatment_plans:plan_goal_add", args=[plan.pk]),
        {"participant_words": "My own place", "clinical_terms": "Stable housing"},
    )
    client.post(
        reverse("treatment_plans:plan_objective_add", args=[plan.pk]),
        {
            "goal": plan.goals.get().pk,
            "description": "Two applications",
            "target_date": "2026-12-01",
            "need": housing.pk,
        },
    )
    refused = client.post(reverse("treatment_plans:plan_activate", args=[plan.pk]), {}, follow=True)
    client.post(
        reverse("treatment_plans:plan_activate", args=[plan.pk]), {"acknowledged_on": "2026-11-02"}
    )

    plan.refresh_from_db()
    assert "Record when the participant acknowledged it." in refused.content.decode()
    assert plan.status == "active"
