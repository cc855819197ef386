from django.db import migrations
from django.db.models import OuterRef, Subquery


def intakes_to_the_referral_provider(apps, schema_editor):
    """A referral's intake appointment is the service of the provider the referral went to."""
    Appointment = apps.get_model("clients", "Appointment")
    Referral = apps.get_model("treatment_plans", "Referral")
    Appointment.objects.filter(referral__isnull=False).update(
        organization=Subquery(
            Referral.objects.filter(intake_appointment=OuterRef("pk")).values("provider")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_appointment_organization"),
        ("treatment_plans", "0004_history_per_statement"),
    ]

    operations = [
        migrations.RunPython(intakes_to_the_referral_provider, migrations.RunPython.noop),
    ]
