"""Workato's documented Embedded API rate limits, by endpoint family, as one declarative record.

The client paces its requests by these and the sandbox enforces them, so both read the same
numbers. Workato counts every request of an Embed admin workspace against one quota per family,
whichever API key or customer it names; `window` lets tests and benchmarks scale time down.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, get_args

from .checks import check_seconds, check_whole_number

Family = Literal[
    "list_connections",
    "connections",
    "customers",
    "create_customer",
    "list_recipes",
    "get_recipe",
    "recipe_versions",
    "recipes",
    "jobs",
    "folders",
    "projects",
]
"""An endpoint family: the requests that share one quota."""

FAMILIES: tuple[str, ...] = get_args(Family)


@dataclass(frozen=True)
class RateLimits:
    """Requests allowed in each `window` seconds, per endpoint family.

    The defaults are Workato's documented limits per minute (docs.workato.com, Embedded API >
    Rate limits): listing a customer's connections 1,000, every other connections endpoint 60;
    creating a customer 1,000, the other customer (managed user) endpoints 60; listing and getting
    recipes 2,000 each, recipe versions 60, every other recipe endpoint 1,000; jobs 1,000; folders
    and projects 1,000.

    Args:
        window: the length of the window in seconds (60 for Workato; smaller in tests).
    """

    list_connections: int = 1000
    connections: int = 60
    customers: int = 60
    create_customer: int = 1000
    list_recipes: int = 2000
    get_recipe: int = 2000
    recipe_versions: int = 60
    recipes: int = 1000
    jobs: int = 1000
    folders: int = 1000
    projects: int = 1000
    window: float = 60.0

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name == "window":
                continue
            check_whole_number(f"RateLimits.{item.name}", getattr(self, item.name))
        check_seconds("RateLimits.window", self.window)

    def limit(self, family: Family) -> int:
        """The requests `family` may make in one window."""
        if family not in FAMILIES:
            raise ValueError(f"unknown rate-limit family {family!r}; expected one of {FAMILIES}")
        value: int = getattr(self, family)
        return value

    def per_second(self, family: Family) -> float:
        """The steady rate `family` allows, in requests a second."""
        return self.limit(family) / self.window
