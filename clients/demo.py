"""Demo participants for `seed_demo`: 60 people across statuses and phases, spread over both
demo case managers, some with the demo probation officer and defence attorney on the team.
Deterministic (a fixed random seed) and idempotent (skipped once the demo case numbers exist).

Then their daily record: up to six months of contacts, follow-ups, appointments with outcomes,
life-domain history and incidents, written in bulk (the services check access row by row, too
slow for thousands of rows) with every field as the services fill it. Deterministic for a given
day and idempotent (skipped once the demo participants have contacts)."""

import datetime
import itertools
import random
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pgtrigger
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from drugcourt.audit import audited_write
from drugcourt.models import Organization, Program, User
from drugcourt.selectors import program_today

from . import consents, services
from .access import GATED_CLASSES
from .models import (
    CRIMINAL_JUSTICE_REVOCATION_TERMS,
    OPEN_STATUSES,
    REVOCATION_TERMS,
    Addendum,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    CaseAssignment,
    CaseManagementFunction,
    ConsentTrigger,
    Contact,
    ContactKind,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    FollowUp,
    Incident,
    IncidentCategory,
    IncidentSeverity,
    LifeDomain,
    LifeDomainRecord,
    SignatureMethod,
    TeamRole,
)
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
# The demo court sits every other Thursday, next on the first Thursday after today (court.demo
# sets up its sessions). Graduations, terminations and failures to appear happen there.
COURT_WEEKDAY = 3
COURT_EVERY = datetime.timedelta(weeks=2)
# The statuses a demo enrollment reaches at a hearing: its exit (or absconding) day is a court day.
AT_A_HEARING = (*services.HEARING_DECISIONS, EnrollmentStatus.ABSCONDED)


@transaction.atomic
def seed_demo_participants(program: Program, staff: dict[str, User]) -> None:
    if Enrollment.objects.filter(program=program, case_number__startswith=CASE_PREFIX).exists():
        return
    rng = random.Random(2026)  # noqa: S311  (demo data, not security)
    today = program_today(program)  # a demo history ends around today
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
            _walk_lifecycle(enrollment, status, referred, today, rng, actor=manager, staff=staff)
            if phase and enrollment.phase:
                # Phase decisions belong to the court (a later issue); demo history only.
                Enrollment.objects.filter(pk=enrollment.pk).update(phase=phase)
            if status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED):
                _demo_consent(enrollment, number, today, actor=manager)
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


def _demo_consent(enrollment: Enrollment, number: int, today: datetime.date, *, actor: User):
    """Most participants signed the program's criminal-justice consent at entry (to every
    court-side role and the providers, irrevocable until the final disposition); one in ten
    signed a plain one that expires in ten days (the expiry sweep alerts on it); one in ten
    none, so its Part 2 pages are withheld from the court."""
    if number % 10 == 3:
        return
    signed_on = enrollment.entry_date or enrollment.referral_date
    plain = number % 10 == 7
    participant = enrollment.participant
    consents.consent_record(
        participant=participant,
        enrollment=enrollment,
        participant_name=participant.legal_name,
        disclosing_party=f"{enrollment.program}: its coordinators and case managers",
        data_classes=sorted(GATED_CLASSES),
        information_description=(
            "Substance use disorder assessment, diagnosis, treatment plan and progress, "
            "attendance at treatment, staffing notes of treatment providers, and drug test "
            "results collected by the treatment program."
        ),
        recipients=[
            consents.RecipientData(program=enrollment.program, role=role)
            for role in consents.RECIPIENT_ROLES
        ],
        purpose="Monitoring the participant's progress and compliance in the drug court program.",
        revocation_terms=CRIMINAL_JUSTICE_REVOCATION_TERMS if not plain else REVOCATION_TERMS,
        expires_on=today + datetime.timedelta(days=10) if plain else None,
        expiry_event="" if plain else ConsentTrigger.ENROLLMENT_CLOSED,
        criminal_justice=not plain,
        irrevocable_until=None,
        irrevocable_until_event="" if plain else ConsentTrigger.FINAL_DISPOSITION,
        signature_method=SignatureMethod.ELECTRONIC,
        signed_by_name=participant.legal_name,
        acknowledged=True,
        signed_form=None,
        signed_on=signed_on,
        actor=actor,
    )


def next_court_day(today: datetime.date) -> datetime.date:
    """The demo court's next sitting: the first court weekday after today."""
    return today + datetime.timedelta(days=(COURT_WEEKDAY - today.weekday() - 1) % 7 + 1)


