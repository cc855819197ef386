"""Every URL pattern × every persona. A new URL without an entry here fails the suite.

Rules: participant-free management pages refuse other roles with 403; pages scoped to a
program the user does not coordinate answer 404; anonymous visitors of any non-public page are
sent to sign in. Django admin (`admin:`) is for superusers only and is checked once by its
index; static files are not served through URL patterns outside DEBUG.

Each (URL, persona) is one case, run in a savepoint of its own over one world per module
(tests/matrix_world.py). A POST entry also says who *writes*: the row counters of
pg_stat_xact_user_tables must move for them and for nobody else; a GET writes nothing.
Cases whose target (issue 12, DESIGN.md "Roles and what each reaches") is not met yet are
strict xfails in KNOWN_GAPS. docs/decisions/0008-access-matrix.md.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from clients.models import REVOCATION_TERMS
from drugcourt.models import Program
from drugcourt.selectors import program_today
from tests.conftest import PERSONAS
from tests.matrix_world import row_counters, tables_written

# Each test runs in a savepoint (pytest-django's) inside the module's world transaction.
pytestmark = pytest.mark.django_db

EVERYONE = frozenset(PERSONAS)
PUBLIC = "public"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str] | str
    args: tuple = ()
    method: str = "get"
    ok_status: int = 200
    refused_status: int = 403
    data: dict = field(default_factory=dict)
    # POST only: who writes (default: everyone allowed). Narrower where the service refuses
    # with a message after the page's own check (e.g. only a note's author edits it).
    writers: frozenset[str] | None = None

    def writes(self, persona: str) -> bool:
        if self.method != "post" or persona == ANONYMOUS:
            return False
        if self.writers is not None:
            return persona in self.writers
        return self.allowed == PUBLIC or persona in self.allowed


ADMIN_ONLY = frozenset({"admin"})
COORDINATOR = frozenset({"coordinator"})
# Who reaches `participant` (on casemanager's caseload) and with what.
ON_THE_TEAM = frozenset({"probation_assigned", "defence_assigned"})
TREATING = frozenset({"provider_treating", "provider_elsewhere"})
SEES_PARTICIPANT = (
    frozenset({"coordinator", "judge", "clerk", "prosecutor", "casemanager", "judge_casemanager"})
    | ON_THE_TEAM
    | TREATING
)
CHANGES_PARTICIPANT = frozenset({"coordinator", "casemanager"})
# Assessment detail: the team in full and the providers treating the participant.
SEES_ASSESSMENTS = CHANGES_PARTICIPANT | TREATING
# Probation writes supervision contacts and incidents.
WRITES_CONTACTS = CHANGES_PARTICIPANT | {"probation_assigned"}
REACHING = frozenset(PERSONAS) - {"admin", "evaluator", "superuser"}
CASE_MANAGERS = frozenset({"coordinator", "casemanager", "casemanager2", "judge_casemanager"})
INTAKE = CASE_MANAGERS
PROVIDERS = TREATING | {"provider"}
# A POST that answers with a redirect (also when the service refused: the message says why).
POST_REDIRECT = {"method": "post", "ok_status": 302, "refused_status": 404}
# Who sees the plan summary of `participant` (court view includes it).
SEES_PLAN = SEES_PARTICIPANT
TODAY = "today"
# The court (tests/matrix_world.py `_court_record`): who opens its pages at all, who sees
# today's docket with `participant` on it (the program's court roles and coordinators, and the
# participant's own team), who sits on that session (its judge and the clerk listed on it; not
# judge_casemanager, a judge of the program) and who works the program's warrants.
COURT_READERS = REACHING - PROVIDERS
SEES_DOCKET = frozenset(
    {"coordinator", "judge", "clerk", "prosecutor", "judge_casemanager", "casemanager"}
    | ON_THE_TEAM
)
BENCH = frozenset({"judge", "clerk"})
# Staffing of today's hearing of `participant`: their team writes a note each (the treating
# providers too, who see no other court record); the team and the session's bench read them
# (not judge_casemanager, who does not sit in it). The case manager and the coordinators record
# the recommendation.
WRITES_STAFFING = frozenset({"coordinator", "casemanager", "prosecutor"}) | ON_THE_TEAM | TREATING
READS_STAFFING = WRITES_STAFFING | BENCH
WORKS_WARRANTS = frozenset({"coordinator", "judge", "clerk", "judge_casemanager"})
# Fees, fines and restitution of `participant`: the court view reads them (the receipts too),
# probation records them with the team, the program's court waives.
SEES_LEDGER = SEES_PARTICIPANT - TREATING
WAIVES = frozenset({"judge", "clerk", "judge_casemanager"})

MATRIX = {
    "home": Entry(EVERYONE),
    "healthz": Entry(PUBLIC),
    "login": Entry(PUBLIC),
    # Signing out ends the session: no product row moves.
    "logout": Entry(PUBLIC, method="post", ok_status=302, writers=frozenset()),
    "password_reset_confirm": Entry(PUBLIC, args=("MQ", "not-a-token")),
    "password_reset_complete": Entry(PUBLIC),
    # The personas' sessions passed their second factor already: both pages send them on.
    "two_factor_verify": Entry(EVERYONE, ok_status=302),
    "two_factor_setup": Entry(EVERYONE, ok_status=302),
    # The idle clock: no participant data; signed out, it says 0 seconds are left.
    "session_status": Entry(PUBLIC),
    "core:home_for_role": Entry(ADMIN_ONLY, args=("administrator",), refused_status=404),
    "core:staff_list": Entry(ADMIN_ONLY),
    "core:staff_create": Entry(ADMIN_ONLY),
    "core:staff_audit": Entry(ADMIN_ONLY),
    "core:staff_detail": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_update": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_deactivate": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_reactivate": Entry(ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302),
    # Shows or e-mails a link: no row is stored.
    "core:staff_set_password_link": Entry(
        ADMIN_ONLY, args=("casemanager",), method="post", writers=frozenset()
    ),
    "core:staff_send_set_password": Entry(
        ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302, writers=frozenset()
    ),
    "core:staff_email_change_confirm": Entry(PUBLIC, args=("not-a-token",)),
    "core:staff_two_factor_reset": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_unlock_sign_in": Entry(
        ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302
    ),
    "core:organization_list": Entry(ADMIN_ONLY),
    "core:organization_create": Entry(ADMIN_ONLY),
    "core:organization_update": Entry(ADMIN_ONLY, args=("organization",)),
    "core:program_list": Entry(ADMIN_ONLY),
    "core:program_create": Entry(ADMIN_ONLY),
    "core:program_update": Entry(ADMIN_ONLY, args=("program",)),
    "core:program_settings": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_phases": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_phase_requirements": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_response_catalogue": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_fee_schedule": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_response_matrix": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_note_format": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_legal_criteria": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_asam_rule": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_testing_policy": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_alert_thresholds": Entry(COORDINATOR, args=("program",)),
    "clients:participant_list": Entry(REACHING),
    "clients:intake": Entry(INTAKE),
    "clients:alert_list": Entry(REACHING),
    "clients:participant_detail": Entry(
        SEES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "clients:participant_photo": Entry(SEES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:participant_team": Entry(COORDINATOR, args=("participant",), refused_status=404),
    "clients:participant_seal": Entry(COORDINATOR, args=("participant",), refused_status=404),
    "clients:assignment_end": Entry(
        COORDINATOR,
        args=("participant", "assignment"),
        method="post",
        ok_status=302,
        refused_status=404,
    ),
    "clients:enrollment_create": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "clients:enrollment_status": Entry(
        CHANGES_PARTICIPANT, args=("participant", "enrollment"), refused_status=404
    ),
    "clients:document_upload": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "clients:document_download": Entry(
        CHANGES_PARTICIPANT, args=("participant", "document"), refused_status=404
    ),
    "clients:participant_history": Entry(COORDINATOR, args=("participant",), refused_status=404),
    # Consents (42 CFR Part 2): the participant's case manager and the program's coordinators.
    "clients:consent_new": Entry(
        CHANGES_PARTICIPANT,
        args=("participant",),
        **POST_REDIRECT,
        data={
            "participant_name": "As signed",
            "enrollment": "enrollment",
            "disclosing_party": "The treatment team",
            "data_classes": "progress_reports",
            "information_description": "Progress in substance use disorder treatment",
            "recipients": "program_judges",
            "purpose": "Monitoring",
            "revocation_terms": REVOCATION_TERMS,
            "expires_on": "later",
            "signature_method": "electronic",
            "signed_by_name": "As signed",
            "acknowledged": "on",
            "signed_on": TODAY,
        },
    ),
    "clients:consent_blank": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:consent_detail": Entry(
        CHANGES_PARTICIPANT, args=("participant", "consent"), refused_status=404
    ),
    "clients:consent_print": Entry(
        CHANGES_PARTICIPANT, args=("participant", "consent"), refused_status=404
    ),
    "clients:consent_revoke": Entry(
        CHANGES_PARTICIPANT,
        args=("participant", "consent"),
        **POST_REDIRECT,
        data={"revoked_on": TODAY, "received_how": "Letter"},
    ),
    "clients:consent_disposition": Entry(
        CHANGES_PARTICIPANT,
        args=("participant", "consent_cj"),
        **POST_REDIRECT,
        data={"final_disposition_on": TODAY},
    ),
    # The access log (docs/decisions/0018): the program's coordinators review it and the
    # accounting of disclosures; administrators see its metadata.
    "clients:access_log": Entry(COORDINATOR),
    "clients:access_log_metadata": Entry(ADMIN_ONLY),
    "clients:disclosures": Entry(COORDINATOR, args=("participant",), refused_status=404),
    "clients:disclosures_print": Entry(COORDINATOR, args=("participant",), refused_status=404),
    "clients:alert_acknowledge": Entry(
        CHANGES_PARTICIPANT, args=("alert",), method="post", ok_status=302, refused_status=404
    ),
    "clients:alert_resolve": Entry(
        CHANGES_PARTICIPANT,
        args=("alert",),
        method="post",
        ok_status=302,
        refused_status=404,
        data={"note": "Spoke with the participant."},
    ),
    "clients:caseload_transfer": Entry(COORDINATOR, args=("program",), refused_status=404),
    "clients:contact_log": Entry(WRITES_CONTACTS, args=("participant",), refused_status=404),
    # `contact` is casemanager's note shared with supervision.
    "clients:contact_detail": Entry(
        WRITES_CONTACTS, args=("participant", "contact"), refused_status=404
    ),
    "clients:contact_edit": Entry(
        WRITES_CONTACTS,
        args=("participant", "contact"),
        **POST_REDIRECT,
        data={
            "occurred_at": "now",
            "kind": "phone",
            "duration_minutes": "10",
            "primary_function": "monitoring",
            "narrative": "Called back.",
            "shared_with_supervision": "on",
            "version": "1",
        },
        writers=frozenset({"casemanager"}),  # its author, within a day
    ),
    # Only who may change case notes annotates them: probation reads this note, may not.
    "clients:addendum_add": Entry(
        WRITES_CONTACTS,
        args=("participant", "contact"),
        **POST_REDIRECT,
        data={"text": "Spoke again on Friday."},
        writers=CHANGES_PARTICIPANT,
    ),
    "clients:contact_mark_error": Entry(
        WRITES_CONTACTS,
        args=("participant", "contact"),
        **POST_REDIRECT,
        data={"reason": "Wrong participant."},
        writers=CHANGES_PARTICIPANT,  # its author or a coordinator
    ),
    "clients:timeline": Entry(SEES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:participant_calendar": Entry(
        SEES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    # Providers schedule their own agency's treatment appointments.
    "clients:appointment_new": Entry(
        CHANGES_PARTICIPANT | TREATING, args=("participant",), refused_status=404
    ),
    # `appointment` is a case manager meeting: never a provider's to record.
    "clients:appointment_outcome": Entry(
        CHANGES_PARTICIPANT,
        args=("participant", "appointment"),
        **POST_REDIRECT,
        data={"outcome": "attended"},
    ),
    "clients:life_domains": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:incident_new": Entry(WRITES_CONTACTS, args=("participant",), refused_status=404),
    "clients:follow_up_complete": Entry(
        frozenset({"casemanager"}), args=("follow_up",), **POST_REDIRECT
    ),
    "clients:my_calendar": Entry(REACHING),
    "assessments:screening": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:admission": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:risk_need": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:asam": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:needs": Entry(SEES_ASSESSMENTS, args=("participant",), refused_status=404),
    "assessments:screens": Entry(SEES_ASSESSMENTS, args=("participant",), refused_status=404),
    "assessments:administer": Entry(
        CHANGES_PARTICIPANT, args=("participant", "instrument_version"), refused_status=404
    ),
    "assessments:administration": Entry(
        SEES_ASSESSMENTS, args=("participant", "administration"), refused_status=404
    ),
    "assessments:program_screens": Entry(COORDINATOR, args=("program",), refused_status=404),
    "treatment_plans:referral_new": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "treatment_plans:my_referrals": Entry(PROVIDERS),
    # `referral` is addressed to provider's agency: its staff read the packet; the team that
    # sees the plan reads that it exists; other agencies do not see it.
    "treatment_plans:referral_detail": Entry(
        SEES_PLAN - TREATING | {"provider"}, args=("referral",), refused_status=404
    ),
    "treatment_plans:referral_accept": Entry(
        SEES_PLAN - TREATING | {"provider"},
        args=("referral",),
        **POST_REDIRECT,
        writers=frozenset({"provider"}),
    ),
    "treatment_plans:referral_decline": Entry(
        SEES_PLAN - TREATING | {"provider"},
        args=("referral",),
        **POST_REDIRECT,
        data={"reason": "No places."},
        writers=frozenset({"provider"}),
    ),
    # provider_treating's accepted referral.
    "treatment_plans:referral_intake": Entry(
        SEES_PLAN - {"provider_elsewhere"},
        args=("referral_accepted",),
        **POST_REDIRECT,
        data={"scheduled_at": "now", "location": "Northside office"},
        writers=frozenset({"provider_treating"}),
    ),
    # provider_elsewhere's referral, its intake scheduled.
    "treatment_plans:referral_intake_outcome": Entry(
        SEES_PLAN - {"provider_treating"},
        args=("referral_intake",),
        **POST_REDIRECT,
        data={"outcome": "attended"},
        writers=frozenset({"provider_elsewhere"}),
    ),
    # The team books a new intake, or withdraws the referral, only after its intake was missed
    # (none was): nobody writes here.
    "treatment_plans:referral_reschedule_intake": Entry(
        SEES_PLAN - TREATING | {"provider"},
        args=("referral",),
        **POST_REDIRECT,
        data={"scheduled_at": "now", "location": "Main office"},
        writers=frozenset(),
    ),
    "treatment_plans:referral_withdraw": Entry(
        SEES_PLAN - TREATING | {"provider"},
        args=("referral",),
        **POST_REDIRECT,
        data={"reason": "Moved away."},
        writers=frozenset(),
    ),
    "treatment_plans:plan_start": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "treatment_plans:plan_detail": Entry(SEES_PLAN, args=("plan",), refused_status=404),
    "treatment_plans:plan_goal_add": Entry(
        CHANGES_PARTICIPANT,
        args=("plan",),
        **POST_REDIRECT,
        data={"participant_words": "Get my licence back", "clinical_terms": "Employment"},
    ),
    "treatment_plans:plan_objective_add": Entry(
        CHANGES_PARTICIPANT,
        args=("plan",),
        **POST_REDIRECT,
        data={"goal": "goal", "description": "Apply for three jobs", "target_date": "later"},
    ),
    "treatment_plans:plan_service_add": Entry(
        CHANGES_PARTICIPANT,
        args=("plan",),
        **POST_REDIRECT,
        data={
            "objective": "objective",
            "service": "Job club",
            "provider": "provider_treating:organization",
            "frequency": "Weekly",
            "starts_on": TODAY,
        },
    ),
    "treatment_plans:plan_need_defer": Entry(
        CHANGES_PARTICIPANT,
        args=("plan",),
        **POST_REDIRECT,
        data={"need": "open_need", "reason": "After housing, not before."},
    ),
    "treatment_plans:plan_activate": Entry(
        CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT, data={"acknowledged_on": TODAY}
    ),
    "treatment_plans:plan_review": Entry(CHANGES_PARTICIPANT, args=("plan",), refused_status=404),
    # `episode` is provider_treating's.
    "treatment_plans:progress_report_new": Entry(
        frozenset({"provider_treating"}), args=("episode",), refused_status=404
    ),
    "treatment_plans:episode_discharge": Entry(
        CHANGES_PARTICIPANT | {"provider_treating"}, args=("episode",), refused_status=404
    ),
    "compliance:participant_testing": Entry(
        SEES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "compliance:test_order": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "compliance:prescription_new": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "compliance:blackout_new": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "compliance:prescription_end": Entry(
        CHANGES_PARTICIPANT, args=("prescription",), **POST_REDIRECT, data={"ends_on": TODAY}
    ),
    "compliance:blackout_end": Entry(
        CHANGES_PARTICIPANT, args=("blackout",), **POST_REDIRECT, data={"ends_on": TODAY}
    ),
    "compliance:call_list": Entry(CASE_MANAGERS),
    "compliance:program_draws": Entry(COORDINATOR, args=("program",)),
    "compliance:test_detail": Entry(SEES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_collect": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_refuse": Entry(
        CHANGES_PARTICIPANT,
        args=("drug_test",),
        **POST_REDIRECT,
        data={"note": "Would not give a sample."},
    ),
    "compliance:test_result": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_correct": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_request_confirmation": Entry(
        CHANGES_PARTICIPANT, args=("positive_test",), **POST_REDIRECT
    ),
    "court:session_list": Entry(COURT_READERS, refused_status=404),
    "court:session_create": Entry(COORDINATOR, args=("program",), refused_status=404),
    "court:session_update": Entry(COORDINATOR, args=("court_session",), refused_status=404),
    "court:docket": Entry(SEES_DOCKET, args=("court_session",), refused_status=404),
    "court:docket_print": Entry(SEES_DOCKET, args=("court_session",), refused_status=404),
    "court:summary": Entry(SEES_DOCKET, args=("court_session",), refused_status=404),
    "court:docket_place": Entry(COORDINATOR, args=("court_session",), refused_status=404),
    "court:docket_remove": Entry(COORDINATOR, args=("docket_entry",), refused_status=404),
    "court:hearing": Entry(SEES_DOCKET, args=("docket_entry",), refused_status=404),
    "court:hearing_outcome": Entry(
        BENCH,
        args=("docket_entry",),
        **POST_REDIRECT,
        data={
            "appearance": "appeared",
            "next_hearing_on": "later",
            "next_hearing_reason": "Set at the bench.",
        },
    ),
    "court:hearing_response": Entry(
        BENCH, args=("docket_entry",), **POST_REDIRECT, data={"option": "response_option"}
    ),
    # `heard_entry`: decisions are taken at a hearing the participant appeared at.
    "court:hearing_phase": Entry(
        BENCH,
        args=("heard_entry",),
        **POST_REDIRECT,
        data={"to_phase": "2", "reason": "Ninety days without a positive test."},
    ),
    "court:hearing_completion": Entry(BENCH, args=("docket_entry",), refused_status=404),
    # A withdrawal or neutral discharge: the program's coordinators only.
    "court:enrollment_close": Entry(COORDINATOR, args=("enrollment",), refused_status=404),
    "court:staffing": Entry(READS_STAFFING, args=("docket_entry",), refused_status=404),
    "court:staffing_note": Entry(
        WRITES_STAFFING,
        args=("docket_entry",),
        **POST_REDIRECT,
        data={"text": "Ready for phase two."},
    ),
    "court:staffing_recommend": Entry(
        CHANGES_PARTICIPANT,
        args=("docket_entry",),
        **POST_REDIRECT,
        data={"option": "response_option", "reason": "Ninety days clean."},
    ),
    "court:warrant_list": Entry(WORKS_WARRANTS, refused_status=404),
    "court:warrant_issue": Entry(WORKS_WARRANTS, args=("warrant",), refused_status=404),
    "court:warrant_recall": Entry(WORKS_WARRANTS, args=("warrant",), refused_status=404),
    "court:warrant_serve": Entry(
        WORKS_WARRANTS, args=("warrant_issued",), **POST_REDIRECT, data={"on": TODAY}
    ),
    # Community service hours: the participant's case manager and the coordinators log them.
    "court:service_hours_log": Entry(CHANGES_PARTICIPANT, args=("obligation",), refused_status=404),
    # Conditions: whoever changes the participant's conditions (probation too).
    "court:condition_add": Entry(WRITES_CONTACTS, args=("participant",), refused_status=404),
    "court:condition_lift": Entry(WRITES_CONTACTS, args=("condition",), refused_status=404),
    "court:condition_violation": Entry(WRITES_CONTACTS, args=("condition",), refused_status=404),
    "court:ledger_assess": Entry(WRITES_CONTACTS, args=("participant",), refused_status=404),
    "court:ledger_pay": Entry(WRITES_CONTACTS, args=("participant",), refused_status=404),
    # The court waives (a POST: who may not sees 404 and nothing is written).
    "court:ledger_waive": Entry(
        WAIVES,
        args=("participant",),
        method="post",
        ok_status=302,
        refused_status=404,
        data={
            "enrollment": "enrollment",
            "amount": "10.00",
            "waived_on": TODAY,
            "reason": "Reduced at the hearing.",
        },
    ),
    "court:ledger_reverse": Entry(WRITES_CONTACTS, args=("payment",), refused_status=404),
    "court:ledger_receipt": Entry(SEES_LEDGER, args=("payment",), refused_status=404),
    "reports:units_of_service": Entry(CASE_MANAGERS),
    "reports:units_of_service_csv": Entry(CASE_MANAGERS),
}
EXEMPT_NAMESPACES = {"admin"}  # Django admin: see test_django_admin_is_for_superusers_only


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_has_a_matrix_entry():
    names = {name for name in url_names() if name.split(":")[0] not in EXEMPT_NAMESPACES}
    assert names - MATRIX.keys() == set(), "add these URLs to the matrix"
    assert MATRIX.keys() - names == set(), "these matrix entries name no URL"


# Cases whose target is not met on main yet: (URL name, persona) → why, and who fixes it.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _cases():
    for name in sorted(MATRIX):
        for persona in (ANONYMOUS, *PERSONAS):
            gap = KNOWN_GAPS.get((name, persona))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(name, persona, marks=marks, id=f"{name}-{persona}")


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's documents stay where the world put them (not in a folder per test)."""


