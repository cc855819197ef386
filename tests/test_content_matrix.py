"""What of `participant` each persona reads: a marker planted in each kind of record
(tests/matrix_world.py MARKERS) must appear exactly where this table says, on every page of the
URL matrix that shows the participant or one of their rows, and nowhere else.

`SEEN_BY` is the target of issue 12 and DESIGN.md "Roles and what each reaches", row rules
(another agency, another program) and field rules (charges, needs) included. `SHOWN_ON` says
on which pages the marker is shown to someone allowed to read it. A persona reads a marker on
a page when it is in both and the URL matrix lets the persona open that page. Cells not at
their target yet are strict xfails in KNOWN_GAPS. docs/decisions/0008-access-matrix.md.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PERSONAS
from tests.matrix_world import MARKERS
from tests.test_url_matrix import MATRIX, PUBLIC

pytestmark = pytest.mark.django_db

FULL = frozenset({"coordinator", "casemanager"})
COURT = frozenset({"judge", "clerk", "prosecutor", "defence_assigned", "judge_casemanager"})
PROBATION = frozenset({"probation_assigned"})  # court view and supervision contacts
TREATING = frozenset({"provider_treating", "provider_elsewhere"})

# marker → who reads it (of `participant`, in `program`).
SEEN_BY = {
    # Narrative case notes: the case team only.
    "case_note": FULL,
    # Supervision contacts: the team and the assigned probation officer.
    "supervision_contact": FULL | PROBATION,
    # Needs are assessment detail: the team and the treating providers; not the court view.
    "need": FULL | TREATING,
    # Clinical referral text: the team and the agency it was sent to (provider_treating's).
    "referral_reason": FULL | {"provider_treating"},
    # Prescriptions are treatment detail: the team and the treating providers; the court view
    # shows only "explained by prescribed medication".
    "prescription_drug": FULL | TREATING,
    # Charges: the court view reads them, providers never.
    "charge": FULL | COURT | PROBATION,
    # A progress report of provider_elsewhere's agency: the court view reads progress summaries,
    # another agency (provider_treating) does not.
    "other_agency_report": FULL | COURT | PROBATION | {"provider_elsewhere"},
    # The enrollment in `other_program`: the case manager assigned to the person reads it; a
    # program's roles (its coordinator, its court roles) and providers do not.
    "other_program_case": frozenset({"casemanager"}),
    # Court records (hearings, responses, warrants): the full team and the court view.
    "court_response": FULL | COURT | PROBATION,
    "warrant": FULL | COURT | PROBATION,
    "hearing": FULL | COURT | PROBATION,
    # Why a phase changed at a hearing: a court record.
    "phase_change": FULL | COURT | PROBATION,
    "phase_override": FULL | COURT | PROBATION,
    # Why the participant was excused from a hearing: court data.
    "hearing_excuse": FULL | COURT | PROBATION,
    # A court condition (its terms): the full team, the court view and probation.
    "condition": FULL | COURT | PROBATION,
    # A payment of a fine (its note): the full team, the court view and probation.
    "ledger": FULL | COURT | PROBATION,
    # A hearing in `other_program`: like its enrollment, only the assigned case manager.
    "other_program_hearing": frozenset({"casemanager"}),
    # A staffing note on today's hearing: the participant's whole team (the treating providers
    # too, on the staffing page) and the session's judge and clerk; not judge_casemanager, a
    # judge of the program who does not sit in that session.
    "staffing_note": FULL
    | PROBATION
    | TREATING
    | frozenset({"judge", "clerk", "prosecutor", "defence_assigned"}),
    # provider_treating's note, read like any staffing note under the world's consent (Part 2:
    # without one, only the treatment program and its own agency read it,
    # tests/test_consent_matrix.py).
    "provider_staffing_note": FULL
    | PROBATION
    | TREATING
    | frozenset({"judge", "clerk", "prosecutor", "defence_assigned"}),
}

# marker → the pages that show it (to whoever reads it). The history is the coordinator's.
DETAIL, HISTORY = "clients:participant_detail", "clients:participant_history"
SHOWN_ON = {
    "case_note": frozenset(
        {DETAIL, HISTORY, "clients:timeline", "clients:contact_detail[case_note]"}
    ),
    "supervision_contact": frozenset(
        {DETAIL, HISTORY, "clients:timeline", "clients:contact_detail[supervision]"}
    ),
    "need": frozenset({DETAIL, HISTORY, "assessments:needs"}),
    "referral_reason": frozenset({HISTORY, "treatment_plans:referral_detail[treating]"}),
    "prescription_drug": frozenset({"compliance:participant_testing"}),
    "charge": frozenset({DETAIL}),
    "other_agency_report": frozenset({DETAIL}),
    # ... and in the enrollments a condition, a fee or a payment is recorded for.
    "other_program_case": frozenset(
        {
            DETAIL,
            HISTORY,
            "court:hearing[other_program]",
            "court:condition_add",
            "court:ledger_assess",
            "court:ledger_pay",
        }
    ),
    "court_response": frozenset(
        {
            DETAIL,
            "court:hearing[past]",
            "court:docket[past]",
            "court:docket_print[past]",
            # Today's summary, and its row on today's hearing page, show the previous hearing
            # (the past one) and its responses.
            "court:summary",
            "court:hearing",
        }
    ),
    "warrant": frozenset(
        {
            DETAIL,
            "court:hearing[past]",
            "court:warrant_list",
            "court:warrant_issue",
            "court:warrant_recall",
            "court:summary",
            "court:hearing",
        }
    ),
    # On the hearing page where it was decided, and in the participant page's phase history.
    "phase_change": frozenset({DETAIL, "court:hearing[past]"}),
    "phase_override": frozenset({DETAIL, "court:hearing[past]"}),
    "hearing": frozenset(
        {DETAIL, "court:hearing[past]", "court:docket[past]", "court:docket_print[past]"}
    ),
    # The excuse stays on the docket entry (court data); the appointment says "Excused by the
    # court" (court.models.APPEARANCE_OUTCOME_REASONS).
    "hearing_excuse": frozenset(
        {
            DETAIL,
            "court:hearing[past]",
            "court:docket[past]",
            "court:docket_print[past]",
            # Today's summary and hearing page show the previous hearing's appearance.
            "court:summary",
            "court:hearing",
        }
    ),
    # Its excuse, like every excuse, stays in the court record.
    "other_program_hearing": frozenset({DETAIL, "court:hearing[other_program]"}),
    "staffing_note": frozenset({"court:hearing", "court:staffing"}),
    "provider_staffing_note": frozenset({"court:hearing", "court:staffing"}),
    # In force today: on the participant page, today's summary and hearing page, the pages of
    # the condition itself, and the completion pages that ask what becomes of it.
    "condition": frozenset(
        {
            DETAIL,
            "court:summary",
            "court:hearing",
            "court:condition_lift",
            "court:condition_violation",
            "court:hearing_completion",
            "court:enrollment_close",
        }
    ),
    # On the participant page's ledger, the payment's receipt and its reversal page.
    "ledger": frozenset({DETAIL, "court:ledger_receipt", "court:ledger_reverse"}),
}

# Every GET page of the URL matrix that may show the participant or one of their rows (by URL
# name → its arguments), and the same pages for the participant's other rows.
PAGES = {
    name: entry.args
    for name, entry in MATRIX.items()
    if entry.method == "get" and entry.allowed != PUBLIC and not name.startswith("core:")
} | {
    "treatment_plans:referral_detail[treating]": ("referral_accepted",),
    "treatment_plans:referral_detail[elsewhere]": ("referral_intake",),
    "clients:contact_detail[case_note]": ("participant", "case_note"),
    "clients:contact_detail[supervision]": ("participant", "supervision_contact"),
    "court:hearing[past]": ("past_entry",),
    "court:docket[past]": ("past_session",),
    "court:docket_print[past]": ("past_session",),
    "court:hearing[other_program]": ("other_program_entry",),
}

# (marker, persona) → why the cell is not at its target yet; empty when every cell is.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _cases():
    for marker in MARKERS:
        for persona in PERSONAS:
            gap = KNOWN_GAPS.get((marker, persona))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(marker, persona, marks=marks, id=f"{marker}-{persona}")


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's documents stay where the world put them (not in a folder per test)."""


