"""Writes for drug tests (ordering, collection, refusal, results and their corrections),
prescriptions and blackout periods. A test's status changes only here and in compliance.sweeps
(and the call list in compliance.draw); every change is audited with its actor."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Max, Q
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.models import Enrollment, EnrollmentStatus, Participant
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import Program, ProgramSettings, Substance, User
from drugcourt.selectors import program_settings_in_force, program_today

from .models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    DrugTestResult,
    Prescription,
    SpecimenType,
    SubstanceResult,
    TestingOrder,
    TestReason,
    TestStatus,
)
from .validity import ValidityMeasures, result_status

# Specimens collected on the spot once the participant is told: they get the short window.
SHORT_WINDOW_SPECIMENS = frozenset({SpecimenType.ORAL_FLUID, SpecimenType.BREATH})


def collection_window(settings: ProgramSettings, specimen_type: str) -> datetime.timedelta:
    """How long a participant has, once notified, to give the specimen under these settings
    (8 hours for urine, sweat patch and blood, 4 for oral fluid and breath by default)."""
    hours = (
        settings.oral_fluid_window_hours
        if specimen_type in SHORT_WINDOW_SPECIMENS
        else settings.urine_window_hours
    )
    return datetime.timedelta(hours=hours)


def _check_may_test(actor: User, participant: Participant) -> None:
    if not access.can_change(actor, participant, access.DataClass.DRUG_TESTS):
        raise ValidationError("You may not record drug tests for this participant.")


def _blackout_on(participant: Participant, day: datetime.date) -> BlackoutPeriod | None:
    return (
        BlackoutPeriod.objects.filter(participant=participant, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .first()
    )


def _panel_errors(program: Program, day: datetime.date, substances: list[str]) -> list[str]:
    settings = program_settings_in_force(program, day)
    program_panel = set(settings.testing_panel if settings else [])
    return sorted(set(substances) - program_panel)


def _set_status(test: DrugTest, status: str, now: datetime.datetime, **fields) -> None:
    test.status, test.status_changed_at = status, now
    for name, value in fields.items():
        setattr(test, name, value)
    test.save(update_fields=["status", "status_changed_at", *fields])


# ---------------------------------------------------------------------------------------------
# Ordered tests, collection and refusal


def drug_test_order(
    *,
    participant: Participant,
    scheduled_for: datetime.date,
    specimen_type: str,
    reason: str,
    actor: User,
    now: datetime.datetime | None = None,
) -> DrugTest:
    """Orders a test outside the random draw (for cause, a court order). A test for today is
    notified at once and its collection window starts now; a later one is called with that
    day's call list."""
    now = now or timezone.now()
    _check_may_test(actor, participant)
    enrollment = (
        Enrollment.objects.filter(participant=participant, status=EnrollmentStatus.ACTIVE)
        .select_related("program")
        .first()
    )
    if enrollment is None:
        raise ValidationError("Only a participant active in a program can be ordered a test.")
    program = enrollment.program
    today = program_today(program, now)
    if scheduled_for < today:
        raise ValidationError({"scheduled_for": "A test cannot be ordered for a past day."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the test is ordered."})
    blackout = _blackout_on(participant, scheduled_for)
    if blackout is not None:
        raise ValidationError(
            {"scheduled_for": f"The participant cannot be tested that day ({blackout})."}
        )
    notified_at = now if scheduled_for == today else None
    settings = program_settings_in_force(program, scheduled_for)
    if settings is None:
        raise ValidationError("The program has no settings in force; a coordinator must set it up.")
    with audited_write(actor):
        return DrugTest.objects.create(
            participant=participant,
            program=program,
            reason=TestReason.ORDERED,
            scheduled_for=scheduled_for,
            specimen_type=specimen_type,
            notified_at=notified_at,
            collect_by=(
                notified_at + collection_window(settings, specimen_type) if notified_at else None
            ),
            ordered_by=actor,
            order_reason=reason.strip(),
            status=TestStatus.SCHEDULED,
            status_changed_at=now,
        )


@dataclass(frozen=True)
class CollectionData:
    collected_at: datetime.datetime
    specimen_type: str
    collection_site: str
    observed: bool
    chain_of_custody_id: str
    panel: list[str]
    admitted_use: list[str] = field(default_factory=list)


def drug_test_record_collection(
    *, test: DrugTest, data: CollectionData, actor: User, now: datetime.datetime | None = None
) -> DrugTest:
    """Records the specimen: the test waits for its result. Refused when the participant was
    not yet called, the time is before the call or in the future, or the panel holds a
    substance the program does not test for."""
    now = now or timezone.now()
    _check_may_test(actor, test.participant)
    with audited_write(actor):
        lock(test)
        if test.status != TestStatus.SCHEDULED:
            raise ValidationError(
                f"Only a scheduled test can be collected; this one is {test.get_status_display()}."
            )
        errors: dict[str, str] = {}
        if test.notified_at is None:
            errors["collected_at"] = "The participant has not been called for this test yet."
        # Times are entered to the minute: the minute of the call itself is not "before" it.
        elif data.collected_at < test.notified_at.replace(second=0, microsecond=0):
            errors["collected_at"] = (
                "The collection time is before the participant was notified "
                f"({timezone.localtime(test.notified_at, test.program.zone):%b %-d, %H:%M})."
            )
        if data.collected_at > now:
            errors["collected_at"] = "The collection time is in the future."
        if not data.panel:
            errors["panel"] = "Choose the substances the specimen is tested for."
        unknown = _panel_errors(test.program, test.scheduled_for, data.panel)
        if unknown:
            errors["panel"] = f"Not in the program's panel: {', '.join(unknown)}."
        if not data.chain_of_custody_id.strip():
            errors["chain_of_custody_id"] = "Give the chain-of-custody form number."
        if errors:
            raise ValidationError(errors)
        _set_status(
            test,
            TestStatus.PENDING,
            now,
            collected_at=data.collected_at,
            specimen_type=data.specimen_type,
            collection_site=data.collection_site.strip(),
            observed=data.observed,
            chain_of_custody_id=data.chain_of_custody_id.strip(),
            panel=sorted(set(data.panel)),
            admitted_use=sorted(set(data.admitted_use)),
            collected_by=actor,
        )
        return test


def drug_test_record_refusal(
    *, test: DrugTest, note: str, actor: User, now: datetime.datetime | None = None
) -> DrugTest:
    now = now or timezone.now()
    _check_may_test(actor, test.participant)
    with audited_write(actor):
        lock(test)
        if test.status != TestStatus.SCHEDULED:
            raise ValidationError(
                f"Only a scheduled test can be refused; this one is {test.get_status_display()}."
            )
        if not note.strip():
            raise ValidationError({"note": "Say what happened."})
        _set_status(test, TestStatus.REFUSED, now, status_note=note.strip())
        return test


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class FindingData:
    substance: str
    cutoff: Decimal | None
    level: Decimal | None
    unit: str = "ng/mL"


@dataclass(frozen=True)
class ResultData:
    resulted_at: datetime.datetime
    measures: ValidityMeasures
    findings: list[FindingData]
    is_confirmation: bool = False


def _check_result(test: DrugTest, data: ResultData, now: datetime.datetime) -> None:
    errors: dict[str, str] = {}
    if data.resulted_at > now:
        errors["resulted_at"] = "The result date is in the future."
    elif test.collected_at and data.resulted_at < test.collected_at:
        errors["resulted_at"] = "The result date is before the specimen was collected."
    substances = [finding.substance for finding in data.findings]
    # Findings are rows of the result form, not one field: their errors belong to the form.
    if len(set(substances)) != len(substances):
        errors[NON_FIELD_ERRORS] = "A substance is listed twice."
    outside_panel = sorted(set(substances) - set(test.panel))
    if outside_panel:
        labels = ", ".join(Substance(code).label for code in outside_panel)
        errors[NON_FIELD_ERRORS] = f"Not in the panel this specimen was tested for: {labels}."
    if errors:
        raise ValidationError(errors)
    data.measures.check_ranges()


def _add_result_version(
    test: DrugTest, data: ResultData, correction_reason: str, actor: User, now: datetime.datetime
) -> DrugTestResult:
    """The next version of the locked test's result: the test's row lock numbers the versions
    one after another (and `result_version_unique` holds it in the database)."""
    version = (test.results.aggregate(last=Max("version"))["last"] or 0) + 1
    status = result_status(data.measures, has_findings=bool(data.findings))
    measures = data.measures
    result = DrugTestResult.objects.create(
        drug_test=test,
        version=version,
        resulted_at=data.resulted_at,
        creatinine_mg_dl=measures.creatinine_mg_dl,
        specific_gravity=measures.specific_gravity,
        ph=measures.ph,
        adulterant=measures.adulterant.strip(),
        lab_invalid=measures.lab_invalid,
        is_confirmation=data.is_confirmation,
        status=status,
        correction_reason=correction_reason,
        recorded_by=actor,
    )
    SubstanceResult.objects.bulk_create(
        SubstanceResult(
            result=result,
            substance=finding.substance,
            cutoff=finding.cutoff,
            level=finding.level,
            unit=finding.unit,
        )
        for finding in data.findings
    )
    _set_status(test, status, now, current_result=result)
    return result


def drug_test_record_result(
    *, test: DrugTest, data: ResultData, actor: User, now: datetime.datetime | None = None
) -> DrugTestResult:
    """The first result of a collected specimen; the status follows from validity and
    findings (compliance.validity)."""
    now = now or timezone.now()
    _check_may_test(actor, test.participant)
    with audited_write(actor):
        lock(test)
        if test.status != TestStatus.PENDING:
            raise ValidationError(
                "A result can only be recorded for a collected specimen waiting for one; "
                f"this test is {test.get_status_display()}."
            )
        _check_result(test, data, now)
        return _add_result_version(test, data, "", actor, now)


def drug_test_correct_result(
    *,
    test: DrugTest,
    data: ResultData,
    reason: str,
    corrects_version: int,
    actor: User,
    now: datetime.datetime | None = None,
) -> DrugTestResult:
    """A corrected or confirmed result: a new version; the earlier ones are kept unchanged.
    `corrects_version` is the version the user saw: if another was recorded since (or the
    same form was sent twice), the correction is refused, not stacked on top of it."""
    now = now or timezone.now()
    _check_may_test(actor, test.participant)
    with audited_write(actor):
        lock(test)
        if test.current_result is None:
            raise ValidationError("This test has no result to correct yet.")
        if test.current_result.version != corrects_version:
            raise ValidationError(
                f"Result version {test.current_result.version} was recorded after you opened "
                f"version {corrects_version}; look at it before correcting it."
            )
        if not reason.strip():
            raise ValidationError({"reason": "Say why the result is corrected."})
        _check_result(test, data, now)
        return _add_result_version(test, data, reason.strip(), actor, now)


def drug_test_request_confirmation(
    *, test: DrugTest, actor: User, now: datetime.datetime | None = None
) -> DrugTest:
    """The participant disputes a positive screen: the laboratory is asked to confirm it
    (GC/MS or LC/MS); its answer is recorded as a corrected result marked as confirmation."""
    now = now or timezone.now()
    _check_may_test(actor, test.participant)
    with audited_write(actor):
        lock(test)
        if test.status != TestStatus.POSITIVE:
            raise ValidationError("Only a positive result can be sent for confirmation.")
        if test.confirmation_requested_at is not None:
            raise ValidationError("Confirmation was already requested for this test.")
        test.confirmation_requested_at = now
        test.save(update_fields=["confirmation_requested_at"])
        return test


# ---------------------------------------------------------------------------------------------
# Prescriptions and blackout periods


@dataclass(frozen=True)
class PrescriptionData:
    drug: str
    dose: str
    prescriber: str
    for_substance_use_disorder: bool
    starts_on: datetime.date
    ends_on: datetime.date | None
    explains: list[str]


def prescription_record(
    *, participant: Participant, data: PrescriptionData, actor: User
) -> Prescription:
    """A prescription the team knows of. From then on, positives for the analytes it explains,
    on days it is in force, show as expected and never count as violations."""
    _check_may_test(actor, participant)
    errors: dict[str, str] = {}
    for name in ("drug", "dose", "prescriber"):
        if not getattr(data, name).strip():
            errors[name] = "This field is required."
    if not data.explains:
        errors["explains"] = "Choose the analytes this medication can make a test find."
    if data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = "The end date is before the start date."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        return Prescription.objects.create(
            participant=participant,
            drug=data.drug.strip(),
            dose=data.dose.strip(),
            prescriber=data.prescriber.strip(),
            for_substance_use_disorder=data.for_substance_use_disorder,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            explains=sorted(set(data.explains)),
            recorded_by=actor,
        )


def prescription_end(
    *, prescription: Prescription, ends_on: datetime.date, actor: User
) -> Prescription:
    _check_may_test(actor, prescription.participant)
    if ends_on < prescription.starts_on:
        raise ValidationError({"ends_on": "The end date is before the start date."})
    with audited_write(actor):
        prescription.ends_on = ends_on
        prescription.save(update_fields=["ends_on"])
        return prescription


def blackout_record(
    *,
    participant: Participant,
    reason: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    note: str,
    actor: User,
    now: datetime.datetime | None = None,
) -> BlackoutPeriod:
    """Records days the participant cannot be tested. Tests inside the period that were not
    collected (scheduled, or already marked missed) are excused, so none counts as missed, and
    the alerts of those already missed are resolved; the draw skips those days from now on."""
    _check_may_test(actor, participant)
    return _blackout_create(
        participant=participant,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        actor=actor,
        now=now,
    )


def custody_blackout_record(
    *,
    participant: Participant,
    starts_on: datetime.date,
    ends_on: datetime.date,
    note: str,
    actor: User,
    now: datetime.datetime | None = None,
) -> BlackoutPeriod:
    """A custody period ordered by the court (a jail response): a blackout with the reason
    custody, with everything blackout_record does to the tests inside it.

    Court-only: court.services.response_record calls it after checking that the actor records
    that hearing (clients.access.acts_for_session). The judge or clerk cannot change drug tests,
    so this path checks no drug-test access of its own; nothing else may call it."""
    return _blackout_create(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        actor=actor,
        now=now,
    )


def _blackout_create(
    *,
    participant: Participant,
    reason: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    note: str,
    actor: User,
    now: datetime.datetime | None,
) -> BlackoutPeriod:
    now = now or timezone.now()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": "The blackout ends before it starts."})
    with audited_write(actor):
        blackout = BlackoutPeriod.objects.create(
            participant=participant,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note.strip(),
            recorded_by=actor,
        )
        inside = DrugTest.objects.filter(
            participant=participant,
            status__in=[TestStatus.SCHEDULED, TestStatus.MISSED],
            scheduled_for__gte=starts_on,
        )
        if ends_on is not None:
            inside = inside.filter(scheduled_for__lte=ends_on)
        missed = [
            f"test:{pk}"
            for pk in inside.filter(status=TestStatus.MISSED).values_list("pk", flat=True)
        ]
        client_services.alerts_resolve_events(
            participant=participant,
            kind="test_missed",
            source_keys=missed,
            # Not the reason: the alert list reaches the court view (a clinical reason is
            # treatment detail, compliance.selectors.blackouts_visible).
            note=f"Excused: the test fell in a blackout from {blackout.starts_on:%Y-%m-%d}.",
            actor=actor,
        )
        inside.update(
            status=TestStatus.EXCUSED,
            status_changed_at=now,
            status_note=f"Blackout: {blackout.get_reason_display()}",
        )
        return blackout


def blackout_end(
    *, blackout: BlackoutPeriod, ends_on: datetime.date, actor: User
) -> BlackoutPeriod:
    """Closes an open-ended blackout (e.g. release from custody)."""
    _check_may_test(actor, blackout.participant)
    with audited_write(actor):
        lock(blackout)
        if blackout.ends_on is not None:
            raise ValidationError("This blackout already has an end date.")
        if ends_on < blackout.starts_on:
            raise ValidationError({"ends_on": "The blackout ends before it starts."})
        blackout.ends_on = ends_on
        blackout.save(update_fields=["ends_on"])
        return blackout


# ---------------------------------------------------------------------------------------------
# Court testing orders

TESTING_ORDER_MAX_DAYS = 26 * 7


def testing_order_create(
    *,
    participant: Participant,
    program: Program,
    tests_per_week: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    actor: User,
    now: datetime.datetime | None = None,  # noqa: PT028 (a service, named "testing ...")
) -> TestingOrder:
    """A court order setting the participant's random tests a week in `program` from
    `starts_on` to `ends_on` (with_testing_frequency puts it in front of the phase default and
    the accepted intensity, never below the program minimum). It takes effect at once: in a
    week already drawn, the rest of its days are drawn again with the higher frequency from
    the week's seed and the tests this adds are scheduled with the order
    (compliance.draw.order_calls_add); later weeks read it when they are drawn.

    Court-only: court.services.response_record calls it for an increased-testing response,
    after checking that the actor records that hearing (clients.access.acts_for_session). The
    actor is the judge or a clerk, who cannot change drug tests, so this service checks no
    drug-test access of its own; nothing else may call it."""
    errors: dict[str, str] = {}
    if not 1 <= tests_per_week <= 7:
        errors["tests_per_week"] = "Give a number of tests a week from 1 to 7."
    if ends_on < starts_on:
        errors["ends_on"] = "The order ends before it starts."
    elif (ends_on - starts_on).days >= TESTING_ORDER_MAX_DAYS:
        errors["ends_on"] = "A testing order lasts at most 26 weeks."
    if not reason.strip():
        errors["reason"] = "Say why the court orders more testing."
    elif len(reason.strip()) > 300:
        errors["reason"] = "Say why in at most 300 characters."
    if not Enrollment.objects.filter(participant=participant, program=program).exists():
        errors[NON_FIELD_ERRORS] = "The participant is not enrolled in this program."
    if errors:
        raise ValidationError(errors)
    # compliance.draw imports this module (collection_window): imported here, not at the top.
    from .draw import order_calls_add

    with audited_write(actor):
        order = TestingOrder.objects.create(
            participant=participant,
            program=program,
            tests_per_week=tests_per_week,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason.strip(),
            ordered_by=actor,
        )
        order_calls_add(order=order, now=now or timezone.now())
    return order


def testing_order_end(*, order: TestingOrder, ends_on: datetime.date, actor: User) -> TestingOrder:
    """Ends a court testing order early, on `ends_on` (not before its start). Court-only, like
    testing_order_create: court.completion calls it when the enrollment closes, after checking
    who acts. Tests it drew later are excused with the rest (drug_tests_excuse_unpublished)."""
    with audited_write(actor):
        lock(order)
        ends_on = max(ends_on, order.starts_on)
        if ends_on < order.ends_on:
            order.ends_on = ends_on
            order.save(update_fields=["ends_on"])
        return order


def drug_tests_excuse_unpublished(
    *, participant: Participant, program: Program, note: str, actor: User, now: datetime.datetime
) -> None:
    """Excuses the participant's tests in `program` not yet on a published call list (drawn or
    ordered, scheduled and not notified), as a blackout excuses the tests inside it, with
    `note`. Court-only: court.completion calls it when the enrollment closes. A drawn test is
    secret until its day: it stays sealed (DrugTestQuerySet.revealed), and this returns no
    count that would tell whether any were drawn."""
    with audited_write(actor):
        DrugTest.objects.filter(
            participant=participant,
            program=program,
            status=TestStatus.SCHEDULED,
            notified_at__isnull=True,
        ).update(status=TestStatus.EXCUSED, status_changed_at=now, status_note=note.strip()[:300])


# The service names start with "test"; pytest must not collect them where tests import them.
testing_order_create.__test__ = False  # type: ignore[attr-defined]
testing_order_end.__test__ = False  # type: ignore[attr-defined]
