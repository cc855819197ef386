"""The weekly random draw, the beat tick that makes it at the program's local time (DST days
included), and the daily call list with its notices."""

import datetime
import hashlib
import hmac
import itertools
import json
import logging
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError

from assessments import services as assessment_services
from assessments.services import Intensity
from clients.models import Enrollment, EnrollmentStatus
from compliance import draw as draws
from compliance import selectors, services
from compliance.models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    SpecimenType,
    TestDraw,
    TestReason,
    TestStatus,
)
from court.completion import enrollment_close
from court.services import response_record
from drugcourt.models import ResponseOption, default_risk_need
from tests.court.builders import on_docket, session_on
from tests.factories import EnrollmentFactory, assign

UTC = datetime.UTC
CHICAGO = ZoneInfo("America/Chicago")  # the persona program's time zone
SEED = bytes(range(32))
# ISO 2026-W50 runs from Monday Dec 7 to Sunday Dec 13 (Chicago is UTC-6 then).
MONDAY = datetime.date(2026, 12, 7)


def local(year, month, day, hour, minute=0, *, fold=0) -> datetime.datetime:
    """A Chicago wall-clock time, as the UTC instant it happens."""
    wall_clock = datetime.datetime(year, month, day, hour, minute, tzinfo=CHICAGO, fold=fold)
    return wall_clock.astimezone(UTC)


SUNDAY_EVENING = local(2026, 12, 6, 18, 30)  # after the default 18:00 draw time


def week_day(weekday: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=weekday - 1)


def draw_w50(program, now=SUNDAY_EVENING) -> TestDraw:
    return draws.test_draw_make(program=program, iso_year=2026, iso_week=50, now=now)


def days_of(participant) -> list[datetime.date]:
    tests = DrugTest.objects.filter(participant=participant).order_by("scheduled_for")
    return list(tests.values_list("scheduled_for", flat=True))


# ---------------------------------------------------------------------------------------------
# The algorithm


def test_the_algorithm_gives_the_answer_an_auditor_computes():
    """Checked against an independent implementation of the docstring (floating point, from
    the hmac module). Changing the algorithm needs a new ALGORITHM_VERSION (old draws keep
    theirs)."""
    assert draws.ALGORITHM_VERSION == "hmac-sha256-daily-bernoulli-v2"

    def independent(tests_per_week: int) -> list[int]:
        called = []
        for weekday in range(1, 8):
            day = datetime.date.fromisocalendar(2026, 45, weekday)
            digest = hmac.new(SEED, f"7:{day.isoformat()}:4512".encode(), "sha256").digest()
            if int.from_bytes(digest[:8], "big") / 2**64 < tests_per_week / 7:
                called.append(weekday)
        return called

    ours = {
        frequency: [
            day.isoweekday() for day in draws.called_days(SEED, 7, 2026, 45, 4512, frequency)
        ]
        for frequency in range(8)
    }

    assert ours == {frequency: independent(frequency) for frequency in range(8)}
    assert ours[2] == [2, 3, 7]
    assert (ours[0], ours[7]) == ([], [1, 2, 3, 4, 5, 6, 7])


def test_a_participants_calls_are_reproducible_and_their_own():
    day = datetime.date(2026, 11, 4)
    calls = [draws.is_called(SEED, 7, day, participant, 3) for participant in range(1, 200)]

    assert calls == [draws.is_called(SEED, 7, day, participant, 3) for participant in range(1, 200)]
    # Nobody's call is someone else's: on one day, about 3 in 7 of them are called.
    assert 60 <= sum(calls) <= 110
    with pytest.raises(ValueError, match="0 to 7"):
        draws.is_called(SEED, 7, day, 1, 8)


def test_weeks_drawn_with_the_retired_group_algorithm_still_give_their_days():
    """hmac-sha256-fisher-yates-v1, kept for verifying the weeks drawn with it."""
    assert draws.FISHER_YATES_V1 == "hmac-sha256-fisher-yates-v1"
    assert [draws.choose_days(SEED, 7, 2026, 45, group) for group in range(1, 8)] == [
        [4],
        [4, 6],
        [2, 6, 7],
        [1, 2, 5, 7],
        [1, 2, 3, 6, 7],
        [2, 3, 4, 5, 6, 7],
        [1, 2, 3, 4, 5, 6, 7],
    ]


def test_the_byte_stream_goes_on_with_counted_hmacs():
    message = b"7:2026-W45:3"

    first_64 = bytes(itertools.islice(draws._byte_stream(SEED, message), 64))

    assert first_64 == (
        hmac.digest(SEED, message, "sha256") + hmac.digest(SEED, message + b"#1", "sha256")
    )


