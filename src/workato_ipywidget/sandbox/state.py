"""The sandbox's memory: vendor keys, customers and their connections, seen token ids, page
grants, rate-limit counts, the page host and refusals.

Handlers run on the sandbox's event-loop thread while a notebook reads and changes the same state
from its own thread, so every access goes through one lock and readers get frozen snapshots.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .folders import FolderStore
from .recipes import TRIGGER_ERRORS_LIMIT, RecipeRefused, RecipeStore, parse_recipe_id, recipe_steps
from .records import (
    Refusal,
    StoredConnection,
    StoredCustomer,
    StoredJob,
    StoredRecipe,
    now,
    parse_connection_id,
    provider_title,
)

PAGE_GRANT_SECONDS = 30 * 60
"""How long a rendered connection page may change its connection's state."""

MAX_REFUSALS = 200
MIN_KEY_BITS = 2048


DEFAULT_CUSTOMER = "acme"
"""The customer every sandbox starts with, so a demo needs no setup: tokens for "acme" work."""

AUTHORIZATION_STATUSES = frozenset({"success", "failed", "exception"})
"""Workato's `authorization_status` values besides null (never authorized, or disconnected)."""

_CUSTOMER_ID = re.compile(r"[A-Za-z0-9._~-]+")
FIRST_CREATED_CUSTOMER = 100_001
"""Customers created through the API get integer ids from here (Workato's ids are integers)."""


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


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
    """Everything the sandbox remembers, guarded by one lock."""

    def __init__(self, trigger_errors_limit: int = TRIGGER_ERRORS_LIMIT) -> None:
        self._lock = threading.RLock()
        self._vendor_keys: dict[str, RSAPublicKey] = {}
        self._connections: dict[int, StoredConnection] = {}
        self._customer_connections: dict[str, dict[int, None]] = {}  # an ordered set per customer
        self._external_ids: dict[str, str] = {}  # a customer's external id -> its id
        self._next_connection = 1
        self._next_customer = FIRST_CREATED_CUSTOMER
        self.folders = FolderStore(self._lock)
        self.recipes = RecipeStore(self._lock, trigger_errors_limit)
        self.touched = 0
        """Customers and connections read to answer requests: a bound on work, for tests."""
        self._seen_jti: set[str] = set()
        self._jti_expiry: list[tuple[float, str]] = []  # a heap: when each seen token expires
        self._grants: dict[bytes, tuple[int, float]] = {}  # by the SHA-256 of the secret
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self._customers: dict[str, StoredCustomer] = {}
        self._customer_order: list[str] = []  # ids in the order added, for paging by slice
        self._inputs: dict[int, dict[str, Any]] = {}  # kept, never answered, as Workato does
        self._version = 0
        self._requests: dict[str, deque[float]] = {}
        self._page_host: str | None = None
        self.add_customer(DEFAULT_CUSTOMER, name="ACME", external_id=None)

    # vendors

    def register_public_key(self, vendor_id: str, pem: str | bytes) -> None:
        """Accept tokens of `vendor_id` signed by the private half of this RSA public key."""
        if not isinstance(vendor_id, str) or not vendor_id or ":" in vendor_id:
            raise ValueError(
                "a vendor id is a non-empty string without ':' (the token's sub is "
                "'vendor:customer[:user]')"
            )
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = load_pem_public_key(data)
        except ValueError:
            raise ValueError(
                f"the key for vendor {vendor_id!r} is not a PEM public key; expected a "
                "'-----BEGIN PUBLIC KEY-----' block, e.g. from TokenSigner.public_key_pem() or "
                "`openssl rsa -in key.pem -pubout`"
            ) from None
        if not isinstance(key, RSAPublicKey):
            raise ValueError(
                f"the key for vendor {vendor_id!r} is not an RSA key; Workato verifies RS256 "
                "tokens, which need an RSA key of at least 2048 bits"
            )
        if key.key_size < MIN_KEY_BITS:
            raise ValueError(
                f"the key for vendor {vendor_id!r} is {key.key_size}-bit RSA; Workato verifies "
                "RS256 tokens with keys of at least 2048 bits. Generate one with: "
                "openssl genrsa -out key.pem 2048"
            )
        with self._lock:
            self._vendor_keys[vendor_id] = key

    def vendor_key(self, vendor_id: str) -> RSAPublicKey | None:
        with self._lock:
            return self._vendor_keys.get(vendor_id)

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
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ValueError(f"{key} must be an integer id, got {value!r}")
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

    # rate limits

    def take(self, family: str, limit: int, window: float) -> float | None:
        """Count one request in the endpoint `family`; when over `limit` per `window` seconds,
        count nothing and return the seconds until a request is allowed again.

        Workato counts per Embed admin workspace, shared by every API token, and so does this.
        """
        moment = time.monotonic()
        with self._lock:
            seen = self._requests.setdefault(family, deque())
            while seen and seen[0] <= moment - window:
                seen.popleft()
            if len(seen) >= limit:
                return max(0.0, seen[0] + window - moment)
            seen.append(moment)
            return None

    # the host pages are served from

    @property
    def page_host(self) -> str | None:
        """The host name pages redirect to when asked for under another one, or None."""
        with self._lock:
            return self._page_host

    @page_host.setter
    def page_host(self, host: str | None) -> None:
        with self._lock:
            self._page_host = host

    # tokens

    def consume_jti(self, jti: str, valid_until: float) -> bool:
        """Remember a verified token's id; False when it was seen before (a replay).

        Ids of tokens past `valid_until` are forgotten: those tokens are refused as expired
        anyway, so the replay record stays as small as the set of live tokens.
        """
        with self._lock:
            now = time.time()
            while self._jti_expiry and self._jti_expiry[0][0] < now:
                self._seen_jti.discard(heapq.heappop(self._jti_expiry)[1])
            if jti in self._seen_jti:
                return False
            self._seen_jti.add(jti)
            heapq.heappush(self._jti_expiry, (valid_until, jti))
            return True

    def seen_jti(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._seen_jti)

    # page grants: what lets a rendered page, and only it, change its connection

    def grant_page(self, connection_id: int) -> str:
        """A fresh secret for one page load of one connection, valid for PAGE_GRANT_SECONDS."""
        secret = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            # Every grant lives as long, so insertion order is expiry order: drop from the front.
            while self._grants:
                oldest = next(iter(self._grants))
                if self._grants[oldest][1] > now:
                    break
                del self._grants[oldest]
            self._grants[_digest(secret)] = (connection_id, now + PAGE_GRANT_SECONDS)
        return secret

    def check_grant(self, secret: str, connection_id: int) -> bool:
        """Whether `secret` is a live grant for `connection_id`.

        Grants are kept by the SHA-256 of their secret, so the lookup on attacker input compares
        digests, which tell nothing about any stored secret, and costs the same however many
        pages are open.
        """
        now = time.monotonic()
        with self._lock:
            grant = self._grants.get(_digest(secret))
        return grant is not None and grant[0] == connection_id and now < grant[1]

    # refusals

    def refuse(self, code: str, message: str, path: str) -> Refusal:
        refusal = Refusal(datetime.now(timezone.utc), code, message, path)
        with self._lock:
            self._refusals.append(refusal)
        return refusal

    def refusals(self) -> tuple[Refusal, ...]:
        with self._lock:
            return tuple(self._refusals)
