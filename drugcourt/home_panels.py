"""The core's home-page panels and navigation entries (see drugcourt/home.py)."""

from .home import HomePanel, NavItem, register_nav_item, register_panel
from .roles import PROGRAM_ROLES, Role
from .selectors import programs_coordinated_by, programs_of, staff_counts_by_role

ADMIN = frozenset({Role.ADMINISTRATOR})
COORDINATOR = frozenset({Role.COORDINATOR})

register_panel(
    HomePanel(
        key="staff_overview",
        title="Staff",
        template="drugcourt/panels/staff_overview.html",
        roles=ADMIN,
        context=lambda user: {"counts": staff_counts_by_role()},
        order=10,
    )
)
register_panel(
    HomePanel(
        key="program_settings",
        title="Program settings",
        template="drugcourt/panels/program_settings.html",
        roles=COORDINATOR,
        context=lambda user: {"programs": programs_coordinated_by(user)},
        order=10,
    )
)
register_panel(
    HomePanel(
        key="my_programs",
        title="My programs",
        template="drugcourt/panels/my_programs.html",
        roles=PROGRAM_ROLES,
        context=lambda user: {"programs": programs_of(user)},
        order=90,
    )
)

register_nav_item(NavItem("Staff", "core:staff_list", ADMIN, order=10))
register_nav_item(NavItem("Organizations", "core:organization_list", ADMIN, order=20))
register_nav_item(NavItem("Programs", "core:program_list", ADMIN, order=30))
register_nav_item(NavItem("Audit", "core:staff_audit", ADMIN, order=40))
