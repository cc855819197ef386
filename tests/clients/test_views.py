import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients import services
from clients.access import DataClass
from clients.models import CaseAssignment, Participant
from drugcourt.selectors import program_today
from tests.conftest import enrolled
from tests.factories import assign


def intake_data(program, **overrides):
    data = {
        "legal_first_name": "Dana",
        "legal_last_name": "Rivers",
        "date_of_birth": "1988-02-14",
        "sex": "female",
        "is_veteran": "unknown",
        "primary_language": "English",
        "program": program.pk,
        "case_number": "DC-26-0100",
        "referral_date": "2026-11-02",
        "referral_source": "defence",
        "status": "referred",
        "charges-TOTAL_FORMS": "2",
        "charges-INITIAL_FORMS": "0",
        "charges-MIN_NUM_FORMS": "0",
        "charges-MAX_NUM_FORMS": "1000",
        "charges-0-statute": "720 ILCS 570/402",
        "charges-0-description": "Possession of a controlled substance",
    }
    data.update(overrides)
    return data


def test_case_manager_intake_through_the_page(client, casemanager, program):
    client.force_login(casemanager)

    response = client.post(reverse("clients:intake"), intake_data(program))

    person = Participant.objects.get()
    assert response["Location"] == reverse("clients:participant_detail", args=[person.pk])
    assert person.enrollments.get().charges.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"legal_first_name": ""}, "This field is required."),
        ({"date_of_birth": "2999-01-01"}, "The date of birth must be in the past."),
        ({"emergency_name": "Mom"}, "Give a phone number for the emergency contact."),
        ({"program_id": "999999"}, "Select a valid choice."),
    ],
)
def test_intake_page_explains_bad_input_and_saves_nothing(
    client, casemanager, program, overrides, message
):
    client.force_login(casemanager)

    if "program_id" in overrides:
        overrides["program"] = overrides.pop("program_id")
    response = client.post(reverse("clients:intake"), {**intake_data(program), **overrides})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Participant.objects.exists()


def test_duplicate_case_number_in_the_program_is_refused(client, casemanager, participant):
    client.force_login(casemanager)
    taken = participant.enrollments.get().case_number

    response = client.post(
        reverse("clients:intake"),
        intake_data(participant.enrollments.get().program, case_number=taken.lower()),
    )

    assert "This case number is already used in this program." in response.content.decode()
    assert Participant.objects.count() == 1


def test_coordinator_sees_who_the_possible_duplicate_is(client, coordinator, participant):
    client.force_login(coordinator)
    data = intake_data(
        participant.enrollments.get().program,
        legal_first_name=participant.legal_first_name,
        legal_last_name=participant.legal_last_name,
        date_of_birth=participant.date_of_birth.isoformat(),
    )

    page = client.post(reverse("clients:intake"), data).content.decode()

    assert "Possible duplicates" in page
    assert reverse("clients:participant_detail", args=[participant.pk]) in page
    assert Participant.objects.count() == 1


def test_others_are_told_to_ask_the_coordinator_without_seeing_whose(
    client, casemanager2, participant
):
    client.force_login(casemanager2)
    data = intake_data(
        participant.enrollments.get().program,
        legal_first_name=participant.legal_first_name.upper(),
        legal_last_name=participant.legal_last_name,
        date_of_birth=participant.date_of_birth.isoformat(),
    )

    page = client.post(reverse("clients:intake"), data).content.decode()

    assert "Ask the program coordinator" in page
    assert participant.legal_last_name not in page.split("<form")[0]
    assert reverse("clients:participant_detail", args=[participant.pk]) not in page


def test_confirming_a_new_person_records_them_despite_a_name_match(
    client, casemanager2, participant
):
    client.force_login(casemanager2)
    data = intake_data(
        participant.enrollments.get().program,
        legal_first_name=participant.legal_first_name,
        legal_last_name=participant.legal_last_name,
        date_of_birth=participant.date_of_birth.isoformat(),
        confirm_new_person="on",
    )

    client.post(reverse("clients:intake"), data)

    assert Participant.objects.count() == 2


def caseload_queries(client, count, django_assert_num_queries):
    # session, user, paginator count, page rows (reach, enrollment and facts as subqueries),
    # the user's programs and the phases in force in them (the phase filter), the access
    # log's rows (one INSERT for the page)
    with django_assert_num_queries(7):
        response = client.get(reverse("clients:participant_list"))
    assert f"{count} in all" in response.content.decode()