def court_day_on_or_before(day: datetime.date, today: datetime.date) -> datetime.date:
    """The demo court's last sitting on or before `day` (every other court weekday before
    its next sitting)."""
    upcoming = next_court_day(today)
    fortnights = -((day - upcoming).days // COURT_EVERY.days)  # rounded up
    return upcoming - COURT_EVERY * fortnights


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


# An admitted enrollment is completed by the court: graduation and termination at a hearing,
# which the court's demo holds, withdrawal and neutral discharge by the demo coordinator
# (court.demo.complete registers itself here from the court app's ready(): clients may not
# import court). Called with the enrollment, kind, day, reason and the demo staff.
_completion: list[Callable[..., object]] = []


def register_completion(complete: Callable[..., object]) -> None:
    _completion[:] = [complete]


def _walk_lifecycle(enrollment, target, referred, today, rng, *, actor, staff) -> None:
    """Moves a new enrollment to `target` through the real lifecycle services: the case
    manager admits (assessments' demo adds the screening and admission records behind it) and
    records the other changes; the judge graduates and terminates at a hearing on the exit day,
    the coordinator records withdrawals and neutral discharges (court's demo, through
    court.completion). That day, and the day an
    absconded participant failed to appear, is a sitting of the demo court
    (court_day_on_or_before); court's demo adds the failure to appear and its warrant."""
    entered = min(referred + datetime.timedelta(days=rng.randint(10, 30)), today)
    steps = {
        EnrollmentStatus.REFERRED: [],
        EnrollmentStatus.SCREENING: [("screening", referred)],
        EnrollmentStatus.DECLINED: [("screening", referred), ("declined", entered)],
        EnrollmentStatus.ACTIVE: [("screening", referred), ("active", entered)],
    }
    exit_day = min(entered + datetime.timedelta(days=rng.randint(60, 400)), today)
    if target in AT_A_HEARING:
        exit_day = max(court_day_on_or_before(exit_day, today), entered)
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
        if to_status == EnrollmentStatus.ACTIVE:
            services.enrollment_admit(
                enrollment=enrollment,
                effective_date=day,
                entry_type="post_plea" if enrollment.pk % 3 else "pre_plea",
                reason=reasons[to_status],
                actor=actor,
            )
        elif to_status in services.COMPLETION_TRANSITIONS[EnrollmentStatus.ACTIVE]:
            if not _completion:
                raise RuntimeError("The court app completes the demo's enrollments; it is missing.")
            _completion[0](
                enrollment=enrollment,
                kind=to_status,
                day=day,
                reason=reasons[to_status],
                staff=staff,
            )
        else:
            services.enrollment_change_status(
                enrollment=enrollment,
                to_status=to_status,
                effective_date=day,
                reason=reasons[to_status],
                actor=actor,
            )


# ---------------------------------------------------------------------------------------------
# The daily record of the demo participants

HISTORY = datetime.timedelta(days=182)  # the last six months of each enrollment
SCHEDULED_AHEAD = datetime.timedelta(days=14)  # appointments booked past today

# Days between two contacts (before entry the case manager mostly waits on screening).
CONTACT_GAP_DAYS = {
    EnrollmentStatus.SCREENING: (9, 16),
    EnrollmentStatus.ACTIVE: (5, 9),
    EnrollmentStatus.ABSCONDED: (6, 10),
}
CONTACT_KINDS = {
    EnrollmentStatus.SCREENING: {
        ContactKind.IN_PERSON: 6,
        ContactKind.PHONE: 4,
        ContactKind.VIDEO: 1,
    },
    EnrollmentStatus.ACTIVE: {
        ContactKind.IN_PERSON: 8,
        ContactKind.PHONE: 5,
        ContactKind.HOME_VISIT: 2,
        ContactKind.COLLATERAL: 3,
        ContactKind.COURT: 1,
        ContactKind.VIDEO: 1,
    },
}
CONTACT_MINUTES = {
    ContactKind.IN_PERSON: (20, 60),
    ContactKind.PHONE: (10, 25),
    ContactKind.VIDEO: (15, 30),
    ContactKind.HOME_VISIT: (30, 60),
    ContactKind.COLLATERAL: (10, 20),
    ContactKind.COURT: (15, 45),
}
CONTACT_LOCATIONS = {
    ContactKind.IN_PERSON: "Case management office",
    ContactKind.HOME_VISIT: "Participant's residence",
    ContactKind.COURT: "Courtroom 3B",
}
# The primary function once active: assessment and planning in the first weeks, then mostly
# monitoring.
FIRST_WEEKS_FUNCTIONS = {
    CaseManagementFunction.ASSESSMENT: 5,
    CaseManagementFunction.PLANNING: 3,
    CaseManagementFunction.LINKING: 2,
}
SETTLING_IN_FUNCTIONS = {
    CaseManagementFunction.PLANNING: 3,
    CaseManagementFunction.LINKING: 4,
    CaseManagementFunction.MONITORING: 3,
}
ROUTINE_FUNCTIONS = {
    CaseManagementFunction.MONITORING: 14,
    CaseManagementFunction.LINKING: 3,
    CaseManagementFunction.ADVOCACY: 2,
    CaseManagementFunction.PLANNING: 1,
}
SECOND_FUNCTION_SHARE = 0.3
SHARED_WITH_PROBATION_SHARE = 1 / 3

OPENINGS = {
    ContactKind.IN_PERSON: (
        "Met at the office.",
        "Office visit.",
        "Met after the morning drug test.",
    ),
    ContactKind.PHONE: ("Phone check-in.", "Called the participant.", "Participant called in."),
    ContactKind.VIDEO: ("Video check-in.", "Met by video because of a work shift."),
    ContactKind.HOME_VISIT: (
        "Home visit.",
        "Unannounced home visit; home in order, nothing of concern seen.",
    ),
}
BODIES = {
    CaseManagementFunction.ASSESSMENT: (
        "Completed the intake needs screening: reports daily use until the arrest and no "
        "treatment in the last two years.",
        "Went through the risk and needs questionnaire; housing and work are the main needs.",
        "Reviewed use and treatment history: one outpatient program in the past, not finished.",
        "Eligibility screening: no disqualifying priors so far, the record check is pending.",
    ),
    CaseManagementFunction.PLANNING: (
        "Drafted the case plan: IOP three evenings a week, weekly meetings here, job search.",
        "Went over the phase requirements and the participation agreement line by line.",
        "Set the goals for the month: steady attendance, a bus pass and a GED class.",
        "Updated the case plan after the phase review; added a budgeting goal.",
    ),
    CaseManagementFunction.LINKING: (
        "Referred to {service}; the intake is set for next week.",
        "Helped fill out the application for {service}.",
        "Called {service} together to confirm the start date.",
    ),
    CaseManagementFunction.MONITORING: (
        "Reports {days} days at the new {job}; attended all IOP groups this week.",
        "All tests this week were negative. Goes to {meetings} NA meetings a week.",
        "Missed one IOP group; says the bus was late. Talked through a back-up ride.",
        "Reports cravings after an argument at home; used the coping plan and called the sponsor.",
        "Curfew kept all week. Still at the {job}, asking for more hours.",
        "Rent paid on time this month; gets along with the housemates.",
    ),
    CaseManagementFunction.ADVOCACY: (
        "Asked the employer to move shifts so they fit the IOP schedule; agreed.",
        "Wrote a letter to the landlord supporting the lease application.",
        "Will ask the team at staffing for a travel permit to a family funeral.",
    ),
}
CLOSINGS = (
    "Reviewed the testing schedule.",
    "Next meeting set for next week.",
    "Reminded of the curfew and the next court date.",
    "Will follow up on Friday.",
    "No other concerns raised.",
)
JOBS = ("warehouse job", "restaurant job", "landscaping crew", "auto shop job", "hotel job")
SERVICES = (
    "the county job center",
    "the GED program at Lakeview Community College",
    "Medicaid",
    "Harbor House sober living",
    "the reduced-fare bus pass program",
    "the dental clinic",
)
# (function, people present, narrative)
COLLATERAL_NOTES = (
    (
        CaseManagementFunction.MONITORING,
        "Employer",
        "Spoke with the employer: steady attendance and on time.",
    ),
    (
        CaseManagementFunction.MONITORING,
        "IOP counselor, Harbor Light",
        "Spoke with the IOP counselor: attended all groups this week and takes part.",
    ),
    (
        CaseManagementFunction.MONITORING,
        "Mother",
        "Spoke with the participant's mother: things are calmer at home and curfew is kept.",
    ),
    (
        CaseManagementFunction.MONITORING,
        "House manager, Harbor House",
        "Spoke with the sober living house manager: chores done, house meetings attended.",
    ),
    (
        CaseManagementFunction.LINKING,
        "Clinic nurse",
        "Called the county clinic to set up the medication-assisted treatment intake.",
    ),
    (
        CaseManagementFunction.ADVOCACY,
        "Landlord",
        "Spoke with the landlord about a payment plan for the late rent.",
    ),
)
# (function, narrative)
COURT_NOTES = (
    (
        CaseManagementFunction.MONITORING,
        "Status hearing. The judge praised the negative tests and steady work.",
    ),
    (
        CaseManagementFunction.MONITORING,
        "Status hearing. The judge addressed a missed group and set curfew checks.",
    ),
    (
        CaseManagementFunction.ADVOCACY,
        "Staffing and hearing; recommended an incentive for 60 days of negative tests.",
    ),
    (
        CaseManagementFunction.ADVOCACY,
        "Asked the court for community service instead of jail for a missed test.",
    ),
)
# (kind, people present, narrative): the case manager looking for an absconded participant.
ABSCONDED_NOTES = (
    (ContactKind.PHONE, "", "Called the participant; the number is disconnected."),
    (ContactKind.PHONE, "", "Called and left a message to report to the office at once."),
    (
        ContactKind.HOME_VISIT,
        "",
        "Home visit; no answer. A neighbour has not seen the participant in a week.",
    ),
    (
        ContactKind.COLLATERAL,
        "Sister",
        "The participant's sister does not know where they are staying.",
    ),
    (
        ContactKind.COLLATERAL,
        "IOP counselor, Harbor Light",
        "Harbor Light: no attendance since the warrant.",
    ),
)
ERROR_REASON = "Written on the wrong participant's record; entered again on the right one."
ADDENDA = (
    "Correction: the IOP group was on Thursday, not Wednesday.",
    "The employer confirmed the hours by phone the next day.",
    "The lab result came back negative; see the testing record.",
    "The participant brought the signed referral form the following morning.",
)

# Days from today the next steps of each case manager's active participants are due, in turn:
# their "My day" shows some due today and overdue.
NEXT_STEP_DUE_IN_DAYS = (0, 6, -2, 10, 3, 13)
FOLLOW_UP_SHARE = 0.1  # of the other contacts
FOLLOW_UP_FORGOTTEN_SHARE = 0.03  # left open long after they were due
FOLLOW_UPS = (
    "Call Harbor Light about the IOP start date",
    "Get a pay stub for the employment check",
    "Confirm the bus pass renewal",
    "Send the progress report to the court before the hearing",
    "Check on the sober living bed",
    "Help with the GED class sign-up",
    "Confirm the community service hours with the site",
)

MEETING_TIMES = ((9, 0), (10, 0), (11, 0), (13, 30), (14, 30), (15, 30))
TREATMENT_WEEKDAYS = ((0, 2, 4), (1, 3), (0, 2), (1, 3, 4))
OUTCOME_WEIGHTS = {
    AppointmentOutcome.ATTENDED: 86,
    AppointmentOutcome.LATE: 6,
    AppointmentOutcome.EXCUSED: 4,
    AppointmentOutcome.MISSED: 4,
}
STRUGGLING_OUTCOME_WEIGHTS = {
    AppointmentOutcome.ATTENDED: 62,
    AppointmentOutcome.LATE: 10,
    AppointmentOutcome.EXCUSED: 6,
    AppointmentOutcome.MISSED: 22,
}
EXCUSES = (
    "Medical appointment; note provided.",
    "Work shift, approved in advance.",
    "Childcare emergency; called ahead.",
    "Funeral in the family.",
)

# Per domain, the paths a participant's situation takes: the first step holds at referral,
# the next ones are the changes while active. (status, detail, hours per week)
LIFE_DOMAIN_PATHS = {
    LifeDomain.EMPLOYMENT: (
        (
            ("unemployed_seeking", "", None),
            ("part_time", "Lakeshore Distribution, warehouse", 24),
            ("full_time", "Lakeshore Distribution, warehouse", 40),
        ),
        (("unemployed_seeking", "", None), ("part_time", "Rosie's Diner, line cook", 28)),
        (
            ("part_time", "Quick Lube, technician", 20),
            ("full_time", "Quick Lube, technician", 40),
        ),
        (("unemployed_not_seeking", "", None), ("unemployed_seeking", "", None)),
        (("full_time", "Lakeview Roofing, laborer", 45), ("unemployed_seeking", "", None)),
    ),
    LifeDomain.HOUSING: (
        (
            ("temporary", "Staying with a sister", None),
            ("sober_living", "Harbor House recovery residence", None),
            ("stable", "Apartment, own lease", None),
        ),
        (("stable", "Rents with a partner", None),),
        (("shelter", "Lakeview Mission", None), ("sober_living", "Harbor House", None)),
        (("homeless", "", None), ("shelter", "Lakeview Mission", None)),
    ),
    LifeDomain.EDUCATION: (
        (
            ("not_enrolled", "", None),
            ("ged_program", "Lakeview Community College adult education", None),
        ),
        (("not_enrolled", "", None),),
        (("enrolled", "Lakeview Community College, welding certificate", None),),
        (("ged_program", "Lakeview Public Library GED class", None), ("completed", "GED", None)),
    ),
    LifeDomain.TRANSPORTATION: (
        (("none", "", None), ("public_transit", "Monthly bus pass", None)),
        (("rides", "Rides from family", None), ("public_transit", "Monthly bus pass", None)),
        (("own_vehicle", "", None),),
        (("public_transit", "Monthly bus pass", None),),
    ),
}

# (category, severity, reported to court, description)
MINOR_INCIDENTS = (
    (
        IncidentCategory.CURFEW_VIOLATION,
        IncidentSeverity.LOW,
        False,
        "Not home at the 9 p.m. curfew check; arrived at 10:40 and said a shift ran late.",
    ),
    (
        IncidentCategory.CURFEW_VIOLATION,
        IncidentSeverity.MODERATE,
        True,
        "Out past curfew twice this week; the monitor shows a stop at a bar.",
    ),
    (
        IncidentCategory.POLICE_CONTACT,
        IncidentSeverity.LOW,
        False,
        "Stopped for a broken tail light; repair ticket only. Reported it the next day.",
    ),
    (
        IncidentCategory.FAILURE_TO_REPORT,
        IncidentSeverity.MODERATE,
        True,
        "Did not report for the weekly meeting or the drug test; no call.",
    ),
    (
        IncidentCategory.HOSPITALISATION,
        IncidentSeverity.MODERATE,
        False,
        "Admitted to Lakeview General for three days with pneumonia; groups excused.",
    ),
)
MINOR_INCIDENT_SHARE = 0.3  # of the participants who were ever active
ABSCONDING = (
    IncidentCategory.FAILURE_TO_REPORT,
    IncidentSeverity.HIGH,
    True,
    "Missed court and all appointments; whereabouts unknown. Bench warrant requested.",
)
# Handed out in turn to the terminated participants, shortly before their exit.
TERMINATION_INCIDENTS = (
    (
        IncidentCategory.NEW_ARREST,
        IncidentSeverity.HIGH,
        True,
        "Arrested for retail theft at a grocery store; held overnight at the county jail.",
    ),
    (
        IncidentCategory.OVERDOSE,
        IncidentSeverity.HIGH,
        True,
        "Opioid overdose at a friend's home; revived with naloxone by EMS, one night in hospital.",
    ),
    (
        IncidentCategory.NEW_ARREST,
        IncidentSeverity.HIGH,
        True,
        "Arrested for possession of a controlled substance during a traffic stop.",
    ),
)


@dataclass(frozen=True)
class Clock:
    program: Program
    now: datetime.datetime

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self.program.zone

    @property
    def today(self) -> datetime.date:
        return program_today(self.program, self.now)

    def day_of(self, moment: datetime.datetime) -> datetime.date:
        """The program's local date of a moment."""
        return program_today(self.program, moment)

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.zone)


