from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from drugcourt import append_only
        from drugcourt.demo import register_demo_step

        from . import registrations  # noqa: F401  (sections, facts, panels, access source)
        from .demo import seed_demo_daily_record, seed_demo_participants

        register_demo_step(seed_demo_participants)
        register_demo_step(seed_demo_daily_record)
        append_only.register("clients.AccessLog")
