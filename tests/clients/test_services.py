import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from clients import access, services
from clients.access import DataClass
from clients.models import (
    Alert,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
    Participant,
    TeamRole,
)
from clients.services import ChargeData, EnrollmentData, IdentifierData
from tests.conftest import PNG_1PX


def intake(actor, program, **person_overrides):
    person = {
        "legal_first_name": "Dana",
        "legal_last_name": "Rivers",
        "date_of_birth": datetime.date(1988, 2, 14),
        **person_overrides,
    }
    return services.participant_intake(
        person=person,
        enrollment=EnrollmentData(
            program=program,
            case_number=person_overrides.get("case_number_", "DC-26-0100"),
            referral_date=datetime.date(2026, 11, 2),
            referral_source="defence",
            charges=[ChargeData(statute="720 ILCS 570/402", description="Possession")],
        ),
        identifiers=[IdentifierData(kind="state_id", value="S123-4567")],
        emergency_contacts=[],
        actor=actor,
    )


def test_a_case_manager_intake_puts_them_on_the_team(casemanager, program):
    person = intake(casemanager, program)

    assert person in access.participants_visible_to(casemanager)
    assert CaseAssignment.objects.get(participant=person).user == casemanager
    enrollment = person.enrollments.get()
    assert enrollment.status == EnrollmentStatus.REFERRED
    assert enrollment.charges.get().statute == "720 ILCS 570/402"
    assert enrollment.status_changes.get().changed_by == casemanager


def test_a_coordinator_intake_assigns_nobody(coordinator, program):
    person = intake(coordinator, program)

    assert not CaseAssignment.objects.filter(participant=person).exists()
    assert person in access.participants_visible_to(coordinator)


def test_only_coordinators_and_case_managers_of_the_program_do_intakes(
    judge, casemanager, other_program
):
    with pytest.raises(ValidationError, match="coordinators and case managers"):
        intake(judge, judge.programs.get())
    with pytest.raises(ValidationError, match="coordinators and case managers"):
        intake(casemanager, other_program)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"legal_first_name": " "}, "legal_first_name", "Enter the legal name"),
        ({"date_of_birth": datetime.date(2999, 1, 1)}, "date_of_birth", "in the past"),
    ],
)
def test_intake_refuses_bad_person_data_and_saves_nothing(
    casemanager, program, overrides, field, message
):
    with pytest.raises(ValidationError) as refusal:
        intake(casemanager, program, **overrides)

    assert message in refusal.value.message_dict[field][0]
    assert not Participant.objects.exists()


def test_intake_refuses_a_case_number_already_used_in_the_program(casemanager, program):
    intake(casemanager, program)

    with pytest.raises(ValidationError) as refusal:
        intake(casemanager, program, legal_first_name="Other")

    assert Participant.objects.count() == 1
    assert "identifier is already recorded" in str(refusal.value) or "case number" in str(
        refusal.value
    )


def test_lifecycle_admits_with_entry_type_and_phase_one(casemanager, program):
    enrollment = intake(casemanager, program).enrollments.get()
    day = datetime.date(2026, 11, 10)

    services.enrollment_change_status(
        enrollment=enrollment,
        to_status=EnrollmentStatus.SCREENING,
        effective_date=day,
        reason="Screening scheduled",
        actor=casemanager,
    )
    services.enrollment_admit(
        enrollment=enrollment,
        effective_date=day,
        reason="Plea entered",
        entry_type="post_plea",
        actor=casemanager,
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.phase, enrollment.entry_date) == ("active", 1, day)
    assert enrollment.status_changes.count() == 3


@pytest.mark.parametrize(
    ("to_status", "message"),
    [
        (EnrollmentStatus.ABSCONDED, "cannot become absconded"),
        (EnrollmentStatus.ACTIVE, "cannot become active"),
    ],
)
def test_lifecycle_refuses_impossible_transitions(casemanager, program, to_status, message):
    enrollment = intake(casemanager, program).enrollments.get()

    with pytest.raises(ValidationError, match=message):
        services.enrollment_change_status(
            enrollment=enrollment,
            to_status=to_status,
            effective_date=datetime.date(2026, 11, 10),
            reason="x",
            actor=casemanager,
        )

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REFERRED


def test_admission_needs_an_entry_type(casemanager, program):
    enrollment = intake(casemanager, program).enrollments.get()
    day = datetime.date(2026, 11, 10)
    services.enrollment_change_status(
        enrollment=enrollment,
        to_status="screening",
        effective_date=day,
        reason="ok",
        actor=casemanager,
    )

    with pytest.raises(ValidationError) as refusal:
        services.enrollment_admit(
            enrollment=enrollment, effective_date=day, entry_type="", reason="ok", actor=casemanager
        )

    assert "entry type" in refusal.value.message_dict["entry_type"][0]


