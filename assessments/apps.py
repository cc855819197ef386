from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_standard_instruments(sender, **kwargs) -> None:
    from .services import instrument_definitions_sync

    instrument_definitions_sync()


def _register_demo_step() -> None:
    from drugcourt.demo import register_demo_step

    from .demo import seed_demo_assessments

    register_demo_step(seed_demo_assessments)


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # The standard screens' definitions are files in assessments/instruments/; every
        # migrate stores the versions not stored yet (and refuses an edited stored version).
        post_migrate.connect(_sync_standard_instruments, sender=self)
        from . import registrations  # noqa: F401  (participant page sections)

        # After the clients demo steps (clients is installed first): screens its participants.
        _register_demo_step()
