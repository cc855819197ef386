"""Forms for staff, organizations, programs and program settings. Forms check shapes and
types; business rules live in services, whose ValidationErrors land on the same fields."""

import datetime
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from .models import (
    Behaviour,
    NoteFormat,
    Organization,
    Phase,
    PolicyPositive,
    Program,
    ResponseCategory,
    ResponseEffect,
    Substance,
)
from .phase_requirements import requirement_kind, requirement_kinds
from .roles import OrganizationKind, Role
from .services import (
    MAX_PRIOR_OCCURRENCES,
    MONEY_MAX,
    FeeData,
    PhaseData,
    ResponseOptionData,
    ResponseRuleData,
)

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


@contextmanager
def form_errors_from(form: forms.BaseForm) -> Iterator[None]:
    """Runs a service call; its ValidationError is shown on the form instead of a 500.

    Views write `with form_errors_from(form): service(...); return redirect(...)` and fall
    through to re-rendering the form when the service refused.
    """
    try:
        yield
    except ValidationError as error:
        form.add_error(None, error)


# The largest value a PostgreSQL integer column holds: a bigger number in a query is a
# database error, not "nothing found".
MAX_DB_INT = 2**31 - 1


def int_or_none(value: str | None) -> int | None:
    """A non-negative integer typed into a query string or hidden field, or None for anything
    else (junk must never reach the ORM, where it is a server error)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number <= MAX_DB_INT else None


class TodayFieldsForm(forms.Form):
    # Date fields that start at "today": the program's date, which the view passes as `today`
    # (a form cannot know the program; Django's own "today" is the server's or the user's).
    today_fields: tuple[str, ...] = ()

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.today_fields and today is None and not self.is_bound:
            raise TypeError(f"{type(self).__name__} needs today= (the program's date).")
        for name in self.today_fields:
            self.fields[name].initial = today


class CrispyForm(TodayFieldsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class StaffForm(CrispyForm):
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use letters, digits and @ . + - _ only."},
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail")
    organization = forms.ModelChoiceField(queryset=Organization.objects.filter(is_active=True))
    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )
    programs = forms.ModelMultipleChoiceField(
        queryset=Program.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Program-wide roles (coordinator, judge, clerk, prosecutor) reach the "
        "participants of these programs.",
    )

    def __init__(self, *args, editing: bool = False, own: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["username"].disabled = True
        if own:
            # An administrator cannot change whom they reach (drugcourt.services.staff_update).
            for name in ("organization", "roles", "programs"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Another administrator changes this for you."


class OrganizationForm(CrispyForm):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(
        choices=OrganizationKind.choices,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of organization we know."},
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class ProgramForm(CrispyForm):
    name = forms.CharField(max_length=200)
    court = forms.ModelChoiceField(
        queryset=Organization.objects.filter(kind=OrganizationKind.COURT, is_active=True)
    )
    jurisdiction = forms.CharField(max_length=200)
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        initial="America/Chicago",
        error_messages={"invalid_choice": "“%(value)s” is not a known time zone."},
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class SettingsChangeForm(CrispyForm):
    effective_from = forms.DateField(
        label="Applies from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The program's local date from which this change is in force.",
    )
    change_note = forms.CharField(
        max_length=300, label="Why this change", help_text="Kept with the settings history."
    )


class NoteFormatChangeForm(SettingsChangeForm):
    note_format = forms.ChoiceField(
        choices=NoteFormat.choices,
        label="Case note format",
        help_text="DAP splits each note into data, assessment and plan.",
    )


class LegalCriteriaChangeForm(SettingsChangeForm):
    legal_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Legal eligibility criteria",
        help_text="One criterion per line; every screening answers each of them.",
        error_messages={"required": "List at least one legal criterion."},
    )

    def clean_legal_criteria(self) -> list[str]:
        return self.cleaned_data["legal_criteria"].splitlines()


class AsamRuleChangeForm(SettingsChangeForm):
    """One line per ASAM edition: “3: 0=0.5 1=1 2=2.1 3=3.5 4=4” maps the highest dimension
    rating to the level the program suggests. Empty: the program suggests nothing."""

    asam_rule = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Program rule for ASAM levels",
        help_text="One line per edition, e.g. “3: 0=0.5 1=1 2=2.1 3=3.5 4=4”. Shown as a program "
        "rule, never as the official ASAM placement.",
    )

    def clean_asam_rule(self) -> dict[str, dict[str, str]]:
        rule: dict[str, dict[str, str]] = {}
        for line in self.cleaned_data["asam_rule"].splitlines():
            if not line.strip():
                continue
            edition, _, pairs = line.partition(":")
            try:
                levels = dict(pair.split("=", 1) for pair in pairs.split())
            except ValueError:
                raise forms.ValidationError(
                    f"“{line.strip()}” is not “edition: rating=level …”."
                ) from None
            if edition.strip() not in ("3", "4") or set(levels) != {"0", "1", "2", "3", "4"}:
                raise forms.ValidationError(
                    "Each line names edition 3 or 4 and a level for every rating from 0 to 4."
                )
            rule[edition.strip()] = levels
        return rule


class AlertThresholdsChangeForm(SettingsChangeForm):
    referral_engagement_days = forms.IntegerField(
        min_value=1,
        max_value=90,
        label="Alert when a referral is not engaged after (days)",
    )
    plan_review_notice_days = forms.IntegerField(
        min_value=0,
        max_value=60,
        label="Alert this many days before a plan review falls due",
    )


class DetectionTailField(forms.CharField):
    """Days per substance code, written "BUP=7, MTD=7"."""

    def prepare_value(self, value):
        if isinstance(value, dict):
            return ", ".join(f"{code}={days}" for code, days in sorted(value.items()))
        return value

    def to_python(self, value) -> dict[str, int]:
        tails = {}
        for item in filter(None, (part.strip() for part in (value or "").split(","))):
            code, _, days = item.partition("=")
            code = code.strip().upper()
            if code not in Substance.values or not days.strip().isdigit():
                raise forms.ValidationError(f'"{item}" is not a substance code and days.')
            tails[code] = int(days)
        return tails


class TestingPolicyChangeForm(SettingsChangeForm):
    testing_panel = forms.MultipleChoiceField(
        choices=Substance.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Panel: substances the program tests for",
    )
    policy_positive = forms.MultipleChoiceField(
        choices=PolicyPositive.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Count these outcomes as positive",
    )
    urine_window_hours = forms.IntegerField(
        min_value=1, max_value=24, label="Hours to give a urine specimen once notified"
    )
    oral_fluid_window_hours = forms.IntegerField(
        min_value=1,
        max_value=24,
        label="Hours to give an oral fluid or breath specimen once notified",
    )
    draw_time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        label="Weekly random draw: time on the Sunday before the week",
    )
    call_list_time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        label="Daily call list published at",
    )
    noncompliance_events = forms.IntegerField(
        min_value=2, max_value=10, label="Repeated non-compliance: this many missed or positive…"
    )
    noncompliance_days = forms.IntegerField(
        min_value=1, max_value=60, label="…within this many days raise an alert"
    )
    minimum_tests_per_week = forms.IntegerField(
        min_value=0,
        max_value=7,
        label="Minimum random tests a week before the last phase (monthly mean)",
    )
    detection_tail_days = DetectionTailField(
        required=False,
        label="Prescriptions explain positives for this many days after they end",
        help_text='Substance code and days, comma separated, e.g. "BUP=7, MTD=7".',
    )


class PhaseForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tests_per_week = forms.IntegerField(min_value=0, max_value=7, label="Tests per week")
    hearing_interval_weeks = forms.IntegerField(
        min_value=1, max_value=26, label="Hearing every (weeks)"
    )
    # The phase's requirements ride along with its row (edited on their own page), so a phase
    # moved or renamed keeps them; the service checks them again.
    requirements = forms.JSONField(required=False, widget=forms.HiddenInput)

    def clean_requirements(self) -> list:
        requirements = self.cleaned_data["requirements"] or []
        if not isinstance(requirements, list):
            raise ValidationError("Reload the page: the phase's requirements were garbled.")
        return requirements

    def phase_data(self) -> PhaseData:
        return PhaseData(
            name=self.cleaned_data["name"],
            description=self.cleaned_data["description"],
            tests_per_week=self.cleaned_data["tests_per_week"],
            hearing_interval_weeks=self.cleaned_data["hearing_interval_weeks"],
            requirements=tuple(self.cleaned_data["requirements"]),
        )


class BasePhaseFormSet(forms.BaseFormSet):
    def phases(self) -> list[PhaseData]:
        """The phases in the order the coordinator gave, deleted and blank rows left out."""
        kept = [
            form
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]
        kept.sort(key=lambda form: form.cleaned_data.get("ORDER") or 0)
        return [form.phase_data() for form in kept]


PhaseFormSet = forms.formset_factory(
    PhaseForm, formset=BasePhaseFormSet, extra=1, can_order=True, can_delete=True
)


class PhaseRequirementForm(forms.Form):
    """One requirement of one phase: its kind (drugcourt.phase_requirements, the court's
    kinds) with its threshold and, for a rate, the days it is counted over. The service checks
    the numbers each kind takes (a negative threshold is refused there, with the kind named)."""

    # Blank first choices: an empty row left as it is does not count as a new requirement.
    phase = forms.TypedChoiceField(coerce=int, empty_value=None)
    kind = forms.ChoiceField(label="Requirement")
    threshold = forms.IntegerField(required=False, label="At least")
    window = forms.IntegerField(required=False, label="Over the last (days)")

    def __init__(self, *args, phase_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [("", "—"), *phase_choices]
        self.fields["kind"].choices = [
            ("", "—"),
            *((kind.key, kind.label) for kind in requirement_kinds()),
        ]

    def requirement(self) -> dict:
        """The requirement as stored: the numbers under the names its kind gives them (a number
        the kind does not take keeps its column's name, for the service to refuse)."""
        kind = requirement_kind(self.cleaned_data["kind"])
        params = {}
        for column in ("threshold", "window"):
            value = self.cleaned_data[column]
            param = getattr(kind, column, None)
            if value is not None or param is not None:
                params[param.name if param else column] = value
        return {"kind": self.cleaned_data["kind"], "params": params}


def phase_requirement_rows(phases: list[Phase]) -> list[dict]:
    """The initial rows of PhaseRequirementFormSet: each requirement of each phase."""
    return [
        {
            "phase": phase.number,
            "kind": requirement["kind"],
            **{
                column: requirement["params"].get(param.name)
                for column, param in (("threshold", kind.threshold), ("window", kind.window))
                if param is not None
            },
        }
        for phase in phases
        for requirement in phase.requirements
        if (kind := requirement_kind(requirement["kind"])) is not None
    ]


class BasePhaseRequirementFormSet(forms.BaseFormSet):
    def requirements(self) -> dict[int, list[dict]]:
        """Phase number → its requirements, in the page's order; deleted and blank rows left
        out."""
        by_phase: dict[int, list[dict]] = {}
        for index, form in enumerate(self.forms):
            if (index < self.initial_form_count() or form.has_changed()) and not (
                self._should_delete_form(form)
            ):
                by_phase.setdefault(form.cleaned_data["phase"], []).append(form.requirement())
        return by_phase


PhaseRequirementFormSet = forms.formset_factory(
    PhaseRequirementForm, formset=BasePhaseRequirementFormSet, extra=2, can_delete=True
)


class ResponseOptionForm(forms.Form):
    name = forms.CharField(max_length=100)
    # A blank first choice: an empty row left as it is does not count as a new response.
    category = forms.ChoiceField(choices=[("", "—"), *ResponseCategory.choices], label="Kind")
    effect = forms.ChoiceField(
        choices=ResponseEffect.choices,
        initial=ResponseEffect.NONE,
        label="Effect",
    )
    description = forms.CharField(max_length=300, required=False)

    def option_data(self) -> ResponseOptionData:
        return ResponseOptionData(
            name=self.cleaned_data["name"],
            category=self.cleaned_data["category"],
            effect=self.cleaned_data["effect"],
            description=self.cleaned_data["description"],
        )


class BaseResponseOptionFormSet(forms.BaseFormSet):
    def options(self) -> list[ResponseOptionData]:
        """The responses the coordinator kept or added; deleted and blank rows left out."""
        return [
            form.option_data()
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]


ResponseOptionFormSet = forms.formset_factory(
    ResponseOptionForm, formset=BaseResponseOptionFormSet, extra=2, can_delete=True
)


class ResponseRuleForm(forms.Form):
    # Blank first choices: an empty row left as it is does not count as a new rule.
    behaviour = forms.ChoiceField(choices=[("", "—"), *Behaviour.choices])
    phase = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    occurrences_from = forms.IntegerField(
        min_value=0, max_value=MAX_PRIOR_OCCURRENCES, initial=0, label="Prior occurrences from"
    )
    occurrences_to = forms.IntegerField(
        min_value=0,
        max_value=MAX_PRIOR_OCCURRENCES,
        required=False,
        label="to",
        help_text="Empty: and more.",
    )
    option = forms.ChoiceField(label="Suggested response")

    def __init__(self, *args, phase_choices, option_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [("", "Any phase"), *phase_choices]
        self.fields["option"].choices = [("", "—"), *option_choices]

    def rule_data(self) -> ResponseRuleData:
        return ResponseRuleData(
            behaviour=self.cleaned_data["behaviour"],
            phase=self.cleaned_data["phase"],
            occurrences_from=self.cleaned_data["occurrences_from"],
            occurrences_to=self.cleaned_data["occurrences_to"],
            option=self.cleaned_data["option"],
        )


class BaseResponseRuleFormSet(forms.BaseFormSet):
    def rules(self) -> list[ResponseRuleData]:
        """The rules the coordinator kept or added, in the page's order; deleted and blank rows
        left out."""
        return [
            form.rule_data()
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]


ResponseRuleFormSet = forms.formset_factory(
    ResponseRuleForm, formset=BaseResponseRuleFormSet, extra=2, can_delete=True
)


class MoneyField(forms.DecimalField):
    """An amount of money: dollars and cents, more than zero (a Decimal, never a float)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Amount ($)")
        super().__init__(min_value=Decimal("0.01"), max_value=MONEY_MAX, decimal_places=2, **kwargs)


class FeeForm(forms.Form):
    name = forms.CharField(max_length=100)
    amount = MoneyField()
    description = forms.CharField(
        max_length=300, required=False, help_text="When it is charged, e.g. monthly, per test."
    )

    def fee_data(self) -> FeeData:
        return FeeData(
            name=self.cleaned_data["name"],
            amount=self.cleaned_data["amount"],
            description=self.cleaned_data["description"],
        )


class BaseFeeFormSet(forms.BaseFormSet):
    def fees(self) -> list[FeeData]:
        """The fees the coordinator kept or added; deleted and blank rows left out."""
        return [
            form.fee_data()
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]


FeeFormSet = forms.formset_factory(FeeForm, formset=BaseFeeFormSet, extra=2, can_delete=True)


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