def test_a_readmission_is_a_new_enrollment_after_the_first_closed(casemanager, program):
    person = intake(casemanager, program)
    first = person.enrollments.get()
    services.enrollment_change_status(
        enrollment=first,
        to_status="withdrawn",
        effective_date=datetime.date(2026, 11, 3),
        reason="Opted out",
        actor=casemanager,
    )

    second = services.enrollment_create(
        participant=person,
        data=EnrollmentData(
            program=program,
            case_number="DC-26-0200",
            referral_date=datetime.date(2026, 11, 20),
            referral_source="self",
        ),
        actor=casemanager,
    )

    assert person.enrollments.count() == 2
    assert second.status == EnrollmentStatus.REFERRED


def test_only_one_open_enrollment_per_program(casemanager, program):
    person = intake(casemanager, program)

    with pytest.raises(ValidationError, match="already has an open enrollment"):
        services.enrollment_create(
            participant=person,
            data=EnrollmentData(
                program=program,
                case_number="DC-26-0300",
                referral_date=datetime.date(2026, 11, 20),
                referral_source="self",
            ),
            actor=casemanager,
        )


def test_caseload_transfer_moves_every_participant_and_their_access(
    coordinator, casemanager, casemanager2, participant, program
):
    moved = services.caseload_transfer(
        program=program, from_user=casemanager, to_user=casemanager2, actor=coordinator
    )

    assert moved == 1
    assert participant in access.participants_visible_to(casemanager2)
    assert participant not in access.participants_visible_to(casemanager)
    assert CaseAssignment.objects.filter(user=casemanager, ended_on__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("content", "size", "message"),
    [
        (b"MZ\x90\x00 not a pdf", None, "Upload a PDF, PNG or JPEG file."),
        (b"%PDF-1.7 big", 11 * 1024 * 1024, "larger than the limit of 10 MB"),
    ],
)
def test_document_upload_refuses_wrong_types_and_sizes(
    casemanager, participant, content, size, message
):
    upload = SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")
    if size:
        upload.size = size

    with pytest.raises(ValidationError, match=message):
        services.document_upload(
            participant=participant,
            kind="record",
            title="Scan",
            uploaded_file=upload,
            actor=casemanager,
        )

    assert not participant.documents.exists()


def test_a_photo_upload_becomes_the_participants_photo(casemanager, participant):
    services.document_upload(
        participant=participant,
        kind="photo",
        title="",
        actor=casemanager,
        uploaded_file=SimpleUploadedFile("me.png", PNG_1PX),
    )

    participant.refresh_from_db()
    assert participant.photo.content_type == "image/png"
    assert "me.png" not in participant.photo.file.name  # stored names carry no PHI


def test_alert_raise_raises_an_event_once(participant):
    first = services.alert_raise(
        participant=participant,
        kind="missed_test",
        source_key="test:1",
        data_class=DataClass.DRUG_TESTS,
        message="Missed a test",
    )
    second = services.alert_raise(
        participant=participant,
        kind="missed_test",
        source_key="test:1",
        data_class=DataClass.DRUG_TESTS,
        message="Missed a test",
    )

    assert first is not None
    assert second is None
    assert Alert.objects.count() == 1


def test_alerts_raise_is_set_based_and_idempotent(
    participant, participant2, django_assert_num_queries
):
    from django.db.models import CharField, F, IntegerField, Value
    from django.db.models.functions import Concat

    rows = Enrollment.objects.filter(status="active").annotate(
        source_key=Concat(Value("enrollment:"), F("pk"), output_field=CharField()),
        message=Value("Enrollment needs a look", output_field=CharField()),
        assigned_to_id=Value(None, output_field=IntegerField()),
    )

    statement = services.alerts_statement(
        kind="check", data_class=DataClass.ENROLLMENT, severity="info", rows=rows
    )

    with django_assert_num_queries(1):
        first = services.alerts_raise(statement=statement)
    second = services.alerts_raise(statement=statement)

    assert (first, second) == (2, 0)
    assert set(Alert.objects.values_list("participant", flat=True)) == {
        participant.pk,
        participant2.pk,
    }


def test_resolving_an_alert_needs_a_note(casemanager, participant):
    alert = services.alert_raise(
        participant=participant,
        kind="k",
        source_key="s",
        data_class=DataClass.ENROLLMENT,
        message="m",
    )

    with pytest.raises(ValidationError, match="Say how"):
        services.alert_resolve(alert=alert, note="  ", actor=casemanager)
    services.alert_resolve(alert=alert, note="Called them", actor=casemanager)

    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_team_role_choices_match_the_roles_that_reach_per_participant():
    assert {role.value for role in TeamRole} <= {
        "case_manager",
        "probation_officer",
        "defence_attorney",
    }
