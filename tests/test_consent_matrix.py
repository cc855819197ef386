"""The URL matrix and the content matrix in every consent state (issue 18). The matrices' world
(tests/matrix_world.py) has a consent in force naming every role of the program that needs one
(the state "active", which tests/test_url_matrix.py and tests/test_content_matrix.py check);
here the same pages are read with no consent (by every persona), and with it expired and with
it revoked (by the personas who need it: in those states the others read what they read without
one).

A consent only decides what of a page's Part 2 information is shown, never who opens a page:
every page answers each persona as the URL matrix says (a page of Part 2 information no
consent covers answers 200 with the notice in place of the data). Each persona reads the
markers of the content matrix less the Part 2 ones no consent covers (WITHHELD_WITHOUT_CONSENT),
and a page that loses a marker says "not covered by consent" in its place.
"""

import contextlib
import datetime

import pytest
from django.test import Client
from django.urls import reverse

from clients.models import Consent, ConsentRecipient
from drugcourt.models import Program
from drugcourt.selectors import program_today
from tests.conftest import PERSONAS
from tests.matrix_world import MARKERS, rolled_back
from tests.test_content_matrix import (
    COURT,
    FULL,
    PAGES,
    PROBATION,
    SEEN_BY,
    SHOWN_ON,
    TREATING,
)
from tests.test_url_matrix import MATRIX

pytestmark = pytest.mark.django_db

NOT_COVERED = "not covered by consent"
# The states other than "active" (the world as built).
STATES = ("none", "expired", "revoked")

TREATMENT_PROGRAM = FULL  # coordinator and case manager: never need a consent

# marker → who no longer reads it when no consent covers it: Part 2 information they see only
# under a consent. The treatment program (coordinator, case manager) never needs one; a
# provider reads its own agency's records (the other agency's progress report is
# provider_elsewhere's own) and the referral addressed to it without one.
WITHHELD_WITHOUT_CONSENT = {
    # Needs are assessment detail, Part 2 to the treating providers.
    "need": TREATING,
    # A provider's progress report, Part 2 to the court view and probation.
    "other_agency_report": COURT | PROBATION,
    # A provider's staffing note, Part 2 to all but the treatment program and its own agency.
    "provider_staffing_note": SEEN_BY["provider_staffing_note"]
    - TREATMENT_PROGRAM
    - {"provider_treating"},
}


def seen_without_consent(marker: str) -> frozenset[str]:
    return SEEN_BY[marker] - WITHHELD_WITHOUT_CONSENT.get(marker, frozenset())


@contextlib.contextmanager
def consent_in(world, state: str):
    """The world with its consent in `state` for the time of the block (rolled back after)."""
    consent = Consent.objects.filter(pk=world.objects["consent"])
    today = program_today(Program.objects.get(pk=world.objects["program"]))
    with rolled_back():
        if state == "none":
            # It names no one: the gate finds no consent (its own pages, in the URL matrix,
            # stay).
            ConsentRecipient.objects.filter(consent__in=consent).delete()
        elif state == "expired":
            consent.update(expires_on=today - datetime.timedelta(days=1))
        elif state == "revoked":
            consent.update(revoked_on=today, revocation_received_how="Letter to the case manager")
        yield


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's documents stay where the world put them (not in a folder per test)."""


@pytest.fixture(scope="module")
def answered(world):
    """(state, persona) → page → (status, text) as the persona gets it, of `names` (every page
    of the content matrix by default; each page read once)."""
    cache: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}

    def pages_of(state: str, persona: str, names=PAGES) -> dict[str, tuple[int, str]]:
        pages = cache.setdefault((state, persona), {})
        if missing := [page for page in names if page not in pages]:
            client = Client()
            world.sign_in(client, persona)
            with consent_in(world, state):
                for page in missing:
                    name = page.split("[")[0]
                    args = [world.objects.get(arg, arg) for arg in PAGES[page]]
                    response = client.get(reverse(name, args=args))
                    text = "" if response.streaming else response.content.decode()
                    pages[page] = (response.status_code, text)
        return {page: pages[page] for page in names}

    return pages_of


# Who needs a consent for a marker of the world: the states in which it is not in force are
# the same to everyone else (no consent, the first of them, is read by every persona).
NEEDS_CONSENT = frozenset().union(*WITHHELD_WITHOUT_CONSENT.values())


def _personas(state: str) -> tuple[str, ...]:
    return PERSONAS if state == "none" else tuple(sorted(NEEDS_CONSENT))


def _cases():
    for state in STATES:
        for persona in _personas(state):
            yield pytest.param(state, persona, id=f"{state}-{persona}")


@pytest.mark.parametrize(("state", "persona"), _cases())
def test_every_page_answers_as_the_url_matrix_says_whatever_the_consent(answered, state, persona):
    statuses = {page: status for page, (status, _) in answered(state, persona).items()}

    # The URL matrix's own pages as it says; their variants (other rows) as with the consent.
    expected = {
        page: entry.ok_status if persona in entry.allowed else entry.refused_status
        for page in PAGES
        if page in MATRIX and (entry := MATRIX[page])
    }
    variants = [page for page in PAGES if page not in MATRIX]
    expected |= {
        page: status for page, (status, _) in answered("active", persona, variants).items()
    }
    assert statuses == expected


def _marker_cases():
    for state in STATES:
        for marker in MARKERS:
            for persona in _personas(state):
                yield pytest.param(state, marker, persona, id=f"{state}-{marker}-{persona}")


@pytest.mark.parametrize(("state", "marker", "persona"), _marker_cases())
def test_each_persona_reads_the_markers_less_the_part2_ones_no_consent_covers(
    answered, state, marker, persona
):
    pages = {
        page: text for page, (status, text) in answered(state, persona).items() if status == 200
    }
    expected = SHOWN_ON[marker] & pages.keys() if persona in seen_without_consent(marker) else set()

    found = {page for page, text in pages.items() if MARKERS[marker] in text}

    assert found == expected


@pytest.mark.parametrize(("state", "persona"), _cases())
def test_a_page_that_withholds_a_marker_says_it_is_not_covered_by_consent(answered, state, persona):
    pages = {
        page: text for page, (status, text) in answered(state, persona).items() if status == 200
    }
    withholding = {
        page
        for marker, who in WITHHELD_WITHOUT_CONSENT.items()
        if persona in who and persona in SEEN_BY[marker]
        for page in SHOWN_ON[marker] & pages.keys()
    }

    assert {page for page in withholding if NOT_COVERED not in pages[page]} == set()
