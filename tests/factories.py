"""factory-boy factories. Staff are built directly (fast); tests of the services that create
them call the services themselves."""

import datetime

import factory
from django.utils import timezone

from clients import access, services
from clients.models import (
    REVOCATION_TERMS,
    AccessLog,
    CaseAssignment,
    Consent,
    ConsentRecipient,
    Contact,
    Enrollment,
    EnrollmentStatus,
    Participant,
    SignatureMethod,
)
from clients.services import ContactData
from drugcourt.models import (
    Organization,
    Phase,
    Program,
    ProgramSettings,
    ResponseOption,
    ResponseRule,
    User,
)
from drugcourt.program_groups import access_groups_sync
from drugcourt.roles import OrganizationKind, Role
from drugcourt.services import DEFAULT_PHASES, DEFAULT_RESPONSE_CATALOGUE, DEFAULT_RESPONSE_MATRIX


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = OrganizationKind.COURT


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    court = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.COURT)
    jurisdiction = "Lakeview County"
    time_zone = "America/Chicago"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.List([])

    @factory.post_generation
    def programs(self, create, extracted, **kwargs):
        if create:
            self.programs.add(*(extracted or []))
            access_groups_sync(self)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1990, 5, 17)
    created_by = factory.SubFactory(UserFactory)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    participant = factory.SubFactory(ParticipantFactory)
    program = factory.SubFactory(ProgramFactory)
    case_number = factory.Sequence(lambda n: f"DC-2026-{n:04d}")
    status = EnrollmentStatus.ACTIVE
    phase = 1
    referral_date = datetime.date(2026, 1, 5)
    referral_source = "defence"
    entry_date = datetime.date(2026, 1, 20)
    status_changed_at = factory.LazyFunction(timezone.now)


class ConsentFactory(factory.django.DjangoModelFactory):
    """A participant's Part 2 consent with every element of §2.31(a), signed electronically in
    2020 (tests may travel to any later date) and expiring at the end of 2099, covering every
    gated data class; its recipients are ConsentRecipient rows (`consent_to`)."""

    class Meta:
        model = Consent

    enrollment = factory.SubFactory(EnrollmentFactory)
    participant = factory.SelfAttribute("enrollment.participant")
    participant_name = factory.LazyAttribute(lambda consent: str(consent.participant))
    disclosing_party = "The drug court's treatment program and its providers"
    data_classes = factory.LazyFunction(lambda: sorted(access.GATED_CLASSES))
    information_description = (
        "Substance use disorder diagnosis, treatment, assessment, progress and attendance, "
        "and drug test results."
    )
    purpose = "Monitoring the participant's progress in the drug court program."
    revocation_terms = REVOCATION_TERMS
    expires_on = datetime.date(2099, 12, 31)
    signature_method = SignatureMethod.ELECTRONIC
    signed_by_name = factory.SelfAttribute("participant_name")
    signed_on = datetime.date(2020, 1, 1)
    recorded_by = factory.SubFactory(UserFactory, roles=[Role.CASE_MANAGER])


# A consent's recipient: a (program, role) pair such as the program's judges, an organization,
# or a named staff member.
ConsentRecipientSpec = tuple[Program, Role] | Organization | User


def consent_to(
    participant: Participant,
    *recipients: ConsentRecipientSpec,
    data_classes=access.GATED_CLASSES,
    enrollment: Enrollment | None = None,
    **fields,
) -> Consent:
    """A consent of the participant's (latest) enrollment naming `recipients` for
    `data_classes` (every gated class by default); override any Consent field (expires_on,
    revoked_on with revocation_received_how, ...)."""
    enrollment = enrollment or participant.enrollments.order_by("-referral_date", "-pk").first()
    consent = ConsentFactory(enrollment=enrollment, data_classes=sorted(data_classes), **fields)
    rows = []
    for recipient in recipients:
        if isinstance(recipient, tuple):
            program, role = recipient
            rows.append(ConsentRecipient(consent=consent, program=program, role=role))
        elif isinstance(recipient, Organization):
            rows.append(ConsentRecipient(consent=consent, organization=recipient))
        else:
            rows.append(ConsentRecipient(consent=consent, user=recipient))
    ConsentRecipient.objects.bulk_create(rows)
    return consent


