"""Forms for intake, team, status changes, documents and alerts. Shapes and types here;
business rules in clients.services, whose errors land on the same fields."""

import datetime

from django import forms
from django.utils import timezone

from drugcourt.forms import CrispyForm
from drugcourt.models import NoteFormat, Organization, Program, User
from drugcourt.roles import Role

from .access import GATED_CLASSES, DataClass
from .consents import STANDARD_TERMS, RecipientData
from .models import (
    LIFE_DOMAIN_STATUSES,
    REVOCATION_TERMS,
    AppointmentKind,
    AppointmentOutcome,
    CaseManagementFunction,
    ConsentTrigger,
    ContactKind,
    DocumentKind,
    Enrollment,
    EnrollmentStatus,
    EntryType,
    Ethnicity,
    IdentifierKind,
    IncidentCategory,
    IncidentSeverity,
    LifeDomain,
    Race,
    ReferralSource,
    Sex,
    SignatureMethod,
    TeamRole,
)
from .selectors import AccessLogFilter
from .services import (
    ALLOWED_TRANSITIONS,
    ChargeData,
    ContactData,
    EmergencyContactData,
    EnrollmentData,
    FollowUpData,
    IdentifierData,
)

DATE = forms.DateInput(attrs={"type": "date"})

PERSON_FIELDS = (
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "aliases",
    "date_of_birth",
    "sex",
    "gender_identity",
    "races",
    "ethnicity",
    "is_veteran",
    "primary_language",
    "needs_interpreter",
    "phone",
    "email",
    "address_line",
    "city",
    "state",
    "postal_code",
)
IDENTIFIER_FIELDS = {
    "state_id": IdentifierKind.STATE_ID,
    "booking_number": IdentifierKind.BOOKING_NUMBER,
    "fbi_number": IdentifierKind.FBI_NUMBER,
}


