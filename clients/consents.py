"""Writes of 42 CFR Part 2 consents: recording one with every element of §2.31(a), revoking it
(refused while a §2.35 consent is irrevocable) and recording the final disposition a criminal-
justice consent runs until. clients.access reads them at every disclosure
(docs/decisions/0017-part2-consent.md); what a page shows of them is in clients.selectors."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import Organization, Program, User
from drugcourt.roles import Role
from drugcourt.selectors import program_today

from .access import GATED_CLASSES
from .models import (
    CRIMINAL_JUSTICE_REVOCATION_TERMS,
    REVOCATION_TERMS,
    Consent,
    ConsentRecipient,
    ConsentTrigger,
    DocumentKind,
    Enrollment,
    Participant,
    SignatureMethod,
)
from .selectors import participant_today
from .services import document_upload

# The roles outside the treatment program a consent names as (program, role) recipients.
RECIPIENT_ROLES = (
    Role.JUDGE,
    Role.CLERK,
    Role.PROSECUTOR,
    Role.DEFENCE_ATTORNEY,
    Role.PROBATION_OFFICER,
    Role.TREATMENT_PROVIDER,
)


# The standard revocation terms of a consent, by whether it is a criminal-justice one.
STANDARD_TERMS = {False: REVOCATION_TERMS, True: CRIMINAL_JUSTICE_REVOCATION_TERMS}


@dataclass(frozen=True)
class RecipientData:
    """One recipient: a program's role, an organization, or a named staff member (one only)."""

    program: Program | None = None
    role: str = ""
    organization: Organization | None = None
    user: User | None = None


