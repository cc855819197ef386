"""Drug testing pages and the participant page's compliance section: what each role sees, what
the forms refuse, and query counts that do not grow with the tests shown."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.access import DataClass
from clients.selectors import participant_today
from compliance import draw, services
from compliance.models import DrugTest, DrugTestResult, TestReason, TestStatus
from drugcourt.models import Substance
from tests.conftest import enrolled
from tests.factories import assign, logged_classes
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services as treatment_services


def drug_tests(participant, count, *, status=TestStatus.NEGATIVE, days_ago=1):
    """`count` tests on consecutive days ending `days_ago` days ago, made directly (the services
    are tested on their own in test_services)."""
    today = participant_today(participant)
    return DrugTest.objects.bulk_create(
        DrugTest(
            participant=participant,
            program=participant.enrollments.get().program,
            reason=TestReason.RANDOM,
            scheduled_for=today - datetime.timedelta(days=days_ago + n),
            # Called (a drawn test is sealed until then), then collected or missed.
            notified_at=timezone.now() - datetime.timedelta(days=days_ago + n, hours=1),
            status=status,
            collected_at=(
                timezone.now() - datetime.timedelta(days=days_ago + n)
                if status != TestStatus.MISSED
                else None
            ),
            status_changed_at=timezone.now(),
        )
        for n in range(count)
    )


def detail(client, user, participant):
    client.force_login(user)
    return client.get(reverse("clients:participant_detail", args=[participant.pk]))


def test_the_compliance_section_shows_tests_sobriety_and_frequency(
    client, casemanager, participant
):
    drug_tests(participant, 3)
    drug_tests(participant, 1, status=TestStatus.MISSED, days_ago=10)

    page = detail(client, casemanager, participant).content.decode()

    assert "Compliance" in page
    assert "3 a week" in page
    assert "Default for phase 1" in page
    # The last test that counts as positive (the missed one, by default policy) was 10 days ago.
    assert "10 days" in page
    assert page.count("test-mark test-negative") == 3
    assert "Missed</span>" in page


def test_the_section_costs_the_same_queries_at_1_and_20_tests(client, casemanager, participant):
    drug_tests(participant, 1)
    client.force_login(casemanager)
    url = reverse("clients:participant_detail", args=[participant.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    drug_tests(participant, 19, days_ago=2)
    with CaptureQueriesContext(connection) as twenty:
        client.get(url)
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_court_roles_see_results_and_probation_off_the_team_does_not(
    client, judge, probation, participant
):
    drug_tests(participant, 1)
    assert "test-mark test-negative" in detail(client, judge, participant).content.decode()

    client.force_login(probation)
    testing = reverse("compliance:participant_testing", args=[participant.pk])
    assert client.get(testing).status_code == 404


def test_the_provider_sees_results_only_during_an_active_episode(
    client, provider, casemanager, participant
):
    (test,) = drug_tests(participant, 1)
    client.force_login(provider)
    url = reverse("compliance:test_detail", args=[test.pk])
    assert client.get(url).status_code == 404

    referral = refer(participant, provider.organization, casemanager)
    episode = treatment_services.referral_accept(referral=referral, actor=provider)
    assert client.get(url).status_code == 200
    # ... and may not record tests.
    order = reverse("compliance:test_order", args=[participant.pk])
    assert client.get(order).status_code == 404

    treatment_services.episode_discharge(
        episode=episode,
        reason="completed",
        summary="Done",
        discharged_on=timezone.localdate(),
        actor=provider,
    )
    assert client.get(url).status_code == 404


def collected_test(participant, casemanager):
    """A test collected ten minutes ago, for cocaine."""
    test = services.drug_test_order(
        participant=participant,
        scheduled_for=timezone.localdate(),
        specimen_type="urine",
        reason="For cause",
        actor=casemanager,
        now=timezone.now() - datetime.timedelta(minutes=10),
    )
    services.drug_test_record_collection(
        test=test,
        data=services.CollectionData(
            collected_at=test.notified_at,
            specimen_type="urine",
            collection_site="Office",
            observed=True,
            chain_of_custody_id="CCF-9",
            panel=[Substance.COCAINE],
        ),
        actor=casemanager,
    )
    return test


def result_form(**fields) -> dict[str, str]:
    return {
        "resulted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "finding-TOTAL_FORMS": "3",
        "finding-INITIAL_FORMS": "0",
        "finding-0-unit": "ng/mL",
        "finding-1-unit": "ng/mL",
        "finding-2-unit": "ng/mL",
        **fields,
    }


def test_a_result_with_a_substance_outside_the_panel_is_refused_and_nothing_saved(
    client, casemanager, participant
):
    test = collected_test(participant, casemanager)
    client.force_login(casemanager)
    url = reverse("compliance:test_result", args=[test.pk])
    form = result_form(**{"finding-0-substance": Substance.CANNABINOIDS, "finding-0-level": "80"})

    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert not DrugTestResult.objects.exists()

    form["finding-0-substance"] = Substance.COCAINE
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()
    test.refresh_from_db()
    assert test.status == TestStatus.POSITIVE


def test_a_correction_sent_twice_is_recorded_once_and_the_form_says_why(
    client, casemanager, participant
):
    test = collected_test(participant, casemanager)
    client.force_login(casemanager)
    client.post(
        reverse("compliance:test_result", args=[test.pk]),
        result_form(**{"finding-0-substance": Substance.COCAINE, "finding-0-level": "80"}),
    )
    url = reverse("compliance:test_correct", args=[test.pk])
    assert 'name="corrects_version" value="1"' in client.get(url).content.decode()
    correction = result_form(corrects_version="1", reason="The lab sent the wrong specimen")

    assert client.post(url, correction).status_code == 302
    again = client.post(url, correction)

    assert again.status_code == 200
    assert "version 2 was recorded after you opened version 1" in again.content.decode()
    assert list(test.results.values_list("version", flat=True)) == [2, 1]


def test_collection_before_notification_is_shown_on_the_form(client, casemanager, participant):
    test = services.drug_test_order(
        participant=participant,
        scheduled_for=timezone.localdate(),
        specimen_type="urine",
        reason="For cause",
        actor=casemanager,
    )
    client.force_login(casemanager)
    early = timezone.localtime(test.notified_at) - datetime.timedelta(hours=1)
    response = client.post(
        reverse("compliance:test_collect", args=[test.pk]),
        {
            "collected_at": early.strftime("%Y-%m-%dT%H:%M"),
            "specimen_type": "urine",
            "collection_site": "Office",
            "observed": "on",
            "chain_of_custody_id": "CCF-1",
            "panel": [Substance.COCAINE],
        },
    )
    assert "before the participant was notified" in response.content.decode()
    test.refresh_from_db()
    assert test.status == TestStatus.SCHEDULED


@pytest.mark.parametrize("status", [TestStatus.NEGATIVE, TestStatus.POSITIVE])
def test_the_testing_page_filters_by_status(client, casemanager, participant, status):
    drug_tests(participant, 2)
    drug_tests(participant, 1, status=TestStatus.POSITIVE, days_ago=5)
    client.force_login(casemanager)
    page = client.get(
        reverse("compliance:participant_testing", args=[participant.pk]), {"status": status}
    ).content.decode()
    expected = 2 if status == TestStatus.NEGATIVE else 1
    assert page.count(f"test-status test-{status}") == expected


CALL_DAY = datetime.datetime(2026, 11, 23, 18, 0, tzinfo=datetime.UTC)  # Monday noon, Chicago


def test_the_call_list_shows_only_todays_published_tests_of_ones_own_participants(
    client, casemanager, participant, participant2
):
    for person in (participant, participant2):
        DrugTest.objects.create(
            participant=person,
            program=person.enrollments.get().program,
            reason=TestReason.RANDOM,
            scheduled_for=CALL_DAY.date(),
            notified_at=CALL_DAY - datetime.timedelta(hours=6),
            collect_by=CALL_DAY + datetime.timedelta(hours=2),
            status_changed_at=CALL_DAY,
        )
    client.force_login(casemanager)

    with time_machine.travel(CALL_DAY, tick=False):
        page = client.get(reverse("compliance:call_list")).content.decode()
    assert str(participant) in page
    assert str(participant2) not in page

    # 05:00 in Chicago: before the default 06:00 call-list time, nothing is shown.
    with time_machine.travel(CALL_DAY.replace(hour=11), tick=False):
        early = client.get(reverse("compliance:call_list")).content.decode()
    assert str(participant) not in early


def test_the_draw_audit_seals_the_current_week_and_reproduces_past_ones(
    client, coordinator, program, participant
):
    last_week = draw.test_draw_make(program=program, iso_year=2026, iso_week=47, now=CALL_DAY)
    draw.test_draw_make(program=program, iso_year=2026, iso_week=48, now=CALL_DAY)
    client.force_login(coordinator)

    with time_machine.travel(CALL_DAY, tick=False):
        page = client.get(reverse("compliance:program_draws", args=[program.pk])).content.decode()
    assert "Sealed until the week is over." in page
    assert last_week.seed in page
    assert "reproduced" in page


def test_the_testing_page_costs_the_same_queries_at_1_and_20_tests(
    client, casemanager, participant, django_assert_num_queries
):
    client.force_login(casemanager)
    url = reverse("compliance:participant_testing", args=[participant.pk])
    for count in (1, 20):
        DrugTest.objects.filter(participant=participant).delete()
        drug_tests(participant, count)
        # 1 session 2 user 3 the participant, if reached 4 the roles reaching them (cached for
        # may_record) 5 count the tests 6 the page of tests 7 prescriptions 8 blackouts 9 the
        # current program (its today starts the end-date form) 10 the access log's row
        with django_assert_num_queries(10):
            client.get(url)


def called(program, casemanager):
    """A participant on the case manager's caseload, on CALL_DAY's call list."""
    person = enrolled(program, creator=casemanager)
    assign(person, casemanager)
    DrugTest.objects.create(
        participant=person,
        program=program,
        reason=TestReason.RANDOM,
        scheduled_for=CALL_DAY.date(),
        notified_at=CALL_DAY - datetime.timedelta(hours=6),
        collect_by=CALL_DAY + datetime.timedelta(hours=2),
        status_changed_at=CALL_DAY,
    )
    return person


def test_the_call_list_costs_the_same_queries_at_1_and_20_participants(
    client, casemanager, program, django_assert_num_queries
):
    client.force_login(casemanager)
    for count in (1, 20):
        DrugTest.objects.all().delete()
        for _ in range(count):
            called(program, casemanager)
        # 1 session 2 user 3 the chosen program 4 the first program 5 settings in force 6 their
        # phases 7 the programs to choose from 8 the list 9 the access log's rows (one INSERT)
        with time_machine.travel(CALL_DAY, tick=False), django_assert_num_queries(9):
            page = client.get(reverse("compliance:call_list")).content.decode()
        assert page.count("test-status test-scheduled") == count


def test_the_call_list_logs_the_participants_it_calls(client, casemanager, program):
    person = called(program, casemanager)
    client.force_login(casemanager)
    with time_machine.travel(CALL_DAY, tick=False):
        client.get(reverse("compliance:call_list"))

    assert logged_classes(casemanager, person, "compliance:call_list") == {
        DataClass.IDENTITY,
        DataClass.DRUG_TESTS,
    }
