from django.apps import AppConfig


class DrugcourtConfig(AppConfig):
    name = "drugcourt"
    verbose_name = "Drug court core"

    def ready(self) -> None:
        from . import home_panels, timezones  # noqa: F401  (core panels; sign-in time zone)
