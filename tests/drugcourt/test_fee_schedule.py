"""The fee schedule topic of the program settings (issue 17): the coordinator lists the fees a
participant may be assessed, in dollars and cents, from a date; every later settings version
carries them over; bad amounts are explained and nothing is saved."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from drugcourt import services
from drugcourt.selectors import fee_schedule_in_force, program_settings_in_force

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
APRIL = datetime.date(2026, 4, 1)
SCHEDULE = [
    services.FeeData("Program fee", Decimal("50.00"), "Monthly."),
    services.FeeData("Drug test", Decimal("12.50"), "Per test."),
]


@pytest.fixture
def coordinator_client(client, coordinator, program):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False):
        services.program_settings_change_phases(
            program=program,
            effective_from=TODAY,
            phases=services.DEFAULT_PHASES,
            change_note="initial",
            actor=coordinator,
        )
        services.program_settings_change_fee_schedule(
            program=program, effective_from=TODAY, fees=SCHEDULE, change_note="x", actor=coordinator
        )
        client.force_login(coordinator)
        yield client


def schedule(program, on):
    return [(fee.name, fee.amount, fee.description) for fee in fee_schedule_in_force(program, on)]


def fee_post(effective_from, rows, *, initial):
    data = {
        "effective_from": effective_from,
        "change_note": "Test fee goes up",
        "fees-TOTAL_FORMS": str(len(rows) + 1),  # and one empty row, left as it is
        "fees-INITIAL_FORMS": str(initial),
        "fees-MIN_NUM_FORMS": "0",
        "fees-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"fees-{index}-{key}"] = value
    return data


def test_the_settings_page_shows_the_fees_in_force(coordinator_client, program):
    page = coordinator_client.get(reverse("core:program_settings", args=[program.pk]))

    assert "Drug test: $12.50" in page.content.decode()


def test_the_coordinator_changes_the_schedule_from_a_date(coordinator_client, program):
    url = reverse("core:program_settings_fee_schedule", args=[program.pk])
    assert "12.50" in coordinator_client.get(url).content.decode()
    rows = [
        {"name": "Drug test", "amount": "15.25", "description": "Per test."},
        {"name": "Program fee", "amount": "50", "description": "Monthly.", "DELETE": "on"},
        {"name": "Enrollment fee", "amount": "100.00", "description": ""},
    ]

    response = coordinator_client.post(url, fee_post("2026-04-01", rows, initial=2))

    assert response.status_code == 302
    assert schedule(program, APRIL - datetime.timedelta(days=1)) == [
        ("Drug test", Decimal("12.50"), "Per test."),
        ("Program fee", Decimal("50.00"), "Monthly."),
    ]
    assert schedule(program, APRIL) == [
        ("Drug test", Decimal("15.25"), "Per test."),
        ("Enrollment fee", Decimal("100.00"), ""),
    ]


def test_another_topic_carries_the_schedule_over(coordinator_client, program):
    coordinator_client.post(
        reverse("core:program_settings_note_format", args=[program.pk]),
        {"effective_from": "2026-04-01", "change_note": "Switch to DAP", "note_format": "dap"},
    )

    april = program_settings_in_force(program, APRIL)
    assert april.pk != program_settings_in_force(program, TODAY).pk
    assert schedule(program, APRIL) == schedule(program, TODAY)


def test_an_empty_schedule_charges_nothing(coordinator_client, program):
    rows = [{"name": f.name, "amount": f.amount, "DELETE": "on"} for f in SCHEDULE]

    coordinator_client.post(
        reverse("core:program_settings_fee_schedule", args=[program.pk]),
        fee_post("2026-03-02", rows, initial=2),
    )

    assert schedule(program, TODAY) == []
    assert "No fees" in (
        coordinator_client.get(reverse("core:program_settings", args=[program.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0"}, "greater than or equal to 0.01"),
        ({"amount": "-5"}, "greater than or equal to 0.01"),
        ({"amount": "12.505"}, "no more than 2 decimal places"),
        ({"amount": "twelve"}, "Enter a number."),
        ({"name": "Program Fee"}, "Two fees have the same name"),
    ],
)
def test_bad_fees_are_explained_and_nothing_changes(coordinator_client, program, change, message):
    rows = [
        {"name": "Program fee", "amount": "50.00"},
        {"name": "Drug test", "amount": "12.50"} | change,
    ]
    before = schedule(program, TODAY)

    response = coordinator_client.post(
        reverse("core:program_settings_fee_schedule", args=[program.pk]),
        fee_post("2026-04-01", rows, initial=2),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert program.settings_versions.count() == 1
    assert schedule(program, TODAY) == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0.001"), "at most two decimals"),
        (Decimal("0"), "greater than zero"),
        (Decimal("NaN"), "dollars and cents"),
        (12.5, "dollars and cents"),  # a float is refused, never rounded
        (Decimal("100000000"), "at most $99,999,999.99"),
    ],
)
def test_the_service_takes_only_cents(program, coordinator, amount, message):
    with pytest.raises(ValidationError, match=message.replace("$", r"\$")):
        services.program_settings_change_fee_schedule(
            program=program,
            effective_from=datetime.date(2099, 1, 1),
            fees=[services.FeeData("Program fee", amount)],
            change_note="x",
            actor=coordinator,
        )
    assert not program.settings_versions.exists()
