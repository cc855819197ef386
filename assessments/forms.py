"""Forms for screenings, admissions, screens built from their definitions, and the builder a
coordinator uses to add a program's own screen."""

import re

from django import forms

from clients.forms import DATE
from clients.models import EntryType
from drugcourt.forms import CrispyForm, TodayFieldsForm

from .models import (
    ASAM_DIMENSIONS,
    ASAM_LEVELS,
    ASAM_RISK_RATINGS,
    NeedDomain,
    NeedPriority,
    ScreeningDecision,
)
from .scoring import is_required, item_options

SAFETY_FIELD = "safety_action"


class ScreeningForm(CrispyForm):
    today_fields = ("screened_on",)
    screened_on = forms.DateField(widget=DATE)
    substance_use_disorder_indicated = forms.BooleanField(
        required=False, label="A substance use disorder is indicated"
    )
    level_of_care_available = forms.BooleanField(
        required=False, label="The program can provide the level of care needed"
    )
    decision = forms.ChoiceField(choices=ScreeningDecision.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, criteria: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for index, criterion in enumerate(criteria):
            self.fields[f"criterion_{index}"] = forms.BooleanField(required=False, label=criterion)
        self.order_fields(["screened_on", *(f"criterion_{i}" for i in range(len(criteria)))])

    def legal_criteria(self) -> dict[str, bool]:
        return {
            criterion: self.cleaned_data[f"criterion_{index}"]
            for index, criterion in enumerate(self.criteria)
        }

    def screening_fields(self) -> dict:
        names = ("screened_on", "substance_use_disorder_indicated", "level_of_care_available")
        return {
            **{name: self.cleaned_data[name] for name in names},
            "decision": self.cleaned_data["decision"],
            "reason": self.cleaned_data["reason"],
            "legal_criteria": self.legal_criteria(),
        }


class AdmissionForm(CrispyForm):
    order_or_plea_date = forms.DateField(
        widget=DATE, required=False, label="Date of the court's order or the plea"
    )
    agreement_signed_on = forms.DateField(
        widget=DATE, required=False, label="Participation agreement signed on"
    )
    entry_type = forms.ChoiceField(choices=EntryType.choices)


class AdministrationForm(TodayFieldsForm):
    """One radio question per item of the definition; the safety step field appears when a
    safety item's answer needs it."""

    today_fields = ("administered_on",)
    administered_on = forms.DateField(widget=DATE, label="Given on")

    def __init__(self, *args, definition: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition["items"]:
            self.fields[f"item_{item['key']}"] = forms.ChoiceField(
                label=f"{item['key']}. {item['text']}",
                choices=[(o["value"], o["label"]) for o in item_options(definition, item)],
                widget=forms.RadioSelect,
                # Conditional items (PHQ-9's difficulty item) are checked in clean().
                required="required_if_any_above" not in item,
                error_messages={"required": "Answer this item."},
            )
        self.fields[SAFETY_FIELD] = forms.CharField(
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            label=self.safety_prompt,
        )

    @property
    def safety_prompt(self) -> str:
        prompts = [i["safety"]["prompt"] for i in self.definition["items"] if i.get("safety")]
        return prompts[0] if prompts else "Immediate safety step taken"

    @property
    def item_fields(self):
        return [self[name] for name in self.fields if name.startswith("item_")]

    def clean(self):
        cleaned = super().clean()
        answers = self.answers()
        for item in self.definition["items"]:
            name = f"item_{item['key']}"
            unanswered = name in cleaned and not cleaned[name]
            if unanswered and is_required(self.definition, item, answers):
                self.add_error(name, "Answer this item: a problem above was checked off.")
        return cleaned

    def answers(self) -> dict[str, str]:
        return {
            name.removeprefix("item_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("item_") and value
        }


BAND_LINE = re.compile(r"^\s*(\d+)\s*[-–]\s*(\d+)\s+(.+?)\s*$")
OPTION_LINE = re.compile(r"^\s*(.+?)\s*=\s*(-?\d+)\s*$")


class InstrumentBuilderForm(CrispyForm):
    """A program's own screen without code: answer options, items and bands as lines."""

    code = forms.RegexField(
        regex=r"^[A-Za-z0-9-]{2,30}$",
        error_messages={"invalid": "Use 2 to 30 letters, digits or hyphens."},
        help_text="Short name, e.g. WELL-5.",
    )
    name = forms.CharField(max_length=200)
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(max_length=300, help_text="Where the items and scoring come from.")
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One answer per line, with its score: “Not at all = 0”.",
    )
    items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One question per line. Start a line with * to leave it out of the total.",
    )
    bands = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One band per line, from 0 to the highest total: “0-4 Minimal”.",
    )

    def clean_options(self) -> list[dict]:
        options = []
        for number, line in enumerate(_lines(self.cleaned_data["options"]), start=1):
            match = OPTION_LINE.match(line)
            if not match:
                raise forms.ValidationError(f"Line {number} is not “answer = score”.")
            options.append({"value": str(number), "label": match[1], "score": int(match[2])})
        return options

    def clean_items(self) -> list[dict]:
        items = []
        for number, line in enumerate(_lines(self.cleaned_data["items"]), start=1):
            unscored = line.startswith("*")
            item = {"key": str(number), "text": line.lstrip("* ").strip(), "options": "answers"}
            if unscored:
                item["scored"] = False
            items.append(item)
        if not items:
            raise forms.ValidationError("Write at least one question.")
        return items

    def clean_bands(self) -> list[dict]:
        bands = []
        for number, line in enumerate(_lines(self.cleaned_data["bands"]), start=1):
            match = BAND_LINE.match(line)
            if not match:
                raise forms.ValidationError(f"Line {number} is not “from-to label”.")
            bands.append({"min": int(match[1]), "max": int(match[2]), "label": match[3]})
        return bands

    def definition(self) -> dict:
        return {
            "source": self.cleaned_data["source"],
            "instructions": self.cleaned_data["instructions"],
            "option_sets": {"answers": self.cleaned_data["options"]},
            "items": self.cleaned_data["items"],
            "bands": self.cleaned_data["bands"],
        }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class RiskNeedForm(CrispyForm):
    """The program's risk and need items; the intensity fields left empty accept the
    quadrant's recommendation."""

    today_fields = ("assessed_on",)
    assessed_on = forms.DateField(widget=DATE)
    track = forms.CharField(max_length=100, required=False, label="Track (empty: as recommended)")
    court_every_weeks = forms.IntegerField(
        required=False, min_value=1, max_value=26, label="Court every … weeks"
    )
    tests_per_week = forms.IntegerField(required=False, min_value=1, max_value=7)
    contacts_per_week = forms.IntegerField(
        required=False, min_value=0, max_value=14, label="Case manager contacts per week"
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the team departs from the recommendation",
    )
    frequency_exception = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Exception: why fewer tests a week than the program minimum",
    )

    def __init__(self, *args, config: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        for prefix, items in (("risk", config["risk_items"]), ("need", config["need_items"])):
            for index, item in enumerate(items):
                self.fields[f"{prefix}_{index}"] = forms.BooleanField(required=False, label=item)
        self.order_fields(["assessed_on", *(n for n in self.fields if n[:5] in ("risk_", "need_"))])

    def answers(self, prefix: str) -> dict[str, bool]:
        items = self.config[f"{prefix}_items"]
        return {item: self.cleaned_data[f"{prefix}_{i}"] for i, item in enumerate(items)}

    def accepted(self, recommended: dict) -> dict:
        """The intensity as entered, each empty field taking the recommended value."""
        return {
            name: self.cleaned_data[name] if self.cleaned_data[name] not in (None, "") else value
            for name, value in recommended.items()
        }


class AsamForm(CrispyForm):
    today_fields = ("assessed_on",)
    assessed_on = forms.DateField(widget=DATE)
    level_of_care = forms.ChoiceField(label="Level of care chosen")
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, edition: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.edition = edition
        self.fields["level_of_care"].choices = [(lvl, lvl) for lvl in ASAM_LEVELS[edition]]
        for index, dimension in enumerate(ASAM_DIMENSIONS[edition], start=1):
            self.fields[f"rating_{index}"] = forms.TypedChoiceField(
                label=f"Dimension {index}: {dimension}",
                choices=ASAM_RISK_RATINGS,
                coerce=int,
            )
            self.fields[f"notes_{index}"] = forms.CharField(
                required=False, label=f"Notes on dimension {index}", max_length=1000
            )
        self.order_fields(["assessed_on"])

    def ratings(self) -> list[dict]:
        return [
            {"rating": self.cleaned_data[f"rating_{n}"], "notes": self.cleaned_data[f"notes_{n}"]}
            for n in range(1, len(ASAM_DIMENSIONS[self.edition]) + 1)
        ]


class NeedForm(CrispyForm):
    today_fields = ("identified_on",)
    domain = forms.ChoiceField(choices=NeedDomain.choices)
    priority = forms.ChoiceField(choices=NeedPriority.choices)
    description = forms.CharField(max_length=300)
    identified_on = forms.DateField(widget=DATE)
