"""The weekly random draw of drug tests, the daily call list, and the beat tick that makes both
at each program's local times.

Once a week, before the ISO week starts, a secret seed is drawn and each participant is called
on each day of the week independently with the chance f/7, f being their required tests per
week (weekends and holidays included). Each morning, that day's call list is published and the
participants on it are notified. The draw is reproducible from its stored seed (`is_called`,
`draw_verify`), so an auditor can check after the week that nobody chose the days. A court
testing order made within a drawn week adds the calls of its higher frequency to the rest of
that week from the same seed (`order_calls_add`).
"""

import datetime
import hashlib
import hmac
import itertools
import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone

from clients.models import Enrollment, EnrollmentStatus
from drugcourt.audit import audited_write
from drugcourt.models import Program, ProgramSettings
from drugcourt.selectors import program_settings_in_force, program_today

from .models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    SpecimenType,
    TestDraw,
    TestingOrder,
    TestReason,
    TestStatus,
)
from .notifications import TestNotice, notice_sender
from .selectors import enrollments_to_test
from .services import collection_window

logger = logging.getLogger(__name__)

ALGORITHM_VERSION = "hmac-sha256-daily-bernoulli-v2"
# Weeks drawn before the daily draw keep verifying with the algorithm they were drawn with.
FISHER_YATES_V1 = "hmac-sha256-fisher-yates-v1"
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: 1 = Monday ... 7 = Sunday


# ---------------------------------------------------------------------------------------------
# The algorithm (pure, for the auditor)


def is_called(
    seed: bytes, program_id: int, day: datetime.date, participant_id: int, tests_per_week: int
) -> bool:
    """Whether the participant is called on `day`. Algorithm hmac-sha256-daily-bernoulli-v2
    (docs/decisions/0009-daily-random-draw.md):

    1. message = f"{program_id}:{day:%Y-%m-%d}:{participant_id}" in ASCII, e.g.
       "7:2026-12-09:4512".
    2. u = the first 8 bytes of HMAC-SHA256(key=seed, msg=message), big-endian, so
       0 <= u < 2**64.
    3. Called when 7 * u < tests_per_week * 2**64, that is u / 2**64 < tests_per_week / 7.

    Every participant has the chance tests_per_week / 7 on every day of the week, weekends
    and holidays included, independently of every other day and participant: nothing that
    happened earlier in the week tells anything about the rest of it."""
    if not 0 <= tests_per_week <= len(WEEKDAYS):
        raise ValueError(f"A participant tests 0 to 7 times a week, not {tests_per_week}.")
    message = f"{program_id}:{day.isoformat()}:{participant_id}".encode("ascii")
    uniform = int.from_bytes(hmac.digest(seed, message, hashlib.sha256)[:8], "big")
    return len(WEEKDAYS) * uniform < tests_per_week << 64


def called_days(
    seed: bytes,
    program_id: int,
    iso_year: int,
    iso_week: int,
    participant_id: int,
    tests_per_week: int,
) -> list[datetime.date]:
    """The days of the ISO week on which the participant is called (`is_called`)."""
    days = (datetime.date.fromisocalendar(iso_year, iso_week, weekday) for weekday in WEEKDAYS)
    return [day for day in days if is_called(seed, program_id, day, participant_id, tests_per_week)]


def choose_days(
    seed: bytes, program_id: int, iso_year: int, iso_week: int, group: int
) -> list[int]:
    """The weekdays (1 = Monday ... 7 = Sunday) a frequency group was called in a week drawn
    with the retired algorithm hmac-sha256-fisher-yates-v1, kept so that those weeks still
    verify. Every member of a group tested on the same k days, so after the k-th test the
    rest of the week was known to be safe: the daily draw (`is_called`) replaced it.

    1. message = f"{program_id}:{iso_year}-W{iso_week:02d}:{group}" in ASCII, e.g. "7:2026-W45:3".
    2. A byte stream: HMAC-SHA256(key=seed, msg=message), then, if more bytes are needed,
       HMAC-SHA256(key=seed, msg=message + "#1"), message + "#2", ... (32 bytes each).
    3. A uniform number below n (n = 2..7) takes the next byte b of the stream; a byte
       b >= 256 - (256 mod n) is skipped (rejection sampling), otherwise the number is b mod n.
    4. Fisher-Yates shuffle of [1, 2, 3, 4, 5, 6, 7]: for i = 6 down to 1, j = a uniform number
       below i + 1 (step 3), swap positions i and j (0-based).
    5. The group takes the first `group` weekdays of the shuffled list, sorted.
    """
    if group not in WEEKDAYS:
        raise ValueError(f"A group tests 1 to 7 times a week, not {group}.")
    message = f"{program_id}:{iso_year}-W{iso_week:02d}:{group}".encode("ascii")
    stream = _byte_stream(seed, message)
    days = list(WEEKDAYS)
    for i in range(len(days) - 1, 0, -1):
        j = _uniform_below(i + 1, stream)
        days[i], days[j] = days[j], days[i]
    return sorted(days[:group])


