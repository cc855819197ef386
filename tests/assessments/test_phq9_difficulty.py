"""PHQ-9's closing difficulty item (10) asks about the problems checked off: it is required
only when an item scores above 0 ("Not at all" everywhere leaves it blank)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import Administration
from assessments.selectors import answered_items, instrument_versions_for


def offered_phq9(participant):
    """The PHQ-9 the participant's pages offer: the latest version."""
    return instrument_versions_for(participant).get(instrument__code="PHQ-9")


def nine(value):
    return {f"item_{n}": value for n in range(1, 10)}


def test_nothing_checked_off_needs_no_difficulty_answer(client, casemanager, participant):
    client.force_login(casemanager)
    url = reverse("assessments:administer", args=[participant.pk, offered_phq9(participant).pk])

    response = client.post(url, {"administered_on": "2026-11-02", **nine("0")})

    assert response.status_code == 302
    given = Administration.objects.get()
    assert (given.total_score, "10" in given.answers) == (0, False)
    assert [item["key"] for item, _ in answered_items(given)] == [str(n) for n in range(1, 10)]


def test_a_problem_checked_off_needs_the_difficulty_answer(client, casemanager, participant):
    client.force_login(casemanager)
    url = reverse("assessments:administer", args=[participant.pk, offered_phq9(participant).pk])

    response = client.post(url, {"administered_on": "2026-11-02", **nine("0"), "item_3": "1"})

    assert "a problem above was checked off" in response.content.decode()
    assert not Administration.objects.exists()


def test_the_service_refuses_a_missing_difficulty_answer_after_a_problem(casemanager, participant):
    answers = {str(n): "0" for n in range(1, 10)} | {"1": "2"}

    with pytest.raises(ValidationError, match="Item 10 has no answer"):
        services.administration_record(
            participant=participant,
            instrument_version=offered_phq9(participant),
            administered_on=datetime.date(2026, 11, 2),
            answers=answers,
            actor=casemanager,
        )
