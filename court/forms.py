"""Court forms: they check shapes and types; the court services decide the rest, and their
refusals land on the same forms (drugcourt.forms.form_errors_from)."""

from django import forms

from clients.forms import DATE, IncidentForm
from clients.models import Enrollment
from drugcourt.forms import CrispyForm, MoneyField
from drugcourt.models import Behaviour, ResponseCategory, ResponseEffect, ResponseOption

from .models import (
    COORDINATOR_COMPLETIONS,
    HEARING_COMPLETIONS,
    STAFFING_NOTE_MAX,
    Appearance,
    CaseDisposition,
    Charge,
    ConditionKind,
    PaymentMethod,
)

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SessionForm(CrispyForm):
    """A court session: its day and time, courtroom, judge and the clerks who act for them.
    The day of an existing session does not change (a session on another day is another
    session)."""

    held_on = forms.DateField(widget=DATE, label="Day")
    start_time = forms.TimeField(widget=TIME, label="Starts at")
    courtroom = forms.CharField(max_length=60)
    judge = forms.ModelChoiceField(queryset=None, empty_label=None)
    clerks = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The clerks who record hearings for the judge in this session.",
    )

    def __init__(self, *args, judges, clerks, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = judges
        self.fields["judge"].label_from_instance = _staff_name
        self.fields["clerks"].queryset = clerks
        self.fields["clerks"].label_from_instance = _staff_name
        if editing:
            self.fields["held_on"].disabled = True
            self.fields["held_on"].help_text = "Set up a new session for another day."


def _staff_name(user) -> str:
    return user.get_full_name() or user.username


class PlaceForm(forms.Form):
    """Participants to place on a docket: the suggested ones come checked; a search adds
    others active in the program."""

    enrollments = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Place on the docket",
        error_messages={"required": "Choose at least one participant to place."},
    )

    def __init__(self, *args, placeable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollments"].queryset = placeable
        self.fields["enrollments"].label_from_instance = lambda enrollment: (
            f"{enrollment.participant} ({enrollment.case_number})"
        )


class ReasonForm(CrispyForm):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(CrispyForm):
    """What happened at the hearing and when the next one is. The next hearing starts at the
    participant's hearing frequency; another date needs its reason."""

    appearance = forms.ChoiceField(
        choices=[(value, label) for value, label in Appearance.choices if value != "removed"],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        label="Note",
        help_text="Why the participant was excused (required then), or anything to remember.",
    )
    next_hearing_on = forms.DateField(widget=DATE, required=False, label="Next hearing")
    next_hearing_reason = forms.CharField(
        max_length=300,
        required=False,
        label="Why this next hearing date",
        help_text="Required when the date is not the one the hearing frequency gives.",
    )

    def __init__(self, *args, default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default
        if default is not None:
            self.fields["next_hearing_on"].initial = default
            self.fields[
                "next_hearing_on"
            ].help_text = f"By the hearing frequency: {default:%a %b %-d, %Y}."

    def clean(self):
        data = super().clean()
        if data.get("appearance") == Appearance.EXCUSED and not data.get("note"):
            self.add_error("note", "Say why the participant was excused.")
        next_on = data.get("next_hearing_on")
        if (
            next_on is not None
            and self.default is not None
            and next_on != self.default
            and not data.get("next_hearing_reason")
        ):
            self.add_error(
                "next_hearing_reason",
                f"Give a reason for a next hearing other than {self.default:%b %-d, %Y}, "
                "the date the hearing frequency gives.",
            )
        return data


# Which details each effect takes (court.services.response_record), for the help text.
EFFECT_DETAILS = {
    ResponseEffect.INCREASED_TESTING: "tests a week and weeks",
    ResponseEffect.JAIL: "days (over 6 needs the reason, counsel present and a hearing)",
    ResponseEffect.COMMUNITY_SERVICE: "hours",
    ResponseEffect.CURFEW: "weeks",
    ResponseEffect.REDUCED_REPORTING: "weeks",
    ResponseEffect.GIFT_CARD: "amount",
}


def _option_label(option: ResponseOption) -> str:
    details = EFFECT_DETAILS.get(ResponseEffect(option.effect))
    return f"{option.name} — give {details}" if details else option.name


class ResponseForm(CrispyForm):
    """A response from the catalogue in force, with the details its effect needs (each field
    says for which effects it is given; the service refuses what is missing)."""

    option = forms.TypedChoiceField(coerce=int, label="Response")
    behaviour = forms.ChoiceField(
        choices=[("", "—"), *Behaviour.choices],
        required=False,
        label="It answers",
        help_text="What the participant did that it responds to: the response matrix counts "
        "the responses to a behaviour as its prior occurrences.",
    )
    tests_per_week = forms.IntegerField(
        min_value=1,
        max_value=7,
        required=False,
        label="Tests a week",
        help_text="Increased testing: random tests a week while the order is in force.",
    )
    weeks = forms.IntegerField(
        min_value=1,
        max_value=52,
        required=False,
        help_text="Increased testing, curfew, reduced reporting: for how many weeks.",
    )
    days = forms.IntegerField(
        min_value=1, max_value=365, required=False, help_text="Jail: days in custody."
    )
    hours = forms.IntegerField(
        min_value=1,
        max_value=500,
        required=False,
        help_text="Community service: hours ordered.",
    )
    amount = forms.DecimalField(
        min_value=0,
        max_digits=8,
        decimal_places=2,
        required=False,
        help_text="Gift card: its amount.",
    )
    note = forms.CharField(max_length=300, required=False)
    jail_reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why jail longer than 6 days",
        help_text="Jail over 6 days: the reason, with counsel present and a hearing given.",
    )
    counsel_present = forms.BooleanField(required=False, label="Counsel was present")
    hearing_given = forms.BooleanField(required=False, label="A hearing was given")

    def __init__(self, *args, options: list[ResponseOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {option.pk: option for option in options}
        labels = dict(ResponseCategory.choices)
        groups: dict[str, list] = {}
        for option in options:
            groups.setdefault(labels[option.category], []).append(
                (option.pk, _option_label(option))
            )
        self.fields["option"].choices = [("", "—"), *groups.items()]

    def clean_option(self) -> ResponseOption:
        return self.options[self.cleaned_data["option"]]


class PhaseChangeForm(CrispyForm):
    to_phase = forms.TypedChoiceField(coerce=int, label="Move to")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the override",
        help_text="Only to advance someone who has not met every requirement: why the court "
        "advances them anyway.",
    )
    remedial_plan_note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Remedial plan",
        help_text="Only for a return to a lower phase: what the participant works on to "
        "advance again.",
    )

    def __init__(self, *args, phases, current: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        # The next phase (an advance), or any lower one (a return with a remedial plan).
        self.fields["to_phase"].choices = [
            (phase.number, str(phase))
            for phase in phases
            if current is not None and (phase.number < current or phase.number == current + 1)
        ]


class ObligationDecisionsForm(CrispyForm):
    """A required decision on each obligation still open (court.completion.open_obligations),
    placed before the confirmation."""

    def __init__(self, *args, obligations, **kwargs):
        super().__init__(*args, **kwargs)
        self.obligation_keys = {}
        for obligation in obligations:
            name = "obligation_" + obligation.key.replace(":", "_")
            self.fields[name] = forms.ChoiceField(
                label=obligation.label,
                choices=[(decision.value, decision.label) for decision in obligation.decisions],
                widget=forms.RadioSelect,
                error_messages={"required": "Decide what becomes of this open obligation."},
            )
            self.obligation_keys[name] = obligation.key
        self.order_fields([name for name in self.fields if name != "confirm"])

    def decisions(self) -> dict[str, str]:
        return {key: self.cleaned_data[name] for name, key in self.obligation_keys.items()}


CLOSES_ENROLLMENT = "I understand this closes the participant's enrollment in the program."


class CompletionForm(ObligationDecisionsForm):
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in HEARING_COMPLETIONS],
        widget=forms.RadioSelect,
    )
    case_disposition = forms.ChoiceField(
        choices=[("", "—"), *CaseDisposition.choices],
        label="Disposition of the case",
        help_text="A graduate's charges are dismissed or reduced, or the sentence completed; a "
        "terminated participant is sentenced or returned to the regular docket.",
    )
    disposition = forms.CharField(
        max_length=300, required=False, label="The disposition in the court's words"
    )
    ceremony_on = forms.DateField(
        widget=DATE, required=False, label="Graduation ceremony", help_text="Graduation only."
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=CLOSES_ENROLLMENT,
        error_messages={"required": "Confirm that the enrollment closes with this decision."},
    )


