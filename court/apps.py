from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "court"
    verbose_name = "Court"

    def ready(self) -> None:
        from clients.demo import register_hearing_decision

        from . import registrations  # noqa: F401  (alert sources)
        from .demo import decide_at_a_hearing

        register_hearing_decision(decide_at_a_hearing)
