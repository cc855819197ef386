"""Demo participants for `seed_demo`: 60 people across statuses and phases, spread over both
demo case managers, some with the demo probation officer and defence attorney on the team.
Deterministic (a fixed random seed) and idempotent (skipped once the demo case numbers exist)."""

import datetime
import random

from django.db import transaction

from drugcourt.models import Program, User

from . import services
from .models import Enrollment, EnrollmentStatus, TeamRole
from .services import ChargeData, EmergencyContactData, EnrollmentData, IdentifierData

FIRST_NAMES = [
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Jennifer",
    "William",
    "Elizabeth",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "Tyler",
    "Amanda",
    "Ryan",
    "Melissa",
    "Jacob",
    "Deborah",
    "Gary",
    "Stephanie",
    "Nicholas",
    "Rebecca",
    "Eric",
    "Laura",
    "Jonathan",
    "Sharon",
    "Juan",
    "Cynthia",
    "Luis",
    "Angela",
    "Marcus",
    "Tamika",
    "Dwayne",
    "Rosa",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Washington",
    "Begay",
    "Yazzie",
    "Kowalski",
    "Novak",
    "Okafor",
    "Haddad",
    "Petrov",
    "Lindqvist",
    "Oyelaran",
]
CHARGES = (
    ("720 ILCS 570/402(c)", "Possession of a controlled substance"),
    ("720 ILCS 646/60", "Possession of methamphetamine"),
    ("720 ILCS 5/16-25", "Retail theft"),
    ("625 ILCS 5/11-501", "Driving under the influence, third offense"),
    ("720 ILCS 5/19-1", "Burglary"),
    ("720 ILCS 570/406.1", "Controlled substance trafficking, low quantity"),
)
# (status, phase or None, how many)
PLAN = (
    (EnrollmentStatus.REFERRED, None, 5),
    (EnrollmentStatus.SCREENING, None, 5),
    (EnrollmentStatus.DECLINED, None, 3),
    (EnrollmentStatus.ACTIVE, 1, 9),
    (EnrollmentStatus.ACTIVE, 2, 9),
    (EnrollmentStatus.ACTIVE, 3, 7),
    (EnrollmentStatus.ACTIVE, 4, 5),
    (EnrollmentStatus.ACTIVE, 5, 4),
    (EnrollmentStatus.ABSCONDED, 2, 2),
    (EnrollmentStatus.GRADUATED, 5, 5),
    (EnrollmentStatus.TERMINATED, 2, 3),
    (EnrollmentStatus.WITHDRAWN, 1, 2),
    (EnrollmentStatus.NEUTRAL_DISCHARGE, 3, 1),
)
CASE_PREFIX = "LV-DC-"


@transaction.atomic
def seed_demo_participants(program: Program, staff: dict[str, User]) -> None:
    if Enrollment.objects.filter(program=program, case_number__startswith=CASE_PREFIX).exists():
        return
    rng = random.Random(2026)  # noqa: S311  (demo data, not security)
    today = datetime.date.today()  # noqa: DTZ011  (a demo history ends around today)
    coordinator = staff["coordinator"]
    number = 0
    for status, phase, count in PLAN:
        for _ in range(count):
            number += 1
            manager = staff["casemanager"] if number % 2 else staff["casemanager2"]
            referred = today - datetime.timedelta(days=rng.randint(20, 700))
            participant = services.participant_intake(
                person=_person(rng, number),
                enrollment=EnrollmentData(
                    program=program,
                    case_number=f"{CASE_PREFIX}{number:04d}",
                    referral_date=referred,
                    referral_source=rng.choice(["defence", "prosecutor", "probation", "jail"]),
                    referring_agency="Lakeview County Jail" if number % 3 == 0 else "",
                    charges=[_charge(rng, referred)],
                ),
                identifiers=[IdentifierData(kind="state_id", value=f"LV{100000 + number}")],
                emergency_contacts=[
                    EmergencyContactData(
                        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        relationship=rng.choice(["Mother", "Sister", "Partner", "Friend"]),
                        phone=f"(555) 01{number:02d}-{rng.randint(1000, 9999)}",
                    )
                ],
                actor=manager,
            )
            enrollment = participant.enrollments.get()
            _walk_lifecycle(enrollment, status, referred, today, rng, actor=manager)
            if phase and enrollment.phase:
                # Phase decisions belong to the court (a later issue); demo history only.
                Enrollment.objects.filter(pk=enrollment.pk).update(phase=phase)
            if status == EnrollmentStatus.ACTIVE and number % 3 == 0:
                services.assignment_create(
                    participant=participant,
                    user=staff["probation"],
                    team_role=TeamRole.PROBATION_OFFICER,
                    actor=coordinator,
                )
            if status not in (EnrollmentStatus.REFERRED, EnrollmentStatus.DECLINED) and number % 2:
                services.assignment_create(
                    participant=participant,
                    user=staff["defence"],
                    team_role=TeamRole.DEFENCE_ATTORNEY,
                    actor=coordinator,
                )


