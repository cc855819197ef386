"""The notice that accompanies a disclosure of substance use disorder records made with the
participant's written consent (42 CFR §2.32): kept here once, by version, and printed on every
court document (`{% load redisclosure %}{% redisclosure_notice %}`, which renders
drugcourt/redisclosure_notice.html). The consent forms of the confidentiality issue use the same
notice.

When the regulation changes, add a version at the end of NOTICES with the date it takes effect;
a document prints the version in force on its day, so an older printout can be reproduced."""

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class RedisclosureNotice:
    version: str
    effective_from: datetime.date
    citation: str
    heading: str
    # Statement 1 of §2.32(a)(1), paragraph by paragraph as the regulation sets it out.
    paragraphs: tuple[str, ...]
    # Statement 2 of §2.32(a)(2), the short form (e.g. for a label), the rule's alternative.
    short_statement: str


NOTICES: tuple[RedisclosureNotice, ...] = (
    RedisclosureNotice(
        version="42cfr2.32-2024",
        # The 2024 final rule (89 FR 12472, Feb. 16, 2024) took effect on April 16, 2024;
        # compliance was required from February 16, 2026.
        effective_from=datetime.date(2024, 4, 16),
        citation="42 CFR §2.32(a)(1), as amended at 89 FR 12472 (Feb. 16, 2024)",
        heading="Notice of federal confidentiality rules (42 CFR part 2)",
        paragraphs=(
            "This record which has been disclosed to you is protected by Federal "
            "confidentiality rules (42 CFR part 2). These rules prohibit you from using or "
            "disclosing this record, or testimony that describes the information contained in "
            "this record, in any civil, criminal, administrative, or legislative proceedings by "
            "any Federal, State, or local authority, against the patient, unless authorized by "
            "the consent of the patient, except as provided at 42 CFR 2.12(c)(5) or as "
            "authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the "
            "Federal rules prohibit you from making any other use or disclosure of this record "
            "unless at least one of the following applies:",
            "(i) Further use or disclosure is expressly permitted by the written consent of the "
            "individual whose information is being disclosed in this record or as otherwise "
            "permitted by 42 CFR part 2.",
            "(ii) You are a covered entity or business associate and have received the record "
            "for treatment, payment, or health care operations, or",
            "(iii) You have received the record from a covered entity or business associate as "
            "permitted by 45 CFR part 164, subparts A and E.",
            "A general authorization for the release of medical or other information is NOT "
            "sufficient to meet the required elements of written consent to further use or "
            "redisclose the record (see 42 CFR 2.31).",
        ),
        short_statement=(
            "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
        ),
    ),
)


def notice_in_force(on: datetime.date) -> RedisclosureNotice:
    """The version in force on `on` (the document's day); the first one for any earlier day,
    as the app keeps no older wording."""
    in_force = [notice for notice in NOTICES if notice.effective_from <= on]
    return in_force[-1] if in_force else NOTICES[0]


CURRENT = NOTICES[-1]