def _byte_stream(seed: bytes, message: bytes) -> Iterator[int]:
    yield from hmac.digest(seed, message, hashlib.sha256)
    for counter in itertools.count(1):
        yield from hmac.digest(seed, message + f"#{counter}".encode("ascii"), hashlib.sha256)


def _uniform_below(bound: int, stream: Iterator[int]) -> int:
    accepted_below = 256 - 256 % bound
    return next(byte % bound for byte in stream if byte < accepted_below)


@dataclass(frozen=True)
class DrawnTest:
    """What the audit needs of one test a draw scheduled."""

    participant_id: int
    day: datetime.date
    tests_per_week: int


def draw_verify(draw: TestDraw, tests: Iterable[DrawnTest]) -> bool:
    """Whether every test of the draw is one the stored seed calls, with the algorithm the week
    was drawn with, and the draw's count is theirs: what an auditor checks after the week.
    Pure (no query)."""
    tests = list(tests)
    if len(tests) != draw.tests_scheduled:
        return False
    seed = bytes.fromhex(draw.seed)
    week = (draw.iso_year, draw.iso_week)
    if any(test.day.isocalendar()[:2] != week for test in tests):
        return False
    if draw.algorithm_version == FISHER_YATES_V1:
        groups = {int(group) for group in draw.group_days}
        recomputed = {
            str(group): choose_days(seed, draw.program_id, *week, group) for group in groups
        }
        return recomputed == draw.group_days and all(
            test.day.isoweekday() in draw.group_days.get(str(test.tests_per_week), [])
            for test in tests
        )
    if draw.algorithm_version == ALGORITHM_VERSION:
        return all(
            is_called(seed, draw.program_id, test.day, test.participant_id, test.tests_per_week)
            for test in tests
        )
    return False


# ---------------------------------------------------------------------------------------------
# The weekly draw


def new_seed() -> str:
    """A week's secret seed: 32 bytes from the operating system's CSPRNG, in hexadecimal."""
    return secrets.token_hex(32)


def test_draw_make(
    *, program: Program, iso_year: int, iso_week: int, now: datetime.datetime
) -> TestDraw:
    """The program's draw for the ISO week, made once: a second call (or a concurrent one)
    returns the same draw and schedules nothing more. See `_draw_week`."""
    return _draw_week(program, iso_year, iso_week, now)[0]


def _draw_week(
    program: Program, iso_year: int, iso_week: int, now: datetime.datetime
) -> tuple[TestDraw, bool]:
    """Draws the week with a fresh secret seed and schedules a random urine test for each day
    on which each participant is called (`is_called`, with their tests per week in force on
    the week's Monday), skipping days already past (program-local) and days inside a blackout
    of the participant. Returns the draw and whether this call made it."""
    week = {"program": program, "iso_year": iso_year, "iso_week": iso_week}
    existing = TestDraw.objects.filter(**week).first()
    if existing is not None:
        return existing, False
    monday = datetime.date.fromisocalendar(iso_year, iso_week, 1)
    enrollments = enrollments_to_test(program.pk, monday).filter(
        tests_per_week__gte=1, tests_per_week__lte=7
    )
    with audited_write(None):
        roster = list(enrollments.order_by().values_list("participant_id", "tests_per_week"))
        seed = new_seed()
        # ON CONFLICT DO NOTHING: a concurrent tick waits for the first one's draw and keeps it.
        TestDraw.objects.bulk_create(
            [TestDraw(**week, seed=seed, algorithm_version=ALGORITHM_VERSION, drawn_at=now)],
            ignore_conflicts=True,
        )
        draw = TestDraw.objects.get(**week)
        if draw.seed != seed:
            return draw, False
        today = program_today(program, now)
        days = [monday + datetime.timedelta(days=n) for n in range(len(WEEKDAYS))]
        calls = [
            DrawnTest(participant_id, day, tests_per_week)
            for participant_id, tests_per_week in roster
            for day in days
            if day >= today
            and is_called(bytes.fromhex(seed), program.pk, day, participant_id, tests_per_week)
        ]
        draw.tests_scheduled = _schedule_tests(draw, calls, now)  # the draw's count was 0
    return draw, True