@dataclass(frozen=True)
class DemoCase:
    """One demo enrollment, as much as its daily record needs."""

    participant_id: int
    manager: User
    status: str
    referral: datetime.date
    entry: datetime.date | None
    absconded: datetime.date | None
    end: datetime.date  # the exit date, or today while open
    with_probation: bool

    @property
    def start(self) -> datetime.date:
        return max(self.referral, self.end - HISTORY)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_struggling(self) -> bool:
        return self.status in (EnrollmentStatus.ABSCONDED, EnrollmentStatus.TERMINATED)

    def status_on(self, day: datetime.date) -> str:
        """SCREENING stands for referred and screening alike."""
        if self.entry is None or day < self.entry:
            return EnrollmentStatus.SCREENING
        if self.absconded and day >= self.absconded:
            return EnrollmentStatus.ABSCONDED
        return EnrollmentStatus.ACTIVE


@transaction.atomic
def seed_demo_daily_record(program: Program, staff: dict[str, User]) -> None:
    enrollments = Enrollment.objects.filter(program=program, case_number__startswith=CASE_PREFIX)
    if Contact.objects.filter(participant__enrollments__in=enrollments).exists():
        return
    rng = random.Random(2027)  # noqa: S311  (demo data, not security)
    clock = Clock(program, timezone.now())
    cases = _demo_cases(enrollments, clock.today)
    note_format = services.note_format_for(enrollments.first().participant, clock.now)
    termination_incidents = itertools.cycle(TERMINATION_INCIDENTS)
    for manager in dict.fromkeys(case.manager for case in cases):
        caseload = [case for case in cases if case.manager == manager]
        with audited_write(manager):
            _seed_contacts(caseload, clock, rng, note_format)
            Appointment.objects.bulk_create(
                _appointments(caseload, clock, rng, agency=staff["provider"].organization)
            )
            LifeDomainRecord.objects.bulk_create(
                row for case in caseload for row in _life_domains(case, rng)
            )
            Incident.objects.bulk_create(
                row for case in caseload for row in _incidents(case, rng, termination_incidents)
            )


