import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import ASAM_DIMENSIONS, AsamAssessment, Need


def ratings(value=2):
    return [{"rating": value, "notes": ""} for _ in range(6)]


def test_asam_records_the_assessors_level_and_justification(casemanager, participant):
    assessment = services.asam_record(
        participant=participant,
        assessed_on=datetime.date(2026, 11, 2),
        edition=3,
        ratings=ratings(),
        level_of_care="2.1",
        justification="Needs IOP; stable housing.",
        actor=casemanager,
    )

    assert assessment.rated_dimensions[3][0] == ASAM_DIMENSIONS[3][3]


@pytest.mark.parametrize("level", ["OTP", "OBOT", "1-WM", "2-WM", "3.2-WM", "3.7-WM", "4-WM"])
def test_the_third_edition_offers_opioid_treatment_and_withdrawal_management(
    client, casemanager, participant, level
):
    """DOMAIN.md: the 3rd edition's levels include opioid treatment services and the
    withdrawal management levels; the assessor can choose them on the page."""
    client.force_login(casemanager)
    url = reverse("assessments:asam", args=[participant.pk])

    client.post(
        url,
        {
            "assessed_on": "2026-11-02",
            **{f"rating_{n}": "2" for n in range(1, 7)},
            "level_of_care": level,
            "justification": "Opioid use disorder; withdrawal management first.",
        },
    )

    assert AsamAssessment.objects.get().level_of_care == level


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"level_of_care": "1.7"}, "level_of_care"),  # a 4th-edition level in the 3rd
        ({"ratings": ratings()[:5]}, "ratings"),
        ({"ratings": ratings(5)}, "ratings"),
        ({"justification": " "}, "justification"),
    ],
)
def test_asam_refuses_incomplete_or_mismatched_ratings(casemanager, participant, changes, field):
    fields = {
        "assessed_on": datetime.date(2026, 11, 2),
        "edition": 3,
        "ratings": ratings(),
        "level_of_care": "2.1",
        "justification": "IOP",
        **changes,
    }

    with pytest.raises(ValidationError) as refusal:
        services.asam_record(participant=participant, **fields, actor=casemanager)

    assert field in refusal.value.message_dict
    assert not AsamAssessment.objects.exists()


def test_the_fourth_edition_page_lists_its_own_dimensions_and_levels(
    client, casemanager, participant
):
    client.force_login(casemanager)

    page = client.get(
        reverse("assessments:asam", args=[participant.pk]), {"edition": "4"}
    ).content.decode()

    assert "Person-centered considerations" in page
    assert ">1.7<" in page


def test_an_open_need_is_listed_and_cannot_be_opened_twice(client, casemanager, participant):
    client.force_login(casemanager)
    data = {
        "domain": "housing",
        "priority": "high",
        "description": "Sleeping on a couch",
        "identified_on": "2026-11-02",
    }

    client.post(reverse("assessments:needs", args=[participant.pk]), data)
    second = client.post(reverse("assessments:needs", args=[participant.pk]), data)
    page = client.get(reverse("clients:participant_detail", args=[participant.pk]))

    assert Need.objects.count() == 1
    assert "already open" in second.content.decode()
    assert "Housing (high)" in page.content.decode()


def test_court_roles_do_not_see_asam_or_needs(client, judge, casemanager, participant):
    services.need_record(
        participant=participant,
        domain="employment",
        priority="medium",
        description="Job",
        identified_on=datetime.date(2026, 11, 2),
        actor=casemanager,
    )
    client.force_login(judge)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "Open needs" not in page
    assert client.get(reverse("assessments:needs", args=[participant.pk])).status_code == 404


def test_the_program_rule_suggestion_is_kept_and_labelled(
    client, coordinator, casemanager, participant, program
):
    from django.utils import timezone

    from drugcourt.services import program_settings_change_asam_rule

    program_settings_change_asam_rule(
        program=program,
        effective_from=timezone.localdate(),
        change_note="Our rule",
        asam_rule={"3": {"0": "0.5", "1": "1", "2": "2.1", "3": "3.5", "4": "4"}},
        actor=coordinator,
    )

    assessment = services.asam_record(
        participant=participant,
        assessed_on=timezone.localdate(),
        edition=3,
        ratings=ratings(2),
        level_of_care="2.5",
        justification="More structure needed.",
        actor=casemanager,
    )
    client.force_login(casemanager)
    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert assessment.program_rule_level == "2.1"
    assert "program rule (not the official placement) suggested 2.1" in page


def test_the_rule_page_refuses_a_line_without_every_rating(client, coordinator, program):
    client.force_login(coordinator)

    response = client.post(
        reverse("core:program_settings_asam_rule", args=[program.pk]),
        {
            "effective_from": "2099-01-01",
            "change_note": "x",
            "asam_rule": "3: 0=0.5 1=1 2=2.1",
        },
    )

    assert "a level for every rating from 0 to 4" in response.content.decode()


def test_the_asam_page_shows_earlier_ratings_per_dimension(client, casemanager, participant):
    services.asam_record(
        participant=participant,
        assessed_on=datetime.date(2026, 11, 2),
        edition=3,
        ratings=[{"rating": 3, "notes": "Withdrawal history"}, *ratings()[1:]],
        level_of_care="3.5",
        justification="Needs residential.",
        actor=casemanager,
    )
    client.force_login(casemanager)

    page = client.get(reverse("assessments:asam", args=[participant.pk])).content.decode()

    assert f"{ASAM_DIMENSIONS[3][0]}: 3 — Withdrawal history" in page