def _schedule_tests(draw: TestDraw, calls: list[DrawnTest], now: datetime.datetime) -> int:
    """One statement: a test for each call not inside one of the participant's blackouts nor
    already scheduled by the draw (the participant, draw and day are unique), added to the
    draw's count. Returns the count of tests added."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH scheduled AS (
                INSERT INTO compliance_drugtest
                    (participant_id, program_id, reason, draw_id, test_group, scheduled_for,
                     specimen_type, status, status_changed_at, collection_site,
                     chain_of_custody_id, panel, admitted_use, status_note, order_reason,
                     created_at)
                SELECT called.participant_id, %s, %s, %s, called.tests_per_week, called.day,
                       %s, %s, %s, '', '', '{}', '{}', '', '', now()
                FROM unnest(%s::integer[], %s::smallint[], %s::date[])
                    AS called (participant_id, tests_per_week, day)
                WHERE NOT EXISTS (
                    SELECT 1 FROM compliance_blackoutperiod AS blackout
                    WHERE blackout.participant_id = called.participant_id
                        AND blackout.starts_on <= called.day
                        AND (blackout.ends_on IS NULL OR blackout.ends_on >= called.day)
                )
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            UPDATE compliance_testdraw
            SET tests_scheduled = tests_scheduled + (SELECT count(*) FROM scheduled)
            WHERE id = %s
            RETURNING (SELECT count(*) FROM scheduled)
            """,
            [
                draw.program_id,
                TestReason.RANDOM,
                draw.pk,
                SpecimenType.URINE,
                TestStatus.SCHEDULED,
                now,
                [call.participant_id for call in calls],
                [call.tests_per_week for call in calls],
                [call.day for call in calls],
                draw.pk,
            ],
        )
        return cursor.fetchone()[0]


# ---------------------------------------------------------------------------------------------
# A court testing order within a drawn week


def order_calls_add(*, order: TestingOrder, now: datetime.datetime) -> int:
    """Makes a court testing order count in the weeks its program has already drawn (the
    current one, and the next once Sunday's draw time has passed), which read the frequency
    of their Monday: each day of the order still to be called in them (from the program-local
    today, or tomorrow once today's call list time has passed) is drawn again with the
    participant's frequency in force that day (the order's, `with_testing_frequency`), from
    the week's stored seed. A higher frequency calls a superset of the days of a lower one
    (`is_called`), so this only adds tests: one random test per newly called day outside the
    participant's blackouts, recording the frequency it was drawn with, sealed like every
    drawn test, counted on the draw; `draw_verify` checks each against its own frequency. A
    lower frequency removes nothing (docs/decisions/0009-daily-random-draw.md). Weeks not yet
    drawn read the order when they are. Runs in the caller's transaction; a second call adds
    nothing. Returns the number of tests added."""
    program = order.program
    today = program_today(program, now)
    settings = program_settings_in_force(program, today)
    first = max(order.starts_on, today)
    if first == today and (settings is None or _call_list_published(program, settings, now)):
        # Today's list is out (or, without settings, never will be): too late to be called today.
        first = today + datetime.timedelta(days=1)
    if first > order.ends_on:
        return 0
    first_year, first_week, _ = first.isocalendar()
    drawn = TestDraw.objects.filter(
        Q(iso_year__gt=first_year) | Q(iso_year=first_year, iso_week__gte=first_week),
        program=program,
        algorithm_version=ALGORITHM_VERSION,
    ).order_by("iso_year", "iso_week")
    week_days = {
        draw: [
            day
            for weekday in WEEKDAYS
            if first
            <= (day := datetime.date.fromisocalendar(draw.iso_year, draw.iso_week, weekday))
            <= order.ends_on
        ]
        for draw in drawn
    }
    days = sorted(day for days_of_week in week_days.values() for day in days_of_week)
    if not days:
        return 0
    frequency = dict(_frequencies_on(program, order.participant_id, days))
    added = 0
    for draw, draw_days in week_days.items():
        seed = bytes.fromhex(draw.seed)
        calls = [
            DrawnTest(order.participant_id, day, frequency[day])
            for day in draw_days
            if day in frequency
            and is_called(seed, program.pk, day, order.participant_id, frequency[day])
        ]
        if calls:
            added += _schedule_tests(draw, calls, now)
    return added


