from django.apps import AppConfig


def _register_demo_step() -> None:
    from drugcourt.demo import register_demo_step

    from .demo import seed_demo_referrals

    register_demo_step(seed_demo_referrals)


class TreatmentPlansConfig(AppConfig):
    name = "treatment_plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        from . import registrations  # noqa: F401  (access source, section, panel)

        # After the clients and assessments demo steps (installed first): refers their
        # admitted participants to the demo treatment agency.
        _register_demo_step()
