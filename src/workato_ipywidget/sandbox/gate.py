"""What guards access to the sandbox: vendor keys, the ids of tokens seen (replays), page grants
(what lets a rendered page, and only it, change its connection), rate-limit counts, the host
pages are served from, and the refusals kept for tests and debugging.

Handlers run on the sandbox's event-loop thread while a notebook reads and changes the same
records from its own thread, so every access goes through one lock.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .records import Refusal

PAGE_GRANT_SECONDS = 30 * 60
"""How long a rendered connection page may change its connection's state."""

MAX_REFUSALS = 200
MIN_KEY_BITS = 2048


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Gate:
    """The sandbox's access records, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vendor_keys: dict[str, RSAPublicKey] = {}
        self._seen_jti: set[str] = set()
        self._jti_expiry: list[tuple[float, str]] = []  # a heap: when each seen token expires
        self._grants: dict[bytes, tuple[int, float]] = {}  # by the SHA-256 of the secret
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self._requests: dict[str, deque[float]] = {}
        self._page_host: str | None = None

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
