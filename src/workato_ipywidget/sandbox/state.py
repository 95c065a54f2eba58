"""The sandbox's workspaces: customers and their connections, with the stores of their folders
and recipes, indexed by customer so that no request scans every record. What guards access
(vendor keys, seen token ids, page grants, rate limits, refusals) is in `gate`.

Handlers run on the sandbox's event-loop thread while a notebook reads and changes the same state
from its own thread, so every access goes through one lock and readers get frozen snapshots.
"""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .folders import FolderStore
from .recipes import TRIGGER_ERRORS_LIMIT, RecipeRefused, RecipeStore, parse_recipe_id, recipe_steps
from .records import (
    StoredConnection,
    StoredCustomer,
    StoredJob,
    StoredRecipe,
    now,
    parse_connection_id,
    provider_title,
)

DEFAULT_CUSTOMER = "acme"
"""The customer every sandbox starts with, so a demo needs no setup: tokens for "acme" work."""

AUTHORIZATION_STATUSES = frozenset({"success", "failed", "exception"})
"""Workato's `authorization_status` values besides null (never authorized, or disconnected)."""

_CUSTOMER_ID = re.compile(r"[A-Za-z0-9._~-]+")
FIRST_CREATED_CUSTOMER = 100_001
"""Customers created through the API get integer ids from here (Workato's ids are integers)."""


def _customer_key(customer_id: object) -> str:
    """A sandbox customer id: an int, or a str that a path and a token's `sub` carry as is."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int | str):
        raise TypeError(f"a customer id is a str or an int, got {type(customer_id).__name__}")
    key = str(customer_id)
    if not _CUSTOMER_ID.fullmatch(key):
        raise ValueError(
            f"a customer id is letters, digits and '._~-' only (it appears as is in paths and "
            f"in a token's sub), got {key[:40]!r}; give your own id as external_id="
        )
    return key


def _user_id(customer: StoredCustomer) -> int:
    """The Workato user id of a customer's workspace: its id when numeric, else derived."""
    if customer.id.isdigit():
        return int(customer.id)
    return int.from_bytes(hashlib.sha256(customer.id.encode()).digest()[:4], "big")


_CUSTOMER_FIELDS = {
    "notification_email": str,
    "plan_id": str,
    "origin_url": str,
    "in_trial": bool,
}


def _check_customer_fields(name: object, external_id: object, fields: dict[str, Any]) -> None:
    """Refuse a customer property of the wrong type, naming it and what it takes."""
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"a customer's name is a non-empty str, got {name!r}")
    if external_id is not None and (not isinstance(external_id, str) or not external_id):
        raise ValueError(
            f"an external id is a non-empty str (the id in your own system), got {external_id!r}"
        )
    for key, value in fields.items():
        if key in ("name", "external_id"):
            continue
        kind = _CUSTOMER_FIELDS.get(key)
        if kind is None:
            raise ValueError(
                f"unknown customer field {key!r}; expected {', '.join(sorted(_CUSTOMER_FIELDS))}"
            )
        if value is not None and not isinstance(value, kind):
            raise ValueError(f"{key} must be a {kind.__name__} or null, got {value!r}")
        if key == "plan_id" and value is None:
            raise ValueError("plan_id cannot be cleared; give another plan id")


def _provider(provider: object) -> str:
    if not isinstance(provider, str) or not provider.strip():
        raise ValueError(
            f"a connection's provider is a non-empty string, e.g. 'salesforce'; got {provider!r}"
        )
    return provider