def _person(rng: random.Random, number: int) -> dict:
    first, last = FIRST_NAMES[number - 1], LAST_NAMES[number - 1]
    born = datetime.date(rng.randint(1965, 2003), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "legal_first_name": first,
        "legal_last_name": last,
        "preferred_name": first[:3] if number % 11 == 0 else "",
        "aliases": [f"{first[0]}. {last}"] if number % 7 == 0 else [],
        "date_of_birth": born,
        "sex": "female" if number % 2 == 0 else "male",
        "races": [rng.choice(["white", "black", "american_indian", "asian", "other"])],
        "ethnicity": rng.choice(["hispanic", "not_hispanic", "not_hispanic", "not_hispanic"]),
        "is_veteran": number % 9 == 0,
        "primary_language": "Spanish" if number % 10 == 0 else "English",
        "needs_interpreter": number % 20 == 0,
        "phone": f"(555) 02{number:02d}-{rng.randint(1000, 9999)}",
        "city": "Lakeview",
        "state": "IL",
    }


def _charge(rng: random.Random, referred: datetime.date) -> ChargeData:
    statute, description = rng.choice(CHARGES)
    arrest = referred - datetime.timedelta(days=rng.randint(5, 60))
    return ChargeData(
        statute=statute,
        description=description,
        offense_date=arrest,
        arrest_date=arrest,
        court_case_number=f"2026-CF-{rng.randint(100, 9999)}",
    )


def _walk_lifecycle(enrollment, target, referred, today, rng, *, actor) -> None:
    """Moves a new enrollment to `target` through the real lifecycle service."""
    entered = min(referred + datetime.timedelta(days=rng.randint(10, 30)), today)
    steps = {
        EnrollmentStatus.REFERRED: [],
        EnrollmentStatus.SCREENING: [("screening", referred)],
        EnrollmentStatus.DECLINED: [("screening", referred), ("declined", entered)],
        EnrollmentStatus.ACTIVE: [("screening", referred), ("active", entered)],
    }
    exit_day = min(entered + datetime.timedelta(days=rng.randint(60, 400)), today)
    path = steps.get(target, [("screening", referred), ("active", entered), (target, exit_day)])
    reasons = {
        "screening": "Eligibility screening scheduled.",
        "active": "Plea entered; participation agreement signed.",
        "declined": "Not legally eligible: disqualifying prior offense.",
        "absconded": "Failed to appear; bench warrant issued.",
        "graduated": "Completed all phase requirements.",
        "terminated": "Repeated new offenses; terminated by the court.",
        "withdrawn": "Chose to return to the regular docket.",
        "neutral_discharge": "Moved out of state for family medical care.",
    }
    for to_status, day in path:
        services.enrollment_change_status(
            enrollment=enrollment,
            to_status=to_status,
            effective_date=day,
            reason=reasons[to_status],
            entry_type="post_plea" if enrollment.pk % 3 else "pre_plea",
            actor=actor,
        )
