from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "court"
    verbose_name = "Court"

    def ready(self) -> None:
        from clients.demo import register_hearing_decision

        # Alert sources, the participant page's section, home panels and navigation.
        from . import registrations  # noqa: F401
        from .demo import decide_at_a_hearing

        register_hearing_decision(decide_at_a_hearing)