def demo_case_managers(participants) -> dict[int, User]:
    """The case manager of each of `participants` (a queryset of their ids): the last one
    assigned, whose assignment ended with the enrollment when it closed (court.completion)."""
    return {
        assignment.participant_id: assignment.user
        for assignment in CaseAssignment.objects.filter(
            participant__in=participants, team_role=TeamRole.CASE_MANAGER
        )
        .select_related("user")
        .order_by("started_on", "pk")
    }


def _demo_cases(enrollments, today: datetime.date) -> list[DemoCase]:
    participants = enrollments.values("participant")
    managers = demo_case_managers(participants)
    with_probation = set(
        CaseAssignment.objects.filter(
            participant__in=participants, team_role=TeamRole.PROBATION_OFFICER
        ).values_list("participant", flat=True)
    )
    absconded_on = dict(
        EnrollmentStatusChange.objects.filter(
            enrollment__in=enrollments.filter(status=EnrollmentStatus.ABSCONDED),
            to_status=EnrollmentStatus.ABSCONDED,
        ).values_list("enrollment", "effective_date")
    )
    return [
        DemoCase(
            participant_id=enrollment.participant_id,
            manager=managers[enrollment.participant_id],
            status=enrollment.status,
            referral=enrollment.referral_date,
            entry=enrollment.entry_date,
            absconded=absconded_on.get(enrollment.pk),
            end=min(enrollment.exit_date or today, today),
            with_probation=enrollment.participant_id in with_probation,
        )
        for enrollment in enrollments.order_by("case_number")
    ]


