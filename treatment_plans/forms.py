from django import forms

from assessments.models import Need, NeedStatus
from clients.forms import DATE, DATETIME
from clients.models import AppointmentOutcome
from drugcourt.forms import CrispyForm, TodayFieldsForm
from drugcourt.models import Organization

from .models import DischargeReason, Engagement, Goal, Objective, ObjectiveProgress, Urgency


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


class WithdrawForm(CrispyForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why withdraw")


class IntakeOutcomeForm(CrispyForm):
    outcome = forms.ChoiceField(choices=AppointmentOutcome.choices)
    reason = forms.CharField(max_length=300, required=False, label="Reason (if excused)")


class DischargeForm(CrispyForm):
    today_fields = ("discharged_on",)
    reason = forms.ChoiceField(choices=DischargeReason.choices)
    discharged_on = forms.DateField(widget=DATE)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class PlanStartForm(CrispyForm):
    today_fields = ("starts_on",)
    starts_on = forms.DateField(widget=DATE, label="Plan starts on")


class GoalForm(CrispyForm):
    participant_words = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="In the participant's words"
    )
    clinical_terms = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ObjectiveForm(CrispyForm):
    goal = forms.ModelChoiceField(queryset=Goal.objects.none())
    description = forms.CharField(max_length=300, label="Measurable objective")
    target_date = forms.DateField(widget=DATE, required=False)
    need = forms.ModelChoiceField(
        queryset=Need.objects.none(), required=False, label="Answers the need"
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = plan.goals.all()
        self.fields["need"].queryset = Need.objects.filter(
            participant=plan.participant, status=NeedStatus.OPEN
        )


class ServiceForm(CrispyForm):
    today_fields = ("starts_on",)
    objective = forms.ModelChoiceField(queryset=Objective.objects.none())
    service = forms.CharField(max_length=200, help_text="e.g. Intensive outpatient")
    provider = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, label="Provider"
    )
    frequency = forms.CharField(max_length=100, help_text="e.g. 3 sessions a week")
    starts_on = forms.DateField(widget=DATE)

    def __init__(self, *args, plan, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = Objective.objects.filter(goal__plan=plan)
        self.fields["provider"].queryset = providers


class DeferralForm(CrispyForm):
    need = forms.ModelChoiceField(queryset=Need.objects.none())
    reason = forms.CharField(max_length=300, label="Why it waits")

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = Need.objects.filter(
            participant=plan.participant, status=NeedStatus.OPEN
        )


class ActivateForm(CrispyForm):
    acknowledged_on = forms.DateField(
        widget=DATE, required=False, label="Participant acknowledged the plan on"
    )


class ReviewForm(TodayFieldsForm):
    today_fields = ("reviewed_on",)
    reviewed_on = forms.DateField(widget=DATE)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = list(objectives)
        for objective in self.objectives:
            self.fields[f"objective_{objective.pk}"] = forms.ChoiceField(
                choices=ObjectiveProgress.choices, label=objective.description
            )

    def progress(self) -> dict[int, str]:
        return {o.pk: self.cleaned_data[f"objective_{o.pk}"] for o in self.objectives}


class ProgressReportForm(CrispyForm):
    today_fields = ("month",)
    month = forms.DateField(
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text="The month reported on.",
    )
    engagement = forms.ChoiceField(choices=Engagement.choices)
    attendance_summary = forms.CharField(max_length=300, help_text="e.g. 11 of 12 groups")
    clinical_progress = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    recommendation = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