class PersonForm(CrispyForm):
    # The person
    legal_first_name = forms.CharField(max_length=100, label="Legal first name")
    legal_middle_name = forms.CharField(max_length=100, required=False, label="Middle name")
    legal_last_name = forms.CharField(max_length=100, label="Legal last name")
    preferred_name = forms.CharField(max_length=100, required=False)
    aliases = forms.CharField(
        max_length=600, required=False, help_text="Other names used, separated by commas."
    )
    date_of_birth = forms.DateField(widget=DATE)
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    gender_identity = forms.CharField(max_length=100, required=False)
    races = forms.MultipleChoiceField(
        choices=Race.choices, widget=forms.CheckboxSelectMultiple, required=False, label="Race"
    )
    ethnicity = forms.ChoiceField(choices=[("", "—"), *Ethnicity.choices], required=False)
    is_veteran = forms.NullBooleanField(
        label="Veteran",
        widget=forms.Select(choices=[("unknown", "Unknown"), ("true", "Yes"), ("false", "No")]),
    )
    primary_language = forms.CharField(max_length=60, initial="English")
    needs_interpreter = forms.BooleanField(required=False, label="Needs an interpreter")
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False, label="E-mail")
    address_line = forms.CharField(max_length=200, required=False, label="Address")
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=50, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    # Identifiers
    state_id = forms.CharField(max_length=60, required=False, label="State ID")
    booking_number = forms.CharField(max_length=60, required=False)
    fbi_number = forms.CharField(max_length=60, required=False, label="FBI number")
    # Emergency contact
    emergency_name = forms.CharField(max_length=200, required=False, label="Emergency contact")
    emergency_relationship = forms.CharField(max_length=60, required=False, label="Relationship")
    emergency_phone = forms.CharField(max_length=40, required=False, label="Their phone")
    confirm_new_person = forms.BooleanField(
        required=False,
        label="I have checked: this is a new person, not a possible duplicate.",
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value >= self.today:
            raise forms.ValidationError("The date of birth must be in the past.")
        return value

    def person(self) -> dict:
        data = {name: self.cleaned_data[name] for name in PERSON_FIELDS}
        data["aliases"] = [a.strip() for a in data["aliases"].split(",") if a.strip()]
        return data

    def identifiers(self) -> list[IdentifierData]:
        return [
            IdentifierData(kind=kind, value=self.cleaned_data[name])
            for name, kind in IDENTIFIER_FIELDS.items()
            if self.cleaned_data[name].strip()
        ]

    def emergency_contacts(self) -> list[EmergencyContactData]:
        if not self.cleaned_data["emergency_name"].strip():
            return []
        return [
            EmergencyContactData(
                name=self.cleaned_data["emergency_name"],
                relationship=self.cleaned_data["emergency_relationship"],
                phone=self.cleaned_data["emergency_phone"],
            )
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("emergency_name") and not cleaned.get("emergency_phone"):
            self.add_error("emergency_phone", "Give a phone number for the emergency contact.")
        return cleaned


class EnrollmentForm(CrispyForm):
    """The referral and enrollment: an intake's first episode, or a readmission."""

    today_fields = ("referral_date",)
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    case_number = forms.CharField(max_length=60, label="Drug court case number")
    referral_date = forms.DateField(widget=DATE)
    referral_source = forms.ChoiceField(choices=ReferralSource.choices)
    referring_agency = forms.CharField(max_length=200, required=False)
    entry_type = forms.ChoiceField(
        choices=[("", "Not decided yet"), *EntryType.choices], required=False
    )
    status = forms.ChoiceField(
        choices=[
            (EnrollmentStatus.REFERRED, EnrollmentStatus.REFERRED.label),
            (EnrollmentStatus.SCREENING, EnrollmentStatus.SCREENING.label),
        ]
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        if len(programs) == 1:
            self.fields["program"].initial = programs[0]

    def enrollment(self, charges: list[ChargeData]) -> EnrollmentData:
        return EnrollmentData(**self.cleaned_data, charges=charges)


class ChargeForm(forms.Form):
    statute = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300)
    offense_date = forms.DateField(widget=DATE, required=False)
    arrest_date = forms.DateField(widget=DATE, required=False)
    court_case_number = forms.CharField(max_length=60, required=False, label="Court case no.")

    def charge(self) -> ChargeData:
        return ChargeData(**self.cleaned_data)


class BaseChargeFormSet(forms.BaseFormSet):
    def charges(self) -> list[ChargeData]:
        return [form.charge() for form in self.forms if form.has_changed()]


ChargeFormSet = forms.formset_factory(ChargeForm, formset=BaseChargeFormSet, extra=2)


class AssignmentForm(CrispyForm):
    team_role = forms.ChoiceField(choices=TeamRole.choices, label="Team role")
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Staff member")

    def __init__(self, *args, program_staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = program_staff


class StatusChangeForm(CrispyForm):
    today_fields = ("effective_date",)
    # The generic changes only: an admitted enrollment closes by completion (court.completion).
    to_status = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in EnrollmentStatus.choices
            if any(value in targets for targets in ALLOWED_TRANSITIONS.values())
        ],
        label="New status",
    )
    effective_date = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(CrispyForm):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    title = forms.CharField(max_length=200, required=False)
    file = forms.FileField()


class AlertResolveForm(CrispyForm):
    note = forms.CharField(max_length=500, label="How it was resolved")


class CaseloadTransferForm(CrispyForm):
    from_user = forms.ModelChoiceField(queryset=User.objects.none(), label="From")
    to_user = forms.ModelChoiceField(queryset=User.objects.none(), label="To")

    def __init__(self, *args, case_managers, **kwargs):
        super().__init__(*args, **kwargs)
        # Someone who left may be deactivated: their caseload must still be movable.
        self.fields["from_user"].queryset = case_managers
        self.fields["to_user"].queryset = case_managers.filter(is_active=True)


# ---------------------------------------------------------------------------------------------
# The daily record

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CONTACT_FIELDS = (
    "occurred_at",
    "kind",
    "duration_minutes",
    "primary_function",
    "other_functions",
    "people_present",
    "location",
    "narrative",
    "dap_data",
    "dap_assessment",
    "dap_plan",
    "shared_with_supervision",
)


class ContactForm(CrispyForm):
    """A contact and its note; the note fields shown follow the program's note format."""

    occurred_at = forms.DateTimeField(label="When", widget=DATETIME, initial=timezone.now)
    kind = forms.ChoiceField(choices=ContactKind.choices)
    duration_minutes = forms.IntegerField(label="Minutes", initial=15)
    primary_function = forms.ChoiceField(
        choices=[("", "—"), *CaseManagementFunction.choices],
        label="Primary function",
        help_text="Gets the minutes.",
        required=False,
    )
    other_functions = forms.MultipleChoiceField(
        choices=CaseManagementFunction.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Further functions",
        help_text="Counted as units, not minutes.",
    )
    people_present = forms.CharField(
        max_length=300, required=False, label="Who was present or contacted"
    )
    location = forms.CharField(max_length=200, required=False)
    narrative = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    dap_data = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Data"
    )
    dap_assessment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Assessment"
    )
    dap_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Plan"
    )
    shared_with_supervision = forms.BooleanField(
        required=False, label="Share with supervision (probation)"
    )
    follow_up_description = forms.CharField(max_length=300, required=False, label="Follow-up: what")
    follow_up_due_on = forms.DateField(widget=DATE, required=False, label="Follow-up: by when")
    follow_up_assigned_to = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Follow-up: who"
    )

    def __init__(
        self,
        *args,
        note_format: str,
        team,
        with_follow_up: bool = True,
        stays_shared: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if stays_shared:
            # Once shared with supervision, a contact stays shared (services.contact_edit).
            field = self.fields["shared_with_supervision"]
            field.disabled, field.initial = True, True
            field.help_text = "Shared with supervision; it stays shared."
        unused = ("narrative",) if note_format == NoteFormat.DAP else DAP_FIELDS
        for name in unused:
            del self.fields[name]
        if with_follow_up:
            self.fields["follow_up_assigned_to"].queryset = team
        else:
            for name in FOLLOW_UP_FIELDS:
                del self.fields[name]

    def contact_data(self) -> ContactData:
        return ContactData(
            **{
                name: self.cleaned_data[name]
                for name in CONTACT_FIELDS
                if name in self.cleaned_data
            }
        )

    def follow_up(self) -> FollowUpData | None:
        if not self.cleaned_data.get("follow_up_description"):
            return None
        return FollowUpData(
            description=self.cleaned_data["follow_up_description"],
            due_on=self.cleaned_data["follow_up_due_on"],
            assigned_to=self.cleaned_data["follow_up_assigned_to"],
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("follow_up_description"):
            for name in ("follow_up_due_on", "follow_up_assigned_to"):
                if not cleaned.get(name):
                    self.add_error(name, "A follow-up needs a date and a person.")
        return cleaned


DAP_FIELDS = ("dap_data", "dap_assessment", "dap_plan")
FOLLOW_UP_FIELDS = ("follow_up_description", "follow_up_due_on", "follow_up_assigned_to")


class AddendumForm(CrispyForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum")


class EnteredInErrorForm(CrispyForm):
    reason = forms.CharField(max_length=300, label="Why it was entered in error")


class AppointmentForm(CrispyForm):
    kind = forms.ChoiceField(choices=AppointmentKind.choices)
    scheduled_at = forms.DateTimeField(label="When", widget=DATETIME)
    duration_minutes = forms.IntegerField(label="Minutes", initial=60, min_value=1, max_value=1440)
    location = forms.CharField(max_length=200, required=False)
    with_whom = forms.CharField(max_length=200, required=False, label="With whom")
    staff = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Staff member (for their calendar)"
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label="Treatment agency (whose session it is; its providers record it)",
    )

    def __init__(self, *args, team, kinds, agencies, **kwargs):
        """`agencies`: the treatment agencies the user may book a session of (None: the
        session is the user's own agency's, as for a provider)."""
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = team
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in kinds]
        if agencies is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = agencies


class OutcomeForm(CrispyForm):
    outcome = forms.ChoiceField(choices=AppointmentOutcome.choices)
    reason = forms.CharField(max_length=300, required=False, label="Reason (needed if excused)")


class LifeDomainForm(CrispyForm):
    today_fields = ("effective_from",)
    domain = forms.ChoiceField(choices=LifeDomain.choices)
    status = forms.ChoiceField(
        choices=[
            (LifeDomain(domain).label, list(statuses))
            for domain, statuses in LIFE_DOMAIN_STATUSES.items()
        ]
    )
    detail = forms.CharField(max_length=200, required=False, help_text="Employer, school, address.")
    hours_per_week = forms.IntegerField(required=False, min_value=0, max_value=168)
    effective_from = forms.DateField(widget=DATE, label="Since")


class IncidentForm(CrispyForm):
    today_fields = ("occurred_on",)
    occurred_on = forms.DateField(widget=DATE, label="Date")
    category = forms.ChoiceField(choices=IncidentCategory.choices)
    severity = forms.ChoiceField(choices=IncidentSeverity.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    reported_to_court = forms.BooleanField(required=False)


class SealingOrderForm(CrispyForm):
    today_fields = ("order_date",)
    # Required in the service, which says so in its own words (nothing is sealed on bad input).
    order_date = forms.DateField(widget=DATE, required=False, label="Date of the order")
    court = forms.CharField(max_length=200, required=False, label="Court that made the order")
    case_number = forms.CharField(max_length=100, required=False)
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="What the order seals",
        help_text="As the order says it.",
    )
    excludes_from_reports = forms.BooleanField(
        required=False,
        initial=True,
        label="The order also removes the record from reports and extracts",
    )


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("", "Everything"),
            ("contact", "Contacts"),
            ("addendum", "Addenda"),
            ("appointment", "Appointments"),
            ("incident", "Incidents"),
        ],
        required=False,
    )
    function = forms.ChoiceField(
        choices=[("", "Any function"), *CaseManagementFunction.choices], required=False
    )
    author = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    start = forms.DateField(widget=DATE, required=False, label="From")
    end = forms.DateField(widget=DATE, required=False, label="To")

    def __init__(self, *args, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].queryset = authors
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"