def test_different_seeds_draw_different_days():
    def week(seed: bytes) -> list[list[datetime.date]]:
        return [draws.called_days(seed, 7, 2026, 45, participant, 3) for participant in range(20)]

    assert week(SEED) != week(bytes(32))


# ---------------------------------------------------------------------------------------------
# Making the draw


@pytest.fixture
def seed(monkeypatch, program, participant):
    """A fixed seed for the draws, one that calls `participant` at least twice in W50 (the
    seed is random in production; participants' primary keys differ from run to run)."""
    chosen = next(
        candidate
        for candidate in (hashlib.sha256(bytes([n])).digest() for n in range(256))
        if len(draws.called_days(candidate, program.pk, 2026, 50, participant.pk, 3)) >= 2
    )
    monkeypatch.setattr(draws, "new_seed", chosen.hex)
    return chosen


def calls(draw, person, tests_per_week=3) -> list[datetime.date]:
    """The days the draw calls the person, recomputed from its seed."""
    return calls_with(bytes.fromhex(draw.seed), draw, person, tests_per_week)


def calls_with(seed: bytes, draw, person, tests_per_week=3) -> list[datetime.date]:
    """The days `seed` would call the person in the draw's week."""
    return draws.called_days(
        seed,
        draw.program_id,
        draw.iso_year,
        draw.iso_week,
        person.pk,
        tests_per_week,
    )


def drawn_tests(draw) -> list[draws.DrawnTest]:
    return [
        draws.DrawnTest(test.participant_id, test.scheduled_for, test.test_group)
        for test in DrugTest.objects.filter(draw=draw)
    ]


def test_the_draw_calls_each_participant_on_their_own_days(
    program, participant, participant2, seed
):
    draw = draw_w50(program)

    assert draw.group_days == {}
    assert (draw.algorithm_version, bytes.fromhex(draw.seed)) == (draws.ALGORITHM_VERSION, seed)
    for person in (participant, participant2):
        assert days_of(person) == calls(draw, person)
    assert draw.tests_scheduled == len(calls(draw, participant)) + len(calls(draw, participant2))
    test = DrugTest.objects.filter(participant=participant).first()
    assert (test.reason, test.draw, test.test_group, test.program) == (
        TestReason.RANDOM,
        draw,
        3,
        program,
    )
    assert (test.specimen_type, test.status, test.notified_at, test.status_changed_at) == (
        SpecimenType.URINE,
        TestStatus.SCHEDULED,
        None,
        SUNDAY_EVENING,
    )
    assert draws.draw_verify(draw, drawn_tests(draw))
    assert list(draws.draws_of(program)) == [draw]
    history = apps.get_model("compliance", "DrugTestEvent").objects.filter(draw=draw)
    assert history.filter(pgh_label="insert").count() == draw.tests_scheduled


def test_the_draw_is_made_once(program, participant, seed):
    first = draw_w50(program)

    again = draw_w50(program, now=SUNDAY_EVENING + datetime.timedelta(hours=1))

    assert (again.pk, again.seed, again.tests_scheduled) == (
        first.pk,
        first.seed,
        len(calls(first, participant)),
    )
    assert DrugTest.objects.count() == first.tests_scheduled


def test_the_audit_refuses_a_test_on_a_day_the_seed_did_not_call(program, participant, seed):
    draw = draw_w50(program)
    drawn = drawn_tests(draw)
    # A test of `participant`, whose calls the seed fixture fixes (others may be drawn too).
    first = next(test for test in drawn if test.participant_id == participant.pk)
    uncalled = next(
        day
        for day in (week_day(weekday) for weekday in range(1, 8))
        if day not in calls(draw, participant)
    )
    moved = draws.DrawnTest(first.participant_id, uncalled, first.tests_per_week)
    others = [test for test in drawn if test is not first]

    assert draws.draw_verify(draw, [first, *others])
    assert not draws.draw_verify(draw, [moved, *others])  # a test put on a day by hand
    assert not draws.draw_verify(draw, others)  # a test missing from the count
    # Days chosen by hand, then a seed put to them: any seed that calls `participant` on other
    # days (the zero seed itself may call the same days for some participant ids).
    draw.seed = next(
        candidate.hex()
        for candidate in (bytes([n]) * 32 for n in range(256))
        if calls_with(candidate, draw, participant) != calls(draw, participant)
    )
    assert not draws.draw_verify(draw, [first, *others])


