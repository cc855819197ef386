"""The colour rules over the monitoring facts (compliance.rules), each at its boundary: just
under it the colour stays, at it the colour changes, and the reason says why in words."""

import dataclasses
import datetime

import pytest

from compliance import rules
from compliance.rules import Colour, Finding, Verdict
from compliance.selectors import Attendance, DrugTestFacts, MonitoringFacts, Sobriety
from drugcourt.models import Substance

SINCE = datetime.date(2026, 11, 9)


def monitoring(*, tests=None, treatment=None, case_management=None) -> MonitoringFacts:
    return MonitoringFacts(
        participant_id=1,
        since=SINCE,
        drug_tests=tests or DrugTestFacts(since=SINCE, tests=4, negatives=4),
        treatment=treatment or Attendance(since=SINCE, attended=6),
        case_management=case_management or Attendance(since=SINCE, attended=2),
        sobriety=Sobriety(entry_date=datetime.date(2026, 1, 20), days=307),
    )


def drug_tests_with(**counts) -> DrugTestFacts:
    return dataclasses.replace(DrugTestFacts(since=SINCE, tests=4, negatives=4), **counts)


def test_all_negative_and_attended_is_green():
    found = rules.monitoring_verdict(monitoring())
    assert found.colour == Colour.GREEN
    assert found.reasons == ()
    assert found.summary == "No violations or concerns."


def test_one_unexplained_positive_is_red_with_its_substances():
    found = rules.monitoring_verdict(
        monitoring(
            tests=drug_tests_with(
                positives=rules.RED_UNEXPLAINED_POSITIVES,
                positives_by_substance=((Substance.COCAINE, 1),),
            )
        )
    )
    assert found.colour == Colour.RED
    assert found.reasons == ("1 positive test not explained by prescribed medication (Cocaine 1)",)


def test_positives_explained_by_prescribed_medication_stay_green():
    found = rules.monitoring_verdict(
        monitoring(
            tests=drug_tests_with(
                explained=3, explained_by_substance=((Substance.BUPRENORPHINE, 3),)
            )
        )
    )
    assert found.colour == Colour.GREEN


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("missed", "Missed 1 test"),
        ("refused", "Refused 1 test"),
        ("adulterated", "Specimens tampered with: 1 adulterated"),
        ("substituted", "Specimens tampered with: 1 substituted"),
    ],
)
def test_one_missed_refused_or_tampered_test_is_red(field, reason):
    assert rules.RED_MISSED_TESTS == rules.RED_REFUSED_TESTS == rules.RED_TAMPERED_TESTS == 1
    found = rules.monitoring_verdict(monitoring(tests=drug_tests_with(**{field: 1})))
    assert (found.colour, found.reasons) == (Colour.RED, (reason,))


def test_one_dilute_is_yellow_the_second_red():
    assert (rules.YELLOW_DILUTE_TESTS, rules.RED_DILUTE_TESTS) == (1, 2)
    one = rules.monitoring_verdict(monitoring(tests=drug_tests_with(dilute=1)))
    two = rules.monitoring_verdict(monitoring(tests=drug_tests_with(dilute=2)))
    assert (one.colour, one.reasons) == (Colour.YELLOW, ("1 dilute specimen",))
    assert (two.colour, two.reasons) == (Colour.RED, ("2 dilute specimens",))


def test_an_invalid_result_is_yellow():
    found = rules.monitoring_verdict(monitoring(tests=drug_tests_with(invalid=1)))
    assert (found.colour, found.reasons) == (Colour.YELLOW, ("1 test without a valid result",))


def test_excused_and_pending_tests_are_no_concern():
    """A participant in custody: their tests were excused."""
    found = rules.monitoring_verdict(
        monitoring(tests=DrugTestFacts(since=SINCE, tests=1, pending=1, excused=5))
    )
    assert found.colour == Colour.GREEN


def test_one_missed_treatment_session_is_red():
    assert rules.RED_MISSED_TREATMENT == 1
    found = rules.monitoring_verdict(
        monitoring(treatment=Attendance(since=SINCE, attended=19, missed=1))
    )
    assert found.colour == Colour.RED
    assert found.reasons == ("Missed 1 of 20 treatment sessions (attended 95 %)",)


def test_one_missed_case_manager_meeting_is_yellow_the_second_red():
    one = rules.monitoring_verdict(
        monitoring(case_management=Attendance(since=SINCE, attended=19, missed=1))
    )
    two = rules.monitoring_verdict(
        monitoring(case_management=Attendance(since=SINCE, attended=18, missed=2))
    )
    assert (one.colour, one.reasons) == (
        Colour.YELLOW,
        ("Missed 1 of 20 case-manager meetings (attended 95 %)",),
    )
    assert two.colour == Colour.RED


@pytest.mark.parametrize(
    ("attended", "missed", "colour"),
    [
        # 9 of 10 is 90 %: at the threshold, not under it; a miss is yellow all the same.
        (9, 1, Colour.YELLOW),
        (10, 0, Colour.GREEN),
    ],
)
def test_case_management_attendance_at_ninety_per_cent(attended, missed, colour):
    found = rules.monitoring_verdict(
        monitoring(case_management=Attendance(since=SINCE, attended=attended, missed=missed))
    )
    assert found.colour == colour


def test_attendance_under_ninety_per_cent_is_a_concern_whatever_the_misses(monkeypatch):
    """With the miss thresholds raised, the rate rule still speaks: 8 of 9 is 89 %."""
    monkeypatch.setattr(rules, "YELLOW_MISSED_CASE_MANAGEMENT", 5)
    monkeypatch.setattr(rules, "RED_MISSED_CASE_MANAGEMENT", 5)
    under = Attendance(since=SINCE, attended=8, missed=1)
    at = Attendance(since=SINCE, attended=9, missed=1)
    assert rules.monitoring_verdict(monitoring(case_management=under)).colour == Colour.YELLOW
    assert rules.monitoring_verdict(monitoring(case_management=at)).colour == Colour.GREEN


def test_nothing_to_attend_is_no_concern():
    found = rules.monitoring_verdict(
        monitoring(treatment=Attendance(since=SINCE), case_management=Attendance(since=SINCE))
    )
    assert found.colour == Colour.GREEN


def test_reasons_are_worst_first_and_court_adds_its_own_on_top():
    monitoring_part = rules.monitoring_verdict(
        monitoring(tests=drug_tests_with(dilute=1, missed=1))
    )
    court_part = Verdict((Finding(Colour.RED, "Failed to appear on Nov 16"),))

    found = rules.combine(monitoring_part, court_part)

    assert found.colour == Colour.RED
    assert found.reasons == ("Missed 1 test", "Failed to appear on Nov 16", "1 dilute specimen")
    assert found.summary == "Missed 1 test. Failed to appear on Nov 16. 1 dilute specimen."
    assert rules.combine().colour == Colour.GREEN
    assert Colour.RED.label == "Violations"