def _frequencies_on(
    program: Program, participant_id: int, days: list[datetime.date]
) -> list[tuple[datetime.date, int]]:
    """The participant's tests per week in force on each day, in one statement (a UNION ALL
    of the draw's roster query, one branch per day); no row for a day they are not to be
    tested (not active in the program, or without a phase)."""
    branches = [
        enrollments_to_test(program.pk, day)
        .filter(participant_id=participant_id, tests_per_week__gte=1, tests_per_week__lte=7)
        .annotate(day=Value(day, output_field=DateField()))
        .order_by()
        .values_list("day", "tests_per_week")
        for day in days
    ]
    return list(branches[0].union(*branches[1:], all=True))


def draws_of(program: Program) -> QuerySet[TestDraw]:
    """The program's draws, newest week first (the audit page)."""
    return TestDraw.objects.filter(program=program).order_by("-iso_year", "-iso_week")


def draws_audited(
    draws: Iterable[TestDraw], today: datetime.date
) -> list[tuple[TestDraw, bool | None]]:
    """Each draw with whether it verifies (`draw_verify`) once its week is over, None while
    the week is sealed. One query loads the tests of every ended week."""
    draws = list(draws)
    this_week = today.isocalendar()[:2]
    ended = [draw for draw in draws if (draw.iso_year, draw.iso_week) < this_week]
    tests: dict[int, list[DrawnTest]] = {draw.pk: [] for draw in ended}
    rows = DrugTest.objects.filter(draw__in=ended).values_list(
        "draw_id", "participant_id", "scheduled_for", "test_group"
    )
    for draw_id, participant_id, day, tests_per_week in rows.order_by():
        tests[draw_id].append(DrawnTest(participant_id, day, tests_per_week))
    return [
        (draw, draw_verify(draw, tests[draw.pk]) if draw.pk in tests else None) for draw in draws
    ]


# ---------------------------------------------------------------------------------------------
# The daily call list


def _local_moment(day: datetime.date, at: datetime.time, program: Program) -> datetime.datetime:
    """The instant a program-local wall-clock time happens on `day`, in UTC. A time the clocks
    skip (02:30 when they spring forward) falls an hour later, after the jump; a time they
    repeat (01:30 when they fall back) means its first occurrence."""
    return datetime.datetime.combine(day, at, tzinfo=program.zone).astimezone(datetime.UTC)


def _call_list_published(
    program: Program, settings: ProgramSettings, now: datetime.datetime
) -> bool:
    return now >= _local_moment(program_today(program, now), settings.call_list_time, program)


def _blackouts_on(day: datetime.date) -> QuerySet[BlackoutPeriod]:
    return BlackoutPeriod.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        participant=OuterRef("participant"),
        starts_on__lte=day,
    )


def call_list_publish(*, program: Program, day: datetime.date, now: datetime.datetime) -> int:
    """Publishes the program's call list of `day` (its program-local today): of the scheduled
    tests not yet notified, those of a participant in a blackout or no longer active in the
    program are excused; the others are notified now, their collection window (program
    settings in force that day, by specimen) starts, and the participants are sent a notice
    after commit. Set-based; a second call changes and sends nothing. Returns how many were
    notified."""
    if day != program_today(program, now):
        raise ValidationError("A call list is published on its own day only.")
    settings = program_settings_in_force(program, day)
    if settings is None:
        raise ValidationError("The program has no settings in force; a coordinator must set it up.")
    return _publish(program, settings, day, now)


