from django.apps import AppConfig


class TreatmentPlansConfig(AppConfig):
    name = "treatment_plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        from . import registrations  # noqa: F401  (access source, section, panel)
