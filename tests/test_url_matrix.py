"""Every URL pattern × every persona. A new URL without an entry here fails the suite.

Rules: participant-free management pages refuse other roles with 403; pages scoped to a
program the user does not coordinate answer 404; anonymous visitors of any non-public page are
sent to sign in. Django admin (`admin:`) is for superusers only and is checked once by its
index; static files are not served through URL patterns outside DEBUG.
"""

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import InstrumentVersion
from clients import services
from clients.access import DataClass
from clients.models import FollowUp
from compliance.models import BlackoutPeriod, BlackoutReason, DrugTest, Prescription, TestReason
from tests.conftest import PERSONAS, PNG_1PX, enrolled
from tests.factories import assign, log_contact
from treatment_plans import services as referral_services

EVERYONE = frozenset(PERSONAS)
PUBLIC = "public"


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str] | str
    args: tuple = ()
    method: str = "get"
    ok_status: int = 200
    refused_status: int = 403
    data: dict = field(default_factory=dict)


ADMIN_ONLY = frozenset({"admin"})
COORDINATOR = frozenset({"coordinator"})
# Who reaches `participant` (on casemanager's caseload) and with what.
SEES_PARTICIPANT = frozenset({"coordinator", "judge", "clerk", "prosecutor", "casemanager"})
CHANGES_PARTICIPANT = frozenset({"coordinator", "casemanager"})
REACHING = frozenset(PERSONAS) - {"admin", "evaluator", "superuser"}
INTAKE = frozenset({"coordinator", "casemanager", "casemanager2"})
# A POST that answers with a redirect (also when the service refused: the message says why).
POST_REDIRECT = {"method": "post", "ok_status": 302, "refused_status": 404}
# Who sees the plan summary of `participant` (court view includes it).
SEES_PLAN = SEES_PARTICIPANT

