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
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .records import (
    Refusal,
    StoredConnection,
    StoredCustomer,
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
_FIRST_FOLDER = 1001


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


def _provider(provider: object) -> str:
    if not isinstance(provider, str) or not provider.strip():
        raise ValueError(
            f"a connection's provider is a non-empty string, e.g. 'salesforce'; got {provider!r}"
        )
    return provider


class SandboxState:
    """Everything the sandbox remembers, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vendor_keys: dict[str, RSAPublicKey] = {}
        self._connections: dict[int, StoredConnection] = {}
        self._seen_jti: set[str] = set()
        self._jti_expiry: list[tuple[float, str]] = []  # a heap: when each seen token expires
        self._grants: dict[bytes, tuple[int, float]] = {}  # by the SHA-256 of the secret
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self._customers: dict[str, StoredCustomer] = {}
        self._inputs: dict[int, dict[str, Any]] = {}  # kept, never answered, as Workato does
        self._version = 0
        self._next_folder = _FIRST_FOLDER
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
        self, customer_id: object, name: str | None, external_id: str | None
    ) -> StoredCustomer:
        """Add a customer, or rename one with the same id (its connections stay)."""
        key = _customer_key(customer_id)
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"a customer's name is a non-empty str, got {name!r}")
        if external_id is not None and (not isinstance(external_id, str) or not external_id):
            raise ValueError(
                "an external id is a non-empty str (the id in your own system), got "
                f"{external_id!r}"
            )
        with self._lock:
            clash = next(
                (
                    c
                    for c in self._customers.values()
                    if external_id and c.external_id == external_id
                ),
                None,
            )
            if clash is not None and clash.id != key:
                raise ValueError(
                    f"customer {clash.id!r} already has the external id {external_id!r}; "
                    "external ids name one customer each"
                )
            stamp = now()
            old = self._customers.get(key)
            if old is None:
                customer = StoredCustomer(
                    key, name or key, external_id, self._next_folder, stamp, stamp
                )
                self._next_folder += 1
            else:
                customer = replace(
                    old, name=name or old.name, external_id=external_id, updated_at=stamp
                )
            self._customers[key] = customer
            return customer

    def customer(self, reference: str) -> StoredCustomer | None:
        """The customer a path or a token's `sub` names: its id, or "E" + its URL-encoded
        external id (an id wins when both could match). `reference` is as sent (encoded)."""
        decoded = urllib.parse.unquote(reference)
        with self._lock:
            found = self._customers.get(reference) or self._customers.get(decoded)
            if found is None and decoded.startswith("E") and len(decoded) > 1:
                wanted = decoded[1:]
                found = next((c for c in self._customers.values() if c.external_id == wanted), None)
            return found

    def customers(self) -> tuple[StoredCustomer, ...]:
        with self._lock:
            return tuple(self._customers.values())

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
            self._connections[connection.id] = connection
            self._inputs.pop(connection.id, None)
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
            next_id = max(self._connections, default=0) + 1
            connection = self._new(next_id, customer_id, provider, fields, connected=False)
            self._connections[connection.id] = connection
            if user_input is not None:
                self._inputs[connection.id] = dict(user_input)
            return connection

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
            self._inputs.pop(connection_id, None)
            return self._connections.pop(connection_id)

    def connection(self, connection_id: int) -> StoredConnection | None:
        with self._lock:
            return self._connections.get(connection_id)

    def connections(self, customer_id: str | None = None) -> tuple[StoredConnection, ...]:
        """Every connection (of one customer, when given), by id."""
        with self._lock:
            found = (self._connections[key] for key in sorted(self._connections))
            return tuple(c for c in found if customer_id is None or c.customer_id == customer_id)

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