def _publish(
    program: Program, settings: ProgramSettings, day: datetime.date, now: datetime.datetime
) -> int:
    due = DrugTest.objects.filter(
        program=program, scheduled_for=day, status=TestStatus.SCHEDULED, notified_at__isnull=True
    )
    # The tick calls this every 15 minutes all day: once the list is out, one query.
    if not due.exists():
        return 0
    blackouts = _blackouts_on(day)
    blackout_label = Case(
        *[When(reason=reason, then=Value(label)) for reason, label in BlackoutReason.choices]
    )
    active = Enrollment.objects.filter(
        participant=OuterRef("participant"), program=program, status=EnrollmentStatus.ACTIVE
    )
    collect_by = Case(
        *[
            When(specimen_type=kind, then=Value(now + collection_window(settings, kind)))
            for kind in SpecimenType
        ],
        output_field=DateTimeField(),
    )
    with audited_write(None):
        due.filter(Exists(blackouts)).update(
            status=TestStatus.EXCUSED,
            status_changed_at=now,
            status_note=Concat(
                Value("Blackout: "),
                Subquery(blackouts.annotate(label=blackout_label).values("label")[:1]),
            ),
        )
        due.exclude(Exists(active)).update(
            status=TestStatus.EXCUSED,
            status_changed_at=now,
            status_note="No longer active in the program on the day of the call",
        )
        called = list(
            due.select_related("participant").select_for_update(of=("self",)).order_by("pk")
        )
        DrugTest.objects.filter(pk__in=[test.pk for test in called]).update(
            notified_at=now, collect_by=collect_by
        )
        notices = [
            TestNotice(
                participant_id=test.participant_id,
                name=test.participant.preferred_name or test.participant.legal_first_name,
                phone=test.participant.phone,
                email=test.participant.email,
                day=day,
                specimen=SpecimenType(test.specimen_type).label,
                collect_by=timezone.localtime(
                    now + collection_window(settings, test.specimen_type), program.zone
                ).strftime("%H:%M"),
            )
            for test in called
        ]
        if notices:
            transaction.on_commit(partial(_send_notices, program.pk, notices))
    return len(called)


def _send_notices(program_id: int, notices: list[TestNotice]) -> None:
    # The tests are notified already: a sender that fails must not undo that or stop the tick
    # for other programs; it is logged for staff to call the participants.
    try:
        notice_sender().send(notices)
    except Exception:
        logger.exception("Sending %s test notices of program %s failed.", len(notices), program_id)


def call_list_for(
    *, program: Program, day: datetime.date, now: datetime.datetime
) -> QuerySet[DrugTest]:
    """The published call list of `day`, by participant name: empty unless `day` is the
    program-local today and its call list time has passed (the list is secret until then)."""
    if day != program_today(program, now):
        return DrugTest.objects.none()
    settings = program_settings_in_force(program, day)
    if settings is None or not _call_list_published(program, settings, now):
        return DrugTest.objects.none()
    return (
        DrugTest.objects.filter(program=program, scheduled_for=day, notified_at__isnull=False)
        .exclude(status=TestStatus.EXCUSED)
        .select_related("participant")
        .order_by("participant__legal_last_name", "participant__legal_first_name", "pk")
    )


# ---------------------------------------------------------------------------------------------
# The beat tick


def testing_tick(*, now: datetime.datetime | None = None) -> dict[str, int]:  # noqa: PT028
    """Beat runs it every 15 minutes. For each active program, at its local time: makes the
    current ISO week's draw if it is missing (its past days get nothing), makes next week's
    once the draw time of this week's Sunday has passed, and publishes today's call list once
    its time has passed. Idempotent: any number of runs make each draw and notify each test
    once. A program that fails is logged and the others go on. Returns counts for the log."""
    now = now or timezone.now()
    counts = dict.fromkeys(("programs", "draws", "tests_scheduled", "notified", "failed"), 0)
    for program in Program.objects.filter(is_active=True).order_by("pk"):
        try:
            made, scheduled, notified = _tick_program(program, now)
        except Exception:
            logger.exception("The testing tick failed for program %s.", program.pk)
            counts["failed"] += 1
            continue
        counts["programs"] += 1
        counts["draws"] += made
        counts["tests_scheduled"] += scheduled
        counts["notified"] += notified
    logger.info("Testing tick: %s", counts)
    return counts


def _tick_program(program: Program, now: datetime.datetime) -> tuple[int, int, int]:
    today = program_today(program, now)
    settings = program_settings_in_force(program, today)
    if settings is None:
        return 0, 0, 0
    iso_year, iso_week, _ = today.isocalendar()
    sunday = datetime.date.fromisocalendar(iso_year, iso_week, 7)
    weeks = [(iso_year, iso_week)]
    if now >= _local_moment(sunday, settings.draw_time, program):
        next_week = (sunday + datetime.timedelta(days=1)).isocalendar()
        weeks.append((next_week.year, next_week.week))
    made = scheduled = 0
    for year, week in weeks:
        draw, created = _draw_week(program, year, week, now)
        if created:
            made, scheduled = made + 1, scheduled + draw.tests_scheduled
    notified = 0
    if _call_list_published(program, settings, now):
        notified = _publish(program, settings, today, now)
    return made, scheduled, notified


# The service names start with "test"; pytest must not collect them where tests import them.
test_draw_make.__test__ = False  # type: ignore[attr-defined]
testing_tick.__test__ = False  # type: ignore[attr-defined]
