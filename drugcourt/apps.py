from django.apps import AppConfig


class DrugcourtConfig(AppConfig):
    name = "drugcourt"
    verbose_name = "Drug court core"

    def ready(self) -> None:
        from . import home_panels  # noqa: F401  (registers the core home panels)
