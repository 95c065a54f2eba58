"""One customer's health as a scan read it: a typed, immutable row, and the rules that rank,
count and describe rows.

A row holds Workato's records (the customer, its connections, its recipes stopped on errors),
never the answers they came from. Each connection is classified by `connection_state.classify`,
the rule the connections panel uses, so the fleet view and a customer's panel always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from . import connection_state
from .connection_state import RowStatus
from .protocol import MAX_ERROR_TEXT, clean_text

if TYPE_CHECKING:  # api.py imports httpx: loaded only by those who built a client
    from .records import Connection, Customer, Recipe

__all__ = [
    "CONNECTION_STATES",
    "HEALTH_STATES",
    "PROBLEM_STATES",
    "CustomerHealth",
    "HealthState",
    "Summary",
    "customer_key",
    "health_row",
    "read_failed_row",
    "row_for_page",
    "sort_key",
    "stopped_on_errors",
]

HealthState = Literal["error", "failed", "lost", "recipes_stopped", "not_connected", "healthy"]
"""A customer's worst state, most urgent first: its read failed, a connection failed or was lost,
a recipe stopped on errors, a connection was never authorized, or all is well."""

HEALTH_STATES: tuple[HealthState, ...] = (
    "error",
    "failed",
    "lost",
    "recipes_stopped",
    "not_connected",
    "healthy",
)
PROBLEM_STATES: frozenset[HealthState] = frozenset({"error", "failed", "lost", "recipes_stopped"})
"""The states that make a customer one of `AccountHealth.problems`: something that worked broke,
or could not be read. A connection never authorized is counted and shown, but is a setup still
to finish rather than a breakage."""

CONNECTION_STATES: tuple[RowStatus, ...] = ("connected", "failed", "lost", "not_connected")

STOPPED_ON_ERRORS = "trigger_errors_limit"
"""Workato's `stop_cause` for a recipe stopped after consecutive trigger errors."""

_RANK = {state: rank for rank, state in enumerate(HEALTH_STATES)}
_CONNECTION_RANK: dict[RowStatus, int] = {"failed": 0, "lost": 1, "not_connected": 2}


def customer_key(customer_id: object) -> str:
    """A customer's id as the page and `expanded` name it: Workato's id as text."""
    return str(customer_id)


@dataclass(frozen=True, slots=True)
class CustomerHealth:
    """One customer's connections (and recipes stopped on errors) as one scan read them.

    Args:
        customer: the customer (managed user) record.
        connections: its connection records.
        stopped_recipes: its recipes stopped on trigger errors; None when recipes were not read
            (``include_recipes=False``).
        error: why the customer could not be read (then `connections` is empty).
        read_at: when the row was read (UTC).
    """

    customer: Customer
    connections: tuple[Connection, ...] = ()
    stopped_recipes: tuple[Recipe, ...] | None = None
    error: str | None = None
    read_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc), compare=False)

    @property
    def id(self) -> int | str:
        """Workato's id of the customer (a managed user)."""
        return self.customer.id

    @property
    def key(self) -> str:
        return customer_key(self.customer.id)

    @property
    def name(self) -> str:
        """The customer's name, or its id when Workato has none."""
        return self.customer.name or str(self.customer.id)

    @property
    def external_id(self) -> str | None:
        return self.customer.external_id

    @property
    def counts(self) -> Mapping[RowStatus, int]:
        """Connections by state, as the connections panel classifies them."""
        found = Counter(connection_state.classify(record) for record in self.connections)
        return {state: found.get(state, 0) for state in CONNECTION_STATES}

    @property
    def state(self) -> HealthState:
        """The customer's worst state (see `HealthState`)."""
        if self.error is not None:
            return "error"
        counts = self.counts
        if counts["failed"]:
            return "failed"
        if counts["lost"]:
            return "lost"
        if self.stopped_recipes:
            return "recipes_stopped"
        if counts["not_connected"]:
            return "not_connected"
        return "healthy"

    @property
    def has_problem(self) -> bool:
        """A read error, a failed or lost connection, or a recipe stopped on errors."""
        return self.state in PROBLEM_STATES

    @property
    def problem(self) -> str | None:
        """The worst problem's text, naming the connection or recipe it comes from."""
        if self.error is not None:
            return self.error
        worst = _worst_connection(self.connections)
        if worst is not None:
            status = connection_state.classify(worst)
            if status in ("failed", "lost"):
                return _capped(f"{worst.name}: {connection_state.problem_text(worst)}")
        if self.stopped_recipes:
            recipe = self.stopped_recipes[0]
            more = len(self.stopped_recipes) - 1
            also = f" (and {more} more)" if more else ""
            return _capped(f"Recipe {recipe.name!r} stopped after repeated trigger errors{also}")
        if worst is not None:
            return _capped(f"{worst.name}: never authorized")
        return None

    def with_connections(self, connections: Iterable[Connection]) -> CustomerHealth:
        """The same customer with newer connection records (e.g. from its opened panel).

        Args:
            connections: the customer's connection records as they are now.

        Returns:
            A new row (the read error, if any, cleared).
        """
        return CustomerHealth(
            customer=self.customer,
            connections=tuple(connections),
            stopped_recipes=self.stopped_recipes,
            error=None,
        )


