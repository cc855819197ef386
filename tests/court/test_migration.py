"""Court appointments made before the court app become docket entries of court sessions
(court/migrations/0002_hearings_from_court_appointments): the court app is migrated back to
0001, court appointments are made as they were then, and it is migrated forward again.

0002 changes no table, so the rows are made with today's models of clients and drugcourt,
whose tables are the same on both sides of it."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clients.models import Appointment, AppointmentKind
from court.models import CourtSession, DocketEntry
from drugcourt.append_only import protect_append_only_tables
from drugcourt.roles import Role
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("court", "0001_initial")]
AFTER = [("court", "0002_hearings_from_court_appointments")]
CHICAGO = datetime.timezone(datetime.timedelta(hours=-6))  # CST, for the dates below


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _migrate_to_latest():
    """Every app to its newest migration, as the rest of the suite expects the schema (court
    migrations after 0002 are unapplied while the test runs), with the history tables it
    made again append-only as `migrate` leaves them (its post_migrate)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    protect_append_only_tables(connection)


def _at(day, hour, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def before_the_court_app():
    _migrate(BEFORE)
    try:
        yield
    finally:
        _migrate_to_latest()


def test_court_appointments_become_docket_entries(before_the_court_app, capsys):
    here, there = ProgramFactory(name="Here"), ProgramFactory(name="There")
    judge = UserFactory(roles=[Role.JUDGE], programs=[here])
    UserFactory(roles=[Role.JUDGE], programs=[here], is_active=False)  # left: not counted
    UserFactory(roles=[Role.JUDGE], programs=[there])
    UserFactory(roles=[Role.JUDGE], programs=[there])
    staff = UserFactory(roles=[Role.CASE_MANAGER], programs=[here, there])
    ada = ParticipantFactory(legal_first_name="Ada", created_by=staff)
    ada_there = EnrollmentFactory(
        participant=ada, program=there, referral_date=datetime.date(2025, 1, 6)
    )
    ada_here = EnrollmentFactory(
        participant=ada, program=here, referral_date=datetime.date(2026, 1, 5)
    )
    ben_here = EnrollmentFactory(program=here, participant__created_by=staff)
    nobody = ParticipantFactory(legal_first_name="Cy", created_by=staff)

    def hearing(participant, when, location, outcome="", reason="", program=here):
        return Appointment.objects.create(
            participant=participant,
            program=program,
            kind=AppointmentKind.COURT,
            scheduled_at=when,
            location=location,
            outcome=outcome,
            outcome_reason=reason,
            outcome_recorded_by=staff if outcome else None,
            outcome_recorded_at=when + datetime.timedelta(hours=1) if outcome else None,
            created_by=staff,
        )

    attended = hearing(ada, _at(23, 9), "Courtroom 3B", "attended")
    missed = hearing(ben_here.participant, _at(23, 9, 30), " courtroom 3b ", "missed")
    late = hearing(ben_here.participant, _at(23, 10), "Courtroom 4", "late")
    # 21:30 in Chicago is the 24th in UTC: the program's day decides.
    excused = hearing(ada, _at(23, 21, 30), "", "excused", "In hospital")
    # Made before hearings had a program: the newest enrollment's program.
    cancelled = hearing(ada, _at(30, 9), "Courtroom 3B", "cancelled", "Rescheduled", None)
    elsewhere = hearing(ada, _at(24, 9), "Courtroom 1", program=there)
    twice = hearing(ada, _at(23, 14), "Courtroom 3B", "attended")
    unenrolled = hearing(nobody, _at(23, 9), "Courtroom 3B", program=None)
    meeting = Appointment.objects.create(
        participant=ada,
        kind=AppointmentKind.CASE_MANAGER,
        scheduled_at=_at(23, 9),
        created_by=staff,
    )

    _migrate(AFTER)

    def entry(appointment):
        return DocketEntry.objects.select_related("session").get(appointment=appointment)

    sessions = {
        (s.program.name, s.held_on.day, s.courtroom): (s.start_time, s.judge)
        for s in CourtSession.objects.select_related("program", "judge")
    }
    assert sessions == {
        ("Here", 23, "Courtroom 3B"): (datetime.time(9, 0), judge),
        ("Here", 23, "Courtroom 4"): (datetime.time(10, 0), judge),
        ("Here", 23, "Courtroom"): (datetime.time(21, 30), judge),
        ("Here", 30, "Courtroom 3B"): (datetime.time(9, 0), judge),
        ("There", 24, "Courtroom 1"): (datetime.time(9, 0), None),
    }
    assert entry(attended).session == entry(missed).session
    rows = {
        appointment.pk: (
            entry(appointment).enrollment,
            entry(appointment).appearance,
            entry(appointment).appearance_note,
            entry(appointment).recorded_by,
        )
        for appointment in (attended, missed, late, excused, cancelled, elsewhere)
    }
    assert rows == {
        attended.pk: (ada_here, "appeared", "", staff),
        missed.pk: (ben_here, "failed_to_appear", "", staff),
        late.pk: (ben_here, "appeared", "", staff),
        excused.pk: (ada_here, "excused", "In hospital", staff),
        cancelled.pk: (ada_here, "removed", "Rescheduled", staff),
        elsewhere.pk: (ada_there, "", "", None),
    }
    migrated = entry(attended)
    assert (migrated.placed_by, migrated.placed_at, migrated.recorded_at) == (
        staff,
        attended.created_at,
        attended.outcome_recorded_at,
    )
    assert migrated.session.created_by == staff
    # The appointments themselves keep their time and outcome.
    attended_now = Appointment.objects.get(pk=attended.pk)
    assert (attended_now.scheduled_at, attended_now.outcome) == (_at(23, 9), "attended")
    # Left as they were, and said so.
    assert not DocketEntry.objects.filter(appointment__in=[twice, unenrolled, meeting]).exists()
    out = capsys.readouterr().out
    assert "Court hearings: 6 placed on the dockets of 5 sessions." in out
    assert (
        f"1 court appointments left as they are: the participant has no enrollment in the "
        f"hearing's program (ids [{unenrolled.pk}])" in out
    )
    assert f"already has a hearing in that session (ids [{twice.pk}])" in out

    # Run again (back and forth): nothing is placed twice.
    _migrate(BEFORE)
    _migrate(AFTER)
    assert DocketEntry.objects.count() == 6
    assert CourtSession.objects.count() == 5