def test_a_week_drawn_with_the_retired_algorithm_keeps_verifying():
    old = TestDraw(
        program_id=7,
        iso_year=2026,
        iso_week=45,
        seed=SEED.hex(),
        algorithm_version=draws.FISHER_YATES_V1,
        group_days={"3": [2, 6, 7]},
        tests_scheduled=2,
    )
    tuesday, wednesday = datetime.date(2026, 11, 3), datetime.date(2026, 11, 4)

    assert draws.draw_verify(old, [draws.DrawnTest(1, tuesday, 3), draws.DrawnTest(2, tuesday, 3)])
    assert not draws.draw_verify(
        old, [draws.DrawnTest(1, tuesday, 3), draws.DrawnTest(2, wednesday, 3)]
    )
    old.group_days = {"3": [2, 3, 7]}
    assert not draws.draw_verify(
        old, [draws.DrawnTest(1, tuesday, 3), draws.DrawnTest(2, wednesday, 3)]
    )


def test_frequencies_come_from_the_accepted_assessment_then_the_phase(
    program, participant, participant2, casemanager2, seed
):
    Enrollment.objects.filter(participant__in=[participant, participant2]).update(phase=5)
    config = default_risk_need()
    assessment_services.risk_need_record(
        participant=participant2,  # phase 5 says once a week; the team accepted two
        assessed_on=datetime.date(2026, 11, 2),
        risk_answers=dict.fromkeys(config["risk_items"], True),
        need_answers=dict.fromkeys(config["need_items"], True),
        accepted=Intensity("Standard drug court", 2, 2, 2),
        override_reason="Works night shifts.",
        actor=casemanager2,
    )
    third = EnrollmentFactory(program=program).participant  # phase 1

    draw = draw_w50(program)

    for person, frequency in ((participant, 1), (participant2, 2), (third, 3)):
        assert days_of(person) == calls(draw, person, frequency)
        groups = DrugTest.objects.filter(participant=person).values_list("test_group", flat=True)
        assert set(groups) <= {frequency}
    assert draws.draw_verify(draw, drawn_tests(draw))


def test_nobody_is_drawn_inside_their_blackout(
    program, participant, participant2, casemanager, seed
):
    BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.RESIDENTIAL,
        starts_on=week_day(1),
        ends_on=week_day(5),
        recorded_by=casemanager,
    )
    BlackoutPeriod.objects.create(
        participant=participant2,
        reason=BlackoutReason.CUSTODY,
        starts_on=datetime.date(2026, 11, 20),
        ends_on=None,
        recorded_by=casemanager,
    )

    draw = draw_w50(program)

    weekend = [day for day in calls(draw, participant) if day.isoweekday() in (6, 7)]
    assert days_of(participant) == weekend
    assert days_of(participant2) == []
    assert draw.tests_scheduled == len(weekend)


def test_closed_enrollments_are_not_drawn(program, participant, participant2, coordinator, seed):
    enrollment_close(
        enrollment=participant2.enrollments.get(),
        kind=EnrollmentStatus.WITHDRAWN,
        effective_date=datetime.date(2026, 11, 20),
        reason="Chose to return to the regular docket.",
        actor=coordinator,
    )

    draw = draw_w50(program)

    assert days_of(participant) == calls(draw, participant)
    assert days_of(participant2) == []


def test_a_late_draw_schedules_nothing_on_days_already_past(program, participant, seed):
    draw = draw_w50(program, now=local(2026, 12, 9, 10, 0))  # Wednesday morning

    from_wednesday = [day for day in calls(draw, participant) if day >= week_day(3)]
    assert days_of(participant) == from_wednesday
    assert draw.tests_scheduled == len(from_wednesday)


@pytest.mark.parametrize("participants", [1, 20])
def test_the_draw_takes_the_same_queries_for_any_number_of_participants(
    program, participants, django_assert_num_queries
):
    people = [
        enrollment.participant
        for enrollment in EnrollmentFactory.create_batch(participants, program=program)
    ]

    # 1 the week's draw, if made 2 savepoint 3 who is tested, how often 4 insert the draw (on
    # conflict do nothing) 5 read it back 6 insert the tests and count them on the draw
    # 7 release the savepoint
    with django_assert_num_queries(7):
        draw = draw_w50(program)
    with django_assert_num_queries(1):
        draw_w50(program)

    assert draw.tests_scheduled == sum(len(calls(draw, person)) for person in people)


# ---------------------------------------------------------------------------------------------
# The beat tick


def week_draw(program, iso_year, iso_week) -> TestDraw | None:
    return TestDraw.objects.filter(program=program, iso_year=iso_year, iso_week=iso_week).first()


