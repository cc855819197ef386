"""Specimen validity and the status a result gives, per the HHS Mandatory Guidelines for urine
(DOMAIN.md "Monitoring"). Pure functions: services store what `result_status` returns.

Boundaries (creatinine in mg/dL, specific gravity as measured to four decimals):
- substituted: creatinine < 2 and (SG <= 1.0010 or SG >= 1.0200);
- adulterated: an adulterant found, or pH < 4.0 or pH >= 11.0;
- invalid: the laboratory could not obtain a valid result; pH >= 4.0 and < 4.5, or >= 9.0 and
  < 11.0; creatinine < 2 with SG > 1.0010 and < 1.0200; creatinine >= 2 with SG <= 1.0010
  (measures that contradict each other);
- dilute: creatinine >= 2 and < 20 with SG > 1.0010 and < 1.0030.
A specimen that is substituted, adulterated or invalid has no usable drug result, so those come
first; a dilute specimen with a finding is positive (the finding stands); otherwise dilute.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from .models import TestStatus

# Physical ranges a measurement must lie in to be believed (anything outside is a typing error).
CREATININE_RANGE = (Decimal("0"), Decimal("1000"))
SPECIFIC_GRAVITY_RANGE = (Decimal("1.0000"), Decimal("1.0600"))
PH_RANGE = (Decimal("0"), Decimal("14"))


@dataclass(frozen=True)
class ValidityMeasures:
    creatinine_mg_dl: Decimal | None = None
    specific_gravity: Decimal | None = None
    ph: Decimal | None = None
    adulterant: str = ""
    lab_invalid: bool = False

    def check_ranges(self) -> None:
        """Refuses measurements outside their physical range, each with its own message."""
        errors = {}
        for field, value, (low, high), label in (
            ("creatinine_mg_dl", self.creatinine_mg_dl, CREATININE_RANGE, "Creatinine"),
            ("specific_gravity", self.specific_gravity, SPECIFIC_GRAVITY_RANGE, "Specific gravity"),
            ("ph", self.ph, PH_RANGE, "pH"),
        ):
            if value is not None and not low <= value <= high:
                errors[field] = f"{label} must be between {low} and {high}; check the lab report."
        if errors:
            raise ValidationError(errors)


def specimen_validity(measures: ValidityMeasures) -> TestStatus | None:
    """The validity finding of a specimen, or None when it is valid (not dilute)."""
    creatinine, gravity, ph = measures.creatinine_mg_dl, measures.specific_gravity, measures.ph
    if measures.lab_invalid:
        return TestStatus.INVALID
    if (
        creatinine is not None
        and gravity is not None
        and creatinine < 2
        and (gravity <= Decimal("1.0010") or gravity >= Decimal("1.0200"))
    ):
        return TestStatus.SUBSTITUTED
    if measures.adulterant.strip() or (ph is not None and (ph < 4 or ph >= 11)):
        return TestStatus.ADULTERATED
    if ph is not None and (Decimal("4") <= ph < Decimal("4.5") or Decimal("9") <= ph < 11):
        return TestStatus.INVALID
    if creatinine is not None and gravity is not None:
        if creatinine < 2 or gravity <= Decimal("1.0010"):
            return TestStatus.INVALID
        if creatinine < 20 and Decimal("1.0010") < gravity < Decimal("1.0030"):
            return TestStatus.DILUTE
    return None


def result_status(measures: ValidityMeasures, *, has_findings: bool) -> TestStatus:
    """The status a result gives the test (see the module docstring for the order)."""
    validity = specimen_validity(measures)
    if validity in (TestStatus.SUBSTITUTED, TestStatus.ADULTERATED, TestStatus.INVALID):
        return validity
    if has_findings:
        return TestStatus.POSITIVE
    return validity or TestStatus.NEGATIVE
