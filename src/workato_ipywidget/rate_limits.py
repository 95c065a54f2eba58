"""Workato's documented Embedded API rate limits, by endpoint family, as one declarative record.

The client paces its requests by these (`Pacer`) and the sandbox enforces them, so both read the
same numbers. Workato counts every request of an Embed admin workspace against one quota per family,
whichever API key or customer it names; `window` lets tests and benchmarks scale time down.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
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
        list_connections: Listing a customer's connections.
        connections: Every other connections endpoint.
        customers: The customer (managed user) endpoints but creation.
        create_customer: Creating a customer.
        list_recipes: Listing a customer's recipes.
        get_recipe: Getting one recipe.
        recipe_versions: A recipe's versions.
        recipes: Every other recipe endpoint (start, stop, ...).
        jobs: The jobs endpoints.
        folders: The folders endpoints.
        projects: The projects endpoints.
        window: the length of the window in seconds (60 for Workato; smaller in tests).

    Raises:
        ValueError: A limit is not a whole number >= 1, or `window` is not a positive number.
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
        """The requests `family` may make in one window.

        Args:
            family: An endpoint family, e.g. ``"list_connections"``.

        Raises:
            ValueError: `family` is not one of the families.
        """
        if family not in FAMILIES:
            raise ValueError(f"unknown rate-limit family {family!r}; expected one of {FAMILIES}")
        value: int = getattr(self, family)
        return value

    def per_second(self, family: Family) -> float:
        """The steady rate `family` allows, in requests a second.

        Args:
            family: An endpoint family, e.g. ``"list_connections"``.
        """
        return self.limit(family) / self.window


class Slot:
    """One request's place in its family's window.

    The request may start once the request `limit` places before it (`after`) was answered at
    least one window ago: the window counts from that answer, which no server's clock can see
    earlier than the request. Call `delay()` until it is 0, then send, then `done()` (also when
    the request failed or was cancelled, or later requests wait for it).
    """

    __slots__ = ("_pacer", "after", "at", "family", "finished")

    def __init__(self, pacer: Pacer, family: Family, at: float, after: Slot | None) -> None:
        self._pacer = pacer
        self.family = family
        self.at = at
        self.after = after
        self.finished = False

    def delay(self) -> float:
        """Seconds to wait before sending (0: send now)."""
        return self._pacer.delay(self)

    def done(self) -> None:
        """Mark the request answered (or abandoned): its place counts from now."""
        if not self.finished:
            self.at = max(self.at, self._pacer.now())
            self.finished = True
            self.after = None  # a finished slot needs nothing earlier: keep chains short


class Pacer:
    """Keeps each endpoint family within `RateLimits` without waiting for a 429 to say so.

    A sliding window: no span of one window holds more than `limit` requests of a family, as
    Workato (and the sandbox) count them, so a scan of N requests at limit L takes about
    (N - L) / L windows. Thread-safe; the sync and the async client share the rule and differ
    only in how they sleep.

    Args:
        limits: the limits to keep.
        clock: seconds, monotonic (tests pass a fake one).
        poll: seconds between looks at an earlier request still in flight.
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll: float | None = None,
    ) -> None:
        self.limits = limits
        self.now = clock
        self._poll = poll if poll is not None else min(0.05, limits.window / 50)
        self._lock = threading.Lock()
        self._placed: dict[str, deque[Slot]] = {}
        self._held: dict[str, float] = {}

    def reserve(self, family: Family) -> Slot:
        """Take the next place of `family`.

        Args:
            family: the endpoint family of the request.

        Returns:
            The request's slot: wait while `slot.delay()` is above 0, send, then `slot.done()`.
        """
        limit = self.limits.limit(family)
        with self._lock:
            placed = self._placed.get(family)
            if placed is None:
                placed = self._placed[family] = deque(maxlen=limit)
            after = placed[0] if len(placed) >= limit else None
            slot = Slot(self, family, self.now(), after)
            placed.append(slot)
            return slot

    def delay(self, slot: Slot) -> float:
        """Seconds `slot` must still wait (see `Slot.delay`)."""
        now = self.now()
        with self._lock:
            wait = self._held.get(slot.family, now) - now
            after = slot.after
            if after is not None:
                if not after.finished:
                    return max(wait, self._poll)
                wait = max(wait, after.at + self.limits.window - now)
            if wait <= 0:
                slot.at = max(slot.at, now)  # it starts now: later slots count from here
                return 0.0
            return wait

    def hold(self, family: Family, seconds: float) -> None:
        """Start no request of `family` for `seconds` (Workato answered 429 with Retry-After).

        Args:
            family: the family Workato refused.
            seconds: how long to hold it.
        """
        with self._lock:
            until = self.now() + max(0.0, seconds)
            self._held[family] = max(self._held.get(family, until), until)


class ApiStats:
    """What a client did, counted: requests sent, 429s received, retries, paced waits.

    Thread-safe counters; read them any time (``api.stats.rate_limited``).
    """

    __slots__ = ("_lock", "paced", "paced_seconds", "rate_limited", "requests", "retries")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        """Requests sent, retries included."""
        self.rate_limited = 0
        """Answers with status 429."""
        self.retries = 0
        """Requests sent again after a 429."""
        self.paced = 0
        """Requests the pacer held back to stay within the rate limits."""
        self.paced_seconds = 0.0
        """Seconds those requests waited, in total."""

    def count(self, name: str, amount: float = 1) -> None:
        """Add `amount` to a counter (the client counts; readers only read).

        Args:
            name: the counter, e.g. ``"rate_limited"``.
            amount: what to add.
        """
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def __repr__(self) -> str:
        return (
            f"ApiStats(requests={self.requests}, rate_limited={self.rate_limited}, "
            f"retries={self.retries}, paced={self.paced}, "
            f"paced_seconds={self.paced_seconds:.3f})"
        )
