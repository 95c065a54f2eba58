"""Verifies a direct-link token the way a strict Workato would, or says precisely why not.

Messages never contain the token or key material: they name the rule that failed and what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..endpoints import normalize_origin as canonical_origin
from .gate import Gate
from .records import StoredCustomer
from .state import SandboxState

LEEWAY_SECONDS = 30
"""Clock skew tolerated for `exp` and `iat`."""

MAX_AGE_WITHOUT_EXP = 60 * 60
"""A token without `exp` is refused once its `iat` is older than this."""

MAX_TIMESTAMP = 253_402_300_799
"""The last second of the year 9999: a time claim beyond it (or an infinite one) is refused
before any arithmetic, so that no claim can overflow a float or a datetime."""
_TIME_CLAIMS = ("exp", "iat", "nbf")


class Refused(Exception):
    """The sandbox refuses the request: `code` is Workato-style, `message` tells what to do."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class VerifiedToken:
    """The claims of a token whose signature, lifetime and uniqueness have been checked."""

    vendor_id: str
    customer: StoredCustomer
    """The customer the `sub` names, by its id or "E" + its URL-encoded external id."""
    user_id: str | None
    jti: str
    origin: str | None


def origin_or_none(value: object) -> str | None:
    """The origin in the canonical form browsers report, or None if `value` is not one."""
    try:
        return canonical_origin(value)
    except (TypeError, ValueError):
        return None


def unverified_origin(token: str | None) -> str | None:
    """The `origin` a token claims, unverified: only for addressing an error message."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, RecursionError, OverflowError):
        return None
    return origin_or_none(claims.get("origin"))


def _split_sub(sub: object) -> tuple[str, str, str | None]:
    parts = sub.split(":") if isinstance(sub, str) else []
    if len(parts) not in (2, 3) or not all(parts):
        raise Refused(
            "invalid_token",
            "the token's sub must be 'vendor_id:customer_id' or "
            "'vendor_id:customer_id:customer_user_id' with no empty segment; write an external id "
            "as 'E' + its URL-encoded value so that it contains no ':'",
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def verify_token(token: str | None, gate: Gate, state: SandboxState) -> VerifiedToken:
    """Check everything Workato checks, in order; record the `jti` only once all else passed."""
    if not token:
        raise Refused(
            "missing_token",
            "the URL has no workato_dl_token; sign one per page load (TokenSigner.sign) and pass "
            "it as ?workato_dl_token=...",
        )
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, RecursionError, OverflowError):
        raise Refused(
            "invalid_token",
            "the token is not a well-formed JWT; expected three base64url parts "
            "header.payload.signature with JSON header and payload",
        ) from None
    _check_time_claims(unverified)
    if header.get("alg") != "RS256":
        raise Refused(
            "invalid_token",
            f"the token is signed with alg {_short(header.get('alg'))}; Workato accepts RS256 "
            "only. Sign with the vendor's RSA private key and algorithm RS256",
        )
    vendor_id, customer_id, user_id = _split_sub(unverified.get("sub"))
    key = gate.vendor_key(vendor_id)
    if key is None:
        raise Refused(
            "unknown_vendor",
            f"no public key is registered for vendor {_short(vendor_id)}; sign with the "
            "sandbox's own `signer`, or register your key with "
            "Sandbox.register_public_key(vendor_id, pem)",
        )
    claims = _decode_verified(token, key, vendor_id)
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise Refused("invalid_token", "the token's iat must be a number: seconds since the epoch")
    if "exp" not in claims and iat < time.time() - MAX_AGE_WITHOUT_EXP:
        raise Refused(
            "expired_token",
            f"the token has no exp and was issued more than {MAX_AGE_WITHOUT_EXP} seconds ago; "
            "sign a fresh token for every page load",
        )
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise Refused("invalid_token", "the token's jti must be a non-empty string, e.g. a nanoid")
    origin: str | None = None
    if "origin" in claims:
        origin = origin_or_none(claims["origin"])
        if origin is None:
            raise Refused(
                "invalid_token",
                "the token's origin claim must be the embedding page's origin, "
                "'scheme://host[:port]' with no path (what `window.location.origin` gives)",
            )
    customer = state.customer(customer_id)
    if customer is None:
        raise Refused(
            "unknown_customer",
            f"the token's sub names customer {_short(customer_id)}, which this vendor does not "
            "have; use a customer's id or 'E' + its URL-encoded external id (add one with "
            "Sandbox.add_customer)",
        )
    exp = claims.get("exp")  # PyJWT has checked it is a number when present
    valid_until = (float(exp) if exp is not None else iat + MAX_AGE_WITHOUT_EXP) + LEEWAY_SECONDS
    if not gate.consume_jti(jti, valid_until):
        raise Refused(
            "replayed_token",
            "this token was already used (its jti was seen before); Workato refuses a reused "
            "token, so sign a fresh one for every page load",
        )
    return VerifiedToken(vendor_id, customer, user_id, jti, origin)


def _check_time_claims(claims: dict[str, Any]) -> None:
    """Refuse a time claim that is no finite number of seconds before the year 10000."""
    for name in _TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        finite = isinstance(value, int | float) and not isinstance(value, bool)
        if not finite or not -MAX_TIMESTAMP <= value <= MAX_TIMESTAMP:
            raise Refused(
                "invalid_token",
                f"the token's {name} must be a time in seconds since the epoch, at most "
                f"{MAX_TIMESTAMP} (the year 9999); sign with a lifetime of minutes",
            )


def _decode_verified(token: str, key: RSAPublicKey, vendor_id: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            options={"require": ["sub", "jti", "iat"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise Refused(
            "expired_token", "the token has expired; sign a fresh token for every page load"
        ) from None
    except jwt.ImmatureSignatureError:
        raise Refused(
            "invalid_token",
            "the token's iat (or nbf) is in the future; check the clock of the machine that signs",
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise Refused(
            "invalid_token",
            f"the token has no {exc.claim!r} claim; Workato tokens carry sub, jti and iat",
        ) from None
    except jwt.InvalidSignatureError:
        raise Refused(
            "invalid_token",
            f"the signature does not match the public key registered for vendor "
            f"{_short(vendor_id)}; sign with the private key whose public half is registered",
        ) from None
    except (jwt.PyJWTError, ValueError, RecursionError, OverflowError) as exc:
        raise Refused(
            "invalid_token", f"the token failed verification ({type(exc).__name__})"
        ) from None
    return claims