# Contacts, addenda and follow-ups


def _seed_contacts(caseload: list[DemoCase], clock: Clock, rng: random.Random, note_format: str):
    notes = [(case, note) for case in caseload for note in _contacts(case, clock, rng, note_format)]
    a_week_ago = clock.now - datetime.timedelta(days=7)
    older = [note for _, note in notes if note.occurred_at < a_week_ago]
    wrong = rng.choice(older)
    wrong.entered_in_error, wrong.error_reason, wrong.version = True, ERROR_REASON, 2
    Contact.objects.bulk_create(note for _, note in notes)
    _lock_written_notes([note.pk for _, note in notes])
    FollowUp.objects.bulk_create(_follow_ups(notes, clock, rng))
    for note in rng.sample(older, 3):
        _add_addendum(note, rng)


def _contacts(
    case: DemoCase, clock: Clock, rng: random.Random, note_format: str
) -> Iterator[Contact]:
    """About weekly while active, every other week before entry; none in the future."""
    day = _weekday_from(case.start + datetime.timedelta(days=rng.randint(0, 4)))
    while day <= case.end:
        status = case.status_on(day)
        contact = _contact(case, status, day, clock, rng)
        contact.note_format = note_format
        if contact.occurred_at + datetime.timedelta(minutes=contact.duration_minutes) <= clock.now:
            yield contact
        gap = rng.randint(*CONTACT_GAP_DAYS[status])
        day = _weekday_from(day + datetime.timedelta(days=gap))


