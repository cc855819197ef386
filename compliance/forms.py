from django import forms

from clients.forms import DATE, DATETIME
from drugcourt.forms import CrispyForm
from drugcourt.models import Substance

from .models import BlackoutReason, SpecimenType
from .services import FindingData, ResultData
from .validity import ValidityMeasures

CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "substance-choices"})


class OrderTestForm(CrispyForm):
    today_fields = ("scheduled_for",)
    scheduled_for = forms.DateField(widget=DATE, label="Test on")
    specimen_type = forms.ChoiceField(choices=SpecimenType.choices, label="Specimen")
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the test is ordered (for cause, court order, ...).",
    )


class CollectionForm(CrispyForm):
    collected_at = forms.DateTimeField(widget=DATETIME, label="Collected at")
    specimen_type = forms.ChoiceField(choices=SpecimenType.choices, label="Specimen")
    collection_site = forms.CharField(max_length=200)
    observed = forms.BooleanField(required=False, label="Collection was observed")
    chain_of_custody_id = forms.CharField(max_length=60, label="Chain-of-custody form number")
    panel = forms.MultipleChoiceField(
        choices=Substance.choices, widget=CHECKBOXES, label="Panel tested"
    )
    admitted_use = forms.MultipleChoiceField(
        choices=Substance.choices,
        widget=CHECKBOXES,
        required=False,
        label="Use the participant admitted before the result",
    )

    def __init__(self, *args, panel: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].choices = [(code, Substance(code).label) for code in panel]
        self.fields["panel"].initial = panel


class RefusalForm(CrispyForm):
    note = forms.CharField(max_length=300, label="What happened")


class ResultForm(CrispyForm):
    """The result of the laboratory or device: validity measures and the non-negative
    findings (one row each; substances of the panel not listed are negative)."""

    resulted_at = forms.DateTimeField(widget=DATETIME, label="Result date and time")
    creatinine_mg_dl = forms.DecimalField(
        required=False, max_digits=6, decimal_places=2, label="Creatinine (mg/dL)"
    )
    specific_gravity = forms.DecimalField(
        required=False, max_digits=5, decimal_places=4, label="Specific gravity"
    )
    ph = forms.DecimalField(required=False, max_digits=4, decimal_places=2, label="pH")
    adulterant = forms.CharField(max_length=100, required=False, label="Adulterant found")
    lab_invalid = forms.BooleanField(
        required=False, label="The laboratory could not obtain a valid result"
    )

    def measures(self) -> ValidityMeasures:
        data = self.cleaned_data
        return ValidityMeasures(
            creatinine_mg_dl=data["creatinine_mg_dl"],
            specific_gravity=data["specific_gravity"],
            ph=data["ph"],
            adulterant=data["adulterant"],
            lab_invalid=data["lab_invalid"],
        )


class CorrectionForm(ResultForm):
    # The version the user is correcting: a second send of the form, or a version someone
    # recorded in between, is refused instead of stacking another correction on it.
    corrects_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the result is corrected")
    is_confirmation = forms.BooleanField(
        required=False, label="This is the laboratory's confirmation (GC/MS or LC/MS)"
    )


class FindingForm(forms.Form):
    substance = forms.ChoiceField(choices=[("", "—")], required=False)
    cutoff = forms.DecimalField(required=False, max_digits=9, decimal_places=3, label="Cut-off")
    level = forms.DecimalField(required=False, max_digits=9, decimal_places=3)
    unit = forms.CharField(max_length=20, initial="ng/mL")

    def __init__(self, *args, panel: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substance"].choices = [("", "—")] + [
            (code, Substance(code).label) for code in panel
        ]


FindingFormSet = forms.formset_factory(FindingForm, extra=3)


def findings_formset(data, panel: list[str]):
    return FindingFormSet(data, prefix="finding", form_kwargs={"panel": panel})


def result_data(form: ResultForm, findings) -> ResultData:
    """The service input from a valid result form and its findings rows (blank rows skipped)."""
    return ResultData(
        resulted_at=form.cleaned_data["resulted_at"],
        measures=form.measures(),
        findings=[
            FindingData(row["substance"], row["cutoff"], row["level"], row["unit"] or "ng/mL")
            for row in findings.cleaned_data
            if row.get("substance")
        ],
        is_confirmation=form.cleaned_data.get("is_confirmation", False),
    )


class PrescriptionForm(CrispyForm):
    drug = forms.CharField(max_length=100)
    dose = forms.CharField(max_length=100)
    prescriber = forms.CharField(max_length=200)
    for_substance_use_disorder = forms.BooleanField(
        required=False, label="Medication for substance use disorder"
    )
    starts_on = forms.DateField(widget=DATE)
    ends_on = forms.DateField(widget=DATE, required=False, help_text="Blank while it continues.")
    explains = forms.MultipleChoiceField(
        choices=Substance.choices, widget=CHECKBOXES, label="Analytes it explains"
    )


class BlackoutForm(CrispyForm):
    reason = forms.ChoiceField(choices=BlackoutReason.choices)
    starts_on = forms.DateField(widget=DATE, label="From")
    ends_on = forms.DateField(
        widget=DATE, required=False, label="To (inclusive)", help_text="Blank while it lasts."
    )
    note = forms.CharField(max_length=300, required=False)


class EndDateForm(CrispyForm):
    today_fields = ("ends_on",)
    ends_on = forms.DateField(widget=DATE, label="Ends on")