def test_the_tick_draws_next_week_once_the_sunday_draw_time_has_passed(program, participant, seed):
    before = draws.testing_tick(now=local(2026, 12, 6, 17, 45))  # Sunday of W49, draw at 18:00

    assert week_draw(program, 2026, 49) is not None  # the current week had none: made at once
    assert week_draw(program, 2026, 50) is None
    assert before["draws"] == 2  # W49 of both test programs

    after = draws.testing_tick(now=local(2026, 12, 6, 18, 15))
    again = draws.testing_tick(now=local(2026, 12, 6, 18, 30))

    w50 = week_draw(program, 2026, 50)
    assert w50.drawn_at == local(2026, 12, 6, 18, 15)
    called = len(calls(w50, participant))
    assert DrugTest.objects.filter(draw=w50).count() == w50.tests_scheduled == called
    assert (after["draws"], after["tests_scheduled"]) == (2, called)  # W50 of both programs
    assert (again["draws"], again["tests_scheduled"], again["failed"]) == (0, 0, 0)


def test_the_current_weeks_draw_made_late_leaves_its_past_days_empty(program, participant):
    draws.testing_tick(now=local(2026, 12, 10, 5, 0))  # Thursday, before the call list

    assert week_draw(program, 2026, 50) is not None
    assert all(day >= datetime.date(2026, 12, 10) for day in days_of(participant))
    assert week_draw(program, 2026, 51) is None


def tick_every_quarter_hour(start: datetime.datetime, end: datetime.datetime) -> None:
    moment = start
    while moment < end:
        draws.testing_tick(now=moment)
        moment += datetime.timedelta(minutes=15)


def test_a_draw_time_skipped_by_spring_forward_draws_once(program, program_settings, participant):
    program_settings.draw_time = datetime.time(2, 30)  # 2027-03-14 jumps from 02:00 to 03:00
    program_settings.save(update_fields=["draw_time"])

    tick_every_quarter_hour(local(2027, 3, 14, 0, 0), local(2027, 3, 14, 5, 0))

    w11 = TestDraw.objects.get(program=program, iso_year=2027, iso_week=11)
    # 02:30 standard time is 03:30 daylight time: the first tick from then on draws.
    assert (
        w11.drawn_at
        == local(2027, 3, 14, 3, 30)
        == datetime.datetime(2027, 3, 14, 8, 30, tzinfo=UTC)
    )
    assert DrugTest.objects.filter(draw=w11).count() == len(calls(w11, participant))
    assert TestDraw.objects.filter(program=program).count() == 2  # W10 (made late) and W11


def test_a_draw_time_repeated_by_fall_back_draws_once(program, program_settings, participant):
    program_settings.draw_time = datetime.time(1, 30)  # 2026-11-01 repeats 01:00 to 02:00
    program_settings.save(update_fields=["draw_time"])

    tick_every_quarter_hour(local(2026, 11, 1, 0, 0), local(2026, 11, 1, 5, 0))

    w45 = TestDraw.objects.get(program=program, iso_year=2026, iso_week=45)
    # The first 01:30 (daylight time); the second, an hour later, draws nothing more.
    assert (
        w45.drawn_at
        == local(2026, 11, 1, 1, 30)
        == datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    )
    assert DrugTest.objects.filter(draw=w45).count() == len(calls(w45, participant))
    assert TestDraw.objects.filter(program=program).count() == 2  # W44 (made late) and W45


def test_the_tick_publishes_todays_call_list_once_its_time_has_passed(program, participant, seed):
    first = calls(draw_w50(program), participant)[0]

    def tick(hour: int, minute: int) -> int:
        return draws.testing_tick(now=local(first.year, first.month, first.day, hour, minute))[
            "notified"
        ]

    assert (tick(5, 45), tick(6, 0), tick(6, 15)) == (0, 1, 0)  # call list at 06:00
    test = DrugTest.objects.get(participant=participant, scheduled_for=first)
    assert test.notified_at == local(first.year, first.month, first.day, 6, 0)


# ---------------------------------------------------------------------------------------------
# The call list

WEDNESDAY = datetime.date(2026, 12, 9)
ORDERED_AT = local(2026, 12, 8, 9, 0)
CALL_TIME = local(2026, 12, 9, 6, 5)


def order(participant, actor, specimen=SpecimenType.URINE) -> DrugTest:
    return services.drug_test_order(
        participant=participant,
        scheduled_for=WEDNESDAY,
        specimen_type=specimen,
        reason="Court order: tested on Wednesday.",
        actor=actor,
        now=ORDERED_AT,
    )


@pytest.fixture
def notice_file(settings, tmp_path):
    settings.TEST_NOTICE_SENDER = "compliance.notifications.FileSender"
    settings.TEST_NOTICE_FILE = tmp_path / "notices.jsonl"
    return settings.TEST_NOTICE_FILE


