"""The sandbox's memory: vendor keys, connections, seen token ids, page grants and refusals.

Handlers run on the sandbox's event-loop thread while a notebook reads and changes the same state
from its own thread, so every access goes through one lock and readers get frozen snapshots.
"""

from __future__ import annotations

import heapq
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

PAGE_GRANT_SECONDS = 30 * 60
"""How long a rendered connection page may change its connection's state."""

MAX_REFUSALS = 200
MIN_KEY_BITS = 2048


@dataclass(frozen=True)
class Connection:
    """One connection as the sandbox knows it: a snapshot, never updated in place."""

    id: int
    provider: str
    name: str
    connected: bool = False
    error: str | None = None
    """The last failed authorization's text; cleared by a success or a disconnect."""

    @property
    def authorization_status(self) -> str:
        """As Workato's API reports it: "success" when connected, otherwise "pending"."""
        return "success" if self.connected else "pending"


@dataclass(frozen=True)
class Refusal:
    """A request the sandbox refused (or served silently), kept for tests and debugging."""

    at: datetime
    code: str
    message: str
    path: str


def parse_connection_id(value: int | str) -> int:
    """A connection id as Workato writes it: a positive integer, or its decimal digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a connection id is a positive int, got {type(value).__name__}")
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"a connection id is a positive integer, got {value[:40]!r}")
        value = int(value)
    if value <= 0:
        raise ValueError(f"a connection id is a positive integer, got {value}")
    return value


def provider_title(provider: str) -> str:
    """A provider id as people read it: "google_sheets" -> "Google Sheets"."""
    return " ".join(word.capitalize() for word in provider.replace("_", " ").split())


class SandboxState:
    """Everything the sandbox remembers, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vendor_keys: dict[str, RSAPublicKey] = {}
        self._connections: dict[int, Connection] = {}
        self._seen_jti: set[str] = set()
        self._jti_expiry: list[tuple[float, str]] = []  # a heap: when each seen token expires
        self._grants: dict[str, tuple[int, float]] = {}
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)

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

    # connections

    def add_connection(
        self, connection_id: int | str, provider: str, name: str | None, connected: bool
    ) -> Connection:
        """Add or replace a connection (so re-running a notebook cell is harmless)."""
        if not isinstance(provider, str) or not provider.strip():
            raise ValueError("a connection's provider is a non-empty string, e.g. 'salesforce'")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"a connection's name is a str, got {type(name).__name__}")
        connection = Connection(
            id=parse_connection_id(connection_id),
            provider=provider,
            name=name or f"My {provider_title(provider)} account",
            connected=bool(connected),
        )
        with self._lock:
            self._connections[connection.id] = connection
        return connection

    def connection(self, connection_id: int) -> Connection | None:
        with self._lock:
            return self._connections.get(connection_id)

    def connections(self) -> tuple[Connection, ...]:
        with self._lock:
            return tuple(self._connections[key] for key in sorted(self._connections))

    def set_connected(self, connection_id: int, connected: bool, error: str | None) -> Connection:
        with self._lock:
            updated = replace(self._connections[connection_id], connected=connected, error=error)
            self._connections[connection_id] = updated
            return updated

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
            for key in [k for k, (_, until) in self._grants.items() if until <= now]:
                del self._grants[key]
            self._grants[secret] = (connection_id, now + PAGE_GRANT_SECONDS)
        return secret

    def check_grant(self, secret: str, connection_id: int) -> bool:
        now = time.monotonic()
        with self._lock:
            grants = list(self._grants.items())
        # compare every stored secret in constant time rather than a dict lookup on attacker input
        for stored, (granted_id, until) in grants:
            if hmac.compare_digest(stored.encode(), secret.encode()):
                return granted_id == connection_id and now < until
        return False

    # refusals

    def refuse(self, code: str, message: str, path: str) -> Refusal:
        refusal = Refusal(datetime.now(timezone.utc), code, message, path)
        with self._lock:
            self._refusals.append(refusal)
        return refusal

    def refusals(self) -> tuple[Refusal, ...]:
        with self._lock:
            return tuple(self._refusals)