def _contact(
    case: DemoCase, status: str, day: datetime.date, clock: Clock, rng: random.Random
) -> Contact:
    kind, function, present, narrative = _note(case, status, day, rng)
    others = [f for f in CaseManagementFunction if f != function]
    return Contact(
        participant_id=case.participant_id,
        occurred_at=clock.at(day, rng.randint(8, 15), rng.choice((0, 15, 30, 45))),
        kind=kind,
        people_present=present,
        duration_minutes=rng.randint(*CONTACT_MINUTES[kind]),
        location=CONTACT_LOCATIONS.get(kind, ""),
        primary_function=function,
        other_functions=[rng.choice(others)] if rng.random() < SECOND_FUNCTION_SHARE else [],
        narrative=narrative,
        shared_with_supervision=case.with_probation and rng.random() < SHARED_WITH_PROBATION_SHARE,
        author=case.manager,
    )


def _note(
    case: DemoCase, status: str, day: datetime.date, rng: random.Random
) -> tuple[str, str, str, str]:
    """(kind, primary function, people present, narrative) of one contact."""
    if status == EnrollmentStatus.ABSCONDED:
        kind, present, narrative = rng.choice(ABSCONDED_NOTES)
        return kind, CaseManagementFunction.MONITORING, present, narrative
    kind = _weighted(rng, CONTACT_KINDS[status])
    if kind == ContactKind.COLLATERAL:
        function, present, narrative = rng.choice(COLLATERAL_NOTES)
        return kind, function, present, narrative
    if kind == ContactKind.COURT:
        function, narrative = rng.choice(COURT_NOTES)
        return kind, function, "Participant, drug court team", narrative
    function = _primary_function(case, status, day, rng)
    body = rng.choice(BODIES[function]).format(
        days=rng.randint(4, 60),
        job=rng.choice(JOBS),
        service=rng.choice(SERVICES),
        meetings=rng.randint(2, 4),
    )
    narrative = f"{rng.choice(OPENINGS[kind])} {body} {rng.choice(CLOSINGS)}"
    return kind, function, "Participant", narrative