# The roles that need a consent to see Part 2 information: every reaching role outside the
# treatment program (the court side and the providers).
CONSENTED_ROLES = tuple(
    role
    for role in Role
    if access.ROLE_DATA_CLASSES[role] and role not in access.TREATMENT_PROGRAM_ROLES
)


def consent_to_team(participant: Participant, program: Program | None = None, **fields) -> Consent:
    """A consent naming every role of `program` (the participant's latest enrollment's by
    default) that needs one (CONSENTED_ROLES), for every gated class: for tests about
    something else than what the consent withholds."""
    enrollment = (
        fields.pop("enrollment", None)
        or (participant.enrollments.filter(program=program) if program else participant.enrollments)
        .order_by("-referral_date", "-pk")
        .first()
    )
    return consent_to(
        participant,
        *((enrollment.program, role) for role in CONSENTED_ROLES),
        enrollment=enrollment,
        **fields,
    )


def logged_classes(user: User, participant: Participant, route: str) -> set[str]:
    """The data classes of the test's one access-log row, checked to be `user` reading
    `participant` on `route`."""
    row = AccessLog.objects.get()
    assert (row.user_id, row.participant_id, row.route) == (user.pk, participant.pk, route)
    return set(row.data_class_values)


def assign(participant: Participant, user: User, role: Role = Role.CASE_MANAGER) -> None:
    """Puts `user` on the team with the access row the assignment service would grant."""
    CaseAssignment.objects.create(
        participant=participant,
        user=user,
        team_role=role,
        started_on=datetime.date(2026, 1, 20),
        assigned_by=user,
    )
    access.grant_participant(user, participant, role)


def log_contact(participant: Participant, author: User, **overrides) -> Contact:
    """A phone contact logged now through the real service; override any ContactData field."""
    fields = {
        "occurred_at": timezone.now(),
        "kind": "phone",
        "duration_minutes": 5,
        "primary_function": "monitoring",
        "narrative": "Checked in by phone.",
        **overrides,
    }
    return services.contact_log(participant=participant, data=ContactData(**fields), actor=author)


def settings_since_2020(program: Program) -> ProgramSettings:
    """A first settings version (default phases, policies, response catalogue and matrix) in
    force from 2020 on, so tests may travel to any date."""
    version = ProgramSettings.objects.create(
        program=program,
        effective_from=datetime.date(2020, 1, 1),
        change_note="Test settings.",
        created_by=UserFactory(username=f"settings-author-{program.pk}"),
    )
    Phase.objects.bulk_create(
        Phase(settings=version, number=number, **phase.as_fields())
        for number, phase in enumerate(DEFAULT_PHASES, start=1)
    )
    options = {
        option.name: option
        for option in ResponseOption.objects.bulk_create(
            ResponseOption(settings=version, **option.as_fields())
            for option in DEFAULT_RESPONSE_CATALOGUE
        )
    }
    ResponseRule.objects.bulk_create(
        ResponseRule(
            settings=version,
            behaviour=rule.behaviour,
            phase=rule.phase,
            occurrences_from=rule.occurrences_from,
            occurrences_to=rule.occurrences_to,
            option=options[rule.option],
        )
        for rule in DEFAULT_RESPONSE_MATRIX
    )
    return version


def placed_on_docket(
    enrollment: Enrollment,
    *,
    coordinator: User,
    judge: User,
    held_on: datetime.date | None = None,
    courtroom: str = "Courtroom 3B",
    start_time: datetime.time = datetime.time(9, 0),
    clerks: tuple[User, ...] = (),
):
    """The enrollment's participant placed on the docket of its program's session on `held_on`
    (the program's today by default) in `courtroom`, made with `judge` and `clerks` unless the
    program has it already: a court hearing, through the court services."""
    from court import services as court_services
    from court.models import CourtSession
    from drugcourt.selectors import program_today

    program = enrollment.program
    held_on = held_on or program_today(program)
    session = CourtSession.objects.filter(
        program=program, held_on=held_on, courtroom__iexact=courtroom
    ).first() or court_services.court_session_create(
        program=program,
        held_on=held_on,
        start_time=start_time,
        courtroom=courtroom,
        judge=judge,
        clerks=clerks,
        actor=coordinator,
    )
    return court_services.docket_place(session=session, enrollment=enrollment, actor=coordinator)
