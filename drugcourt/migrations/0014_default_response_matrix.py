"""Every settings version without a response matrix gets the default one, so programs made
before the matrix existed have one (issue 16). A copy of drugcourt.services'
DEFAULT_RESPONSE_MATRIX as it was when this migration was written: a migration must not change
when the service's default does. A rule whose response the version's catalogue does not hold
under that name (or holds as another kind: an incentive for a violation) is left out."""

from django.db import migrations

# (behaviour, phase, occurrences from, occurrences to, response name); None: any phase / and more.
DEFAULT_RESPONSE_MATRIX = (
    ("positive_test", None, 0, 0, "Additional case manager meetings"),
    ("positive_test", None, 1, 1, "Increased treatment"),
    ("positive_test", None, 2, None, "Increased testing"),
    ("missed_test", None, 0, 0, "Verbal warning"),
    ("missed_test", None, 1, 1, "Essay"),
    ("missed_test", None, 2, None, "Increased testing"),
    ("tampered_specimen", None, 0, 0, "Increased testing"),
    ("tampered_specimen", None, 1, None, "Community service"),
    ("missed_treatment", None, 0, 0, "Verbal warning"),
    ("missed_treatment", None, 1, None, "Additional case manager meetings"),
    ("failure_to_appear", None, 0, 0, "Community service"),
    ("failure_to_appear", None, 1, None, "Jail"),
    ("new_arrest", None, 0, 0, "Curfew"),
    ("new_arrest", None, 1, None, "Jail"),
    ("curfew_violation", None, 0, 0, "Verbal warning"),
    ("curfew_violation", None, 1, None, "Community service"),
    ("negative_tests", None, 0, 0, "Praise from the bench"),
    ("negative_tests", None, 1, 2, "Called early on the docket"),
    ("negative_tests", None, 3, None, "Gift card"),
    ("full_attendance", None, 0, 0, "Praise from the bench"),
    ("full_attendance", None, 1, None, "Certificate of achievement"),
    ("phase_requirements_met", None, 0, None, "Certificate of achievement"),
)
ACHIEVEMENTS = {"negative_tests", "full_attendance", "phase_requirements_met"}


def add_default_matrix(apps, schema_editor):
    ProgramSettings = apps.get_model("drugcourt", "ProgramSettings")
    ResponseOption = apps.get_model("drugcourt", "ResponseOption")
    ResponseRule = apps.get_model("drugcourt", "ResponseRule")
    without = list(
        ProgramSettings.objects.filter(response_rules__isnull=True).values_list("pk", flat=True)
    )
    options = {
        (settings_id, name.lower()): (pk, category)
        for pk, settings_id, name, category in ResponseOption.objects.filter(
            settings__in=without
        ).values_list("pk", "settings_id", "name", "category")
    }
    rules = []
    for settings_id in without:
        for behaviour, phase, low, high, name in DEFAULT_RESPONSE_MATRIX:
            found = options.get((settings_id, name.lower()))
            if found is None or (found[1] == "incentive") != (behaviour in ACHIEVEMENTS):
                continue
            rules.append(
                ResponseRule(
                    settings_id=settings_id,
                    behaviour=behaviour,
                    phase=phase,
                    occurrences_from=low,
                    occurrences_to=high,
                    option_id=found[0],
                )
            )
    ResponseRule.objects.bulk_create(rules)


class Migration(migrations.Migration):
    dependencies = [("drugcourt", "0013_response_matrix")]

    operations = [migrations.RunPython(add_default_matrix, migrations.RunPython.noop)]