# ---------------------------------------------------------------------------------------------
# 42 CFR Part 2 consents (clients.consents checks every element; its errors land on these
# fields, named as its keyword arguments)

EVENT_CHOICES = [("", "No event"), *ConsentTrigger.choices]
# The Part 2 information a consent covers (clients.access.GATED_CLASSES), in DataClass order.
CONSENT_CLASS_CHOICES = [(c.value, c.label) for c in DataClass if c in GATED_CLASSES]


class ConsentForm(CrispyForm):
    today_fields = ("signed_on",)
    participant_name = forms.CharField(
        max_length=200, required=False, label="Participant's name, as signed"
    )
    enrollment = forms.ModelChoiceField(
        queryset=Enrollment.objects.none(), required=False, label="Enrollment it is signed for"
    )
    disclosing_party = forms.CharField(
        max_length=300,
        required=False,
        label="Who may make the disclosure",
        help_text="A name or a class, e.g. the program's case managers and coordinators.",
    )
    data_classes = forms.MultipleChoiceField(
        choices=CONSENT_CLASS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Information to be disclosed",
    )
    information_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Description of the information",
        help_text="Specific and meaningful, naming the substance use disorder information "
        "explicitly, e.g. “attendance at and progress in substance use disorder treatment, "
        "and drug test results collected by the treatment program”.",
    )
    recipients = forms.MultipleChoiceField(
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Recipients: a program's role",
    )
    recipient_organizations = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(), required=False, label="Recipients: organizations"
    )
    recipient_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, label="Recipients: named staff"
    )
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Purpose of the disclosure",
        help_text="E.g. monitoring the participant's progress in the drug court program.",
    )
    criminal_justice = forms.BooleanField(
        required=False,
        label="Consent to the criminal justice system that referred the participant (42 CFR §2.35)",
    )
    revocation_terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        initial=REVOCATION_TERMS,
        label="Right to revoke",
        help_text="How to revoke and the reliance exception. A §2.35 consent says it cannot be "
        "revoked until the time or event stated.",
    )
    expires_on = forms.DateField(widget=DATE, required=False, label="Expires on (date)")
    expiry_event = forms.ChoiceField(
        choices=EVENT_CHOICES,
        required=False,
        label="Expires on (event)",
        help_text="A date, an event or both: it expires at whichever comes first.",
    )
    irrevocable_until = forms.DateField(
        widget=DATE, required=False, label="Irrevocable until (date), §2.35 only"
    )
    irrevocable_until_event = forms.ChoiceField(
        choices=EVENT_CHOICES,
        required=False,
        label="Irrevocable until (event), §2.35 only",
        help_text="With both, it stays irrevocable until both have passed.",
    )
    signature_method = forms.ChoiceField(
        choices=SignatureMethod.choices,
        widget=forms.RadioSelect,
        required=False,
        label="Signature",
    )
    signed_by_name = forms.CharField(
        max_length=200,
        required=False,
        label="Signed by (name typed as the signer gave it)",
        help_text="The participant, or their authorized representative.",
    )
    acknowledged = forms.BooleanField(
        required=False,
        label="The participant read the consent (or had it read to them) and acknowledged it "
        "before me",
    )
    signed_form = forms.FileField(
        required=False,
        label="Signed form (PDF, PNG or JPEG)",
        help_text="When the form is refused for another field, choose the file again.",
    )
    signed_on = forms.DateField(widget=DATE, required=False, label="Date signed")

    def __init__(
        self, *args, participant, enrollments, organizations, staff, recipient_roles, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        programs = {e.program.pk: e.program for e in enrollments}
        self._programs = programs
        self.fields["recipients"].choices = [
            (f"{program.pk}:{role}", f"{program}: {Role(role).label}")
            for program in programs.values()
            for role in recipient_roles
        ]
        self.fields["recipient_organizations"].queryset = organizations
        self.fields["recipient_users"].queryset = staff
        if not self.is_bound:
            self.fields["participant_name"].initial = participant.legal_name
            first = next(iter(programs.values()), None)
            if first is not None:
                self.fields["enrollment"].initial = enrollments[0].pk
                self.fields[
                    "disclosing_party"
                ].initial = f"{first}: its coordinators and case managers"

    def clean(self):
        cleaned = super().clean()
        # Missing terms, or the standard terms of the other kind of consent, are replaced by
        # the right standard terms for the page shown again (clients.consents refuses them, so
        # nothing is recorded before they are checked with the participant).
        right = STANDARD_TERMS[bool(cleaned.get("criminal_justice"))]
        terms = (cleaned.get("revocation_terms") or "").strip()
        if terms in ("", *STANDARD_TERMS.values()) and terms != right:
            self.data = self.data.copy()
            self.data["revocation_terms"] = right
        return cleaned

    def consent_fields(self) -> dict:
        """The keyword arguments of clients.consents.consent_record."""
        data = dict(self.cleaned_data)
        pairs = [value.split(":", 1) for value in data.pop("recipients")]
        recipients = [
            RecipientData(program=self._programs[int(program)], role=role)
            for program, role in pairs
        ]
        recipients += [RecipientData(organization=o) for o in data.pop("recipient_organizations")]
        recipients += [RecipientData(user=u) for u in data.pop("recipient_users")]
        return {**data, "recipients": recipients}


class ConsentRevokeForm(CrispyForm):
    today_fields = ("revoked_on",)
    revoked_on = forms.DateField(
        widget=DATE,
        label="Date the revocation was received",
        error_messages={"required": "Give the date the revocation was received."},
    )
    received_how = forms.CharField(
        max_length=200,
        label="How it was received",
        help_text="E.g. signed letter handed to the case manager.",
        error_messages={"required": "Say how the revocation was received."},
    )


class ConsentDispositionForm(CrispyForm):
    today_fields = ("final_disposition_on",)
    final_disposition_on = forms.DateField(
        widget=DATE,
        label="Date of the final disposition of the case",
        error_messages={"required": "Give the date of the final disposition."},
    )


class AccessLogFilterForm(forms.Form):
    """Filters of the access log pages: whose record (a participant id, linked from the
    participant's page), which staff member, and the days (the program's dates, both
    included)."""

    participant = forms.IntegerField(required=False, min_value=1, label="Participant id")
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Staff member"
    )
    start = forms.DateField(widget=DATE, required=False, label="From")
    end = forms.DateField(widget=DATE, required=False, label="To")

    def __init__(self, *args, staff, with_participant: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        if not with_participant:
            del self.fields["participant"]
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            if data.get(name) and not 1900 <= data[name].year <= 2999:
                self.add_error(name, "Enter a day between the years 1900 and 2999.")
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day cannot be before the first.")
        return data

    def filters(self):
        """The valid filters as the selectors take them (days from local midnight)."""
        if not self.is_valid():
            return AccessLogFilter()
        data = self.cleaned_data

        def midnight(day: datetime.date) -> datetime.datetime:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

        return AccessLogFilter(
            participant_id=data.get("participant"),
            user_id=data["user"].pk if data["user"] else None,
            since=midnight(data["start"]) if data["start"] else None,
            until=midnight(data["end"] + datetime.timedelta(days=1)) if data["end"] else None,
        )