def _primary_function(case: DemoCase, status: str, day: datetime.date, rng: random.Random) -> str:
    """Assessment early, planning around intake, then mostly monitoring."""
    if status == EnrollmentStatus.SCREENING:
        near_entry = case.entry is not None and (case.entry - day).days <= 10
        return CaseManagementFunction.PLANNING if near_entry else CaseManagementFunction.ASSESSMENT
    days_in = (day - case.entry).days
    if days_in < 14:
        return _weighted(rng, FIRST_WEEKS_FUNCTIONS)
    if days_in < 42:
        return _weighted(rng, SETTLING_IN_FUNCTIONS)
    return _weighted(rng, ROUTINE_FUNCTIONS)


def _lock_written_notes(pks: list[int]) -> None:
    """Each note was written right after its contact, so older notes are past the 24-hour edit
    window, as in real use. A correction of the seed, not a change: kept out of the history."""
    written = F("occurred_at") + F("duration_minutes") * datetime.timedelta(minutes=1)
    with pgtrigger.ignore("clients.Contact:update_update"):
        Contact.objects.filter(pk__in=pks).update(created_at=written, updated_at=written)


def _add_addendum(note: Contact, rng: random.Random) -> None:
    """A correction a few days after the note (created_at is set on create, so dated after)."""
    addendum = Addendum.objects.create(contact=note, author=note.author, text=rng.choice(ADDENDA))
    written = note.occurred_at + datetime.timedelta(days=rng.randint(1, 5))
    Addendum.objects.filter(pk=addendum.pk).update(created_at=written)


def _follow_ups(notes, clock: Clock, rng: random.Random) -> Iterator[FollowUp]:
    """The next step after the latest contact of every active participant (some due today,
    some overdue, the rest to come), and follow-ups of a few older contacts: done within days,
    but for a forgotten few."""
    latest = {case.participant_id: note for case, note in notes}
    next_steps_due_in = itertools.cycle(NEXT_STEP_DUE_IN_DAYS)
    for case, note in notes:
        day = note.occurred_at.date()
        if case.status == EnrollmentStatus.ACTIVE and note is latest[case.participant_id]:
            due = max(day, clock.today + datetime.timedelta(days=next(next_steps_due_in)))
        elif rng.random() < FOLLOW_UP_SHARE:
            due = day + datetime.timedelta(days=rng.randint(1, 7))
        else:
            continue
        done = not case.is_open or (
            due < clock.today - datetime.timedelta(days=2)
            and rng.random() >= FOLLOW_UP_FORGOTTEN_SHARE
        )
        yield FollowUp(
            participant_id=case.participant_id,
            contact=note,
            description=rng.choice(FOLLOW_UPS),
            due_on=due,
            assigned_to=case.manager,
            created_by=case.manager,
            completed_at=_completed_at(day, due, clock, rng) if done else None,
            completed_by=case.manager if done else None,
        )


def _completed_at(
    day: datetime.date, due: datetime.date, clock: Clock, rng: random.Random
) -> datetime.datetime:
    """Some afternoon after the contact, by the due date (or now, if that is still to come)."""
    finished = day + datetime.timedelta(days=rng.randint(1, (due - day).days))
    return min(clock.at(finished, 16, 30), clock.now)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _weekday_from(day: datetime.date) -> datetime.date:
    """The day itself, or the Monday after a weekend."""
    if day.weekday() > 4:
        return day + datetime.timedelta(days=7 - day.weekday())
    return day


# Appointments


def _appointments(
    caseload, clock: Clock, rng: random.Random, *, agency: Organization
) -> list[Appointment]:
    """Weekly case manager meetings, and while active IOP sessions at the agency (its service:
    its providers record them). Two participants of each case manager meet them on today's
    weekday. Court hearings are the court's (placed on dockets by court.services), not made
    here."""
    meeting_today = [case for case in caseload if case.status == EnrollmentStatus.ACTIVE][:2]
    rows = []
    for case in caseload:
        weekday = clock.today.weekday() if case in meeting_today else rng.randrange(5)
        rows += _meetings(case, weekday, clock, rng)
        if case.entry is not None:
            rows += _treatment(case, clock, rng, agency=agency)
    return rows


def _last_scheduled(case: DemoCase, clock: Clock) -> datetime.date:
    if not case.is_open:
        return case.end
    return clock.today if case.absconded else clock.today + SCHEDULED_AHEAD


