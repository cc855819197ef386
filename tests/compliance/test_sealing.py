"""A drawn random test is sealed until its notice goes out or its ISO week ends: no page, count
or message shows it before, to any role (DOMAIN.md "Monitoring": a case manager or provider who
knows can tip the participant off). Each surface is tried as the case manager and as a provider
with an active episode, the day before the drawn test and on its morning before the call."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from compliance import draw as draws
from compliance import selectors, services
from compliance.models import DrugTest, TestDraw, TestReason, TestStatus
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services as treatment_services

CHICAGO = ZoneInfo("America/Chicago")
# ISO 2026-W50 runs from Monday Dec 7 to Sunday Dec 13; the drawn test is on Wednesday.
DRAWN_DAY = datetime.date(2026, 12, 9)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO).astimezone(
        datetime.UTC
    )


DAY_BEFORE = local(DRAWN_DAY - datetime.timedelta(days=1), 12)
MORNING_BEFORE_THE_CALL = local(DRAWN_DAY, 5)  # the call list goes out at 06:00
CALL_TIME = local(DRAWN_DAY, 6, 5)
NEXT_MONDAY = local(datetime.date(2026, 12, 14), 9)


@pytest.fixture
def drawn_test(program, participant):
    week = TestDraw.objects.create(
        program=program,
        iso_year=2026,
        iso_week=50,
        seed="00" * 32,
        algorithm_version=draws.ALGORITHM_VERSION,
        group_days={},
        tests_scheduled=1,
        drawn_at=local(datetime.date(2026, 12, 6), 18),
    )
    return DrugTest.objects.create(
        participant=participant,
        program=program,
        reason=TestReason.RANDOM,
        draw=week,
        test_group=3,
        scheduled_for=DRAWN_DAY,
        status_changed_at=week.drawn_at,
    )


@pytest.fixture
def provider_on_episode(provider, casemanager, participant):
    referral = refer(participant, provider.organization, casemanager)
    treatment_services.referral_accept(referral=referral, actor=provider)
    return provider


def get(client, user, url, at, **params):
    with time_machine.travel(at, tick=False):
        client.force_login(user)  # sessions expire: sign in at the moment of the request
        return client.get(url, params)


ROLES = ["casemanager", "provider_on_episode"]
BEFORE_THE_CALL = [DAY_BEFORE, MORNING_BEFORE_THE_CALL]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("at", BEFORE_THE_CALL)
def test_the_participant_pages_do_not_show_a_drawn_test_before_its_call(
    request, client, participant, drawn_test, role, at
):
    user = request.getfixturevalue(role)
    detail_url = reverse("clients:participant_detail", args=[participant.pk])
    testing_url = reverse("compliance:participant_testing", args=[participant.pk])
    test_url = reverse("compliance:test_detail", args=[drawn_test.pk])

    detail = get(client, user, detail_url, at).content.decode()
    testing = get(client, user, testing_url, at).content.decode()
    scheduled = get(client, user, testing_url, at, status=TestStatus.SCHEDULED).content.decode()

    assert "Tests, last 90 days (0)" in detail
    assert "test-mark" not in detail
    assert reverse("compliance:test_detail", args=[drawn_test.pk]) not in detail
    assert test_url not in testing
    assert "No tests." in testing
    assert "No tests." in scheduled
    assert get(client, user, test_url, at).status_code == 404


@pytest.mark.parametrize("action", ["test_collect", "test_refuse", "test_result"])
def test_recording_on_a_sealed_test_answers_404(client, casemanager, drawn_test, action):
    url = reverse(f"compliance:{action}", args=[drawn_test.pk])

    with time_machine.travel(MORNING_BEFORE_THE_CALL, tick=False):
        client.force_login(casemanager)
        response = client.post(url, {"note": "Refused at the office."})

    assert response.status_code == 404
    drawn_test.refresh_from_db()
    assert drawn_test.status == TestStatus.SCHEDULED


@pytest.mark.parametrize("role", ROLES)
def test_the_test_shows_once_its_notice_has_gone_out(
    request, client, program, participant, drawn_test, role
):
    user = request.getfixturevalue(role)
    assert draws.call_list_publish(program=program, day=DRAWN_DAY, now=CALL_TIME) == 1
    test_url = reverse("compliance:test_detail", args=[drawn_test.pk])
    detail_url = reverse("clients:participant_detail", args=[participant.pk])

    detail = get(client, user, detail_url, CALL_TIME).content.decode()

    assert "Tests, last 90 days (1)" in detail
    assert test_url in detail
    assert get(client, user, test_url, CALL_TIME).status_code == 200


def test_a_test_never_called_shows_once_its_week_has_ended(client, casemanager, drawn_test):
    test_url = reverse("compliance:test_detail", args=[drawn_test.pk])
    sunday_night = local(datetime.date(2026, 12, 13), 23, 59)

    assert get(client, casemanager, test_url, sunday_night).status_code == 404
    assert get(client, casemanager, test_url, NEXT_MONDAY).status_code == 200


def test_a_test_excused_before_its_call_stays_sealed_and_no_message_tells(
    client, casemanager, participant, drawn_test
):
    with time_machine.travel(DAY_BEFORE, tick=False):
        client.force_login(casemanager)
        response = client.post(
            reverse("compliance:blackout_new", args=[participant.pk]),
            {"reason": "hospital", "starts_on": "2026-12-08", "ends_on": "2026-12-10"},
            follow=True,
        )
    page = response.content.decode()

    drawn_test.refresh_from_db()
    assert drawn_test.status == TestStatus.EXCUSED
    assert "Blackout recorded" in page
    assert "test-excused" not in page
    assert "1 test" not in page
    assert "No tests." in page
    thursday = local(DRAWN_DAY + datetime.timedelta(days=1), 12)
    test_url = reverse("compliance:test_detail", args=[drawn_test.pk])
    assert get(client, casemanager, test_url, thursday).status_code == 404
    assert get(client, casemanager, test_url, NEXT_MONDAY).status_code == 200


def test_a_test_ordered_for_today_shows_at_once(client, casemanager, participant):
    with time_machine.travel(DAY_BEFORE, tick=False):
        ordered = services.drug_test_order(
            participant=participant,
            scheduled_for=DAY_BEFORE.astimezone(CHICAGO).date(),
            specimen_type="urine",
            reason="Appeared impaired at the office",
            actor=casemanager,
        )
    testing_url = reverse("compliance:participant_testing", args=[participant.pk])

    page = get(client, casemanager, testing_url, DAY_BEFORE).content.decode()

    assert reverse("compliance:test_detail", args=[ordered.pk]) in page


def test_the_draw_audit_shows_no_count_of_a_week_not_over(client, coordinator, program, drawn_test):
    TestDraw.objects.filter(pk=drawn_test.draw_id).update(tests_scheduled=987)
    url = reverse("compliance:program_draws", args=[program.pk])

    during = get(client, coordinator, url, DAY_BEFORE).content.decode()
    after = get(client, coordinator, url, NEXT_MONDAY).content.decode()

    assert "987" not in during
    assert "Sealed until the week is over." in during
    assert "987" in after


def test_one_filter_decides_for_every_selector(participant, drawn_test):
    """One filter decides: the selectors answer nothing about the sealed test."""
    assert not DrugTest.objects.revealed(DAY_BEFORE).exists()
    assert list(DrugTest.objects.revealed(NEXT_MONDAY)) == [drawn_test]
    assert list(selectors.drug_tests_of(participant, now=DAY_BEFORE)) == []


def test_the_participant_history_leaves_a_drawn_test_out_until_its_call(
    client, coordinator, program, participant, drawn_test
):
    history_url = reverse("clients:participant_history", args=[participant.pk])

    before = get(client, coordinator, history_url, MORNING_BEFORE_THE_CALL).content.decode()
    assert draws.call_list_publish(program=program, day=DRAWN_DAY, now=CALL_TIME) == 1
    after = get(client, coordinator, history_url, CALL_TIME).content.decode()

    record = f"compliance.DrugTest #{drawn_test.pk}"
    assert record not in before
    assert "2026-12-09" not in before
    assert record in after
