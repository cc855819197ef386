"""Specimen validity at the HHS boundaries (Mandatory Guidelines for Federal Workplace Drug
Testing Programs, urine: dilute, substituted, adulterated, invalid) and the status a result
gives. Each case sits on or next to a boundary, so a shifted comparison fails a test."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from compliance.models import TestStatus
from compliance.validity import ValidityMeasures, result_status, specimen_validity


def measures(creatinine=None, gravity=None, ph=None, **others) -> ValidityMeasures:
    def decimal(value):
        return None if value is None else Decimal(value)

    return ValidityMeasures(
        creatinine_mg_dl=decimal(creatinine),
        specific_gravity=decimal(gravity),
        ph=decimal(ph),
        **others,
    )


@pytest.mark.parametrize(
    ("creatinine", "gravity", "expected"),
    [
        # Normal urine.
        ("20", "1.0030", None),
        ("120", "1.0150", None),
        # Dilute: creatinine >= 2 and < 20 with SG > 1.0010 and < 1.0030.
        ("19.99", "1.0029", TestStatus.DILUTE),
        ("2", "1.0011", TestStatus.DILUTE),
        ("20", "1.0020", None),  # creatinine 20 is not dilute
        ("10", "1.0030", None),  # SG 1.0030 is not dilute
        # Substituted: creatinine < 2 with SG <= 1.0010 or >= 1.0200.
        ("1.99", "1.0010", TestStatus.SUBSTITUTED),
        ("0", "1.0000", TestStatus.SUBSTITUTED),
        ("1.5", "1.0200", TestStatus.SUBSTITUTED),
        # Invalid: creatinine < 2 with SG between those, or creatinine >= 2 with SG <= 1.0010.
        ("1.99", "1.0011", TestStatus.INVALID),
        ("1.99", "1.0199", TestStatus.INVALID),
        ("2", "1.0010", TestStatus.INVALID),
    ],
)
def test_creatinine_and_specific_gravity(creatinine, gravity, expected):
    assert specimen_validity(measures(creatinine, gravity)) == expected


@pytest.mark.parametrize(
    ("ph", "expected"),
    [
        ("3.99", TestStatus.ADULTERATED),
        ("4", TestStatus.INVALID),
        ("4.49", TestStatus.INVALID),
        ("4.5", None),
        ("8.99", None),
        ("9", TestStatus.INVALID),
        ("10.99", TestStatus.INVALID),
        ("11", TestStatus.ADULTERATED),
    ],
)
def test_ph_boundaries(ph, expected):
    assert specimen_validity(measures("80", "1.0150", ph)) == expected


def test_an_adulterant_found_means_adulterated():
    assert specimen_validity(measures("80", "1.0150", "6", adulterant="nitrite")) == (
        TestStatus.ADULTERATED
    )


def test_the_lab_could_not_obtain_a_result():
    assert specimen_validity(measures(lab_invalid=True)) == TestStatus.INVALID


def test_unmeasured_specimens_are_valid():
    assert specimen_validity(measures()) is None


@pytest.mark.parametrize(
    ("validity_args", "has_findings", "expected"),
    [
        ({}, False, TestStatus.NEGATIVE),
        ({}, True, TestStatus.POSITIVE),
        # A finding in a dilute specimen stands: positive.
        ({"creatinine": "10", "gravity": "1.0020"}, True, TestStatus.POSITIVE),
        ({"creatinine": "10", "gravity": "1.0020"}, False, TestStatus.DILUTE),
        # A substituted, adulterated or invalid specimen has no usable drug result.
        ({"creatinine": "1", "gravity": "1.0005"}, True, TestStatus.SUBSTITUTED),
        ({"ph": "3"}, True, TestStatus.ADULTERATED),
        ({"lab_invalid": True}, False, TestStatus.INVALID),
    ],
)
def test_result_status(validity_args, has_findings, expected):
    assert result_status(measures(**validity_args), has_findings=has_findings) == expected


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("creatinine_mg_dl", {"creatinine": "-1"}),
        ("creatinine_mg_dl", {"creatinine": "1000.01"}),
        ("specific_gravity", {"gravity": "0.9990"}),
        ("specific_gravity", {"gravity": "1.0601"}),
        ("ph", {"ph": "14.5"}),
    ],
)
def test_measures_outside_their_physical_range_are_refused(field, args):
    with pytest.raises(ValidationError) as refused:
        measures(**args).check_ranges()
    assert field in refused.value.message_dict


def test_measures_on_the_range_edges_are_believed():
    measures("0", "1.0000", "0").check_ranges()
    measures("1000", "1.0600", "14").check_ranges()
