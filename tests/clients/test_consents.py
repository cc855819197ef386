"""Recording, reading, revoking and printing 42 CFR Part 2 consents, and the expiry sweep."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from clients import access, consents, selectors
from clients.access import DataClass, Visibility
from clients.consents import RecipientData
from clients.models import (
    CRIMINAL_JUSTICE_REVOCATION_TERMS,
    REVOCATION_TERMS,
    Alert,
    Consent,
    ConsentRecipient,
    ConsentState,
    ConsentTrigger,
    Document,
    DocumentKind,
    EnrollmentStatus,
)
from clients.sweeps import consents_expiring_statement, consents_expiring_sweep
from clients.tasks import consents_expiring_sweep_task
from drugcourt.models import User
from drugcourt.roles import Role
from drugcourt.selectors import program_today
from tests.conftest import PNG_1PX, enrolled
from tests.factories import UserFactory, assign

PDF = b"%PDF-1.4\n%signed consent\n"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def today(program):
    return program_today(program)


@pytest.fixture
def enrollment(participant):
    return participant.enrollments.get()


def consent_kwargs(participant, casemanager, **overrides):
    enrollment = participant.enrollments.get()
    today = program_today(enrollment.program)
    kwargs = {
        "participant": participant,
        "enrollment": enrollment,
        "participant_name": "Ada Moss",
        "disclosing_party": "Lakeview Adult Drug Court: its coordinators and case managers",
        "data_classes": [DataClass.PROGRESS_REPORTS, DataClass.DRUG_TESTS],
        "information_description": "Progress in substance use disorder treatment and drug tests",
        "recipients": [RecipientData(program=enrollment.program, role=Role.JUDGE)],
        "purpose": "Monitoring progress in the drug court program",
        "revocation_terms": REVOCATION_TERMS,
        "expires_on": today + datetime.timedelta(days=365),
        "expiry_event": "",
        "criminal_justice": False,
        "irrevocable_until": None,
        "irrevocable_until_event": "",
        "signature_method": "electronic",
        "signed_by_name": "Ada Moss",
        "acknowledged": True,
        "signed_form": None,
        "signed_on": today,
        "actor": casemanager,
    }
    kwargs.update(overrides)
    return kwargs


def record(participant, casemanager, **overrides) -> Consent:
    return consents.consent_record(**consent_kwargs(participant, casemanager, **overrides))


def criminal_justice(participant, casemanager, **overrides) -> Consent:
    today = program_today(participant.enrollments.get().program)
    return record(
        participant,
        casemanager,
        **{
            "criminal_justice": True,
            "revocation_terms": CRIMINAL_JUSTICE_REVOCATION_TERMS,
            "irrevocable_until": today + datetime.timedelta(days=90),
            **overrides,
        },
    )


def fresh(user: User) -> User:
    """The user as a new request sees them (access caches reach and consents on the user)."""
    return User.objects.get(pk=user.pk)


# ---------------------------------------------------------------------------------------------
# Recording


def test_a_consent_with_every_element_is_recorded_with_its_recipients(
    participant, casemanager, program, organizations, judge
):
    consent = record(
        participant,
        casemanager,
        recipients=[
            RecipientData(program=program, role=Role.JUDGE),
            RecipientData(organization=organizations["probation"]),
            RecipientData(user=judge),
        ],
    )

    assert consent.data_classes == sorted([DataClass.DRUG_TESTS, DataClass.PROGRESS_REPORTS])
    assert [str(r) for r in consent.recipients.all()] == [
        f"{program}: Judge",
        str(organizations["probation"]),
        str(judge),
    ]
    assert consent.events.count() == 1  # pghistory
    assert consent.state(program_today(program)) == ConsentState.IN_FORCE


def test_an_uploaded_signed_form_is_kept_as_a_consent_document(participant, casemanager):
    consent = record(
        participant,
        casemanager,
        signature_method="signed_form",
        acknowledged=False,
        signed_form=SimpleUploadedFile("consent.pdf", PDF),
    )

    assert consent.signed_form.kind == DocumentKind.CONSENT
    assert consent.signed_form.participant == participant


def test_a_recorded_consent_opens_its_classes_to_its_recipients_and_revocation_closes_them(
    participant, casemanager, judge, prosecutor
):
    assert access.visibility(judge, participant, DataClass.PROGRESS_REPORTS) is (
        Visibility.WITHHELD
    )
    consent = record(participant, casemanager)

    judge = fresh(judge)
    assert access.visibility(judge, participant, DataClass.PROGRESS_REPORTS) is Visibility.SHOWN
    assert access.visibility(judge, participant, DataClass.CASE_NOTES) is Visibility.HIDDEN
    assert access.visibility(fresh(prosecutor), participant, DataClass.PROGRESS_REPORTS) is (
        Visibility.WITHHELD
    )

    consents.consent_revoke(
        consent=consent,
        revoked_on=consent.signed_on,
        received_how="Letter handed to the case manager",
        actor=casemanager,
    )
    assert access.visibility(fresh(judge), participant, DataClass.PROGRESS_REPORTS) is (
        Visibility.WITHHELD
    )


def other_participants_enrollment(program, casemanager):
    return enrolled(program, creator=casemanager).enrollments.get()


BAD_INPUT = [
    ({"participant_name": " "}, "participant_name"),
    ({"disclosing_party": ""}, "disclosing_party"),
    ({"data_classes": []}, "data_classes"),
    ({"data_classes": [DataClass.IDENTITY]}, "data_classes"),
    ({"information_description": ""}, "information_description"),
    ({"recipients": []}, "recipients"),
    ({"recipients": [RecipientData(role=Role.JUDGE)]}, "recipients"),
    ({"purpose": ""}, "purpose"),
    ({"revocation_terms": ""}, "revocation_terms"),
    ({"revocation_terms": CRIMINAL_JUSTICE_REVOCATION_TERMS}, "revocation_terms"),
    ({"enrollment": None}, "enrollment"),
    ({"signed_on": None}, "signed_on"),
    ({"expires_on": None}, "expires_on"),
    ({"expires_on": "before"}, "expires_on"),
    ({"irrevocable_until": "later"}, "irrevocable_until"),
    ({"irrevocable_until_event": ConsentTrigger.FINAL_DISPOSITION}, "irrevocable_until"),
    ({"criminal_justice": True}, "irrevocable_until"),
    ({"signed_on": "tomorrow"}, "signed_on"),
    ({"acknowledged": False}, "acknowledged"),
    ({"signed_by_name": ""}, "signed_by_name"),
    ({"signature_method": "signed_form"}, "signed_form"),
    ({"signature_method": "fax"}, "signature_method"),
    ({"expiry_event": "moon_landing", "expires_on": None}, "expiry_event"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
def test_a_consent_missing_an_element_is_refused_on_its_field_and_nothing_is_saved(
    participant, casemanager, today, judge, overrides, field
):
    dates = {
        "before": today - 10 * DAY,
        "later": today + 30 * DAY,
        "tomorrow": today + DAY,
    }
    overrides = {k: dates.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}

    with pytest.raises(ValidationError) as refusal:
        record(participant, casemanager, **overrides)

    assert field in refusal.value.message_dict
    assert Consent.objects.count() == ConsentRecipient.objects.count() == 0
    assert access.visibility(judge, participant, DataClass.PROGRESS_REPORTS) is (
        Visibility.WITHHELD
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"enrollment": "another participant's"}, "enrollment"),
        ({"recipients": "another program's judges"}, "recipients"),
        ({"recipients": "the program's coordinators"}, "recipients"),
        (
            {
                "irrevocable_until": "after expiry",
                "criminal_justice": True,
                "revocation_terms": CRIMINAL_JUSTICE_REVOCATION_TERMS,
            },
            "irrevocable_until",
        ),
        ({"signed_form": "a text file", "signature_method": "signed_form"}, "signed_form"),
        ({"signed_form": "a pdf"}, "signed_form"),  # with an electronic acknowledgement
    ],
)
def test_inconsistent_consents_are_refused_and_nothing_is_saved(
    participant, casemanager, program, other_program, today, overrides, field
):
    values = {
        "another participant's": other_participants_enrollment(program, casemanager),
        "another program's judges": [RecipientData(program=other_program, role=Role.JUDGE)],
        "the program's coordinators": [RecipientData(program=program, role=Role.COORDINATOR)],
        "after expiry": today + 400 * DAY,
        "a text file": SimpleUploadedFile("consent.txt", b"I agree"),
        "a pdf": SimpleUploadedFile("consent.pdf", PDF),
    }
    overrides = {k: values.get(v, v) for k, v in overrides.items()}

    with pytest.raises(ValidationError) as refusal:
        record(participant, casemanager, **overrides)

    assert field in refusal.value.message_dict
    assert Consent.objects.count() == Document.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# States, revocation, final disposition


def test_state_today_follows_expiry_by_date_and_by_event_and_signature_in_the_future(
    participant, casemanager, enrollment, today
):
    by_date = record(participant, casemanager, signed_on=today - 30 * DAY, expires_on=today - DAY)
    by_event = record(
        participant, casemanager, expires_on=None, expiry_event=ConsentTrigger.ENROLLMENT_CLOSED
    )
    assert by_date.state(today) == ConsentState.EXPIRED
    assert by_event.state(today) == ConsentState.IN_FORCE
    assert by_event.state(today - DAY) == ConsentState.NOT_YET

    enrollment.status = EnrollmentStatus.GRADUATED
    enrollment.save()
    by_event.refresh_from_db()
    assert by_event.state(today) == ConsentState.EXPIRED


def test_revocation_is_refused_while_a_criminal_justice_consent_is_irrevocable(
    participant, casemanager, today
):
    consent = criminal_justice(participant, casemanager)

    with pytest.raises(ValidationError, match=r"cannot be revoked until .*§2\.35"):
        consents.consent_revoke(
            consent=consent, revoked_on=today, received_how="Letter", actor=casemanager
        )

    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_a_consent_irrevocable_until_the_final_disposition_is_revocable_once_it_is_recorded(
    participant, casemanager, today, judge
):
    consent = criminal_justice(
        participant,
        casemanager,
        irrevocable_until=None,
        irrevocable_until_event=ConsentTrigger.FINAL_DISPOSITION,
    )
    with pytest.raises(ValidationError):
        consents.consent_revoke(
            consent=consent, revoked_on=today, received_how="Letter", actor=casemanager
        )

    consents.consent_record_disposition(
        consent=consent, final_disposition_on=today, actor=casemanager
    )
    with pytest.raises(ValidationError, match="already recorded"):
        consents.consent_record_disposition(
            consent=consent, final_disposition_on=today, actor=casemanager
        )
    consents.consent_revoke(
        consent=consent, revoked_on=today, received_how="Letter", actor=casemanager
    )

    consent.refresh_from_db()
    assert (consent.revoked_on, consent.revocation_received_how) == (today, "Letter")
    assert consent.revoked_by == casemanager
    assert consent.events.count() == 3  # recorded, disposition, revocation (pghistory)
    assert access.visibility(fresh(judge), participant, DataClass.PROGRESS_REPORTS) is (
        Visibility.WITHHELD
    )


@pytest.mark.parametrize(
    ("revoked_on", "received_how", "message"),
    [
        ("tomorrow", "Letter", "cannot be after today"),
        ("before signing", "Letter", "before the consent was signed"),
        ("today", " ", "how the revocation was received"),
    ],
)
def test_bad_revocations_are_refused(
    participant, casemanager, today, revoked_on, received_how, message
):
    consent = record(participant, casemanager)
    when = {"tomorrow": today + DAY, "before signing": today - DAY, "today": today}[revoked_on]

    with pytest.raises(ValidationError, match=message):
        consents.consent_revoke(
            consent=consent, revoked_on=when, received_how=received_how, actor=casemanager
        )

    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_a_consent_is_revoked_once(participant, casemanager, today):
    consent = record(participant, casemanager)
    consents.consent_revoke(
        consent=consent, revoked_on=today, received_how="Call", actor=casemanager
    )

    with pytest.raises(ValidationError, match="already revoked"):
        consents.consent_revoke(
            consent=consent, revoked_on=today, received_how="Letter", actor=casemanager
        )
    consent.refresh_from_db()
    assert consent.revocation_received_how == "Call"


def test_a_final_disposition_only_on_a_criminal_justice_consent(participant, casemanager, today):
    consent = record(participant, casemanager)

    with pytest.raises(ValidationError, match="criminal justice"):
        consents.consent_record_disposition(
            consent=consent, final_disposition_on=today, actor=casemanager
        )


# ---------------------------------------------------------------------------------------------
# Pages


def form_data(participant, program, today, **overrides):
    data = {
        "participant_name": "Ada Moss",
        "enrollment": participant.enrollments.get().pk,
        "disclosing_party": "The treatment team",
        "data_classes": [DataClass.PROGRESS_REPORTS, DataClass.ATTENDANCE],
        "information_description": "Attendance at substance use disorder treatment",
        "recipients": [f"{program.pk}:{Role.JUDGE}", f"{program.pk}:{Role.PROSECUTOR}"],
        "purpose": "Monitoring",
        "revocation_terms": REVOCATION_TERMS,
        "expires_on": (today + 100 * DAY).isoformat(),
        "expiry_event": "",
        "irrevocable_until": "",
        "irrevocable_until_event": "",
        "signature_method": "electronic",
        "signed_by_name": "Ada Moss",
        "acknowledged": "on",
        "signed_on": today.isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_consent_form_is_prefilled_and_records_a_consent(
    client, casemanager, participant, program, today
):
    client.force_login(casemanager)
    url = reverse("clients:consent_new", args=[participant.pk])

    page = client.get(url).content.decode()
    assert 'value="Ada Moss"' in page
    assert REVOCATION_TERMS in page
    assert f"{program}: Defence attorney" in page
    assert 'id="revocation-terms"' in page  # for static/js/consent_form.js

    response = client.post(url, form_data(participant, program, today))

    consent = Consent.objects.get()
    assert response["Location"] == reverse(
        "clients:consent_detail", args=[participant.pk, consent.pk]
    )
    assert {r.role for r in consent.recipients.all()} == {Role.JUDGE, Role.PROSECUTOR}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"expires_on": "before"}, "before it was signed"),
        ({"irrevocable_until": "later"}, "Only a consent to the criminal justice system"),
        ({"data_classes": None}, "Choose the information the consent covers."),
        ({"information_description": ""}, "naming the substance use disorder information"),
        ({"recipients": None}, "Name at least one recipient"),
        ({"signed_on": "tomorrow"}, "cannot be after today"),
        ({"signed_on": ""}, "Give the date signed."),
        ({"acknowledged": None}, "acknowledged it"),
        ({"expires_on": ""}, "Give the expiry"),
    ],
)
def test_the_consent_page_explains_bad_input_and_saves_nothing(
    client, casemanager, participant, program, today, overrides, message
):
    dates = {"before": today - DAY, "later": today + 10 * DAY, "tomorrow": today + DAY}
    overrides = {k: dates[v].isoformat() if v in dates else v for k, v in overrides.items()}
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:consent_new", args=[participant.pk]),
        form_data(participant, program, today, **overrides),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Consent.objects.count() == 0


def test_an_empty_consent_form_names_every_missing_element_at_once(
    client, casemanager, participant
):
    client.force_login(casemanager)

    # What a browser sends of the empty form: its text fields, empty (no box ticked).
    empty = dict.fromkeys(
        (
            "participant_name",
            "enrollment",
            "disclosing_party",
            "information_description",
            "purpose",
            "revocation_terms",
            "expires_on",
            "expiry_event",
            "irrevocable_until",
            "irrevocable_until_event",
            "signed_by_name",
            "signed_on",
        ),
        "",
    )
    page = client.post(reverse("clients:consent_new", args=[participant.pk]), empty)
    page = page.content.decode()

    for message in (
        "Write the participant&#x27;s name as signed.",
        "Choose the enrollment of this participant it is signed for.",
        "Say who may make the disclosure",
        "Choose the information the consent covers.",
        "Describe the information to be disclosed",
        "Name at least one recipient",
        "State the purpose of the disclosure.",
        "State the right to revoke",
        "Give the expiry",
        "Choose how the consent was signed.",
        "Write the name of the person who signed.",
        "Give the date signed.",
    ):
        assert message in page
    assert REVOCATION_TERMS in page  # filled in again for the next try
    assert Consent.objects.count() == 0


def test_criminal_justice_box_needs_the_criminal_justice_terms_and_fills_them_in(
    client, casemanager, participant, program, today
):
    client.force_login(casemanager)
    url = reverse("clients:consent_new", args=[participant.pk])
    data = form_data(
        participant,
        program,
        today,
        criminal_justice="on",
        irrevocable_until_event=ConsentTrigger.FINAL_DISPOSITION,
    )

    refused = client.post(url, data).content.decode()

    assert "These are the standard terms of a consent that is not a criminal-justice" in refused
    assert "cannot be revoked until the time or event stated below" in refused
    assert Consent.objects.count() == 0

    client.post(url, {**data, "revocation_terms": CRIMINAL_JUSTICE_REVOCATION_TERMS})
    consent = Consent.objects.get()
    assert consent.criminal_justice
    assert consent.irrevocable_until_event == ConsentTrigger.FINAL_DISPOSITION


def test_a_signed_form_is_uploaded_with_the_consent(
    client, casemanager, participant, program, today
):
    client.force_login(casemanager)
    data = form_data(
        participant,
        program,
        today,
        signature_method="signed_form",
        acknowledged=None,
        signed_form=SimpleUploadedFile("signed.png", PNG_1PX),
    )

    client.post(reverse("clients:consent_new", args=[participant.pk]), data)

    assert Consent.objects.get().signed_form.kind == DocumentKind.CONSENT


def test_the_participant_page_lists_consents_with_their_state(
    client, casemanager, participant, today
):
    record(participant, casemanager)
    criminal_justice(participant, casemanager)
    revoked = record(participant, casemanager)
    consents.consent_revoke(
        consent=revoked, revoked_on=today, received_how="Letter", actor=casemanager
    )
    client.force_login(casemanager)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "Consents (42 CFR Part 2)" in page
    assert page.count("In force") == 2
    assert f"Revoked {today:%Y-%m-%d}" in page
    assert f"Irrevocable until {today + 90 * DAY:%Y-%m-%d}" in page
    assert "Lakeview Adult Drug Court: Judge" in page
    assert "Progress reports, Drug tests" in page or "Drug tests, Progress reports" in page


def section_queries(participant, casemanager, count, django_assert_num_queries):
    user = fresh(casemanager)
    # the user's reach of the participant (the programs whose consents they see and change
    # follow from it), the consents (with program and signed form), their recipients (with
    # program, organization and user)
    with django_assert_num_queries(3):
        context = selectors.consents_section(participant, user)
        html = render_to_string(
            "clients/sections/consents.html",
            {"participant": participant, "section_context": context},
        )
    assert html.count("Signed ") == count


def test_the_consents_section_query_count_is_the_same_for_1_and_10_consents(
    participant, casemanager, program, organizations, judge, django_assert_num_queries
):
    recipients = [
        RecipientData(program=program, role=Role.JUDGE),
        RecipientData(organization=organizations["probation"]),
        RecipientData(user=judge),
    ]
    record(participant, casemanager, recipients=recipients)
    section_queries(participant, casemanager, 1, django_assert_num_queries)

    for _ in range(9):
        record(participant, casemanager, recipients=recipients)
    section_queries(participant, casemanager, 10, django_assert_num_queries)


def test_detail_print_and_blank_forms(client, casemanager, participant, today):
    consent = criminal_justice(participant, casemanager)
    client.force_login(casemanager)

    detail = client.get(
        reverse("clients:consent_detail", args=[participant.pk, consent.pk])
    ).content.decode()
    printed = client.get(
        reverse("clients:consent_print", args=[participant.pk, consent.pk])
    ).content.decode()
    blank = client.get(reverse("clients:consent_blank", args=[participant.pk])).content.decode()

    assert "Record the final disposition" in detail
    for page in (printed, blank):
        assert "Notice of federal confidentiality rules (42 CFR part 2)" in page
        assert "consent-print" in page
    assert "Monitoring progress in the drug court program" in printed
    assert f"cannot be revoked until {today + 90 * DAY:%Y-%m-%d}" in printed
    assert "Ada Moss" in blank


def test_revoking_asks_for_confirmation_then_revokes(client, casemanager, participant, today):
    consent = record(participant, casemanager)
    client.force_login(casemanager)
    url = reverse("clients:consent_revoke", args=[participant.pk, consent.pk])

    assert "Revoke the consent" in client.get(url).content.decode()
    consent.refresh_from_db()
    assert consent.revoked_on is None

    missing = client.post(url, {"revoked_on": today.isoformat(), "received_how": ""})
    assert "Say how the revocation was received." in missing.content.decode()

    response = client.post(url, {"revoked_on": today.isoformat(), "received_how": "By mail"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revocation_received_how == "By mail"


def test_an_irrevocable_consent_says_so_and_refuses_a_revocation(
    client, casemanager, participant, today
):
    consent = criminal_justice(participant, casemanager)
    client.force_login(casemanager)
    url = reverse("clients:consent_revoke", args=[participant.pk, consent.pk])

    assert "cannot be revoked until" in client.get(url).content.decode()
    refused = client.post(url, {"revoked_on": today.isoformat(), "received_how": "By mail"})

    assert "cannot be revoked until" in refused.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_the_final_disposition_page_records_it(client, casemanager, participant, today):
    consent = criminal_justice(participant, casemanager)
    client.force_login(casemanager)
    url = reverse("clients:consent_disposition", args=[participant.pk, consent.pk])

    future = client.post(url, {"final_disposition_on": (today + DAY).isoformat()})
    assert "cannot be after today" in future.content.decode()
    client.post(url, {"final_disposition_on": today.isoformat()})

    consent.refresh_from_db()
    assert consent.final_disposition_on == today


# ---------------------------------------------------------------------------------------------
# Permissions: everyone but the participant's case manager and the program's coordinators


@pytest.fixture
def other_programs_case_manager(other_program):
    return UserFactory(username="elsewhere", roles=[Role.CASE_MANAGER], programs=[other_program])


REFUSED = (
    "judge",
    "clerk",
    "prosecutor",
    "provider",
    "evaluator",
    "admin",
    "casemanager2",
    "superuser",
    "other_programs_case_manager",
)
PAGES = [
    ("clients:consent_new", False),
    ("clients:consent_blank", False),
    ("clients:consent_detail", True),
    ("clients:consent_revoke", True),
    ("clients:consent_disposition", True),
    ("clients:consent_print", True),
]


@pytest.mark.parametrize("persona", REFUSED)
@pytest.mark.parametrize(("name", "of_consent"), PAGES)
def test_every_consent_page_answers_404_to_everyone_else(
    client, request, participant, casemanager, today, persona, name, of_consent
):
    consent = criminal_justice(
        participant,
        casemanager,
        irrevocable_until=None,
        irrevocable_until_event=ConsentTrigger.FINAL_DISPOSITION,
    )
    consents.consent_record_disposition(
        consent=consent, final_disposition_on=today, actor=casemanager
    )
    consent = Consent.objects.get()
    args = [participant.pk, consent.pk] if of_consent else [participant.pk]
    client.force_login(request.getfixturevalue(persona))
    url = reverse(name, args=args)
    before = list(Consent.objects.values())

    assert client.get(url).status_code == 404
    posted = client.post(
        url,
        {
            **form_data(participant, participant.enrollments.get().program, today),
            "revoked_on": today.isoformat(),
            "received_how": "By mail",
            "final_disposition_on": today.isoformat(),
        },
    )

    assert posted.status_code == 404
    assert list(Consent.objects.values()) == before


def test_the_coordinator_records_and_revokes_too(client, coordinator, participant, program, today):
    client.force_login(coordinator)

    client.post(
        reverse("clients:consent_new", args=[participant.pk]),
        form_data(participant, program, today),
    )
    consent = Consent.objects.get()
    client.post(
        reverse("clients:consent_revoke", args=[participant.pk, consent.pk]),
        {"revoked_on": today.isoformat(), "received_how": "In person"},
    )

    consent.refresh_from_db()
    assert consent.revoked_by == coordinator


def test_the_section_is_left_out_for_the_court(client, judge, participant, casemanager):
    record(participant, casemanager)
    client.force_login(judge)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "Consents (42 CFR Part 2)" not in page


# ---------------------------------------------------------------------------------------------
# The expiry sweep


def test_the_case_manager_is_alerted_14_days_before_a_consent_expires_once(
    participant, casemanager, today, django_assert_num_queries
):
    soon = record(participant, casemanager, expires_on=today + 14 * DAY)
    record(participant, casemanager, expires_on=today + 15 * DAY)  # later
    revoked = record(participant, casemanager, expires_on=today + 3 * DAY)
    consents.consent_revoke(
        consent=revoked, revoked_on=today, received_how="Letter", actor=casemanager
    )
    record(participant, casemanager, signed_on=today - 10 * DAY, expires_on=today - DAY)

    with django_assert_num_queries(1):  # INSERT ... SELECT ... ON CONFLICT DO NOTHING
        assert consents_expiring_sweep().alerts_raised == 1
    assert consents_expiring_sweep().alerts_raised == 0

    alert = Alert.objects.get()
    assert (alert.source_key, alert.kind) == (f"consent:{soon.pk}", "consent_expiring")
    assert alert.assigned_to == casemanager
    assert alert.data_class == DataClass.CONSENTS
    assert f"expires on {today + 14 * DAY:%Y-%m-%d}" in alert.message


def test_the_sweep_skips_closed_enrollments_and_consents_ended_by_their_event(
    participant, casemanager, enrollment, today, program
):
    record(
        participant,
        casemanager,
        criminal_justice=True,
        revocation_terms=CRIMINAL_JUSTICE_REVOCATION_TERMS,
        irrevocable_until=today,
        expires_on=today + 5 * DAY,
        expiry_event=ConsentTrigger.FINAL_DISPOSITION,
    )
    consents.consent_record_disposition(
        consent=Consent.objects.get(), final_disposition_on=today, actor=casemanager
    )
    other = enrolled(program, creator=casemanager)
    assign(other, casemanager)
    closed = other.enrollments.get()
    record(other, casemanager, participant_name="Other", expires_on=today + 5 * DAY)
    closed.status = EnrollmentStatus.GRADUATED
    closed.save()

    assert consents_expiring_sweep().alerts_raised == 0


def test_the_statement_and_the_task(participant, casemanager, today):
    record(participant, casemanager, expires_on=today + DAY)

    assert "ON CONFLICT" in consents_expiring_statement(datetime.datetime.now(tz=datetime.UTC)).sql
    assert consents_expiring_sweep_task() == {"alerts_raised": 1}


def test_the_demo_records_consents_through_the_service(casemanager, program):
    from clients.demo import _demo_consent

    participant = enrolled(program, creator=casemanager)
    enrollment = participant.enrollments.get()
    today = program_today(program)

    _demo_consent(enrollment, 1, today, actor=casemanager)
    _demo_consent(enrollment, 7, today, actor=casemanager)
    _demo_consent(enrollment, 3, today, actor=casemanager)

    criminal, plain = Consent.objects.order_by("pk")
    assert criminal.criminal_justice
    assert criminal.is_irrevocable(today)
    assert not plain.criminal_justice
    assert plain.expires_on == today + 10 * DAY


def test_the_expiry_alert_is_on_the_case_managers_alert_list(
    client, participant, casemanager, today
):
    record(participant, casemanager, expires_on=today + 5 * DAY)
    consents_expiring_sweep()
    client.force_login(casemanager)

    page = client.get(reverse("clients:alert_list")).content.decode()

    assert f"expires on {today + 5 * DAY:%Y-%m-%d}" in page
