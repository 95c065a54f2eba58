"""Fill a sandbox with many customers in realistic states, reproducibly from a seed: most
connections connected, a `broken` share lost, failed or never authorized, and the recipes that use
a broken connection stopped on trigger errors after their jobs failed, as Workato stops them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .records import StoredCustomer, provider_title
from .state import SandboxState

PROVIDERS = (
    "salesforce", "hubspot", "jira", "slack", "zendesk", "netsuite", "google_sheets", "box",
    "shopify", "quickbooks",
)  # fmt: skip
_NAMES = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
    "Hooli", "Soylent", "Vandelay", "Pied Piper", "Oscorp", "Massive Dynamic", "Aperture",
)  # fmt: skip
_KINDS = ("Labs", "Inc", "Group", "Systems", "Retail", "Health", "Logistics", "Media")
_LOSS_REASONS = (
    "the refresh token was revoked",
    "the user's password was changed",
    "the OAuth grant expired",
)
_FAILURES = ("invalid credentials", "the account is locked", "insufficient permissions")
_JOBS_WHEN_HEALTHY = 2


@dataclass(frozen=True)
class Spread:
    """How many of something each customer gets: a whole number from `low` to `high`."""

    low: int
    high: int

    @classmethod
    def of(cls, name: str, value: object) -> Spread:
        if (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 0 <= value[0] <= value[1] <= 1000
        ):
            return cls(value[0], value[1])
        raise ValueError(
            f"{name} is a (low, high) pair of whole numbers with 0 <= low <= high <= 1000, "
            f"got {value!r}"
        )


def fill(
    state: SandboxState,
    customers: int,
    *,
    connections: Spread,
    recipes: Spread,
    broken: float,
    seed: int,
) -> tuple[StoredCustomer, ...]:
    """Add `customers` customers with their connections and recipes; returns the customers."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    added = []
    number = 0
    for _ in range(customers):
        number += 1
        while state.customer(f"customer-{number}") is not None:
            number += 1
        key = f"customer-{number}"
        name = f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} {number}"
        customer = state.add_customer(key, name, f"EXT-{seed}-{number}")
        _fill(state, rng, customer, connections, recipes, broken)
        added.append(customer)
    return tuple(added)


def _fill(
    state: SandboxState,
    rng: random.Random,
    customer: StoredCustomer,
    connections: Spread,
    recipes: Spread,
    broken: float,
) -> None:
    providers: dict[int, str] = {}
    for _ in range(rng.randint(connections.low, connections.high)):
        created = state.create_connection(customer.id, rng.choice(PROVIDERS))
        providers[created.id] = created.provider
    made = list(providers)
    fate = {c: _fate(rng, broken) for c in made}
    for connection_id in made:
        if fate[connection_id] != "never_authorized":
            state.authorize(connection_id)
    count = rng.randint(recipes.low, recipes.high) if made else 0
    if count:
        project = state.folders.add(None, "Integrations", customer.id, customer.folder_id)
    for _ in range(count):
        used = rng.sample(made, k=min(len(made), rng.choice((1, 1, 2))))
        recipe_id = state.recipes.free_id()
        runs = all(fate[c] != "never_authorized" for c in used) and rng.random() < 0.9
        state.add_recipe(
            recipe_id,
            f"Sync {provider_title(providers[used[0]])} records",
            customer_id=customer.id,
            connections=used,
            running=runs,
            folder_id=project.id,
            trigger=None,
        )
        if runs:
            state.run_jobs(recipe_id, _JOBS_WHEN_HEALTHY)
    for connection_id, what in fate.items():
        if what == "lost":
            state.lose(connection_id, rng.choice(_LOSS_REASONS))
        elif what == "failed":
            state.fail(connection_id, rng.choice(_FAILURES))
    for recipe in state.recipes.of_customer(customer.id):
        if recipe.running and any(fate[c] in ("lost", "failed") for c in recipe.connection_ids):
            state.run_jobs(recipe.id, state.recipes.errors_limit)


def _fate(rng: random.Random, broken: float) -> str:
    """What happens to one connection: mostly connected; a `broken` share lost (half), failed
    or never authorized (a quarter each)."""
    if rng.random() >= broken:
        return "connected"
    return rng.choice(("lost", "lost", "failed", "never_authorized"))
