from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from . import registrations  # noqa: F401  (sections, facts, panels, access source)
