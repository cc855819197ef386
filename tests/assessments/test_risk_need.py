import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import RiskNeedAssessment
from assessments.services import Intensity, quadrant_for
from drugcourt.models import default_risk_need

CONFIG = default_risk_need()


def answered(items, yes_count):
    return {item: index < yes_count for index, item in enumerate(items)}


@pytest.mark.parametrize(
    ("risk_yes", "need_yes", "quadrant"),
    [
        (3, 2, "high_high"),  # both at their thresholds
        (3, 1, "high_low"),
        (2, 2, "low_high"),
        (2, 1, "low_low"),  # both one below
        (5, 4, "high_high"),
        (0, 0, "low_low"),
    ],
)
def test_quadrant_from_the_programs_thresholds(risk_yes, need_yes, quadrant):
    result = quadrant_for(
        CONFIG,
        answered(CONFIG["risk_items"], risk_yes),
        answered(CONFIG["need_items"], need_yes),
    )

    assert (result.risk_score, result.need_score, result.quadrant) == (risk_yes, need_yes, quadrant)
    assert result.recommended == Intensity(**CONFIG["recommendations"][quadrant])


def record(participant, actor, accepted=None, **extra):
    risk = answered(CONFIG["risk_items"], 4)
    need = answered(CONFIG["need_items"], 3)
    recommended = Intensity(**CONFIG["recommendations"]["high_high"])
    return services.risk_need_record(
        participant=participant,
        assessed_on=datetime.date(2026, 11, 2),
        risk_answers=risk,
        need_answers=need,
        accepted=accepted or recommended,
        actor=actor,
        **extra,
    )


def test_accepting_the_recommendation_needs_no_reason(casemanager, participant):
    assessment = record(participant, casemanager)

    assert assessment.quadrant == "high_high"
    assert not assessment.is_override


def test_an_override_needs_a_reason(casemanager, participant):
    lighter = Intensity("Standard drug court", 2, 2, 2)

    with pytest.raises(ValidationError, match="departs from the recommended"):
        record(participant, casemanager, accepted=lighter)
    assessment = record(
        participant, casemanager, accepted=lighter, override_reason="Works night shifts."
    )

    assert assessment.is_override
    assert assessment.tests_per_week == 2


def test_court_roles_see_the_intensity_not_the_quadrant_and_may_not_assess(
    client, judge, casemanager, participant
):
    record(participant, casemanager)
    client.force_login(judge)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "High risk / high need" not in page  # assessment summary (issue 12)
    assert "court every 2 weeks, 3 tests" in page
    assert client.get(reverse("assessments:risk_need", args=[participant.pk])).status_code == 404


def test_the_page_records_with_the_recommendation_when_fields_are_left_empty(
    client, casemanager, participant
):
    client.force_login(casemanager)
    data = {"assessed_on": "2026-11-02", "risk_0": "on", "risk_1": "on", "risk_2": "on"}

    response = client.post(reverse("assessments:risk_need", args=[participant.pk]), data)

    assessment = RiskNeedAssessment.objects.get()
    assert response.status_code == 302
    assert (assessment.quadrant, assessment.court_every_weeks) == ("high_low", 2)


def test_the_page_explains_a_missing_override_reason(client, casemanager, participant):
    client.force_login(casemanager)

    response = client.post(
        reverse("assessments:risk_need", args=[participant.pk]),
        {"assessed_on": "2026-11-02", "tests_per_week": "3"},
    )

    assert "Say why the team departs" in response.content.decode()
    assert not RiskNeedAssessment.objects.exists()
