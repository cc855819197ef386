from django.apps import AppConfig


class CourtConfig(AppConfig):
    name = "court"
    verbose_name = "Court"

    def ready(self) -> None:
        from clients.demo import register_completion
        from drugcourt.demo import register_demo_step

        # Alert sources, the participant page's section, home panels and navigation.
        from . import registrations  # noqa: F401
        from .demo import (
            complete,
            seed_demo_conditions,
            seed_demo_court,
            seed_demo_ledgers,
        )

        register_completion(complete)
        # After the compliance demo step (installed first): the court's history reads the
        # tests it drew (who struggles) and keeps its testing orders before them.
        register_demo_step(seed_demo_court)
        register_demo_step(seed_demo_conditions)
        register_demo_step(seed_demo_ledgers)