def notices_in(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_the_call_list_starts_each_window_by_specimen(
    program_settings,
    program,
    participant,
    casemanager,
    notice_file,
    django_capture_on_commit_callbacks,
):
    program_settings.urine_window_hours, program_settings.oral_fluid_window_hours = 6, 3
    program_settings.save(update_fields=["urine_window_hours", "oral_fluid_window_hours"])
    tests = [order(participant, casemanager, specimen) for specimen in SpecimenType]

    with django_capture_on_commit_callbacks(execute=True):
        notified = draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)

    window_hours = {}
    for test in tests:
        test.refresh_from_db()
        assert test.notified_at == CALL_TIME
        window_hours[test.specimen_type] = (test.collect_by - CALL_TIME).total_seconds() / 3600
    assert notified == 5
    assert window_hours == {
        "urine": 6,
        "oral_fluid": 3,
        "breath": 3,
        "sweat_patch": 6,
        "blood": 6,
    }
    sent = notices_in(notice_file)
    assert sorted(notice["collect_by"] for notice in sent) == ["09:05"] * 2 + ["12:05"] * 3
    assert {notice["participant_id"] for notice in sent} == {participant.pk}


def test_the_call_list_excuses_blackouts_and_people_who_left(
    program,
    participant,
    participant2,
    casemanager,
    casemanager2,
    notice_file,
    django_capture_on_commit_callbacks,
):
    in_custody, left = order(participant, casemanager), order(participant2, casemanager2)
    staying_person = EnrollmentFactory(program=program).participant
    assign(staying_person, casemanager)
    staying = order(staying_person, casemanager)
    # Recorded without the blackout service (which would excuse the test at once).
    BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=datetime.date(2026, 12, 8),
        recorded_by=casemanager,
    )
    Enrollment.objects.filter(participant=participant2).update(status=EnrollmentStatus.TERMINATED)

    with django_capture_on_commit_callbacks(execute=True):
        notified = draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)

    for test in (in_custody, left, staying):
        test.refresh_from_db()
    assert notified == 1
    assert (in_custody.status, in_custody.status_note, in_custody.notified_at) == (
        TestStatus.EXCUSED,
        "Blackout: In custody",
        None,
    )
    assert (left.status, left.status_changed_at) == (TestStatus.EXCUSED, CALL_TIME)
    assert "No longer active" in left.status_note
    assert (staying.status, staying.notified_at) == (TestStatus.SCHEDULED, CALL_TIME)
    assert [notice["participant_id"] for notice in notices_in(notice_file)] == [staying_person.pk]


def test_the_call_list_is_published_and_sent_once(
    program,
    participant,
    participant2,
    casemanager,
    casemanager2,
    notice_file,
    django_capture_on_commit_callbacks,
):
    order(participant, casemanager)
    order(participant2, casemanager2)

    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = draws.call_list_publish(
            program=program, day=WEDNESDAY, now=CALL_TIME + datetime.timedelta(hours=1)
        )

    assert (first, second) == (2, 0)
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)
    sent = notices_in(notice_file)
    assert sorted(notice["name"] for notice in sent) == ["Ada", "Ben"]
    assert DrugTest.objects.filter(notified_at=CALL_TIME).count() == 2


def test_the_notice_says_only_when_the_check_in_is_due(
    program, participant, casemanager, notice_file, django_capture_on_commit_callbacks
):
    order(participant, casemanager)

    with django_capture_on_commit_callbacks(execute=True):
        draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)

    [notice] = notices_in(notice_file)
    assert notice["text"] == "Hello Ada, your check-in is due today by 14:05."
    assert (notice["day"], notice["specimen"]) == ("2026-12-09", "Urine")
    for secret in (program.name, "drug", "Drug", "urine", "Urine", "court"):
        assert secret not in notice["text"]


def test_notices_can_go_by_email(
    settings,
    program,
    participant,
    participant2,
    casemanager,
    casemanager2,
    caplog,
    django_capture_on_commit_callbacks,
):
    settings.TEST_NOTICE_SENDER = "compliance.notifications.EmailSender"
    participant.email = "ada@example.org"
    participant.save(update_fields=["email"])
    order(participant, casemanager)
    order(participant2, casemanager2)  # no e-mail address

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)

    [message] = mail.outbox
    assert (message.to, message.subject) == (["ada@example.org"], "Check-in reminder")
    assert "by 14:05" in message.body
    assert f"Participant {participant2.pk} has no e-mail address" in caplog.text


