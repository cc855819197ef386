"""Every settings version without a response catalogue gets the default one, so programs made
before the catalogue existed have one (issue 15). A copy of drugcourt.services'
DEFAULT_RESPONSE_CATALOGUE as it was when this migration was written: a migration must not
change when the service's default does."""

from django.db import migrations

DEFAULT_RESPONSE_CATALOGUE = (
    ("Praise from the bench", "incentive", "none", ""),
    ("Certificate of achievement", "incentive", "none", ""),
    ("Called early on the docket", "incentive", "none", "Heard first and free to leave the courtroom."),
    ("Reduced reporting", "incentive", "reduced_reporting", ""),
    ("Gift card", "incentive", "gift_card", ""),
    ("Verbal warning", "sanction", "none", ""),
    ("Essay", "sanction", "none", "Written and read in court."),
    ("Increased testing", "sanction", "increased_testing", ""),
    ("Curfew", "sanction", "curfew", ""),
    ("Community service", "sanction", "community_service", ""),
    ("Jail", "sanction", "jail", ""),
    (
        "Increased treatment",
        "therapeutic",
        "none",
        "More sessions or a higher level of care, as the treatment provider assesses.",
    ),
    ("Additional case manager meetings", "therapeutic", "none", ""),
    ("Additional self-help meetings", "therapeutic", "none", ""),
)


def add_default_catalogue(apps, schema_editor):
    ProgramSettings = apps.get_model("drugcourt", "ProgramSettings")
    ResponseOption = apps.get_model("drugcourt", "ResponseOption")
    without = ProgramSettings.objects.filter(response_options__isnull=True).values_list(
        "pk", flat=True
    )
    ResponseOption.objects.bulk_create(
        ResponseOption(
            settings_id=settings_id,
            name=name,
            category=category,
            effect=effect,
            description=description,
        )
        for settings_id in list(without)
        for name, category, effect, description in DEFAULT_RESPONSE_CATALOGUE
    )


class Migration(migrations.Migration):
    dependencies = [("drugcourt", "0011_response_catalogue")]

    operations = [migrations.RunPython(add_default_catalogue, migrations.RunPython.noop)]