def _value(world, value):
    """Entry data names world objects (`goal`, `provider_treating:organization`) and dates (the
    program's day: the site's or the previous request's zone may already be a day ahead)."""
    if value in (TODAY, "later"):
        today = program_today(Program.objects.get(pk=world.objects["program"]))
        later = today + datetime.timedelta(days=30)
        return (today if value == TODAY else later).isoformat()
    if value == "now":
        return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    if value.endswith(":organization"):
        return world.users[value.removesuffix(":organization")].organization_id
    return world.objects.get(value, value)


@pytest.mark.parametrize(("name", "persona"), _cases())
def test_url_answers_each_persona_as_the_matrix_says(client, world, name, persona):
    entry = MATRIX[name]
    url = reverse(name, args=[world.objects.get(arg, arg) for arg in entry.args])
    data = {key: _value(world, value) for key, value in entry.data.items()}
    if persona != ANONYMOUS:
        world.sign_in(client, persona)

    before = row_counters()
    response = getattr(client, entry.method)(url, data)
    written = tables_written(before, row_counters())

    if persona == ANONYMOUS and entry.allowed != PUBLIC:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        allowed = entry.allowed == PUBLIC or persona in entry.allowed
        assert response.status_code == (entry.ok_status if allowed else entry.refused_status)
    if entry.writes(persona):
        assert written, "an allowed request writes"
    else:
        assert written == set(), "a refusal (or a read) writes nothing"


def test_program_settings_of_a_program_one_does_not_coordinate_is_not_found(client, world):
    world.sign_in(client, "coordinator")

    for name in ("core:program_settings", "core:program_settings_phases"):
        url = reverse(name, args=[world.objects["other_program"]])
        assert client.get(url).status_code == 404


def test_django_admin_is_for_superusers_only(client, world):
    world.sign_in(client, "admin")
    assert client.get(reverse("admin:index")).status_code == 302

    world.sign_in(client, "superuser")
    assert client.get(reverse("admin:index")).status_code == 200
