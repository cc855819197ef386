from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from drugcourt.home import NavItem, register_nav_item
        from drugcourt.roles import Role

        register_nav_item(
            NavItem(
                "Units of service",
                "reports:units_of_service",
                frozenset({Role.COORDINATOR, Role.CASE_MANAGER}),
                order=70,
            )
        )