def consent_record(
    *,
    participant: Participant,
    enrollment: Enrollment | None,
    participant_name: str,
    disclosing_party: str,
    data_classes: list[str],
    information_description: str,
    recipients: list[RecipientData],
    purpose: str,
    revocation_terms: str,
    expires_on: datetime.date | None,
    expiry_event: str,
    criminal_justice: bool,
    irrevocable_until: datetime.date | None,
    irrevocable_until_event: str,
    signature_method: str,
    signed_by_name: str,
    acknowledged: bool,
    signed_form: UploadedFile | None,
    signed_on: datetime.date | None,
    actor: User,
) -> Consent:
    """Records a consent the participant signed. Every element is required and checked, each
    error on its own field, all at once; nothing is written unless all are right. An uploaded
    signed form is stored as the participant's document (kind consent) in the same
    transaction."""
    today = program_today(enrollment.program) if enrollment else participant_today(participant)
    errors: dict[str, str] = {}
    if signed_on is None:
        errors["signed_on"] = "Give the date signed."
    elif signed_on > today:
        errors["signed_on"] = f"The date signed cannot be after today ({today:%Y-%m-%d})."
    # The other dates are checked against the date signed (today while it is missing).
    signed = signed_on or today
    texts = {
        "participant_name": (participant_name, "Write the participant's name as signed."),
        "disclosing_party": (
            disclosing_party,
            "Say who may make the disclosure (a name or a class, e.g. the program's case "
            "managers).",
        ),
        "information_description": (
            information_description,
            "Describe the information to be disclosed, naming the substance use disorder "
            "information explicitly.",
        ),
        "purpose": (purpose, "State the purpose of the disclosure."),
        "revocation_terms": (
            revocation_terms,
            "State the right to revoke, how, and the reliance exception.",
        ),
        "signed_by_name": (signed_by_name, "Write the name of the person who signed."),
    }
    for field, (value, message) in texts.items():
        if not value.strip():
            errors[field] = message
    if enrollment is None or enrollment.participant_id != participant.pk:
        errors["enrollment"] = "Choose the enrollment of this participant it is signed for."
    if revocation_terms.strip() == STANDARD_TERMS[not criminal_justice]:
        errors["revocation_terms"] = "These are the standard terms of " + (
            "a consent that is not a criminal-justice one: a §2.35 consent says it cannot "
            "be revoked until the time or event stated."
            if criminal_justice
            else "a criminal-justice consent (§2.35): this one may be revoked at any time."
        )
    if not data_classes:
        errors["data_classes"] = "Choose the information the consent covers."
    elif unknown := set(data_classes) - {str(c) for c in GATED_CLASSES}:
        errors["data_classes"] = f"Not information a consent covers: {', '.join(sorted(unknown))}."
    if not recipients:
        errors["recipients"] = (
            "Name at least one recipient: a program's role, an organization or a staff member."
        )
    elif any(not _one_kind(r) for r in recipients):
        errors["recipients"] = "Each recipient is one program's role, organization or person."
    elif any(r.role and r.role not in RECIPIENT_ROLES for r in recipients):
        errors["recipients"] = "A program's role must be one outside the treatment program."
    elif {r.program.pk for r in recipients if r.program} - set(
        participant.enrollments.values_list("program", flat=True)
    ):
        errors["recipients"] = "A program's role must be of a program the participant is in."
    if expires_on is None and not expiry_event:
        errors["expires_on"] = "Give the expiry: a date, an event, or both (whichever first)."
    elif expires_on is not None and expires_on < signed:
        errors["expires_on"] = (
            f"The consent would expire ({expires_on:%Y-%m-%d}) before it was signed "
            f"({signed:%Y-%m-%d})."
        )
    for field, event in (
        ("expiry_event", expiry_event),
        ("irrevocable_until_event", irrevocable_until_event),
    ):
        if event and event not in ConsentTrigger.values:
            errors[field] = "Choose one of the events listed."
    if not criminal_justice:
        if irrevocable_until is not None or irrevocable_until_event:
            errors["irrevocable_until"] = (
                "Only a consent to the criminal justice system that referred the participant "
                "(42 CFR §2.35) may be irrevocable; tick that box or clear the irrevocability."
            )
    elif irrevocable_until is None and not irrevocable_until_event:
        errors["irrevocable_until"] = (
            "A criminal-justice consent states when it becomes revocable: a date, an event, "
            "or both."
        )
    elif irrevocable_until is not None and irrevocable_until < signed:
        errors["irrevocable_until"] = "Irrevocability cannot end before the consent was signed."
    elif (
        irrevocable_until is not None and expires_on is not None and irrevocable_until > expires_on
    ):
        errors["irrevocable_until"] = (
            f"The consent expires on {expires_on:%Y-%m-%d}; it cannot stay irrevocable after that."
        )
    if signature_method == SignatureMethod.ELECTRONIC:
        if not acknowledged:
            errors["acknowledged"] = (
                "Confirm that the participant read and acknowledged the consent, or upload the "
                "signed form instead."
            )
        if signed_form is not None:
            errors["signed_form"] = (
                "An electronic acknowledgement has no uploaded form: choose the uploaded form "
                "as the signature, or leave the file out."
            )
    elif signature_method == SignatureMethod.SIGNED_FORM:
        if signed_form is None:
            errors["signed_form"] = "Upload the signed consent form (PDF, PNG or JPEG)."
    else:
        errors["signature_method"] = "Choose how the consent was signed."
    # A missing enrollment or date is in `errors` already; naming them narrows their types.
    if errors or enrollment is None or signed_on is None:
        raise ValidationError(errors)

    with audited_write(actor):
        document = None
        if signed_form is not None:
            try:
                document = document_upload(
                    participant=participant,
                    kind=DocumentKind.CONSENT,
                    title=f"Signed consent form, {signed:%Y-%m-%d}",
                    uploaded_file=signed_form,
                    actor=actor,
                )
            except ValidationError as refusal:
                raise ValidationError({"signed_form": refusal.messages}) from refusal
        consent = Consent.objects.create(
            participant=participant,
            enrollment=enrollment,
            participant_name=participant_name.strip(),
            disclosing_party=disclosing_party.strip(),
            data_classes=sorted(set(data_classes)),
            information_description=information_description.strip(),
            purpose=purpose.strip(),
            revocation_terms=revocation_terms.strip(),
            expires_on=expires_on,
            expiry_event=expiry_event,
            criminal_justice=criminal_justice,
            irrevocable_until=irrevocable_until,
            irrevocable_until_event=irrevocable_until_event,
            signature_method=signature_method,
            signed_by_name=signed_by_name.strip(),
            signed_form=document,
            signed_on=signed_on,
            recorded_by=actor,
        )
        ConsentRecipient.objects.bulk_create(
            ConsentRecipient(
                consent=consent,
                program=r.program,
                role=r.role,
                organization=r.organization,
                user=r.user,
            )
            for r in recipients
        )
        return consent


