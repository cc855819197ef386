"""The kinds of phase requirement the court defines, and how each is met (issue 17).

Core stores a phase's requirements as data (`drugcourt.models.Phase.requirements`) and knows of
a kind only its words and numbers (drugcourt.phase_requirements); here each kind says what it
reads and when it is met, as a pure function over `PhaseFacts`, which
court.selectors.phase_checklists reads for a set of enrollments in a fixed number of queries.
Registered from court.registrations. A kind is added by writing one more class here (and the
facts it reads, if new). Fees paid (to a share of what was assessed, or a finding of inability
to pay) are shown on the checklist but never block advancement or graduation (`blocks =
False`). docs/decisions/0014-phase-requirements.md.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from clients.access import DataClass
from compliance.selectors import MonitoringFacts
from drugcourt.phase_requirements import Param, RequirementKind, register_requirement_kind
from treatment_plans.selectors import ObjectivesMet

from .models import LedgerTotals

# Life-domain statuses that count as working or in school (clients.models.LIFE_DOMAIN_STATUSES).
WORKING_STATUSES = frozenset({"full_time", "part_time"})
IN_SCHOOL_STATUSES = frozenset({"enrolled", "ged_program"})

DAYS = Param("days", "days")
PERCENT = Param("percent", "per cent", maximum=100)


@dataclass(frozen=True)
class PhaseFacts:
    """What the requirement kinds read of one enrollment on `today`. A fact no requirement of
    the phase reads may be left at its default (phase_checklists loads only what is read)."""

    today: datetime.date
    # The day the participant entered their current phase: their last phase change, else their
    # entry into the program.
    phase_since: datetime.date | None = None
    # Monitoring facts counted from the attendance requirement's window (compliance.selectors).
    monitoring: MonitoringFacts | None = None
    # Of the plan in force (None: no plan in force).
    objectives: ObjectivesMet | None = None
    # Sanctions given in this enrollment and not done yet, each in words.
    open_sanctions: tuple[str, ...] = ()
    # "working", "in school", both or neither, from the life domains in force on `today`.
    occupations: tuple[str, ...] = ()
    # Community service hours worked in this enrollment since `phase_since`.
    service_hours: Decimal = field(default=Decimal(0))
    # The enrollment's fees, fines and restitution on `today`.
    ledger: LedgerTotals = field(default_factory=LedgerTotals)
    # The Part 2 classes withheld from the reader (no consent covers them, clients.access):
    # the monitoring facts leave out their Part 2 rows, and the plan's objectives are not read.
    withheld: frozenset[DataClass] = frozenset()


# The figure of a requirement read from Part 2 information no consent covers for the reader.
NOT_COVERED = "not covered by consent"


@dataclass(frozen=True)
class ChecklistItem:
    """One requirement of a checklist: in words, whether it is met, and the figure behind it."""

    requirement: str
    met: bool
    figure: str
    # Whether an unmet item stops an advance without an override (fees never do).
    blocks: bool = True


# The facts of PhaseFacts a kind reads (court.selectors.phase_checklists loads those only).
PHASE_SINCE, MONITORING, OBJECTIVES, OPEN_SANCTIONS, OCCUPATIONS, SERVICE_HOURS, LEDGER = (
    "phase_since",
    "monitoring",
    "objectives",
    "open_sanctions",
    "occupations",
    "service_hours",
    "ledger",
)


class CourtRequirementKind(RequirementKind):
    """A kind the court evaluates: `evaluate` answers (met, the figure in words) from the facts
    it `reads`."""

    reads: frozenset[str] = frozenset()
    blocks = True

    def evaluate(self, params: dict[str, int], facts: PhaseFacts) -> tuple[bool, str]:
        raise NotImplementedError

    def item(self, params: dict[str, int], facts: PhaseFacts) -> ChecklistItem:
        met, figure = self.evaluate(params, facts)
        return ChecklistItem(
            requirement=self.describe(params), met=met, figure=figure, blocks=self.blocks
        )


def _only_covered(facts: PhaseFacts, data_class: DataClass, rows: str) -> str:
    """Says that a figure leaves out the Part 2 rows withheld from the reader."""
    return f" (without the {rows} {NOT_COVERED})" if data_class in facts.withheld else ""


class DaysInPhase(CourtRequirementKind):
    reads = frozenset({PHASE_SINCE})
    key = "days_in_phase"
    label = "Minimum days in the phase"
    help = "Days since the participant entered the phase (their last phase change, else entry)."
    threshold = DAYS

    def describe(self, params):
        return f"At least {params['days']} days in the phase"

    def evaluate(self, params, facts):
        if facts.phase_since is None:
            return False, "not admitted"
        days = (facts.today - facts.phase_since).days
        return days >= params["days"], f"{days} days (since {facts.phase_since:%b %-d, %Y})"


class SoberDays(CourtRequirementKind):
    reads = frozenset({MONITORING})
    key = "sober_days"
    label = "Minimum continuous sober days"
    help = (
        "Days of continuous sobriety in the current enrollment: since the last test that counts "
        "as positive under the testing policy, else since entry (as on the Compliance section)."
    )
    threshold = DAYS

    def describe(self, params):
        return f"At least {params['days']} days of continuous sobriety"

    def evaluate(self, params, facts):
        days = facts.monitoring.sobriety.days if facts.monitoring else None
        if days is None:
            return False, "not admitted"
        return days >= params["days"], f"{days} days" + _only_covered(
            facts, DataClass.DRUG_TESTS, "treatment-collected tests"
        )


class AttendanceRate(CourtRequirementKind):
    reads = frozenset({MONITORING})
    key = "attendance_rate"
    label = "Attendance rate over the last days"
    help = (
        "Treatment and case-management appointments attended (late counts as attended) of "
        "those attended or missed, over the last so many days; with nothing to attend it is "
        "not met."
    )
    threshold = PERCENT
    window = Param("days", "days", minimum=1, maximum=365)

    def describe(self, params):
        return (
            f"Attendance of at least {params['percent']} % at treatment and case management "
            f"over the last {params['days']} days"
        )

    def evaluate(self, params, facts):
        if facts.monitoring is None:
            return False, "nothing to attend"
        attendance = (facts.monitoring.treatment, facts.monitoring.case_management)
        attended = sum(a.attended for a in attendance)
        expected = sum(a.expected for a in attendance)
        if not expected:
            return False, "nothing to attend"
        rate = round(100 * attended / expected)
        return rate >= params["percent"], (
            f"{attended} of {expected} attended ({rate} %)"
            + _only_covered(facts, DataClass.ATTENDANCE, "treatment sessions")
        )


class PlanObjectivesMet(CourtRequirementKind):
    reads = frozenset({OBJECTIVES})
    key = "plan_objectives_met"
    label = "Treatment plan objectives met"
    help = (
        "Of the objectives of the treatment plan in force, the share its latest review recorded "
        "as met; before the first review none counts, without a plan in force it is not met."
    )
    threshold = PERCENT

    def describe(self, params):
        return f"At least {params['percent']} % of the treatment plan's objectives met"

    def evaluate(self, params, facts):
        if DataClass.PLAN_SUMMARY in facts.withheld:
            return False, NOT_COVERED
        objectives = facts.objectives
        if objectives is None:
            return False, "no plan in force"
        if objectives.reviewed_on is None:
            return params["percent"] == 0, f"0 of {objectives.total} (not reviewed yet)"
        return (
            objectives.percent >= params["percent"],
            f"{objectives.met} of {objectives.total} met at the review of "
            f"{objectives.reviewed_on:%b %-d, %Y}",
        )


class NoOpenSanctions(CourtRequirementKind):
    reads = frozenset({OPEN_SANCTIONS})
    key = "no_open_sanctions"
    label = "No open sanctions"
    help = (
        "No sanction of this enrollment still running: community service with hours left, "
        "increased testing not ended, a curfew not over, a custody period not ended."
    )

    def describe(self, params):
        return "No open sanctions"

    def evaluate(self, params, facts):
        if facts.open_sanctions:
            return False, "; ".join(facts.open_sanctions)
        return True, "none open"


class WorkSchoolOrService(CourtRequirementKind):
    reads = frozenset({PHASE_SINCE, OCCUPATIONS, SERVICE_HOURS})
    key = "work_school_or_service"
    label = "Employment, education or community service"
    help = (
        "Working (full or part time) or in school (enrolled, or in a GED program) by the life "
        "domains in force, or at least so many hours of community service worked in the phase."
    )
    threshold = Param("hours", "hours of community service")

    def describe(self, params):
        return (
            f"Working, in school, or at least {params['hours']} hours of community service in "
            "the phase"
        )

    def evaluate(self, params, facts):
        hours = f"{facts.service_hours.normalize():f} hours of community service in the phase"
        if facts.occupations:
            return True, f"{' and '.join(facts.occupations)}; {hours}"
        return facts.service_hours >= params["hours"], f"not working or in school; {hours}"


class FeesPaid(CourtRequirementKind):
    reads = frozenset({LEDGER})
    # Statute forbids making fees the reason a participant cannot advance or complete: shown,
    # never enforced (phase_change_decide asks no override for it).
    blocks = False
    key = "fees_paid"
    label = "Fees paid, or a finding of inability to pay"
    help = (
        "Of the fees, fines and restitution assessed in this enrollment, the share paid or "
        "waived; met with nothing assessed, or once the court found the participant unable to "
        "pay. Shown on the checklist; it never stops an advance."
    )
    threshold = PERCENT

    def describe(self, params):
        return f"At least {params['percent']} % of fees paid, or found unable to pay"

    def evaluate(self, params, facts):
        ledger = facts.ledger
        if ledger.inability_to_pay:
            return True, "found unable to pay"
        if not ledger.assessed:
            return True, "nothing assessed"
        settled = ledger.paid + ledger.waived
        percent = int(100 * settled / ledger.assessed)
        return (
            percent >= params["percent"],
            f"${settled:,.2f} of ${ledger.assessed:,.2f} paid or waived ({percent} %)",
        )


KINDS: tuple[CourtRequirementKind, ...] = (
    DaysInPhase(),
    SoberDays(),
    AttendanceRate(),
    PlanObjectivesMet(),
    NoOpenSanctions(),
    WorkSchoolOrService(),
    FeesPaid(),
)


def register_kinds() -> None:
    for kind in KINDS:
        register_requirement_kind(kind)