def test_caseload_query_count_is_the_same_for_1_and_20_participants(
    client, casemanager, participant, program, django_assert_num_queries
):
    client.force_login(casemanager)
    caseload_queries(client, 1, django_assert_num_queries)

    for _ in range(19):
        assign(enrolled(program, creator=casemanager), casemanager)
    services.alert_raise(
        participant=participant,
        kind="k",
        source_key="s",
        data_class=DataClass.IDENTITY,
        message="m",
    )

    caseload_queries(client, 20, django_assert_num_queries)


def test_judge_list_query_count_is_the_same_for_1_and_20_participants(
    client, judge, participant, program, casemanager, django_assert_num_queries
):
    client.force_login(judge)
    caseload_queries(client, 1, django_assert_num_queries)

    for _ in range(19):
        enrolled(program, creator=casemanager)

    caseload_queries(client, 20, django_assert_num_queries)


def test_caseload_shows_open_alerts_and_searches_by_case_number(
    client, casemanager, participant, participant2
):
    services.alert_raise(
        participant=participant,
        kind="k",
        source_key="s",
        data_class=DataClass.IDENTITY,
        message="m",
    )
    client.force_login(casemanager)
    case_number = participant.enrollments.get().case_number

    page = client.get(reverse("clients:participant_list"), {"q": case_number}).content.decode()

    assert participant.legal_last_name in page
    assert "Open alerts" in page
    assert "1 in all" in page


def test_provider_sees_an_empty_state_that_explains_referrals(client, provider):
    client.force_login(provider)

    page = client.get(reverse("clients:participant_list")).content.decode()

    assert "from the moment your agency accepts their referral" in page


def test_participant_page_shows_only_sections_the_role_may_see(
    client, judge, casemanager, participant
):
    client.force_login(judge)
    judge_page = client.get(reverse("clients:participant_detail", args=[participant.pk]))
    client.force_login(casemanager)
    manager_page = client.get(reverse("clients:participant_detail", args=[participant.pk]))

    assert "Enrollments and charges" in judge_page.content.decode()
    assert "Person and contact details" not in judge_page.content.decode()
    assert "Person and contact details" in manager_page.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "clients:participant_detail",
        "clients:document_upload",
        "clients:participant_team",
        "clients:participant_history",
    ],
)
def test_another_caseloads_participant_is_not_found(client, casemanager, participant2, url_name):
    client.force_login(casemanager)

    assert client.get(reverse(url_name, args=[participant2.pk])).status_code == 404


def test_a_document_of_another_caseload_is_not_found(client, casemanager2, photo, participant):
    client.force_login(casemanager2)

    url = reverse("clients:document_download", args=[participant.pk, photo.pk])
    assert client.get(url).status_code == 404


def test_a_document_cannot_be_fetched_under_another_participant(
    client, casemanager, photo, participant2, participant
):
    assign(participant2, casemanager)
    client.force_login(casemanager)

    url = reverse("clients:document_download", args=[participant2.pk, photo.pk])
    assert client.get(url).status_code == 404


def test_upload_page_refuses_an_oversized_file(client, casemanager, participant, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:document_upload", args=[participant.pk]),
        {
            "kind": "record",
            "title": "Big",
            "file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 50),
        },
    )

    assert "larger than the limit" in response.content.decode()
    assert not participant.documents.exists()