def _one_kind(recipient: RecipientData) -> bool:
    pair = recipient.program is not None and bool(recipient.role)
    kinds = [pair, recipient.organization is not None, recipient.user is not None]
    half_pair = (recipient.program is None) != (not recipient.role)
    return kinds.count(True) == 1 and not half_pair


def consent_revoke(
    *, consent: Consent, revoked_on: datetime.date, received_how: str, actor: User
) -> Consent:
    """Records the participant's revocation, effective at once for every later read. Refused
    while a §2.35 consent is irrevocable (checked on the locked row: two revocations, or a
    revocation and a disposition, do not cross)."""
    if not received_how.strip():
        raise ValidationError({"received_how": "Say how the revocation was received."})
    with audited_write(actor):
        lock(consent)
        today = program_today(consent.enrollment.program)
        if consent.revoked_on is not None:
            raise ValidationError(
                f"This consent was already revoked on {consent.revoked_on:%Y-%m-%d}."
            )
        if consent.is_irrevocable(today) or consent.is_irrevocable(revoked_on):
            raise ValidationError(
                "This consent to the criminal justice system cannot be revoked until "
                f"{consent.irrevocability_text()} (42 CFR §2.35); a revocation received "
                "before then has no effect."
            )
        if revoked_on > today:
            raise ValidationError(
                {"revoked_on": f"The date received cannot be after today ({today:%Y-%m-%d})."}
            )
        if revoked_on < consent.signed_on:
            raise ValidationError(
                {"revoked_on": "A revocation cannot be received before the consent was signed."}
            )
        consent.revoked_on = revoked_on
        consent.revocation_received_how = received_how.strip()
        consent.revoked_by = actor
        consent.revoked_at = timezone.now()
        consent.save(
            update_fields=["revoked_on", "revocation_received_how", "revoked_by", "revoked_at"]
        )
        return consent


def consent_record_disposition(
    *, consent: Consent, final_disposition_on: datetime.date, actor: User
) -> Consent:
    """Records the day of the final disposition of the case on a criminal-justice consent: the
    event its irrevocability or expiry may run until. Once only."""
    with audited_write(actor):
        lock(consent)
        today = program_today(consent.enrollment.program)
        if not consent.criminal_justice:
            raise ValidationError(
                "Only a consent to the criminal justice system runs until a final disposition."
            )
        if consent.final_disposition_on is not None:
            raise ValidationError(
                "The final disposition was already recorded "
                f"({consent.final_disposition_on:%Y-%m-%d})."
            )
        if final_disposition_on > today:
            raise ValidationError(
                {"final_disposition_on": f"The date cannot be after today ({today:%Y-%m-%d})."}
            )
        if final_disposition_on < consent.signed_on:
            raise ValidationError(
                {
                    "final_disposition_on": "The final disposition cannot precede the consent "
                    f"({consent.signed_on:%Y-%m-%d})."
                }
            )
        consent.final_disposition_on = final_disposition_on
        consent.save(update_fields=["final_disposition_on"])
        return consent
