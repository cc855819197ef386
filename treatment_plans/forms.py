from django import forms
from django.utils import timezone

from clients.forms import DATE, DATETIME
from clients.models import AppointmentOutcome
from drugcourt.forms import CrispyForm
from drugcourt.models import Organization

from .models import DischargeReason, Urgency


class ReferralForm(CrispyForm):
    provider = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Treatment provider"
    )
    requested_service = forms.CharField(
        max_length=200, help_text="e.g. Intensive outpatient, 3 sessions a week."
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(choices=Urgency.choices)
    shared_information = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the provider may read before accepting",
        help_text="The referral packet: keep it to what the provider needs to decide.",
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class DeclineForm(CrispyForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why not")


class IntakeForm(CrispyForm):
    scheduled_at = forms.DateTimeField(widget=DATETIME, label="Intake on")
    location = forms.CharField(max_length=200, required=False)


class IntakeOutcomeForm(CrispyForm):
    outcome = forms.ChoiceField(choices=AppointmentOutcome.choices)
    reason = forms.CharField(max_length=300, required=False, label="Reason (if excused)")


class DischargeForm(CrispyForm):
    reason = forms.ChoiceField(choices=DischargeReason.choices)
    discharged_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
