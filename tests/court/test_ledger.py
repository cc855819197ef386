"""Fees, fines and restitution (issue 17): a ledger per enrollment. The case manager, the
assigned probation officer or a coordinator assesses (a fee of the program's schedule, or a
fine or restitution the court ordered) and records payments, each with the program's next
receipt number; the program's court (a judge or a clerk) waives or reduces with a reason, e.g.
inability to pay. Balance = assessed − paid − waived, in Decimals to the cent. Entries are never
changed: a mistake is reversed by a new entry. Bad input says why and saves nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import EnrollmentStatus
from court import services
from court.models import Charge, LedgerEntry, LedgerEntryKind, LedgerTotals
from court.selectors import ledger_totals
from drugcourt import services as core_services
from drugcourt.selectors import program_today
from tests.factories import settings_since_2020

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
RECORDERS = ("casemanager", "probation_assigned", "coordinator")
# See the participant's ledger without recording in it, or not at all.
REFUSED = ("judge", "clerk", "prosecutor", "defence_assigned", "casemanager2", "provider_treating")
BENCH = ("judge", "clerk")
NOT_BENCH = ("casemanager", "probation_assigned", "coordinator", "prosecutor", "defence_assigned")


@pytest.fixture
def today(program):
    return program_today(program)


@pytest.fixture
def enrollment(participant, program, coordinator):
    settings = settings_since_2020(program)
    core_services._create_fees(
        settings,
        [
            core_services.FeeData("Program fee", Decimal("50.00"), "Monthly."),
            core_services.FeeData("Drug test", Decimal("12.35"), "Per test."),
        ],
    )
    return participant.enrollments.get()


def balance(enrollment) -> LedgerTotals:
    return ledger_totals([enrollment.pk])[enrollment.pk]


def assess_fine(enrollment, actor, amount="100.10", **fields):
    return services.ledger_assess(
        enrollment=enrollment,
        charge=Charge.FINE,
        amount=Decimal(amount),
        description="Fine ordered at the hearing of Nov 3.",
        assessed_on=program_today(enrollment.program),
        actor=actor,
        **fields,
    )


def pay(enrollment, actor, amount, **fields):
    return services.ledger_pay(
        enrollment=enrollment,
        amount=Decimal(amount),
        paid_on=program_today(enrollment.program),
        actor=actor,
        **{"method": "cash"} | fields,
    )


def waive(enrollment, actor, amount, reason="Unable to pay: no income.", **fields):
    return services.ledger_waive(
        enrollment=enrollment,
        amount=Decimal(amount),
        waived_on=program_today(enrollment.program),
        reason=reason,
        actor=actor,
        **fields,
    )


# ---------------------------------------------------------------------------------------------
# Arithmetic


def test_the_balance_is_assessed_less_paid_less_waived_to_the_cent(
    enrollment, casemanager, judge, today
):
    services.ledger_assess(
        enrollment=enrollment,
        charge=Charge.FEE,
        fee="Drug test",
        assessed_on=today,
        actor=casemanager,
    )
    for _ in range(2):
        assess_fine(enrollment, casemanager, "0.10")  # 0.1 + 0.1 + 0.1 is not 0.3 in floats
    assess_fine(enrollment, casemanager, "0.10")
    pay(enrollment, casemanager, "0.20")
    waive(enrollment, judge, "0.05")

    totals = balance(enrollment)

    assert totals == LedgerTotals(
        assessed=Decimal("12.65"), paid=Decimal("0.20"), waived=Decimal("0.05")
    )
    assert totals.balance == Decimal("12.40")
    assert isinstance(totals.balance, Decimal)
    assert LedgerEntry.objects.get(charge=Charge.FEE).amount == Decimal("12.35")


def test_a_fee_is_assessed_at_the_schedule_of_its_day(enrollment, casemanager, program, today):
    entry = services.ledger_assess(
        enrollment=enrollment,
        charge=Charge.FEE,
        fee="Program fee",
        amount=Decimal("1.00"),  # the schedule's amount, whatever is sent
        assessed_on=today,
        actor=casemanager,
    )

    assert (entry.amount, entry.description) == (Decimal("50.00"), "Program fee")
    with pytest.raises(ValidationError) as refusal:
        services.ledger_assess(
            enrollment=enrollment,
            charge=Charge.FEE,
            fee="Parking",
            assessed_on=today,
            actor=casemanager,
        )
    assert "Choose a fee of the program's schedule" in refusal.value.message_dict["fee"][0]


def test_receipts_are_numbered_in_the_program(enrollment, casemanager, participant2, casemanager2):
    assess_fine(enrollment, casemanager, "30.00")
    other = participant2.enrollments.get()
    assess_fine(other, casemanager2, "30.00")

    numbers = [
        pay(enrollment, casemanager, "10.00").receipt_number,
        pay(other, casemanager2, "10.00").receipt_number,
        pay(enrollment, casemanager, "10.00").receipt_number,
    ]

    assert numbers == [1, 2, 3]


def test_an_overpayment_is_refused_unless_credited(enrollment, casemanager):
    assess_fine(enrollment, casemanager, "25.00")

    with pytest.raises(ValidationError) as refusal:
        pay(enrollment, casemanager, "25.01")
    assert "more than is owed: the balance is $25.00" in refusal.value.message_dict["amount"][0]
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).exists()

    payment = pay(enrollment, casemanager, "30.00", overpayment_credit=True)

    assert payment.overpayment_credit
    assert balance(enrollment).balance == Decimal("-5.00")
    assert balance(enrollment).credit == Decimal("5.00")


def test_a_payment_within_the_balance_is_no_credit(enrollment, casemanager):
    assess_fine(enrollment, casemanager, "25.00")

    assert not pay(enrollment, casemanager, "25.00", overpayment_credit=True).overpayment_credit
    with pytest.raises(ValidationError, match="nothing is owed"):
        pay(enrollment, casemanager, "0.01")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "greater than zero"),
        (Decimal("-3.00"), "greater than zero"),
        (Decimal("1.005"), "at most two decimals"),
        (1.5, "dollars and cents"),  # a float is refused, never rounded
    ],
)
def test_amounts_are_cents_and_positive(enrollment, casemanager, amount, message):
    with pytest.raises(ValidationError) as refusal:
        services.ledger_assess(
            enrollment=enrollment,
            charge=Charge.RESTITUTION,
            amount=amount,
            description="To the victim.",
            assessed_on=program_today(enrollment.program),
            actor=casemanager,
        )

    assert message in refusal.value.message_dict["amount"][0]
    assert not LedgerEntry.objects.exists()


# ---------------------------------------------------------------------------------------------
# Waivers


def test_the_court_waives_for_inability_to_pay(enrollment, casemanager, judge):
    assess_fine(enrollment, casemanager, "80.00")

    waiver = waive(enrollment, judge, "80.00", inability_to_pay=True)

    assert waiver.reason == "Unable to pay: no income."
    assert balance(enrollment) == LedgerTotals(
        assessed=Decimal("80.00"), paid=Decimal(0), waived=Decimal("80.00"), inability_to_pay=True
    )


@pytest.mark.parametrize(
    ("amount", "reason", "field", "message"),
    [
        ("10.00", "   ", "reason", "Say why the court waives or reduces it"),
        ("80.01", "Hardship.", "amount", "waives at most what is owed: the balance is $80.00"),
    ],
)
def test_a_bad_waiver_says_why_and_saves_nothing(
    enrollment, casemanager, judge, amount, reason, field, message
):
    assess_fine(enrollment, casemanager, "80.00")

    with pytest.raises(ValidationError) as refusal:
        waive(enrollment, judge, amount, reason=reason)

    assert message in refusal.value.message_dict[field][0]
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.WAIVER).exists()


@pytest.mark.parametrize("persona", NOT_BENCH)
def test_only_the_court_waives(request, enrollment, casemanager, persona):
    assess_fine(enrollment, casemanager, "80.00")

    with pytest.raises(ValidationError, match="Only the program's court"):
        waive(enrollment, request.getfixturevalue(persona), "10.00")
    assert balance(enrollment).waived == 0


def test_a_clerk_of_the_court_waives_too(enrollment, casemanager, clerk):
    assess_fine(enrollment, casemanager, "80.00")

    waive(enrollment, clerk, "30.00", reason="Reduced at the hearing.")

    assert balance(enrollment).balance == Decimal("50.00")


# ---------------------------------------------------------------------------------------------
# Who records


@pytest.mark.parametrize("persona", RECORDERS)
def test_the_team_assesses_and_records_payments(request, enrollment, persona):
    actor = request.getfixturevalue(persona)

    assess_fine(enrollment, actor, "40.00")
    pay(enrollment, actor, "15.50", method="money_order")

    assert balance(enrollment).balance == Decimal("24.50")


@pytest.mark.parametrize("persona", REFUSED)
def test_others_do_not(request, enrollment, persona):
    with pytest.raises(ValidationError, match="You may not record fees or payments"):
        assess_fine(enrollment, request.getfixturevalue(persona))
    assert not LedgerEntry.objects.exists()


def test_nothing_new_is_assessed_in_a_closed_enrollment(enrollment, casemanager):
    assess_fine(enrollment, casemanager, "40.00")
    type(enrollment).objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.TERMINATED)
    enrollment.refresh_from_db()

    with pytest.raises(ValidationError, match="The enrollment is terminated"):
        assess_fine(enrollment, casemanager, "5.00")
    pay(enrollment, casemanager, "40.00")  # what is owed can still be paid
    assert balance(enrollment).balance == 0


# ---------------------------------------------------------------------------------------------
# Reversals


def test_a_reversal_is_a_new_entry_and_an_entry_is_reversed_once(enrollment, casemanager, today):
    assess_fine(enrollment, casemanager, "40.00")
    payment = pay(enrollment, casemanager, "40.00", method="check")

    with pytest.raises(ValidationError, match="Say why"):
        services.ledger_reverse(entry=payment, reason=" ", actor=casemanager)
    reversal = services.ledger_reverse(
        entry=payment, reason="The check was returned.", actor=casemanager
    )
    with pytest.raises(ValidationError, match="reversed already"):
        services.ledger_reverse(entry=payment, reason="Again.", actor=casemanager)
    with pytest.raises(ValidationError, match="A reversal is not reversed"):
        services.ledger_reverse(entry=reversal, reason="Oops.", actor=casemanager)

    payment.refresh_from_db()
    assert payment.amount == Decimal("40.00")  # never changed
    assert (reversal.kind, reversal.amount, reversal.entry_date) == (
        LedgerEntryKind.PAYMENT,
        Decimal("-40.00"),
        today,
    )
    assert reversal.receipt_number is None
    assert balance(enrollment).balance == Decimal("40.00")


def test_a_reversed_waiver_for_indigence_is_no_finding(enrollment, casemanager, judge):
    assess_fine(enrollment, casemanager, "40.00")
    waiver = waive(enrollment, judge, "40.00", inability_to_pay=True)

    with pytest.raises(ValidationError, match="Only the program's court"):
        services.ledger_reverse(entry=waiver, reason="Wrong case.", actor=casemanager)
    services.ledger_reverse(entry=waiver, reason="Wrong case.", actor=judge)

    assert balance(enrollment) == LedgerTotals(
        assessed=Decimal("40.00"), paid=Decimal(0), waived=Decimal(0), inability_to_pay=False
    )


# ---------------------------------------------------------------------------------------------
# Pages


def test_the_participant_page_shows_the_ledger_to_the_court_view(
    client, participant, enrollment, casemanager, judge, provider_treating
):
    assess_fine(enrollment, casemanager, "1234.50")
    pay(enrollment, casemanager, "234.25")
    detail = reverse("clients:participant_detail", args=[participant.pk])
    pay_url = reverse("court:ledger_pay", args=[participant.pk])
    waive_url = reverse("court:ledger_waive", args=[participant.pk])

    client.force_login(judge)
    page = client.get(detail).content.decode()
    assert "Balance <strong>$1,000.25</strong>" in page
    assert waive_url in page
    assert pay_url not in page
    client.force_login(casemanager)
    page = client.get(detail).content.decode()
    assert pay_url in page
    assert waive_url not in page
    client.force_login(provider_treating)
    assert "Fine ordered" not in client.get(detail).content.decode()


def test_the_pages_assess_pay_print_waive_and_reverse(
    client, participant, enrollment, casemanager, judge, today
):
    client.force_login(casemanager)
    assessed = client.post(
        reverse("court:ledger_assess", args=[participant.pk]),
        {
            "enrollment": enrollment.pk,
            "charge": "fee",
            "fee": "Program fee",
            "amount": "",
            "description": "",
            "assessed_on": today,
        },
    )
    paid = client.post(
        reverse("court:ledger_pay", args=[participant.pk]),
        {"enrollment": enrollment.pk, "amount": "20.00", "paid_on": today, "method": "card"},
    )
    payment = LedgerEntry.objects.get(kind=LedgerEntryKind.PAYMENT)
    receipt = client.get(paid.url).content.decode()

    client.force_login(judge)
    waived = client.post(
        reverse("court:ledger_waive", args=[participant.pk]),
        {
            "enrollment": enrollment.pk,
            "amount": "30.00",
            "waived_on": today,
            "inability_to_pay": "on",
            "reason": "No income; found indigent.",
        },
    )
    waiver = LedgerEntry.objects.get(kind=LedgerEntryKind.WAIVER)
    reversed_ = client.post(
        reverse("court:ledger_reverse", args=[waiver.pk]), {"reason": "Wrong amount."}
    )

    assert [r.status_code for r in (assessed, waived, reversed_)] == [302, 302, 302]
    assert paid.url == reverse("court:ledger_receipt", args=[payment.pk])
    assert "Receipt no. 1" in receipt
    assert "$20.00" in receipt
    assert "Balance after this payment" in receipt
    assert "$30.00" in receipt
    assert balance(enrollment).balance == Decimal("30.00")
    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content
    assert "Reversal of an entry (waived or reduced): Wrong amount." in page.decode()
    assert "−$30.00" in page.decode()


def test_a_payment_over_the_balance_keeps_what_was_typed(
    client, participant, enrollment, casemanager, today
):
    assess_fine(enrollment, casemanager, "10.00")
    client.force_login(casemanager)

    response = client.post(
        reverse("court:ledger_pay", args=[participant.pk]),
        {
            "enrollment": enrollment.pk,
            "amount": "12.00",
            "paid_on": today,
            "method": "cash",
            "note": "Paid by her mother.",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "$12.00 is more than is owed: the balance is $10.00" in page
    assert "Paid by her mother." in page
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).exists()


@pytest.mark.parametrize("persona", ["judge", "casemanager2", "provider_treating", "defence"])
def test_outsiders_cannot_reverse_a_payment(client, request, enrollment, casemanager, persona):
    assess_fine(enrollment, casemanager, "10.00")
    payment = pay(enrollment, casemanager, "10.00")
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        reverse("court:ledger_reverse", args=[payment.pk]), {"reason": "Returned."}
    )

    assert response.status_code == 404
    assert LedgerEntry.objects.count() == 2
