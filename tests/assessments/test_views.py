import datetime

from django.urls import reverse

from assessments import services
from assessments.models import Administration, InstrumentVersion
from clients.models import Alert


def phq9():
    return InstrumentVersion.objects.filter(instrument__code="PHQ-9").latest("version")


def phq9_post(item9="0", **extra):
    data = {f"item_{n}": "1" for n in range(1, 9)}
    return {"administered_on": "2026-11-02", **data, "item_9": item9, "item_10": "0", **extra}


def test_giving_a_screen_through_the_page(client, casemanager, participant):
    client.force_login(casemanager)

    response = client.post(
        reverse("assessments:administer", args=[participant.pk, phq9().pk]), phq9_post()
    )

    given = Administration.objects.get()
    assert response.status_code == 302
    assert given.total_score == 8


def test_a_missing_item_is_named_and_nothing_is_saved(client, casemanager, participant):
    client.force_login(casemanager)
    data = phq9_post()
    del data["item_4"]

    response = client.post(
        reverse("assessments:administer", args=[participant.pk, phq9().pk]), data
    )

    assert "Answer this item." in response.content.decode()
    assert not Administration.objects.exists()


def test_the_safety_step_stops_the_form_then_saves_with_an_alert(client, casemanager, participant):
    client.force_login(casemanager)
    url = reverse("assessments:administer", args=[participant.pk, phq9().pk])

    stopped = client.post(url, phq9_post(item9="2"))
    saved = client.post(url, phq9_post(item9="2", safety_action="Safety plan; crisis line."))

    assert 'data-testid="safety-step"' in stopped.content.decode()
    assert saved.status_code == 302
    assert Alert.objects.filter(kind="safety_item", severity="urgent").count() == 1


def test_judges_see_eligibility_but_never_scores(client, judge, casemanager, participant):
    services.administration_record(
        participant=participant,
        instrument_version=phq9(),
        administered_on=datetime.date(2026, 11, 2),
        answers={**{str(n): "0" for n in range(1, 10)}, "10": "0"},
        actor=casemanager,
    )
    client.force_login(judge)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "Eligibility, admission and supervision" in page
    assert "PHQ-9" not in page
    assert client.get(reverse("assessments:screens", args=[participant.pk])).status_code == 404


def test_screens_page_query_count_is_the_same_for_1_and_20_results(
    client, casemanager, participant, django_assert_num_queries
):
    def give(count):
        for _ in range(count):
            services.administration_record(
                participant=participant,
                instrument_version=phq9(),
                administered_on=datetime.date(2026, 11, 2),
                answers={**{str(n): "1" for n in range(1, 10)}, "10": "0"},
                safety_action="Plan made.",
                actor=casemanager,
            )

    client.force_login(casemanager)
    url = reverse("assessments:screens", args=[participant.pk])
    give(1)
    # session, user, participant (reach), reach roles, instrument versions, administrations,
    # the access log's row
    with django_assert_num_queries(7):
        client.get(url)
    give(19)
    with django_assert_num_queries(7):
        client.get(url)


def test_coordinator_builds_a_program_screen_on_the_page(client, coordinator, program):
    client.force_login(coordinator)

    response = client.post(
        reverse("assessments:program_screens", args=[program.pk]),
        {
            "code": "WELL-2",
            "name": "Two wellbeing questions",
            "source": "Program-made",
            "options": "No = 0\nYes = 1",
            "items": "Sleeping well?\n* Anything to add?",
            "bands": "0-0 Low\n1-1 High",
        },
    )

    version = InstrumentVersion.objects.get(instrument__code="WELL-2")
    assert response.status_code == 302
    assert version.definition["items"][1]["scored"] is False


def test_the_builder_explains_bad_bands(client, coordinator, program):
    client.force_login(coordinator)

    response = client.post(
        reverse("assessments:program_screens", args=[program.pk]),
        {
            "code": "WELL-2",
            "name": "Two",
            "source": "x",
            "options": "No = 0\nYes = 1",
            "items": "Q1\nQ2",
            "bands": "0-1 Low",
        },
    )

    assert "The bands must end at the highest possible score, 2." in response.content.decode()
    assert not InstrumentVersion.objects.filter(instrument__code="WELL-2").exists()


def test_a_result_page_charts_the_trend_with_a_table_alternative(client, casemanager, participant):
    for day, level in ((2, "2"), (20, "1")):
        given = services.administration_record(
            participant=participant,
            instrument_version=phq9(),
            administered_on=datetime.date(2026, 11, day),
            answers={**{str(n): level for n in range(1, 9)}, "9": "0", "10": "0"},
            actor=casemanager,
        )
    client.force_login(casemanager)

    page = client.get(
        reverse("assessments:administration", args=[participant.pk, given.pk])
    ).content.decode()

    assert 'id="trend-chart"' in page
    assert '"score": 16' in page
    assert '"score": 8' in page
    assert 'data-testid="trend"' in page
