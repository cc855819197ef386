"""Sweeps of the participant's record, run by Celery beat (clients.tasks): one set-based
statement each, raising alerts through clients.services.alerts_statement, so that running one
twice raises nothing twice (docs/decisions/0005)."""

import datetime
from dataclasses import dataclass

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from drugcourt.selectors import program_today_sql

from .access import DataClass
from .models import OPEN_STATUSES, AlertSeverity, Consent, ConsentTrigger
from .selectors import current_case_manager
from .services import AlertStatement, alerts_raise, alerts_statement

# The case manager is told this many days before a consent expires by its date, time to ask
# the participant for a new one.
CONSENT_EXPIRY_NOTICE = datetime.timedelta(days=14)
CONSENT_EXPIRING = "consent_expiring"


@dataclass(frozen=True)
class ConsentSweepOutcome:
    alerts_raised: int


def consents_expiring_statement(now: datetime.datetime) -> AlertStatement:
    """The consent-expiry sweep's one statement (see consents_expiring_sweep)."""
    today = program_today_sql("enrollment__program__time_zone", now)
    rows = (
        Consent.objects.filter(
            revoked_on__isnull=True,
            expires_on__isnull=False,
            enrollment__status__in=sorted(OPEN_STATUSES),
        )
        .alias(today=today)
        .filter(expires_on__gte=F("today"), expires_on__lte=F("today") + CONSENT_EXPIRY_NOTICE)
        # A consent its event already ended needs no notice of its date.
        .exclude(
            Q(expiry_event=ConsentTrigger.FINAL_DISPOSITION)
            & Q(final_disposition_on__lte=F("today"))
        )
        .annotate(
            source_key=Concat(Value("consent:"), Cast("pk", CharField())),
            message=Concat(
                Value("The consent signed "),
                Cast("signed_on", CharField()),
                Value(" expires on "),
                Cast("expires_on", CharField()),
                Value(": ask the participant whether to renew it."),
                output_field=CharField(),
            ),
            assigned_to_id=current_case_manager(),
        )
    )
    return alerts_statement(
        kind=CONSENT_EXPIRING,
        data_class=DataClass.CONSENTS,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def consents_expiring_sweep(*, now: datetime.datetime | None = None) -> ConsentSweepOutcome:
    """Each unrevoked consent of an open enrollment that expires by its date within 14 days
    (of its program's today) raises "consent_expiring" for the participant's case manager, once
    per consent (source_key consent:<pk>)."""
    raised = alerts_raise(statement=consents_expiring_statement(now or timezone.now()))
    return ConsentSweepOutcome(alerts_raised=raised)