def test_a_failing_sender_is_logged_and_the_list_stays_published(
    settings, program, participant, casemanager, caplog, django_capture_on_commit_callbacks
):
    settings.TEST_NOTICE_SENDER = "compliance.notifications.FileSender"
    settings.TEST_NOTICE_FILE = "/nonexistent-folder/notices.jsonl"
    test = order(participant, casemanager)

    with django_capture_on_commit_callbacks(execute=True):
        assert draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME) == 1

    test.refresh_from_db()
    assert test.notified_at == CALL_TIME
    assert "Sending 1 test notices" in caplog.text


@pytest.mark.parametrize("participants", [1, 20])
def test_publishing_takes_the_same_queries_for_any_number_of_participants(
    program, participants, django_assert_num_queries, django_capture_on_commit_callbacks
):
    called = [
        enrollment.participant
        for enrollment in EnrollmentFactory.create_batch(participants, program=program)
    ]
    first, call_time = WEDNESDAY, CALL_TIME
    DrugTest.objects.bulk_create(
        DrugTest(
            participant=person,
            program=program,
            reason=TestReason.RANDOM,
            scheduled_for=first,
            status_changed_at=SUNDAY_EVENING,
        )
        for person in called
    )

    # 1 settings in force 2 their phases 3 anything to call? 4 savepoint 5 excuse blackouts
    # 6 excuse people who left 7 lock the tests to call, with participants 8 notify them
    # 9 release the savepoint
    with django_assert_num_queries(9), django_capture_on_commit_callbacks(execute=True):
        notified = draws.call_list_publish(program=program, day=first, now=call_time)
    # 1 settings in force 2 their phases 3 anything to call?
    with django_assert_num_queries(3):
        draws.call_list_publish(program=program, day=first, now=call_time)

    assert notified == participants


def test_a_call_list_is_published_on_its_own_day_only(program, participant, casemanager):
    order(participant, casemanager)

    with pytest.raises(ValidationError, match="own day"):
        draws.call_list_publish(program=program, day=WEDNESDAY, now=local(2026, 12, 8, 23, 0))

    assert not DrugTest.objects.filter(notified_at__isnull=False).exists()


def test_the_call_list_shows_only_on_its_day_after_its_time(
    program, participant, participant2, casemanager, casemanager2
):
    order(participant2, casemanager2)  # Okoye
    order(participant, casemanager)  # Moss
    draws.call_list_publish(program=program, day=WEDNESDAY, now=CALL_TIME)

    def listed(now: datetime.datetime, day: datetime.date = WEDNESDAY) -> list[str]:
        tests = draws.call_list_for(program=program, day=day, now=now)
        return [test.participant.legal_last_name for test in tests]

    assert listed(CALL_TIME) == ["Moss", "Okoye"]
    assert listed(local(2026, 12, 9, 23, 59)) == ["Moss", "Okoye"]
    assert listed(local(2026, 12, 9, 5, 59)) == []  # before the call list time (06:00)
    assert listed(local(2026, 12, 10, 9, 0)) == []  # the next day
    assert listed(local(2026, 12, 8, 9, 0)) == []  # the day before
    assert listed(local(2026, 12, 10, 9, 0), day=datetime.date(2026, 12, 10)) == []


# ---------------------------------------------------------------------------------------------
# A court testing order within a drawn week (issue 15)

THURSDAY = week_day(4)
WEDNESDAY_MORNING = local(2026, 12, 9, 10, 0)  # after the 06:00 call list
WEDNESDAY_EARLY = local(2026, 12, 9, 5, 0)  # before it
W51_MONDAY = datetime.date(2026, 12, 14)


def newly_called(seed: bytes, program, person, days) -> list[datetime.date]:
    """The days five tests a week call the person and three did not."""
    return [
        day
        for day in days
        if draws.is_called(seed, program.pk, day, person.pk, 5)
        and not draws.is_called(seed, program.pk, day, person.pk, 3)
    ]


@pytest.fixture
def order_seed(monkeypatch, program, participant):
    """A fixed seed under which raising `participant` from three tests a week to five calls
    them on Wednesday and Friday of W50, on a day before Wednesday, and on a day of W51; three
    a week already call them on a day after Wednesday."""
    week = [week_day(weekday) for weekday in draws.WEEKDAYS]
    next_week = [W51_MONDAY + datetime.timedelta(days=n) for n in range(7)]

    def fits(candidate: bytes) -> bool:
        added = newly_called(candidate, program, participant, week)
        return (
            WEDNESDAY in added
            and any(day < WEDNESDAY for day in added)
            and week_day(5) in added
            and bool(newly_called(candidate, program, participant, next_week))
            and any(
                day > WEDNESDAY
                for day in draws.called_days(candidate, program.pk, 2026, 50, participant.pk, 3)
            )
        )

    chosen = next(
        candidate
        for candidate in (hashlib.sha256(n.to_bytes(2, "big")).digest() for n in range(4096))
        if fits(candidate)
    )
    monkeypatch.setattr(draws, "new_seed", chosen.hex)
    return chosen