@pytest.fixture(scope="module")
def rendered(world):
    """persona → page → the page's text as the persona gets it (each page read once)."""
    cache: dict[str, dict[str, str]] = {}

    def pages_of(persona: str) -> dict[str, str]:
        if persona not in cache:
            client = Client()
            world.sign_in(client, persona)
            cache[persona] = {}
            for page, args in PAGES.items():
                name = page.split("[")[0]
                url = reverse(name, args=[world.objects.get(arg, arg) for arg in args])
                response = client.get(url)
                if response.status_code == 200 and not response.streaming:
                    cache[persona][page] = response.content.decode()
        return cache[persona]

    return pages_of


def test_every_marker_has_a_row_in_the_table():
    assert SEEN_BY.keys() == MARKERS.keys() == SHOWN_ON.keys()
    assert set().union(*SHOWN_ON.values()) <= PAGES.keys()


@pytest.mark.parametrize(("marker", "persona"), _cases())
def test_each_persona_reads_exactly_the_markers_the_table_gives_it(rendered, marker, persona):
    pages = rendered(persona)
    expected = SHOWN_ON[marker] & pages.keys() if persona in SEEN_BY[marker] else set()

    found = {name for name, text in pages.items() if MARKERS[marker] in text}

    assert found == expected


# Pages that also show someone without a consent (the summary's other docket entry).
SHOWS_OTHERS_WITHHELD = frozenset({"court:summary"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_under_the_worlds_consent_no_page_says_not_covered(rendered, persona):
    """The world's consent covers every Part 2 class of `participant` for every role that needs
    one (tests/test_consent_matrix.py reads the pages without it)."""
    assert {
        name
        for name, text in rendered(persona).items()
        if "not covered by consent" in text and name not in SHOWS_OTHERS_WITHHELD
    } == set()
