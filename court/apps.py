from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "court"
    verbose_name = "Court"

    def ready(self) -> None:
        from . import registrations  # noqa: F401  (alert sources)
