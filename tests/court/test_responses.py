"""Responses at a hearing (issue 15): only the session's judge or one of its clerks records
them, from the catalogue in force on the session's day, with the details their effect needs;
they take effect (a testing order sets the frequency, jail a custody blackout, community
service an obligation whose hours are logged); the incentive-to-sanction ratio counts them."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from compliance import selectors as compliance_selectors
from compliance.models import BlackoutPeriod, DrugTest, TestingOrder, TestReason, TestStatus
from court import selectors
from court.models import (
    Appearance,
    CommunityServiceHours,
    CommunityServiceObligation,
    CourtResponse,
)
from court.services import community_service_log_hours, response_record
from drugcourt import services as core_services
from drugcourt.models import ResponseOption
from drugcourt.roles import Role
from tests.court.builders import on_docket, session_on
from tests.factories import EnrollmentFactory, UserFactory, settings_since_2020

DAY = datetime.date(2026, 11, 16)  # a Monday: the session's day
NOW = datetime.datetime(2026, 11, 16, 18, 0, tzinfo=datetime.UTC)  # noon in Chicago
WEEK = datetime.timedelta(days=7)


@pytest.fixture(autouse=True)
def program_settings(program, other_program):
    """Both programs have the default settings and response catalogue since 2020."""
    settings_since_2020(other_program)
    return settings_since_2020(program)


@pytest.fixture
def session(program, judge, clerk):
    return session_on(program, DAY, judge=judge, clerks=[clerk])


@pytest.fixture
def entry(session, participant):
    return on_docket(session, participant.enrollments.get(), appearance=Appearance.APPEARED)


def option(name, program_settings=None):
    options = ResponseOption.objects.filter(name=name)
    if program_settings is not None:
        options = options.filter(settings=program_settings)
    return options.order_by("settings__program_id").first()


def give(entry, name, actor, **details):
    return response_record(
        entry=entry,
        option=option(name, entry.session.program.settings_versions.get()),
        actor=actor,
        now=NOW,
        **details,
    )


def nothing_saved():
    assert not CourtResponse.objects.exists()
    assert not TestingOrder.objects.exists()
    assert not BlackoutPeriod.objects.exists()
    assert not CommunityServiceObligation.objects.exists()


# ---------------------------------------------------------------------------------------------
# Who records, when, what


def test_the_judge_records_a_response_on_the_session_day(entry, judge, participant):
    response = give(entry, "Praise from the bench", judge, note="Ninety days sober.")

    assert response.participant == participant
    assert response.given_on == DAY
    assert response.recorded_by == judge
    assert response.note == "Ninety days sober."
    assert (response.testing_order, response.custody) == (None, None)
    assert not CommunityServiceObligation.objects.exists()


def test_a_clerk_listed_on_the_session_records_a_response(entry, clerk):
    assert give(entry, "Verbal warning", clerk).recorded_by == clerk


@pytest.mark.parametrize(
    "who", ["coordinator", "casemanager", "prosecutor", "other clerk", "other judge"]
)
def test_nobody_else_records_a_response(request, entry, program, who):
    if who.startswith("other"):
        role = Role.CLERK if who == "other clerk" else Role.JUDGE
        actor = UserFactory(roles=[role], programs=[program])  # of the program, not the session
    else:
        actor = request.getfixturevalue(who)

    with pytest.raises(ValidationError, match="Only the session's judge or a clerk listed on it"):
        give(entry, "Verbal warning", actor)
    nothing_saved()


def test_no_response_before_the_session_day(program, participant, judge):
    tomorrow = session_on(program, DAY + datetime.timedelta(days=1), judge=judge)
    entry = on_docket(tomorrow, participant.enrollments.get())

    with pytest.raises(ValidationError, match="this session sits on Nov 17, 2026"):
        give(entry, "Verbal warning", judge)
    nothing_saved()


def test_a_response_not_in_the_catalogue_in_force_is_refused(
    entry, judge, other_program, program, coordinator
):
    others = option("Verbal warning", other_program.settings_versions.get())
    with pytest.raises(ValidationError, match="not in the program's response catalogue"):
        response_record(entry=entry, option=others, actor=judge, now=NOW)

    # An option of a catalogue that comes into force after the session's day.
    with time_machine.travel(NOW, tick=False):
        later = core_services.program_settings_change_response_catalogue(
            program=program,
            effective_from=DAY + datetime.timedelta(days=1),
            options=[
                *core_services.DEFAULT_RESPONSE_CATALOGUE,
                core_services.ResponseOptionData("Weekend pass", "incentive"),
            ],
            change_note="New incentive",
            actor=coordinator,
        )
    weekend_pass = later.response_options.get(name="Weekend pass")
    with pytest.raises(ValidationError, match="not in the program's response catalogue"):
        response_record(entry=entry, option=weekend_pass, actor=judge, now=NOW)
    nothing_saved()


def test_a_response_names_the_behaviour_it_answers(entry, judge):
    assert give(entry, "Verbal warning", judge, behaviour="missed_test").behaviour == "missed_test"


@pytest.mark.parametrize(
    ("name", "behaviour", "message"),
    [
        ("Verbal warning", "negative_tests", "is answered by an incentive, not “Verbal warning”"),
        (
            "Praise from the bench",
            "positive_test",
            "is answered by a sanction or a therapeutic adjustment",
        ),
        ("Increased treatment", "positive_tests", "Choose a behaviour from the list"),
    ],
)
def test_an_answer_of_the_wrong_kind_is_refused(entry, judge, name, behaviour, message):
    with pytest.raises(ValidationError, match=message):
        give(entry, name, judge, behaviour=behaviour)
    nothing_saved()


def test_no_response_for_a_participant_taken_off_the_docket(session, participant, judge):
    entry = on_docket(
        session, participant.enrollments.get(), appearance=Appearance.REMOVED, note="Hospital"
    )

    with pytest.raises(ValidationError, match="was taken off this docket"):
        give(entry, "Verbal warning", judge)
    nothing_saved()


def test_an_option_is_recorded_once_per_hearing(entry, judge):
    give(entry, "Essay", judge)

    with pytest.raises(ValidationError, match="“Essay” is already recorded at this hearing"):
        give(entry, "Essay", judge)
    assert CourtResponse.objects.count() == 1


def test_an_option_given_today_stays_in_todays_catalogue(entry, judge, program, coordinator):
    version = program.settings_versions.get()
    version.effective_from = DAY
    version.save()
    give(entry, "Essay", judge)
    kept = [
        core_services.ResponseOptionData(o.name, o.category, o.effect)
        for o in version.response_options.exclude(name="Essay")
    ]

    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        core_services.program_settings_change_response_catalogue(
            program=program, effective_from=DAY, options=kept, change_note="x", actor=coordinator
        )
    assert "“Essay” was already given at a hearing" in str(refused.value)
    assert "apply this change from tomorrow" in str(refused.value)
    assert version.response_options.filter(name="Essay").exists()


# ---------------------------------------------------------------------------------------------
# Details by effect


@pytest.mark.parametrize(
    ("name", "details", "field", "message"),
    [
        ("Increased testing", {"weeks": 2}, "tests_per_week", "a number from 1 to 7"),
        ("Increased testing", {"tests_per_week": 8, "weeks": 2}, "tests_per_week", "1 to 7"),
        ("Increased testing", {"tests_per_week": 5, "weeks": 27}, "weeks", "1 to 26"),
        ("Jail", {}, "days", "needs its days: a number from 1 to 90"),
        ("Jail", {"days": 91}, "days", "1 to 90"),
        ("Community service", {"hours": 0}, "hours", "1 to 500"),
        ("Community service", {"hours": 501}, "hours", "1 to 500"),
        ("Curfew", {}, "weeks", "needs its weeks"),
        ("Reduced reporting", {"weeks": 0}, "weeks", "1 to 26"),
        ("Gift card", {}, "amount", "a sum of money above 0"),
        ("Gift card", {"amount": Decimal("0")}, "amount", "a sum of money above 0"),
        ("Gift card", {"amount": Decimal("10.005")}, "amount", "a sum of money above 0"),
        ("Verbal warning", {"days": 2}, "days", "Verbal warning takes no days"),
        ("Praise from the bench", {"amount": Decimal(5)}, "amount", "takes no amount"),
    ],
)
def test_missing_or_wrong_details_are_explained_and_nothing_saved(
    entry, judge, name, details, field, message
):
    with pytest.raises(ValidationError) as refused:
        give(entry, name, judge, **details)

    assert message in refused.value.message_dict[field][0]
    nothing_saved()


def test_curfew_reduced_reporting_and_a_gift_card_keep_their_details(entry, judge):
    curfew = give(entry, "Curfew", judge, weeks=4)
    reporting = give(entry, "Reduced reporting", judge, weeks=2)
    card = give(entry, "Gift card", judge, amount=Decimal("25.00"))

    assert (curfew.weeks, reporting.weeks, card.amount) == (4, 2, Decimal("25.00"))
    assert (curfew.days, curfew.amount, card.weeks) == (None, None, None)


# ---------------------------------------------------------------------------------------------
# Increased testing: a court order that sets the frequency while in force


def test_increased_testing_orders_the_frequency_for_its_weeks(entry, judge, participant):
    assert compliance_selectors.testing_frequency_for(participant, DAY, with_reasoning=False) == (
        compliance_selectors.TestingFrequency(3, "Default for phase 1 in the program settings")
    )

    response = give(entry, "Increased testing", judge, tests_per_week=5, weeks=2)

    order = response.testing_order
    assert (order.tests_per_week, order.starts_on, order.ends_on) == (
        5,
        DAY,
        DAY + 2 * WEEK - datetime.timedelta(days=1),
    )
    assert order.program == entry.session.program
    assert order.ordered_by == judge
    assert "Increased testing, ordered at the hearing of Nov 16, 2026" in order.reason
    during = compliance_selectors.testing_frequency_for(
        participant, DAY + WEEK, with_reasoning=False
    )
    assert during.tests_per_week == 5
    assert during.source == "Court order of Nov 16, 2026 until Nov 29, 2026"
    after = compliance_selectors.testing_frequency_for(
        participant, DAY + 2 * WEEK, with_reasoning=False
    )
    assert after.tests_per_week == 3


def test_increased_testing_must_test_more_than_today(entry, judge):
    with pytest.raises(ValidationError) as refused:
        give(entry, "Increased testing", judge, tests_per_week=3, weeks=2)

    assert "already tests 3 times a week" in refused.value.message_dict["tests_per_week"][0]
    nothing_saved()


# ---------------------------------------------------------------------------------------------
# Jail: a custody period, with due process when longer than 6 days


def test_jail_creates_a_custody_blackout_that_excuses_the_tests_inside(
    entry, judge, participant, program
):
    inside, outside = (
        DrugTest.objects.create(
            participant=participant,
            program=program,
            reason=TestReason.RANDOM,
            scheduled_for=day,
            status=TestStatus.SCHEDULED,
            status_changed_at=NOW,
        )
        for day in (DAY + datetime.timedelta(days=2), DAY + datetime.timedelta(days=3))
    )

    response = give(entry, "Jail", judge, days=3)

    custody = response.custody
    assert (custody.reason, custody.starts_on, custody.ends_on) == (
        "custody",
        DAY,
        inside.scheduled_for,
    )
    assert custody.recorded_by == judge
    assert "3 days ordered at the hearing of Nov 16, 2026" in custody.note
    assert (response.days, response.counsel_present, response.hearing_given) == (3, False, False)
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.status, outside.status) == (TestStatus.EXCUSED, TestStatus.SCHEDULED)


def test_jail_over_six_days_needs_its_reason_counsel_and_a_hearing(entry, judge):
    with pytest.raises(ValidationError) as refused:
        give(entry, "Jail", judge, days=10, counsel_present=True)

    errors = refused.value.message_dict
    assert errors["jail_reason"] == ["Jail over 6 days needs its reason on the record."]
    assert errors["hearing_given"] == ["Jail over 6 days needs a hearing given on it first."]
    assert "counsel_present" not in errors
    nothing_saved()

    response = give(
        entry,
        "Jail",
        judge,
        days=10,
        jail_reason="Third positive test after a warning and an essay.",
        counsel_present=True,
        hearing_given=True,
    )
    assert response.custody.ends_on == DAY + datetime.timedelta(days=9)
    assert (response.counsel_present, response.hearing_given) == (True, True)


def test_jail_of_six_days_records_due_process_without_requiring_it(entry, judge):
    response = give(entry, "Jail", judge, days=6, counsel_present=True)

    assert (response.counsel_present, response.hearing_given, response.jail_reason) == (
        True,
        False,
        "",
    )


# ---------------------------------------------------------------------------------------------
# Community service: an obligation and the hours worked


@pytest.fixture
def obligation(entry, judge):
    return give(entry, "Community service", judge, hours=8).obligation


def log(obligation, actor, hours, worked_on=DAY + datetime.timedelta(days=3)):
    with time_machine.travel(NOW + WEEK, tick=False):
        return community_service_log_hours(
            obligation=obligation, worked_on=worked_on, hours=Decimal(hours), actor=actor
        )


def test_community_service_creates_an_obligation(obligation, participant):
    assert obligation.hours_ordered == 8
    assert obligation.participant == participant


@pytest.mark.parametrize("who", ["casemanager", "coordinator"])
def test_the_case_manager_or_a_coordinator_logs_hours(request, obligation, who):
    actor = request.getfixturevalue(who)

    logged = log(obligation, actor, "2.5")

    assert (logged.hours, logged.recorded_by, logged.obligation) == (
        Decimal("2.5"),
        actor,
        obligation,
    )


@pytest.mark.parametrize("who", ["judge", "clerk", "casemanager2", "prosecutor"])
def test_nobody_else_logs_hours(request, obligation, who):
    with pytest.raises(ValidationError, match="case manager or a coordinator logs"):
        log(obligation, request.getfixturevalue(who), "2")
    assert not CommunityServiceHours.objects.exists()


@pytest.mark.parametrize(
    ("hours", "worked_on", "field", "message"),
    [
        ("0.4", DAY, "hours", "0.5 to 24"),
        ("24.5", DAY, "hours", "0.5 to 24"),
        ("1.25", DAY, "hours", "in tenths of an hour"),
        ("2", DAY + 2 * WEEK, "worked_on", "a day still to come"),
        ("2", DAY - datetime.timedelta(days=1), "worked_on", "ordered on Nov 16, 2026"),
    ],
)
def test_bad_hours_are_explained_and_nothing_saved(
    obligation, casemanager, hours, worked_on, field, message
):
    with pytest.raises(ValidationError) as refused:
        log(obligation, casemanager, hours, worked_on)

    assert message in refused.value.message_dict[field][0]
    assert not CommunityServiceHours.objects.exists()


def test_hours_cannot_pass_what_was_ordered(obligation, casemanager):
    log(obligation, casemanager, "6")

    with pytest.raises(ValidationError) as refused:
        log(obligation, casemanager, "2.5")
    assert refused.value.message_dict["hours"] == [
        "Only 2 of the 8 hours ordered are left to log; 2.5 would pass them."
    ]

    log(obligation, casemanager, "2")
    with pytest.raises(ValidationError, match="All 8 hours ordered are already logged"):
        log(obligation, casemanager, "1")
    assert sum(row.hours for row in obligation.hours_worked.all()) == 8


# ---------------------------------------------------------------------------------------------
# The incentive-to-sanction ratio


def test_the_ratio_counts_incentives_and_sanctions_but_not_treatment_changes(
    program, judge, participant, participant2, foreign_participant, other_program
):
    sessions = [
        session_on(program, DAY - n * WEEK, judge=judge, courtroom="2A") for n in range(4, 0, -1)
    ]
    for session, names in zip(
        sessions,
        [
            ["Praise from the bench", "Certificate of achievement", "Verbal warning"],
            ["Praise from the bench", "Increased treatment"],
            ["Called early on the docket", "Additional self-help meetings"],
            ["Praise from the bench"],
        ],
        strict=True,
    ):
        entry = on_docket(session, participant.enrollments.get(), appearance="appeared")
        for name in names:
            give(entry, name, judge)
    entry2 = on_docket(sessions[0], participant2.enrollments.get(), appearance="appeared")
    give(entry2, "Gift card", judge, amount=Decimal(10))
    outsider = UserFactory(roles=[Role.JUDGE], programs=[other_program])
    elsewhere = on_docket(
        session_on(other_program, DAY, judge=outsider),
        foreign_participant.enrollments.get(),
        appearance="appeared",
    )
    for name in ("Verbal warning", "Essay"):
        give(elsewhere, name, outsider)

    ratio = selectors.incentive_sanction_ratio(participant=participant)
    assert (ratio.incentives, ratio.sanctions, ratio.ratio) == (5, 1, "5.0 : 1")
    since = selectors.incentive_sanction_ratio(participant=participant, since=sessions[1].held_on)
    assert (since.incentives, since.sanctions, str(since)) == (3, 0, "no sanctions")
    assert selectors.incentive_sanction_ratio(
        participant=participant, until=sessions[0].held_on
    ).ratio == ("2.0 : 1")
    assert selectors.incentive_sanction_ratio(program=program).ratio == "6.0 : 1"
    assert selectors.incentive_sanction_ratio(program=other_program).ratio == "0.0 : 1"
    assert (
        selectors.incentive_sanction_ratio(participant=participant, program=other_program).ratio
        == "no responses"
    )


def test_the_ratios_of_a_docket_take_one_query(
    entry, judge, participant, participant2, django_assert_num_queries
):
    for name in ("Praise from the bench", "Gift card", "Verbal warning", "Essay"):
        give(entry, name, judge, **({"amount": Decimal(5)} if name == "Gift card" else {}))
    nobody = EnrollmentFactory(program=entry.session.program).participant

    with django_assert_num_queries(1):
        ratios = selectors.incentive_sanction_ratios(
            [participant.pk, participant2.pk, nobody.pk], program=entry.session.program
        )

    assert {pk: ratio.ratio for pk, ratio in ratios.items()} == {
        participant.pk: "1.0 : 1",
        participant2.pk: "no responses",
        nobody.pk: "no responses",
    }