def court_order(participant, judge, tests_per_week, starts_on, *, now, ends_on=None):
    return services.testing_order_create(
        participant=participant,
        program=participant.enrollments.get().program,
        tests_per_week=tests_per_week,
        starts_on=starts_on,
        ends_on=ends_on or starts_on + datetime.timedelta(days=13),
        reason="Increased testing, ordered at the hearing.",
        actor=judge,
        now=now,
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "first", "last"),
    [
        (WEDNESDAY, None, THURSDAY, week_day(7)),  # today's call list is out
        (MONDAY - datetime.timedelta(days=7), None, THURSDAY, week_day(7)),  # recorded late
        (week_day(5), None, week_day(5), week_day(7)),  # from Friday
        (MONDAY, week_day(5), THURSDAY, week_day(5)),  # until Friday
    ],
)
def test_an_order_within_a_drawn_week_adds_the_days_it_newly_calls_still_ahead(
    program, participant, judge, order_seed, starts_on, ends_on, first, last
):
    draw = draw_w50(program)
    drawn = days_of(participant)
    assert drawn == calls(draw, participant, 3)

    order = court_order(participant, judge, 5, starts_on, ends_on=ends_on, now=WEDNESDAY_MORNING)

    added = [
        day
        for day in newly_called(order_seed, program, participant, calls(draw, participant, 5))
        if first <= day <= last
    ]
    assert week_day(5) in added
    assert days_of(participant) == sorted(drawn + added)
    # Days the higher frequency calls that are past or outside the order get nothing.
    assert newly_called(order_seed, program, participant, [week_day(1), week_day(2), WEDNESDAY])
    new_tests = DrugTest.objects.filter(participant=participant, scheduled_for__in=added)
    assert {
        (
            test.reason,
            test.draw_id,
            test.test_group,
            test.specimen_type,
            test.status,
            test.notified_at,
            test.status_changed_at,
        )
        for test in new_tests
    } == {
        (
            TestReason.RANDOM,
            draw.pk,
            5,
            SpecimenType.URINE,
            TestStatus.SCHEDULED,
            None,
            WEDNESDAY_MORNING,
        )
    }
    kept = DrugTest.objects.filter(participant=participant, scheduled_for__in=drawn)
    assert set(kept.values_list("test_group", flat=True)) == {3}
    draw.refresh_from_db()
    assert draw.tests_scheduled == len(drawn) + len(added)
    assert draws.draw_verify(draw, drawn_tests(draw))
    assert order.tests_per_week == 5


def test_an_order_made_before_todays_call_list_can_call_today(
    program, participant, judge, order_seed
):
    draw = draw_w50(program)
    drawn = days_of(participant)

    court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_EARLY)

    added = [
        day
        for day in newly_called(order_seed, program, participant, calls(draw, participant, 5))
        if day >= WEDNESDAY
    ]
    assert WEDNESDAY in added
    assert days_of(participant) == sorted(drawn + added)
    # The tick publishes it with the rest of today's list.
    assert draws.testing_tick(now=CALL_TIME)["notified"] == 1
    assert DrugTest.objects.get(participant=participant, scheduled_for=WEDNESDAY).notified_at == (
        CALL_TIME
    )


def test_an_order_adds_nothing_to_a_week_not_yet_drawn(program, participant, judge, order_seed):
    court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_MORNING)

    assert not TestDraw.objects.exists()
    assert not DrugTest.objects.exists()


def test_an_order_for_next_week_is_read_by_its_draw(program, participant, judge, order_seed):
    w50 = draw_w50(program)
    court_order(participant, judge, 5, W51_MONDAY, now=WEDNESDAY_MORNING)

    assert days_of(participant) == calls(w50, participant, 3)  # not in force this week
    draws.testing_tick(now=local(2026, 12, 13, 18, 30))  # Sunday's draw time has passed
    w51 = TestDraw.objects.get(program=program, iso_year=2026, iso_week=51)
    w51_tests = DrugTest.objects.filter(draw=w51)
    assert sorted(w51_tests.values_list("scheduled_for", flat=True)) == calls(w51, participant, 5)
    assert set(w51_tests.values_list("test_group", flat=True)) == {5}