MATRIX = {
    "home": Entry(EVERYONE),
    "healthz": Entry(PUBLIC),
    "login": Entry(PUBLIC),
    "logout": Entry(PUBLIC, method="post", ok_status=302),
    "password_reset_confirm": Entry(PUBLIC, args=("MQ", "not-a-token")),
    "password_reset_complete": Entry(PUBLIC),
    "core:home_for_role": Entry(ADMIN_ONLY, args=("administrator",), refused_status=404),
    "core:staff_list": Entry(ADMIN_ONLY),
    "core:staff_create": Entry(ADMIN_ONLY),
    "core:staff_audit": Entry(ADMIN_ONLY),
    "core:staff_detail": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_update": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_deactivate": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_reactivate": Entry(ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302),
    "core:staff_set_password_link": Entry(ADMIN_ONLY, args=("casemanager",), method="post"),
    "core:staff_send_set_password": Entry(
        ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302
    ),
    "core:staff_email_change_confirm": Entry(PUBLIC, args=("not-a-token",)),
    "core:organization_list": Entry(ADMIN_ONLY),
    "core:organization_create": Entry(ADMIN_ONLY),
    "core:organization_update": Entry(ADMIN_ONLY, args=("organization",)),
    "core:program_list": Entry(ADMIN_ONLY),
    "core:program_create": Entry(ADMIN_ONLY),
    "core:program_update": Entry(ADMIN_ONLY, args=("program",)),
    "core:program_settings": Entry(COORDINATOR, args=("program",)),
    "core:program_settings_phases": Entry(COORDINATOR, args=("program",)),
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
    "clients:contact_log": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:contact_detail": Entry(
        CHANGES_PARTICIPANT, args=("participant", "contact"), refused_status=404
    ),
    "clients:contact_edit": Entry(
        CHANGES_PARTICIPANT, args=("participant", "contact"), **POST_REDIRECT
    ),
    "clients:addendum_add": Entry(
        CHANGES_PARTICIPANT, args=("participant", "contact"), **POST_REDIRECT
    ),
    "clients:contact_mark_error": Entry(
        CHANGES_PARTICIPANT, args=("participant", "contact"), **POST_REDIRECT
    ),
    "clients:timeline": Entry(SEES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:participant_calendar": Entry(
        SEES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "clients:appointment_new": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "clients:appointment_outcome": Entry(
        CHANGES_PARTICIPANT, args=("participant", "appointment"), **POST_REDIRECT
    ),
    "clients:life_domains": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:incident_new": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "clients:follow_up_complete": Entry(
        frozenset({"casemanager"}), args=("follow_up",), **POST_REDIRECT
    ),
    "clients:my_calendar": Entry(REACHING),
    "assessments:screening": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:admission": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:risk_need": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:asam": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:needs": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:screens": Entry(CHANGES_PARTICIPANT, args=("participant",), refused_status=404),
    "assessments:administer": Entry(
        CHANGES_PARTICIPANT, args=("participant", "instrument_version"), refused_status=404
    ),
    "assessments:administration": Entry(
        CHANGES_PARTICIPANT, args=("participant", "administration"), refused_status=404
    ),
    "assessments:program_screens": Entry(COORDINATOR, args=("program",), refused_status=404),
    "treatment_plans:referral_new": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "treatment_plans:my_referrals": Entry(frozenset({"provider"})),
    # The referral is addressed to the provider's agency: its staff read the packet; the team
    # that sees the plan reads it too.
    "treatment_plans:referral_detail": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), refused_status=404
    ),
    "treatment_plans:referral_accept": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    "treatment_plans:referral_decline": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    "treatment_plans:referral_intake": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    "treatment_plans:referral_intake_outcome": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    # The service refuses (a message) unless the intake was missed and the user is the team's.
    "treatment_plans:referral_reschedule_intake": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    "treatment_plans:referral_withdraw": Entry(
        SEES_PLAN | {"provider"}, args=("referral",), **POST_REDIRECT
    ),
    "treatment_plans:plan_start": Entry(
        CHANGES_PARTICIPANT, args=("participant",), refused_status=404
    ),
    "treatment_plans:plan_detail": Entry(SEES_PLAN, args=("plan",), refused_status=404),
    "treatment_plans:plan_goal_add": Entry(CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT),
    "treatment_plans:plan_objective_add": Entry(
        CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT
    ),
    "treatment_plans:plan_service_add": Entry(CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT),
    "treatment_plans:plan_need_defer": Entry(CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT),
    "treatment_plans:plan_activate": Entry(CHANGES_PARTICIPANT, args=("plan",), **POST_REDIRECT),
    "treatment_plans:plan_review": Entry(CHANGES_PARTICIPANT, args=("plan",), refused_status=404),
    "treatment_plans:progress_report_new": Entry(
        frozenset({"provider"}), args=("episode",), refused_status=404
    ),
    "treatment_plans:episode_discharge": Entry(
        CHANGES_PARTICIPANT | {"provider"}, args=("episode",), refused_status=404
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
        CHANGES_PARTICIPANT, args=("prescription",), **POST_REDIRECT
    ),
    "compliance:blackout_end": Entry(CHANGES_PARTICIPANT, args=("blackout",), **POST_REDIRECT),
    "compliance:call_list": Entry(frozenset({"coordinator", "casemanager", "casemanager2"})),
    "compliance:program_draws": Entry(COORDINATOR, args=("program",)),
    "compliance:test_detail": Entry(SEES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_collect": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_refuse": Entry(CHANGES_PARTICIPANT, args=("drug_test",), **POST_REDIRECT),
    "compliance:test_result": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_correct": Entry(CHANGES_PARTICIPANT, args=("drug_test",), refused_status=404),
    "compliance:test_request_confirmation": Entry(
        CHANGES_PARTICIPANT, args=("drug_test",), **POST_REDIRECT
    ),
    "reports:units_of_service": Entry(frozenset({"coordinator", "casemanager", "casemanager2"})),
    "reports:units_of_service_csv": Entry(
        frozenset({"coordinator", "casemanager", "casemanager2"})
    ),
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


@pytest.fixture
def matrix_objects(personas, program):
    """The objects URLs name: `participant` is on casemanager's caseload, with a photo."""
    casemanager = personas["casemanager"]
    participant = enrolled(program, creator=casemanager)
    assign(participant, casemanager)
    document = services.document_upload(
        participant=participant,
        kind="photo",
        title="Intake photo",
        uploaded_file=SimpleUploadedFile("face.png", PNG_1PX),
        actor=casemanager,
    )
    alert = services.alert_raise(
        participant=participant,
        kind="test",
        source_key="matrix",
        data_class=DataClass.ENROLLMENT,
        message="Check the enrollment",
    )
    contact = log_contact(participant, casemanager)
    FollowUp.objects.create(
        participant=participant,
        contact=contact,
        description="Call back",
        due_on=timezone.localdate(),
        assigned_to=casemanager,
        created_by=casemanager,
    )
    appointment = services.appointment_schedule(
        participant=participant, kind="court", scheduled_at=timezone.now(), actor=casemanager
    )
    phq9 = InstrumentVersion.objects.filter(instrument__code="PHQ-9").latest("version")
    administration = assessment_services.administration_record(
        participant=participant,
        instrument_version=phq9,
        administered_on=timezone.localdate(),
        answers={**{str(n): "0" for n in range(1, 10)}, "10": "0"},
        actor=casemanager,
    )
    provider = personas["provider"]
    referral = referral_services.referral_send(
        participant=participant,
        provider=provider.organization,
        requested_service="Intensive outpatient",
        reason="Moderate use disorder",
        urgency="routine",
        shared_information="Name and contact",
        actor=casemanager,
    )
    # A second participant on casemanager's caseload is in treatment with the provider, so the
    # provider reaches that one and not `participant`.
    treated = enrolled(program, creator=casemanager)
    assign(treated, casemanager)
    other = referral_services.referral_send(
        participant=treated,
        provider=provider.organization,
        requested_service="Individual counselling",
        reason="Trauma",
        urgency="routine",
        shared_information="Name",
        actor=casemanager,
    )
    episode = referral_services.referral_accept(referral=other, actor=provider)
    plan = referral_services.plan_start_draft(
        participant=participant, starts_on=timezone.localdate(), actor=casemanager
    )
    drug_test = DrugTest.objects.create(
        participant=participant,
        program=program,
        reason=TestReason.ORDERED,
        scheduled_for=timezone.localdate(),
        status_changed_at=timezone.now(),
    )
    prescription = Prescription.objects.create(
        participant=participant,
        drug="Buprenorphine",
        dose="8 mg",
        prescriber="Dr. Reyes",
        starts_on=timezone.localdate(),
        explains=["BUP"],
        recorded_by=casemanager,
    )
    blackout = BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.HOSPITAL,
        starts_on=timezone.localdate(),
        recorded_by=casemanager,
    )
    return {
        "drug_test": drug_test.pk,
        "prescription": prescription.pk,
        "blackout": blackout.pk,
        "plan": plan.pk,
        "referral": referral.pk,
        "episode": episode.pk,
        "instrument_version": phq9.pk,
        "administration": administration.pk,
        "contact": contact.pk,
        "follow_up": contact.follow_ups.get().pk,
        "appointment": appointment.pk,
        "program": program.pk,
        "organization": program.court.pk,
        "participant": participant.pk,
        "enrollment": participant.enrollments.get().pk,
        "assignment": participant.assignments.get().pk,
        "document": document.pk,
        "alert": alert.pk,
        **{name: user.pk for name, user in personas.items()},
    }


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_url_answers_each_persona_as_the_matrix_says(client, personas, matrix_objects, name):
    entry = MATRIX[name]
    url = reverse(name, args=[matrix_objects.get(arg, arg) for arg in entry.args])
    request = getattr(client, entry.method)

    anonymous = request(url, entry.data)
    if entry.allowed == PUBLIC:
        assert anonymous.status_code == entry.ok_status, "anonymous"
    else:
        assert anonymous.status_code == 302, "anonymous"
        assert anonymous["Location"].startswith(reverse("login"))

    for persona, user in personas.items():
        client.force_login(user)
        allowed = entry.allowed == PUBLIC or persona in entry.allowed
        expected = entry.ok_status if allowed else entry.refused_status
        assert request(url, entry.data).status_code == expected, persona


def test_program_settings_of_a_program_one_does_not_coordinate_is_not_found(
    client, coordinator, other_program
):
    client.force_login(coordinator)

    for name in ("core:program_settings", "core:program_settings_phases"):
        assert client.get(reverse(name, args=[other_program.pk])).status_code == 404


def test_django_admin_is_for_superusers_only(client, admin, superuser):
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 302

    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