class SandboxState:
    """The customers, connections, folders and recipes the sandbox serves, guarded by one lock
    (re-entrant, shared with the folder and recipe stores)."""

    def __init__(self, trigger_errors_limit: int = TRIGGER_ERRORS_LIMIT) -> None:
        self._lock = threading.RLock()
        self._connections: dict[int, StoredConnection] = {}
        self._customer_connections: dict[str, dict[int, None]] = {}  # an ordered set per customer
        self._external_ids: dict[str, str] = {}  # a customer's external id -> its id
        self._next_connection = 1
        self._next_customer = FIRST_CREATED_CUSTOMER
        self.folders = FolderStore(self._lock)
        self.recipes = RecipeStore(self._lock, trigger_errors_limit)
        self.touched = 0
        """Customers and connections read to answer requests: a bound on work, for tests."""
        self._customers: dict[str, StoredCustomer] = {}
        self._customer_order: list[str] = []  # ids in the order added, for paging by slice
        self._inputs: dict[int, dict[str, Any]] = {}  # kept, never answered, as Workato does
        self._version = 0
        self.add_customer(DEFAULT_CUSTOMER, name="ACME", external_id=None)

    # customers

    def add_customer(
        self, customer_id: object, name: str | None, external_id: str | None, **fields: Any
    ) -> StoredCustomer:
        """Add a customer, or rename one with the same id (its connections stay).

        `fields` are the other managed-user properties (notification_email, plan_id,
        origin_url, in_trial).
        """
        key = _customer_key(customer_id)
        _check_customer_fields(name, external_id, fields)
        with self._lock:
            old = self._customers.get(key)
            if old is None:
                stamp = now()
                customer = StoredCustomer(key, key, None, self.folders.new_home(key), stamp, stamp)
            else:
                customer = old
            changes: dict[str, Any] = {"name": name or customer.name, **fields}
            return self._put_customer(customer, changes | {"external_id": external_id})

    def create_customer(self, **fields: Any) -> StoredCustomer:
        """A new customer with the next free integer id, as `POST /api/managed_users` makes."""
        with self._lock:
            while str(self._next_customer) in self._customers:
                self._next_customer += 1
            key = str(self._next_customer)
            return self.add_customer(
                key, fields.pop("name"), fields.pop("external_id", None), **fields
            )

    def update_customer(self, customer_id: str, **fields: Any) -> StoredCustomer:
        """Change only the given properties of a customer; None clears an optional one."""
        _check_customer_fields(fields.get("name"), fields.get("external_id"), fields)
        if "name" in fields and fields["name"] is None:
            raise ValueError("name cannot be cleared: a customer needs a name")
        with self._lock:
            return self._put_customer(self._customers[customer_id], fields)

    def _put_customer(self, customer: StoredCustomer, changes: dict[str, Any]) -> StoredCustomer:
        """Store `customer` with `changes`, keeping external ids unique; the lock is held."""
        external_id = changes.get("external_id", customer.external_id)
        owner = self._external_ids.get(external_id) if external_id else None
        if owner is not None and owner != customer.id:
            raise ValueError(
                f"customer {owner!r} already has the external id {external_id!r}; "
                "external ids name one customer each"
            )
        updated = replace(customer, **changes, updated_at=now())
        if customer.id not in self._customers:
            self._customer_order.append(customer.id)
        elif customer.external_id:
            self._external_ids.pop(customer.external_id, None)
        if updated.external_id:
            self._external_ids[updated.external_id] = updated.id
        self._customers[updated.id] = updated
        self._customer_connections.setdefault(updated.id, {})
        return updated

    def delete_customer(self, customer_id: str) -> StoredCustomer:
        """Forget a customer with its connections, folders and recipes."""
        with self._lock:
            customer = self._customers.pop(customer_id)
            self._customer_order.remove(customer_id)
            if customer.external_id:
                self._external_ids.pop(customer.external_id, None)
            for connection_id in self._customer_connections.pop(customer_id, {}):
                self._connections.pop(connection_id, None)
                self._inputs.pop(connection_id, None)
            self.folders.drop_customer(customer.folder_id)
            self.recipes.drop_customer(customer_id)
            return customer

    def customer(self, reference: str) -> StoredCustomer | None:
        """The customer a path or a token's `sub` names: its id, or "E" + its URL-encoded
        external id (an id wins when both could match). `reference` is as sent (encoded)."""
        decoded = urllib.parse.unquote(reference)
        with self._lock:
            self.touched += 1
            found = self._customers.get(reference) or self._customers.get(decoded)
            if found is None and decoded.startswith("E") and len(decoded) > 1:
                owner = self._external_ids.get(decoded[1:])
                found = None if owner is None else self._customers.get(owner)
            return found

    def customers(self, window: slice | None = None) -> tuple[StoredCustomer, ...]:
        """Every customer in the order added, or the `window` of them a page asks for."""
        with self._lock:
            if window is None:
                return tuple(self._customers.values())
            found = tuple(self._customers[key] for key in self._customer_order[window])
            self.touched += len(found)
            return found

    # connections

    def add_connection(
        self, connection_id: int | str, provider: str, **fields: Any
    ) -> StoredConnection:
        """Add or replace a connection (so re-running a notebook cell is harmless)."""
        connection_id = parse_connection_id(connection_id)
        provider = _provider(provider)
        connected = bool(fields.pop("connected", False))
        customer_id = fields.pop("customer_id", DEFAULT_CUSTOMER)
        with self._lock:
            connection = self._new(connection_id, customer_id, provider, fields, connected)
            self._forget_connection(connection_id)
            self._store_connection(connection)
            return connection

    def create_connection(
        self, customer_id: str, provider: object, **fields: Any
    ) -> StoredConnection:
        """A new shell connection (never authorized) with the next free id, as the API creates."""
        provider = _provider(provider)
        user_input = fields.pop("input", None)
        if user_input is not None and not isinstance(user_input, dict):
            raise ValueError("input must be an object of the connection's settings")
        with self._lock:
            connection = self._new(
                self._next_connection, customer_id, provider, fields, connected=False
            )
            self._store_connection(connection)
            if user_input is not None:
                self._inputs[connection.id] = dict(user_input)
            return connection

    def _store_connection(self, connection: StoredConnection) -> None:
        """Keep a new connection, indexed by its customer; the lock is held."""
        self._connections[connection.id] = connection
        self._customer_connections.setdefault(connection.customer_id, {})[connection.id] = None
        self._next_connection = max(self._next_connection, connection.id + 1)

    def _forget_connection(self, connection_id: int) -> StoredConnection | None:
        """Drop a connection and its index entry; the lock is held."""
        self._inputs.pop(connection_id, None)
        old = self._connections.pop(connection_id, None)
        if old is not None:
            self._customer_connections.get(old.customer_id, {}).pop(connection_id, None)
        return old

    def update_connection(self, connection_id: int, **fields: Any) -> StoredConnection:
        """Change the given fields of a connection (name, folder, parent, external id, input)."""
        user_input = fields.pop("input", None)
        if user_input is not None and not isinstance(user_input, dict):
            raise ValueError("input must be an object of the connection's settings")
        with self._lock:
            connection = self._stamped(self._checked(self._connections[connection_id], fields))
            self._connections[connection_id] = connection
            if user_input is not None:
                self._inputs.setdefault(connection_id, {}).update(user_input)
            return connection

    def delete_connection(self, connection_id: int) -> StoredConnection:
        with self._lock:
            found = self._forget_connection(connection_id)
            if found is None:
                raise KeyError(connection_id)
            return found

    def connection(self, connection_id: int) -> StoredConnection | None:
        with self._lock:
            self.touched += 1
            return self._connections.get(connection_id)

    def connections(self, customer_id: str | None = None) -> tuple[StoredConnection, ...]:
        """Every connection (of one customer, when given: read from its index), by id."""
        with self._lock:
            if customer_id is None:
                return tuple(self._connections[key] for key in sorted(self._connections))
            ids = self._customer_connections.get(customer_id, {})
            self.touched += len(ids)
            return tuple(self._connections[key] for key in sorted(ids))

    @property
    def rows_touched(self) -> int:
        """Every record read to answer requests so far (customers, connections, folders,
        recipes, jobs): what a test counts to bound the work of one request."""
        with self._lock:
            return self.touched + self.folders.touched + self.recipes.touched

    def authorize(self, connection_id: int) -> StoredConnection:
        """The page's Authorize: connected now, any earlier failure or loss forgotten."""
        return self._change(
            connection_id,
            authorization_status="success",
            authorization_error=None,
            authorized_at=now(),
            connection_lost_at=None,
            connection_lost_reason=None,
        )

    def fail(self, connection_id: int, error: str, status: str = "failed") -> StoredConnection:
        """A failed authorization: `failed` (or `exception`) with Workato's error text."""
        if status not in ("failed", "exception"):
            raise ValueError(f"a failed authorization is 'failed' or 'exception', not {status!r}")
        return self._change(
            connection_id,
            authorization_status=status,
            authorization_error=error,
            authorized_at=None,
        )

    def disconnect(self, connection_id: int) -> StoredConnection:
        """Disconnected: not authorized any more (Workato's status null), nothing lost."""
        return self._change(
            connection_id,
            authorization_status=None,
            authorization_error=None,
            authorized_at=None,
            connection_lost_at=None,
            connection_lost_reason=None,
        )

    def lose(self, connection_id: int, reason: str) -> StoredConnection:
        """Workato lost the connection (e.g. a revoked grant): reported disconnected until a new
        authorization."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(
                "a lost connection needs a reason, e.g. 'the refresh token was revoked'"
            )
        return self._change(connection_id, connection_lost_at=now(), connection_lost_reason=reason)

    def _change(self, connection_id: int, **changes: Any) -> StoredConnection:
        with self._lock:
            updated = self._stamped(replace(self._connections[connection_id], **changes))
            self._connections[connection_id] = updated
            return updated

    def _stamped(self, connection: StoredConnection, *, touch: bool = True) -> StoredConnection:
        """The connection with the next version (and `updated_at` now); the lock is held."""
        self._version += 1
        if touch:
            return replace(connection, version=self._version, updated_at=now())
        return replace(connection, version=self._version)

    def _new(
        self,
        connection_id: int,
        customer_id: object,
        provider: str,
        fields: dict[str, Any],
        connected: bool,
    ) -> StoredConnection:
        """A connection of the customer with `fields` applied, in its root folder unless told;
        the lock is held."""
        customer = self._customer_of(customer_id)
        stamp = now()
        base = StoredConnection(
            id=connection_id,
            customer_id=customer.id,
            provider=provider,
            name=f"My {provider_title(provider)} account",
            folder_id=customer.folder_id,
            created_at=stamp,
            updated_at=stamp,
            authorization_status="success" if connected else None,
            authorized_at=stamp if connected else None,
        )
        return self._stamped(self._checked(base, fields), touch=False)

    def _customer_of(self, customer_id: object) -> StoredCustomer:
        """The customer with exactly this id; the lock is held."""
        key = _customer_key(customer_id)
        customer = self._customers.get(key)
        if customer is None:
            raise ValueError(
                f"the sandbox has no customer {key!r}; add it first with "
                f"Sandbox.add_customer({key!r}) (every sandbox starts with {DEFAULT_CUSTOMER!r})"
            )
        return customer

    def _checked(self, connection: StoredConnection, fields: dict[str, Any]) -> StoredConnection:
        """`connection` with `fields` applied, each checked as Workato would; the lock is held."""
        changes: dict[str, Any] = {}
        for key, value in fields.items():
            if key in ("name", "description", "external_id"):
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    raise ValueError(f"{key} must be a non-empty string or null, got {value!r}")
                if key == "name" and value is None:
                    continue
            elif key in ("folder_id", "parent_id"):
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 10**18
                ):
                    raise ValueError(
                        f"{key} must be an integer id of at most 18 digits, got {str(value)[:40]}"
                    )
                if key == "folder_id" and value is None:
                    continue
                if key == "parent_id" and value is not None:
                    self._check_parent(connection, value)
            elif key == "tags":
                if isinstance(value, str) or not all(isinstance(t, str) and t for t in value):
                    raise ValueError(f"tags must be a list of non-empty strings, got {value!r}")
                value = tuple(value)
            elif key == "runtime":
                value = bool(value)
            else:
                raise ValueError(f"unknown connection field {key!r}")
            changes[key] = value
        return replace(connection, **changes)

    def _check_parent(self, connection: StoredConnection, parent_id: int) -> None:
        parent = self._connections.get(parent_id)
        if parent is None or parent.customer_id != connection.customer_id:
            raise ValueError(
                f"parent_id {parent_id} is not a connection of customer {connection.customer_id!r}"
            )
        if parent.provider != connection.provider:
            raise ValueError(
                f"parent_id {parent_id} is a {parent.provider} connection; a parent connection "
                f"must have the same provider ({connection.provider})"
            )
        if parent_id == connection.id:
            raise ValueError("a connection cannot be its own parent")

    # recipes and folders: the stores keep them, this checks them against customers and
    # connections

    def add_recipe(
        self,
        recipe_id: object,
        name: object,
        *,
        customer_id: object,
        connections: Iterable[int | str],
        running: bool,
        folder_id: int | None,
        trigger: str | None,
    ) -> StoredRecipe:
        """Add (or replace) a recipe of the customer using its `connections`, in `folder_id`
        (a folder of the customer; its home folder when None)."""
        key = parse_recipe_id(recipe_id)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a recipe's name is a non-empty string, got {name!r}")
        if isinstance(connections, str | int):
            connections = [connections]
        with self._lock:
            customer = self._customer_of(customer_id)
            used = [self._connection_of(customer, c) for c in connections]
            folder = customer.folder_id if folder_id is None else folder_id
            found = self.folders.get(folder)
            if found is None or found.customer_id != customer.id:
                raise ValueError(
                    f"folder_id {folder_id} is not a folder of customer {customer.id!r}; add it "
                    "first with Sandbox.add_folder, or leave it out for the home folder"
                )
            stamp = now()
            recipe = StoredRecipe(
                id=key,
                customer_id=customer.id,
                user_id=_user_id(customer),
                name=name,
                folder_id=folder,
                steps=recipe_steps(used, trigger),
                created_at=stamp,
                updated_at=stamp,
            )
            self.recipes.add(recipe)
            if running:
                try:
                    return self.recipes.start(key, self._connections.get)
                except RecipeRefused:
                    self.recipes.drop(key)
                    raise
            return recipe

    def _connection_of(
        self, customer: StoredCustomer, connection_id: int | str
    ) -> StoredConnection:
        found = self._connections.get(parse_connection_id(connection_id))
        if found is None or found.customer_id != customer.id:
            raise ValueError(
                f"customer {customer.id!r} has no connection {connection_id!r}; a recipe uses "
                "its own customer's connections (Sandbox.add_connection(..., customer_id=...))"
            )
        return found

    def start_recipe(self, recipe_id: int) -> StoredRecipe:
        """Start a recipe; `RecipeRefused` when a connection it uses is broken."""
        return self.recipes.start(recipe_id, self._lookup)

    def run_jobs(self, recipe_id: int, count: int) -> tuple[StoredJob, ...]:
        """Run a running recipe's trigger `count` times."""
        return self.recipes.run(recipe_id, count, self._lookup)

    def _lookup(self, connection_id: int) -> StoredConnection | None:
        with self._lock:
            return self._connections.get(connection_id)