def test_an_order_made_after_next_weeks_draw_reaches_it(program, participant, judge, order_seed):
    draws.testing_tick(now=local(2026, 12, 13, 18, 30))  # draws W50 (late) and W51
    w51 = TestDraw.objects.get(program=program, iso_year=2026, iso_week=51)
    drawn = list(
        DrugTest.objects.filter(draw=w51).values_list("scheduled_for", flat=True).order_by()
    )
    assert sorted(drawn) == calls(w51, participant, 3)

    court_order(participant, judge, 5, W51_MONDAY, now=local(2026, 12, 13, 20, 0))

    w51_days = DrugTest.objects.filter(draw=w51).values_list("scheduled_for", flat=True)
    assert sorted(w51_days) == calls(w51, participant, 5)  # a superset of the three's
    assert len(w51_days) > len(drawn)
    w51.refresh_from_db()
    assert draws.draw_verify(w51, drawn_tests(w51))


def test_a_second_order_or_call_adds_nothing_more(program, participant, judge, order_seed):
    draw = draw_w50(program)
    first = court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_MORNING)
    after_first = days_of(participant)
    draw.refresh_from_db()
    count = draw.tests_scheduled

    court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_MORNING)
    assert draws.order_calls_add(order=first, now=WEDNESDAY_MORNING) == 0

    assert days_of(participant) == after_first
    draw.refresh_from_db()
    assert draw.tests_scheduled == count == DrugTest.objects.filter(draw=draw).count()
    assert draws.draw_verify(draw, drawn_tests(draw))


def test_a_lower_frequency_removes_nothing(program, participant, judge, order_seed):
    draw = draw_w50(program)
    drawn = days_of(participant)

    court_order(participant, judge, 2, MONDAY, now=WEDNESDAY_MORNING)  # the program minimum

    assert days_of(participant) == drawn
    assert set(DrugTest.objects.values_list("test_group", flat=True)) == {3}
    draw.refresh_from_db()
    assert draw.tests_scheduled == len(drawn)
    assert draws.draw_verify(draw, drawn_tests(draw))


def test_an_order_calls_nobody_inside_their_blackout(
    program, participant, judge, casemanager, order_seed
):
    draw = draw_w50(program)
    drawn = days_of(participant)
    BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.HOSPITAL,
        starts_on=THURSDAY,
        ends_on=None,
        recorded_by=casemanager,
    )

    court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_MORNING)

    assert days_of(participant) == drawn
    draw.refresh_from_db()
    assert draw.tests_scheduled == len(drawn)


def test_the_tests_an_order_adds_stay_sealed_until_called(program, participant, judge, order_seed):
    draw = draw_w50(program)
    court_order(participant, judge, 5, WEDNESDAY, now=WEDNESDAY_MORNING)
    added = DrugTest.objects.filter(draw=draw, test_group=5).order_by("scheduled_for")
    first = added[0].scheduled_for

    assert list(selectors.drug_tests_of(participant, now=WEDNESDAY_MORNING)) == []
    assert not DrugTest.objects.revealed(local(first.year, first.month, first.day, 5, 59)).filter(
        test_group=5
    )
    draws.testing_tick(now=local(first.year, first.month, first.day, 6, 0))
    revealed = DrugTest.objects.revealed(local(first.year, first.month, first.day, 6, 0))
    assert list(revealed.filter(test_group=5)) == [added[0]]


def test_increased_testing_at_a_hearing_takes_effect_in_the_drawn_week(
    program, participant, judge, order_seed
):
    draw = draw_w50(program)
    drawn = days_of(participant)
    session = session_on(program, WEDNESDAY, judge=judge)
    entry = on_docket(session, participant.enrollments.get(), appearance="appeared")

    response_record(
        entry=entry,
        option=ResponseOption.objects.get(settings__program=program, name="Increased testing"),
        actor=judge,
        tests_per_week=5,
        weeks=2,
        now=WEDNESDAY_MORNING,
    )

    added = [
        day
        for day in newly_called(order_seed, program, participant, calls(draw, participant, 5))
        if day >= THURSDAY
    ]
    assert added
    assert days_of(participant) == sorted(drawn + added)


def test_an_order_takes_five_queries_to_add_its_tests(
    program, participant, judge, order_seed, django_assert_num_queries
):
    order = court_order(participant, judge, 5, WEDNESDAY, now=local(2026, 12, 6, 12, 0))
    draw_w50(program)  # made after the order, with Monday's three a week

    # 1 the settings in force today (for the call list time) 2 their phases (prefetched) 3 the
    # drawn weeks 4 the frequency on each day 5 insert the tests and count them on the draw
    with django_assert_num_queries(5):
        added = draws.order_calls_add(order=order, now=WEDNESDAY_MORNING)

    assert added == DrugTest.objects.filter(test_group=5).count() > 0