class EnrollmentCloseForm(ObligationDecisionsForm):
    today_fields = ("effective_date",)
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in COORDINATOR_COMPLETIONS],
        widget=forms.RadioSelect,
    )
    effective_date = forms.DateField(widget=DATE, label="Effective on")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=CLOSES_ENROLLMENT,
        error_messages={"required": "Confirm that the enrollment closes."},
    )


class WarrantChangeForm(CrispyForm):
    today_fields = ("on",)
    on = forms.DateField(widget=DATE, label="On")
    reason = forms.CharField(max_length=300, required=False)


class ServiceHoursForm(CrispyForm):
    today_fields = ("worked_on",)
    worked_on = forms.DateField(widget=DATE, label="Worked on")
    hours = forms.DecimalField(min_value=0.5, max_value=24, max_digits=4, decimal_places=1)


class StaffingNoteForm(CrispyForm):
    """The user's own staffing note (the service strips it and refuses an empty one)."""

    text = forms.CharField(
        max_length=STAFFING_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Your staffing note",
        error_messages={"required": "Write the note: an empty staffing note says nothing."},
    )


class RecommendationForm(CrispyForm):
    """The team's recommendation: a response from the catalogue in force, with its reason."""

    option = forms.TypedChoiceField(coerce=int, label="Recommended response")
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the team recommends this response."},
    )

    def __init__(self, *args, options: list[ResponseOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {option.pk: option for option in options}
        labels = dict(ResponseCategory.choices)
        groups: dict[str, list] = {}
        for option in options:
            groups.setdefault(labels[option.category], []).append((option.pk, option.name))
        self.fields["option"].choices = [("", "—"), *groups.items()]

    def clean_option(self) -> ResponseOption:
        return self.options[self.cleaned_data["option"]]


class ConditionForm(CrispyForm):
    """A court order or condition of one of the participant's open enrollments."""

    today_fields = ("starts_on",)
    enrollment = forms.TypedChoiceField(coerce=int, label="Enrollment")
    kind = forms.ChoiceField(choices=ConditionKind.choices, label="Condition")
    terms = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What it requires: hours, the person, the area, the address, …",
        error_messages={"required": "Say what the condition requires."},
    )
    starts_on = forms.DateField(widget=DATE, label="From")
    ends_on = forms.DateField(
        widget=DATE, required=False, label="Until", help_text="Empty: until lifted."
    )

    def __init__(self, *args, enrollments: list[Enrollment], **kwargs):
        super().__init__(*args, **kwargs)
        self.enrollments = {enrollment.pk: enrollment for enrollment in enrollments}
        self.fields["enrollment"].choices = [
            (enrollment.pk, f"{enrollment.program} · {enrollment.case_number}")
            for enrollment in enrollments
        ]

    def clean_enrollment(self) -> Enrollment:
        return self.enrollments[self.cleaned_data["enrollment"]]


class ConditionLiftForm(CrispyForm):
    today_fields = ("lifted_on",)
    lifted_on = forms.DateField(widget=DATE, label="Lifted from")
    reason = forms.CharField(
        max_length=300, error_messages={"required": "Say why the condition is lifted."}
    )


class ConditionViolationForm(IncidentForm):
    """A violation of a condition: an incident whose category follows from the condition."""

    category = None


class LedgerForm(CrispyForm):
    """An entry of the ledger of one of the participant's enrollments."""

    enrollment = forms.TypedChoiceField(coerce=int, label="Enrollment")

    def __init__(self, *args, enrollments: list[Enrollment], **kwargs):
        super().__init__(*args, **kwargs)
        self.enrollments = {enrollment.pk: enrollment for enrollment in enrollments}
        self.fields["enrollment"].choices = [
            (enrollment.pk, f"{enrollment.program} · {enrollment.case_number}")
            for enrollment in enrollments
        ]

    def clean_enrollment(self) -> Enrollment:
        return self.enrollments[self.cleaned_data["enrollment"]]


class AssessmentForm(LedgerForm):
    """A fee of the program's schedule, or a fine or restitution with the amount ordered."""

    today_fields = ("assessed_on",)
    charge = forms.ChoiceField(choices=Charge.choices, label="What")
    fee = forms.ChoiceField(required=False, label="Fee", help_text="For a program fee.")
    amount = MoneyField(
        required=False, help_text="For a fine or restitution: the amount the court ordered."
    )
    description = forms.CharField(
        max_length=200,
        required=False,
        label="Order",
        help_text="For a fine or restitution: the order (hearing, to whom).",
    )
    assessed_on = forms.DateField(widget=DATE, label="Assessed on")

    def __init__(self, *args, fees: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee"].choices = [("", "—"), *fees]


class PaymentForm(LedgerForm):
    today_fields = ("paid_on",)
    amount = MoneyField()
    paid_on = forms.DateField(widget=DATE, label="Paid on")
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    note = forms.CharField(
        max_length=200, required=False, help_text="E.g. the check number, who paid."
    )
    overpayment_credit = forms.BooleanField(
        required=False,
        label="Accept more than the balance as a credit",
        help_text="Without it a payment larger than the balance is refused.",
    )


class WaiverForm(LedgerForm):
    today_fields = ("waived_on",)
    amount = MoneyField(help_text="The whole balance waives it; less reduces it.")
    waived_on = forms.DateField(widget=DATE, label="Decided on")
    inability_to_pay = forms.BooleanField(
        required=False,
        label="The court finds the participant unable to pay (indigence)",
        help_text="Fees then never keep them from advancing or graduating.",
    )
    reason = forms.CharField(
        max_length=300, error_messages={"required": "Say why the court waives or reduces it."}
    )


class ReversalForm(CrispyForm):
    reason = forms.CharField(
        max_length=300,
        help_text="E.g. a returned check, a wrong amount, the wrong case.",
        error_messages={"required": "Say why the entry is reversed."},
    )