def test_team_post_naming_a_foreign_staff_member_is_refused(
    client, coordinator, participant, foreign_participant
):
    outsider = foreign_participant.assignments.get().user
    client.force_login(coordinator)

    response = client.post(
        reverse("clients:participant_team", args=[participant.pk]),
        {"team_role": "case_manager", "user": outsider.pk},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CaseAssignment.objects.filter(user=outsider, participant=participant).exists()


def test_ending_an_assignment_of_another_participant_is_not_found(
    client, coordinator, participant, participant2
):
    client.force_login(coordinator)
    other = participant2.assignments.get()

    url = reverse("clients:assignment_end", args=[participant.pk, other.pk])
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.ended_on is None


def test_status_change_page_refuses_an_impossible_transition(client, casemanager, participant):
    client.force_login(casemanager)
    enrollment = participant.enrollments.get()

    response = client.post(
        reverse("clients:enrollment_status", args=[participant.pk, enrollment.pk]),
        {"to_status": "screening", "effective_date": "2026-11-20", "reason": "oops"},
    )

    assert "cannot become screening" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


def test_alert_of_another_caseload_cannot_be_resolved(client, casemanager, participant2):
    alert = services.alert_raise(
        participant=participant2,
        kind="k",
        source_key="s",
        data_class=DataClass.IDENTITY,
        message="m",
    )
    client.force_login(casemanager)

    response = client.post(reverse("clients:alert_resolve", args=[alert.pk]), {"note": "x"})

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.state == "open"


def test_coordinator_moves_a_caseload_in_one_action(
    client, coordinator, casemanager, casemanager2, participant, program
):
    client.force_login(coordinator)

    response = client.post(
        reverse("clients:caseload_transfer", args=[program.pk]),
        {"from_user": casemanager.pk, "to_user": casemanager2.pk},
        follow=True,
    )

    assert "Moved 1 participant from" in response.content.decode()
    assert participant.assignments.get(ended_on__isnull=True).user == casemanager2


def test_coordinator_sees_the_participants_change_history(
    client, coordinator, casemanager, program
):
    client.force_login(casemanager)
    client.post(reverse("clients:intake"), intake_data(program))
    person = Participant.objects.get()
    client.force_login(coordinator)

    page = client.get(reverse("clients:participant_history", args=[person.pk])).content.decode()

    assert f"{casemanager} ({casemanager.username})" in page
    assert "clients.Enrollment" in page or "Enrollment" in page


def test_days_in_program_are_shown(client, casemanager, participant, program):
    client.force_login(casemanager)
    entry = participant.enrollments.get().entry_date

    page = client.get(reverse("clients:participant_list")).content.decode()

    assert f"<td>{(program_today(program) - entry).days}</td>" in page


def test_a_readmission_is_recorded_as_a_new_enrollment(client, casemanager, participant, program):
    enrollment = participant.enrollments.get()
    enrollment.status = "terminated"
    enrollment.save()
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:enrollment_create", args=[participant.pk]),
        {
            "program": program.pk,
            "case_number": "DC-27-0001",
            "referral_date": "2026-11-20",
            "referral_source": "self",
            "status": "referred",
            "charges-TOTAL_FORMS": "0",
            "charges-INITIAL_FORMS": "0",
            "charges-MIN_NUM_FORMS": "0",
            "charges-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    assert participant.enrollments.count() == 2


def raise_alerts(participant, count):
    for n in range(count):
        services.alert_raise(
            participant=participant,
            kind="k",
            source_key=f"s{n}",
            data_class=DataClass.IDENTITY,
            message=f"Alert {n}",
        )


def test_alert_list_query_count_is_the_same_for_1_and_20_alerts(
    client, casemanager, participant, django_assert_num_queries
):
    client.force_login(casemanager)
    raise_alerts(participant, 1)
    # session, user, paginator count, page rows (participant and assignee joined), the roles
    # through which the user reaches the page's participants (which alerts they may answer),
    # the access log's rows (one INSERT for the page)
    with django_assert_num_queries(6):
        assert "1 in all" in client.get(reverse("clients:alert_list")).content.decode()

    raise_alerts(participant, 20)

    with django_assert_num_queries(6):
        assert "20 in all" in client.get(reverse("clients:alert_list")).content.decode()


def test_history_query_count_does_not_grow_with_events(
    client, coordinator, casemanager, participant, django_assert_num_queries
):
    client.force_login(coordinator)
    url = reverse("clients:participant_history", args=[participant.pk])
    # session, user, participant (reach), reach roles, programs of the participant,
    # coordinator's membership, events count, events page (the factory rows name no actor, so
    # no actor-name query), the access log's row
    with django_assert_num_queries(9):
        client.get(url)

    raise_alerts(participant, 20)

    with django_assert_num_queries(9):
        client.get(url)


def test_caseload_searches_aliases(client, casemanager, participant):
    participant.aliases = ["Lefty Moss"]
    participant.save()
    client.force_login(casemanager)

    page = client.get(reverse("clients:participant_list"), {"q": "lefty"}).content.decode()

    assert "1 in all" in page