def _meetings(case: DemoCase, weekday: int, clock: Clock, rng: random.Random):
    hour, minute = rng.choice(MEETING_TIMES)
    for day in _every_week(case.start, _last_scheduled(case, clock), weekday):
        yield _appointment(
            case,
            clock,
            rng,
            kind=AppointmentKind.CASE_MANAGER,
            scheduled_at=clock.at(day, hour, minute),
            duration_minutes=45,
            location="Case management office",
            with_whom=case.manager.get_full_name(),
            staff=case.manager,
        )


def _treatment(case: DemoCase, clock: Clock, rng: random.Random, *, agency: Organization):
    first = max(case.start, case.entry)
    last = case.absconded or _last_scheduled(case, clock)
    for weekday in rng.choice(TREATMENT_WEEKDAYS):
        for day in _every_week(first, last, weekday):
            yield _appointment(
                case,
                clock,
                rng,
                kind=AppointmentKind.TREATMENT,
                scheduled_at=clock.at(day, 18),
                duration_minutes=180,
                location=agency.name,
                with_whom="IOP group",
                organization=agency,
            )


def _every_week(first: datetime.date, last: datetime.date, weekday: int, weeks: int = 1):
    day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7)
    while day <= last:
        yield day
        day += datetime.timedelta(weeks=weeks)


def _appointment(case: DemoCase, clock: Clock, rng: random.Random, **fields) -> Appointment:
    appointment = Appointment(participant_id=case.participant_id, created_by=case.manager, **fields)
    if appointment.scheduled_at <= clock.now:
        _record_outcome(appointment, case, clock, rng)
    return appointment


def _record_outcome(appointment: Appointment, case: DemoCase, clock, rng) -> None:
    """Mostly attended; more misses for those who absconded or were terminated, and every
    appointment missed once a participant has absconded."""
    if case.status_on(appointment.scheduled_at.date()) == EnrollmentStatus.ABSCONDED:
        outcome = AppointmentOutcome.MISSED
    else:
        weights = STRUGGLING_OUTCOME_WEIGHTS if case.is_struggling else OUTCOME_WEIGHTS
        outcome = _weighted(rng, weights)
    recorded = appointment.scheduled_at + datetime.timedelta(
        minutes=appointment.duration_minutes + rng.randint(5, 90)
    )
    appointment.outcome = outcome
    appointment.outcome_reason = (
        rng.choice(EXCUSES) if outcome == AppointmentOutcome.EXCUSED else ""
    )
    appointment.outcome_recorded_at = min(recorded, clock.now)
    appointment.outcome_recorded_by = case.manager


# Life domains and incidents


def _life_domains(case: DemoCase, rng: random.Random) -> list[LifeDomainRecord]:
    """Every domain as it stood at referral, then one or two changes while active."""
    rows, changes = [], []
    for domain, paths in LIFE_DOMAIN_PATHS.items():
        first, *later = rng.choice(paths)
        rows.append(_life_domain(case, domain, first, case.referral))
        changes += [(domain, step) for step in later]
    if case.entry is None:
        return rows
    span = (case.end - case.entry).days
    count = min(rng.randint(1, 2), len(changes), span)
    days = sorted(rng.sample(range(1, span + 1), count))
    for (domain, step), day in zip(changes, days, strict=False):
        rows.append(_life_domain(case, domain, step, case.entry + datetime.timedelta(days=day)))
    return rows


def _life_domain(case: DemoCase, domain: str, step, effective_from) -> LifeDomainRecord:
    status, detail, hours = step
    return LifeDomainRecord(
        participant_id=case.participant_id,
        domain=domain,
        status=status,
        detail=detail,
        hours_per_week=hours,
        effective_from=effective_from,
        recorded_by=case.manager,
    )


def _incidents(case: DemoCase, rng: random.Random, termination_incidents) -> list[Incident]:
    if case.entry is None:
        return []
    picks = []
    if rng.random() < MINOR_INCIDENT_SHARE:
        last = case.absconded or case.end
        day = case.entry + datetime.timedelta(days=rng.randint(0, (last - case.entry).days))
        picks.append((day, rng.choice(MINOR_INCIDENTS)))
    if case.absconded:
        picks.append((case.absconded, ABSCONDING))
    if case.status == EnrollmentStatus.TERMINATED:
        day = max(case.entry, case.end - datetime.timedelta(days=rng.randint(10, 30)))
        picks.append((day, next(termination_incidents)))
    return [
        Incident(
            participant_id=case.participant_id,
            occurred_on=day,
            category=category,
            description=description,
            severity=severity,
            reported_to_court=reported,
            recorded_by=case.manager,
        )
        for day, (category, severity, reported, description) in picks
    ]
