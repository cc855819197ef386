"""The registry of home-page panels and navigation entries.

Core defines it; every app adds its own panels and links from its `AppConfig.ready()`, so core
never imports a later app (DESIGN.md: apps form a chain). A panel belongs to one or more roles;
a user with several roles reaches each role's home page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .roles import Role

PanelContext = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class HomePanel:
    key: str
    title: str
    template: str
    roles: frozenset[Role]
    context: PanelContext
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[Role]
    order: int = 100
    url_args: tuple[Any, ...] = field(default_factory=tuple)


_panels: dict[str, HomePanel] = {}
_nav_items: dict[str, NavItem] = {}


def register_panel(panel: HomePanel) -> None:
    if panel.key in _panels:
        raise ValueError(f"A home panel named {panel.key!r} is already registered.")
    _panels[panel.key] = panel


def register_nav_item(item: NavItem) -> None:
    if item.url_name in _nav_items:
        raise ValueError(f"A navigation entry for {item.url_name!r} is already registered.")
    _nav_items[item.url_name] = item


def panels_for(role: Role) -> list[HomePanel]:
    return sorted((p for p in _panels.values() if role in p.roles), key=lambda p: p.order)


def nav_items_for(roles: list[str]) -> list[NavItem]:
    held = set(roles)
    return sorted(
        (item for item in _nav_items.values() if held & item.roles), key=lambda i: i.order
    )
