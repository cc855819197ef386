"""The colour of a participant's monitoring since a date, with the reasons in words: green
compliant, yellow concerns, red violations (issue 16, the judge's compliance summary).

Pure functions over the facts of `compliance.selectors.monitoring_facts`; they read nothing
from the database. Each rule gives `Finding`s (a colour and a reason); a `Verdict` holds the
findings and its colour is the worst of them (green when there are none). Court adds its own
facts (a warrant, a failure to appear, responses not completed) as more findings, and
`combine` takes the worst of all: court imports this module, never the other way round, and
the sweeps may use it too.

The rules, with their thresholds (named constants below), per period since the date:

Red (violations):
- a positive test not explained by prescribed medication (`RED_UNEXPLAINED_POSITIVES`, 1);
- a missed test (`RED_MISSED_TESTS`, 1) or a refused test (`RED_REFUSED_TESTS`, 1);
- an adulterated or substituted specimen (`RED_TAMPERED_TESTS`, 1);
- dilute specimens, from the second (`RED_DILUTE_TESTS`, 2);
- a missed treatment session (`RED_MISSED_TREATMENT`, 1);
- missed case-manager meetings, from the second (`RED_MISSED_CASE_MANAGEMENT`, 2).

Yellow (concerns):
- a dilute specimen (`YELLOW_DILUTE_TESTS`, 1);
- a test the laboratory could not give a valid result for (`YELLOW_INVALID_TESTS`, 1);
- one missed case-manager meeting (`YELLOW_MISSED_CASE_MANAGEMENT`, 1);
- attendance at treatment or at case management under `YELLOW_ATTENDANCE_BELOW` per cent
  (90; late counts as attended, excused and cancelled are left out, see `Attendance`).

Not a colour: positives explained by prescribed medication (shown apart, never a violation),
excused tests (a blackout such as custody), results still pending, and sobriety itself (the
positives that end it are already red).
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from drugcourt.models import Substance

from .selectors import Attendance, DrugTestFacts, MonitoringFacts

RED_UNEXPLAINED_POSITIVES = 1
RED_MISSED_TESTS = 1
RED_REFUSED_TESTS = 1
RED_TAMPERED_TESTS = 1
RED_DILUTE_TESTS = 2
YELLOW_DILUTE_TESTS = 1
YELLOW_INVALID_TESTS = 1
RED_MISSED_TREATMENT = 1
RED_MISSED_CASE_MANAGEMENT = 2
YELLOW_MISSED_CASE_MANAGEMENT = 1
YELLOW_ATTENDANCE_BELOW = 90


class Colour(enum.IntEnum):
    """Ordered: a greater colour is worse."""

    GREEN = 0
    YELLOW = 1
    RED = 2

    @property
    def label(self) -> str:
        return {0: "Compliant", 1: "Concerns", 2: "Violations"}[self.value]


@dataclass(frozen=True)
class Finding:
    colour: Colour
    reason: str


COMPLIANT = "No violations or concerns."


@dataclass(frozen=True)
class Verdict:
    """Findings, worst first; the colour is the worst finding's (green without findings)."""

    findings: tuple[Finding, ...] = ()

    @property
    def colour(self) -> Colour:
        return max((finding.colour for finding in self.findings), default=Colour.GREEN)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(finding.reason for finding in self.findings)

    @property
    def summary(self) -> str:
        """The reasons in one sentence each, or that there is nothing to report."""
        return " ".join(f"{reason}." for reason in self.reasons) or COMPLIANT


def verdict(findings: Iterable[Finding]) -> Verdict:
    """A verdict of `findings`, red ones first (otherwise in the order given)."""
    return Verdict(tuple(sorted(findings, key=lambda finding: -finding.colour)))


def combine(*verdicts: Verdict) -> Verdict:
    """One verdict of several (monitoring's and court's): the worst colour, every reason."""
    return verdict(finding for each in verdicts for finding in each.findings)


def _count(number: int, thing: str, things: str | None = None) -> str:
    return f"{number} {thing if number == 1 else (things or thing + 's')}"


def _substances(by_substance: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{Substance(code).label} {count}" for code, count in by_substance)


def drug_test_findings(facts: DrugTestFacts) -> list[Finding]:
    found = []
    if facts.positives >= RED_UNEXPLAINED_POSITIVES:
        found.append(
            Finding(
                Colour.RED,
                f"{_count(facts.positives, 'positive test')} not explained by prescribed "
                f"medication ({_substances(facts.positives_by_substance)})",
            )
        )
    if facts.missed >= RED_MISSED_TESTS:
        found.append(Finding(Colour.RED, f"Missed {_count(facts.missed, 'test')}"))
    if facts.refused >= RED_REFUSED_TESTS:
        found.append(Finding(Colour.RED, f"Refused {_count(facts.refused, 'test')}"))
    tampered = []
    if facts.adulterated:
        tampered.append(f"{facts.adulterated} adulterated")
    if facts.substituted:
        tampered.append(f"{facts.substituted} substituted")
    if facts.adulterated + facts.substituted >= RED_TAMPERED_TESTS:
        found.append(Finding(Colour.RED, f"Specimens tampered with: {', '.join(tampered)}"))
    if facts.dilute >= RED_DILUTE_TESTS:
        found.append(Finding(Colour.RED, _count(facts.dilute, "dilute specimen")))
    elif facts.dilute >= YELLOW_DILUTE_TESTS:
        found.append(Finding(Colour.YELLOW, _count(facts.dilute, "dilute specimen")))
    if facts.invalid >= YELLOW_INVALID_TESTS:
        found.append(
            Finding(Colour.YELLOW, f"{_count(facts.invalid, 'test')} without a valid result")
        )
    return found


def _attendance_finding(
    attendance: Attendance, what: str, *, red_missed: int, yellow_missed: int | None
) -> Finding | None:
    colour = Colour.GREEN
    if attendance.missed >= red_missed:
        colour = Colour.RED
    elif yellow_missed is not None and attendance.missed >= yellow_missed:
        colour = Colour.YELLOW
    if attendance.rate is not None and attendance.rate < YELLOW_ATTENDANCE_BELOW:
        colour = max(colour, Colour.YELLOW)
    if colour == Colour.GREEN:
        return None
    return Finding(
        colour,
        f"Missed {attendance.missed} of {attendance.expected} {what} "
        f"(attended {attendance.rate} %)",
    )


def attendance_findings(treatment: Attendance, case_management: Attendance) -> list[Finding]:
    found = [
        _attendance_finding(
            treatment, "treatment sessions", red_missed=RED_MISSED_TREATMENT, yellow_missed=None
        ),
        _attendance_finding(
            case_management,
            "case-manager meetings",
            red_missed=RED_MISSED_CASE_MANAGEMENT,
            yellow_missed=YELLOW_MISSED_CASE_MANAGEMENT,
        ),
    ]
    return [finding for finding in found if finding is not None]


def monitoring_verdict(facts: MonitoringFacts) -> Verdict:
    """The colour of the participant's monitoring since `facts.since`, with the reasons."""
    return verdict(
        [
            *drug_test_findings(facts.drug_tests),
            *attendance_findings(facts.treatment, facts.case_management),
        ]
    )
