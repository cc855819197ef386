"""The weekly random draw of drug tests, the daily call list, and the beat tick that makes both
at each program's local times.

Participants are grouped by their required tests per week (the group number is that
frequency). Once a week, before the ISO week starts, each group's test days are drawn among all
seven days, weekends and holidays included; each morning, that day's call list is published and
the participants on it are notified. The draw is reproducible from its stored seed
(`choose_days`, `draw_verify`), so an auditor can check after the week that nobody chose the
days.
"""

import datetime
import hashlib
import hmac
import itertools
import logging
import secrets
from collections.abc import Iterable, Iterator
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
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
from drugcourt.selectors import program_settings_in_force
from drugcourt.services import program_today

from .models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    SpecimenType,
    TestDraw,
    TestReason,
    TestStatus,
)
from .notifications import TestNotice, notice_sender
from .selectors import enrollments_to_test
from .services import collection_window

logger = logging.getLogger(__name__)

ALGORITHM_VERSION = "hmac-sha256-fisher-yates-v1"
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: 1 = Monday ... 7 = Sunday


# ---------------------------------------------------------------------------------------------
# The algorithm (pure, for the auditor)


def choose_days(
    seed: bytes, program_id: int, iso_year: int, iso_week: int, group: int
) -> list[int]:
    """The ISO weekdays (1 = Monday ... 7 = Sunday) on which the group testing `group` times a
    week is called in that program's ISO week, sorted. Algorithm hmac-sha256-fisher-yates-v1:

    1. message = f"{program_id}:{iso_year}-W{iso_week:02d}:{group}" in ASCII, e.g. "7:2026-W45:3".
    2. A byte stream: HMAC-SHA256(key=seed, msg=message), then, if more bytes are needed,
       HMAC-SHA256(key=seed, msg=message + "#1"), message + "#2", ... (32 bytes each).
    3. A uniform number below n (n = 2..7) takes the next byte b of the stream; a byte
       b >= 256 - (256 mod n) is skipped (rejection sampling, so that no value is more likely
       than another), otherwise the number is b mod n.
    4. Fisher-Yates shuffle of [1, 2, 3, 4, 5, 6, 7]: for i = 6 down to 1, j = a uniform number
       below i + 1 (step 3), swap positions i and j (0-based).
    5. The group takes the first `group` weekdays of the shuffled list, sorted.

    Every weekday is equally likely for every group, weekends included, and each group's days
    are drawn independently of the other groups' and of other weeks'.
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


def _group_days(
    seed: bytes, program_id: int, iso_year: int, iso_week: int, groups: Iterable[int]
) -> dict[str, list[int]]:
    return {
        str(group): choose_days(seed, program_id, iso_year, iso_week, group)
        for group in sorted(groups)
    }


def draw_verify(draw: TestDraw) -> bool:
    """Whether the stored seed gives the stored days for every group: what an auditor checks
    after the week. Pure (no query), so an audit page may verify every draw it lists."""
    if draw.algorithm_version != ALGORITHM_VERSION:
        return False
    groups = [int(group) for group in draw.group_days]
    recomputed = _group_days(
        bytes.fromhex(draw.seed), draw.program_id, draw.iso_year, draw.iso_week, groups
    )
    return recomputed == draw.group_days


# ---------------------------------------------------------------------------------------------
# The weekly draw


def test_draw_make(
    *, program: Program, iso_year: int, iso_week: int, now: datetime.datetime
) -> TestDraw:
    """The program's draw for the ISO week, made once: a second call (or a concurrent one)
    returns the same draw and schedules nothing more. See `_draw_week`."""
    return _draw_week(program, iso_year, iso_week, now)[0]


def _draw_week(
    program: Program, iso_year: int, iso_week: int, now: datetime.datetime
) -> tuple[TestDraw, bool]:
    """Draws the week with a fresh secret seed and schedules one random urine test per
    participant and drawn day of their group, skipping days already past (program-local) and
    days inside a blackout of the participant. Frequencies are those in force on the week's
    Monday. Returns the draw and whether this call made it."""
    week = {"program": program, "iso_year": iso_year, "iso_week": iso_week}
    existing = TestDraw.objects.filter(**week).first()
    if existing is not None:
        return existing, False
    monday = datetime.date.fromisocalendar(iso_year, iso_week, 1)
    enrollments = enrollments_to_test(program.pk, monday).filter(
        tests_per_week__gte=1, tests_per_week__lte=7
    )
    with audited_write(None):
        groups = enrollments.order_by().values_list("tests_per_week", flat=True).distinct()
        seed = secrets.token_hex(32)
        group_days = _group_days(bytes.fromhex(seed), program.pk, iso_year, iso_week, groups)
        # ON CONFLICT DO NOTHING: a concurrent tick waits for the first one's draw and keeps it.
        TestDraw.objects.bulk_create(
            [
                TestDraw(
                    **week,
                    seed=seed,
                    algorithm_version=ALGORITHM_VERSION,
                    group_days=group_days,
                    drawn_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        draw = TestDraw.objects.get(**week)
        if draw.seed != seed:
            return draw, False
        today = program_today(program, now)
        drawn = [
            (int(group), day)
            for group, weekdays in group_days.items()
            for day in (datetime.date.fromisocalendar(iso_year, iso_week, wd) for wd in weekdays)
            if day >= today
        ]
        draw.tests_scheduled = _schedule_tests(draw, enrollments, drawn, now)
    return draw, True


def _schedule_tests(
    draw: TestDraw,
    enrollments: QuerySet,  # annotated with tests_per_week (compliance.selectors)
    drawn: list[tuple[int, datetime.date]],
    now: datetime.datetime,
) -> int:
    """One statement: a test for each enrollment and each drawn (group, day) of its group, no
    day inside one of the participant's blackouts, and the draw's count of them."""
    rows = enrollments.order_by().values("participant_id", "tests_per_week")
    select_sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH scheduled AS (
                INSERT INTO compliance_drugtest
                    (participant_id, program_id, reason, draw_id, test_group, scheduled_for,
                     specimen_type, status, status_changed_at, collection_site,
                     chain_of_custody_id, panel, admitted_use, status_note, order_reason,
                     created_at)
                SELECT enrollment.participant_id, %s, %s, %s, drawn.test_group, drawn.day,
                       %s, %s, %s, '', '', '{{}}', '{{}}', '', '', now()
                FROM ({select_sql}) AS enrollment
                JOIN unnest(%s::smallint[], %s::date[]) AS drawn (test_group, day)
                    ON drawn.test_group = enrollment.tests_per_week
                WHERE NOT EXISTS (
                    SELECT 1 FROM compliance_blackoutperiod AS blackout
                    WHERE blackout.participant_id = enrollment.participant_id
                        AND blackout.starts_on <= drawn.day
                        AND (blackout.ends_on IS NULL OR blackout.ends_on >= drawn.day)
                )
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            UPDATE compliance_testdraw SET tests_scheduled = (SELECT count(*) FROM scheduled)
            WHERE id = %s
            RETURNING tests_scheduled
            """,  # noqa: S608  (the inner SQL is compiled by the ORM, with parameters)
            [
                draw.program_id,
                TestReason.RANDOM,
                draw.pk,
                SpecimenType.URINE,
                TestStatus.SCHEDULED,
                now,
                *params,
                [group for group, _ in drawn],
                [day for _, day in drawn],
                draw.pk,
            ],
        )
        return cursor.fetchone()[0]


def draws_of(program: Program) -> QuerySet[TestDraw]:
    """The program's draws, newest week first (the audit page)."""
    return TestDraw.objects.filter(program=program).order_by("-iso_year", "-iso_week")


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
