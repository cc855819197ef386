from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DrugcourtConfig(AppConfig):
    name = "drugcourt"
    verbose_name = "Drug court core"

    def ready(self) -> None:
        # Core panels; the sign-in time zone; the idle clock and the deploy check.
        from . import home_panels, security, timezones  # noqa: F401
        from .append_only import protect_after_migrate

        # Sent once per app after the whole migrate: this app's signal is enough.
        post_migrate.connect(protect_after_migrate, sender=self)