def health_row(
    customer: Customer,
    connections: Sequence[Connection],
    recipes: Sequence[Recipe] | None = None,
) -> CustomerHealth:
    """A row from one customer's reads; `recipes` are its recipes stopped on errors (or any
    recipes: only those `stopped_on_errors` are kept), None when not read."""
    stopped = None if recipes is None else tuple(r for r in recipes if stopped_on_errors(r))
    return CustomerHealth(
        customer=customer, connections=tuple(connections), stopped_recipes=stopped
    )


def read_failed_row(customer: Customer, error: str) -> CustomerHealth:
    """The row of a customer whose read failed: its error, and no connections."""
    return CustomerHealth(customer=customer, error=_capped(error))


def stopped_on_errors(recipe: Recipe) -> bool:
    """A recipe Workato stopped after consecutive trigger errors (and that is still stopped)."""
    return recipe.stop_cause == STOPPED_ON_ERRORS and not recipe.running


def sort_key(row: CustomerHealth) -> tuple[int, str, str]:
    """Problems first (most urgent first), then by name and id."""
    return _RANK[row.state], row.name.casefold(), row.key


def row_for_page(row: CustomerHealth, *, recipes: bool) -> dict[str, Any]:
    """What the table shows of a row, and nothing else (never a token)."""
    counts = row.counts
    return {
        "id": row.key,
        "name": row.name,
        "external_id": row.external_id,
        "state": row.state,
        "connected": counts["connected"],
        "failed": counts["failed"],
        "lost": counts["lost"],
        "not_connected": counts["not_connected"],
        "stopped_recipes": None
        if not recipes or row.stopped_recipes is None
        else len(row.stopped_recipes),
        "problem": row.problem,
    }


class Summary:
    """Running counts over every row: customers by state, connections by state and by provider.

    Kept incrementally (a row replaced takes its old counts out), so a scan of 10,000 customers
    never recounts everything per row.
    """

    TOP_PROVIDERS = 8

    def __init__(self) -> None:
        self.customers: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.providers: dict[str, Counter[str]] = {}

    def add(self, row: CustomerHealth, sign: int = 1) -> None:
        self.customers[row.state] += sign
        for record in row.connections:
            state = connection_state.classify(record)
            self.connections[state] += sign
            by_state = self.providers.setdefault(record.provider or "unknown", Counter())
            by_state[state] += sign

    def replace(self, old: CustomerHealth | None, new: CustomerHealth) -> None:
        if old is not None:
            self.add(old, -1)
        self.add(new)

    def for_page(self) -> dict[str, Any]:
        """The counts the summary chart draws: every state, and the providers with most
        connections (the rest folded into "other")."""
        ranked = sorted(
            ((name, counts) for name, counts in self.providers.items() if sum(counts.values())),
            key=lambda item: (-sum(item[1].values()), item[0]),
        )
        shown = ranked[: self.TOP_PROVIDERS]
        rest: Counter[str] = Counter()
        for _, counts in ranked[self.TOP_PROVIDERS :]:
            rest.update(counts)
        providers = [
            {"provider": name, **{s: counts.get(s, 0) for s in CONNECTION_STATES}}
            for name, counts in shown
        ]
        if rest:
            providers.append(
                {"provider": "other", **{s: rest.get(s, 0) for s in CONNECTION_STATES}}
            )
        return {
            "customers": {state: self.customers.get(state, 0) for state in HEALTH_STATES},
            "connections": {state: self.connections.get(state, 0) for state in CONNECTION_STATES},
            "providers": providers,
        }


def _worst_connection(connections: Sequence[Connection]) -> Connection | None:
    ranked = [
        (_CONNECTION_RANK[status], record.name.casefold(), record.id, record)
        for record in connections
        if (status := connection_state.classify(record)) in _CONNECTION_RANK
    ]
    return min(ranked, key=lambda item: item[:3])[3] if ranked else None


def _capped(text: str) -> str:
    return clean_text(text, MAX_ERROR_TEXT)
