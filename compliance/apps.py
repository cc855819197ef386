from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from drugcourt.demo import register_demo_step

        from . import registrations  # noqa: F401  (participant page section)
        from .demo import seed_demo_tests

        # After the treatment-plans demo step (installed first): its referrals for medication
        # decide who takes buprenorphine or methadone.
        register_demo_step(seed_demo_tests)
