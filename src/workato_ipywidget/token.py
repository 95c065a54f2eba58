"""Signing Workato embedding tokens (RS256 JWTs) in the kernel.

Knows keys and claims and nothing about widgets. The private key is loaded and checked once, when
a ``TokenSigner`` is built, and never leaves it: not through ``repr``, pickles or error messages.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import stat
import time
import urllib.parse
import warnings
from dataclasses import dataclass
from typing import Any, NoReturn, TypeAlias, get_args

import nanoid
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x448,
    x25519,
)
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from .endpoints import normalize_origin
from .redaction import remember

__all__ = [
    "MAX_KEY_FILE_BYTES",
    "MAX_TTL",
    "ExternalId",
    "IdLike",
    "InvalidKeyError",
    "TokenSigner",
    "id_segment",
    "read_key_file",
]

MIN_RSA_BITS = 2048
MAX_TTL = 86_400
"""The longest token lifetime (s) a signer accepts: a day."""
MAX_KEY_FILE_BYTES = 65_536
"""The largest key file read: a 16384-bit RSA key in PEM is about 13 KB."""
_GENERATE_HINT = f"Generate one with: openssl genrsa -out key.pem {MIN_RSA_BITS}"
_PEM_MARKER = "-----BEGIN"
_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]*)-----")
# Signing is one RSA operation plus a few microseconds: the JWS is assembled here (RFC 7515 compact
# form, checked against PyJWT by the tests) because PyJWT's per-call overhead is twice ours.
_HEADER_SEGMENT = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"RS256","typ":"JWT"}
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=_-]{40,}")


class InvalidKeyError(ValueError):
    """The private key cannot be used to sign Workato tokens."""


@dataclass(frozen=True)
class ExternalId:
    """A customer or user id from the vendor's own system, e.g. ``ExternalId("AM10:XV303")``.

    Workato writes it as ``"E"`` + the URL-encoded id, so it may hold ``:`` and any other character.

    Attributes:
        value: The id as your system writes it (not empty).
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise TypeError(f"ExternalId takes a str, not {type(self.value).__name__}")
        if not self.value:
            raise ValueError("ExternalId is empty; expected the id from your own system")

    @property
    def encoded(self) -> str:
        """The id as written in a token's ``sub`` claim: ``E`` + the URL-encoded value."""
        return "E" + urllib.parse.quote(self.value, safe="")


IdLike: TypeAlias = str | int | ExternalId


class TokenSigner:
    """Signs RS256 tokens that let Workato's embedded pages act for one of a vendor's customers.

    The key is loaded and checked once, here; it never appears in a repr, an error or a log.

    Args:
        vendor_id: Your Workato vendor id (the "API key" of Workato's JWT sample).
        private_key: PEM text or bytes (PKCS#1 or PKCS#8, optionally encrypted), the path of a
            PEM file, or a cryptography RSA private key, of at least 2048 bits.
        passphrase: The passphrase of an encrypted key.
        ttl: The token lifetime in seconds (``exp`` claim), or None for no ``exp``.

    Raises:
        InvalidKeyError: The key cannot be read or used to sign Workato tokens (the message says
            why and how to make one that can).
    """

    __slots__ = ("_key", "_public_key_pem", "_ttl", "_vendor_id")

    def __init__(
        self,
        vendor_id: str,
        private_key: str | bytes | os.PathLike[str] | rsa.RSAPrivateKey,
        *,
        passphrase: str | bytes | None = None,
        ttl: int | None = 600,
    ) -> None:
        notes: list[str] = []
        loaded = _load_private_key(private_key, passphrase, notes)
        # Verbose tracebacks (IPython's %xmode Verbose) print every frame's locals: drop the key
        # material from this frame before anything can raise (the vendor id and ttl checks, and
        # warnings, which `-W error` raises), and raise outside any `except` (no __context__).
        del private_key, passphrase
        for note in notes:
            warnings.warn(note, UserWarning, stacklevel=2)
        self._vendor_id = _check_vendor_id(vendor_id)
        self._ttl = _check_ttl(ttl)
        if isinstance(loaded, _Refusal):
            raise loaded.error(loaded.message)
        self._key: rsa.RSAPrivateKey = loaded
        self._public_key_pem = (
            loaded.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    @property
    def vendor_id(self) -> str:
        """The vendor id that starts every token's ``sub`` claim."""
        return self._vendor_id

    @property
    def ttl(self) -> int | None:
        """Token lifetime in seconds, or None when tokens carry no ``exp``."""
        return self._ttl

    def sign(
        self, customer_id: IdLike, *, user_id: IdLike | None = None, origin: str | None = None
    ) -> str:
        """Return a fresh token for ``customer_id`` (and ``user_id``), for a page at ``origin``.

        Every token has a new ``jti``; ``origin`` must be the embedding page's origin, which Workato
        checks against the customer's or vendor's allowlist.

        Args:
            customer_id: The customer (managed user): Workato's id or an `ExternalId`.
            user_id: A user of that customer, when the page acts for one.
            origin: The origin of the page that embeds Workato's, e.g. ``"http://localhost:8888"``.

        Returns:
            The signed token (a JWT).
        """
        sub = self.subject(customer_id, user_id=user_id)
        iat = int(time.time())
        claims: dict[str, Any] = {"sub": sub, "jti": nanoid.generate(), "iat": iat}
        if self._ttl is not None:
            claims["exp"] = iat + self._ttl
        if origin is not None:
            claims["origin"] = _origin_claim(origin)
        payload = json.dumps(claims, separators=(",", ":")).encode("ascii")
        signing_input = _HEADER_SEGMENT + b"." + _b64url(payload)
        signature = self._key.sign(signing_input, _PKCS1V15, _SHA256)
        token = (signing_input + b"." + _b64url(signature)).decode("ascii")
        remember(token)  # so that its pieces are redacted wherever they come back
        return token

    def subject(self, customer_id: IdLike, *, user_id: IdLike | None = None) -> str:
        """Return the ``sub`` claim, ``vendor:customer[:user]``; refuses ids that cannot be one.

        Args:
            customer_id: The customer (managed user): Workato's id or an `ExternalId`.
            user_id: A user of that customer, or None.
        """
        sub = f"{self._vendor_id}:{_id_segment(customer_id, 'customer_id')}"
        if user_id is not None:
            sub += ":" + _id_segment(user_id, "user_id")
        return sub

    def public_key_pem(self) -> str:
        """The public key, as SubjectPublicKeyInfo PEM, to register with Workato."""
        return self._public_key_pem

    def __repr__(self) -> str:
        # getattr: a verbose traceback shows `self` of an __init__ that raised half-way.
        key: rsa.RSAPrivateKey | None = getattr(self, "_key", None)
        return (
            f"TokenSigner(vendor_id={getattr(self, '_vendor_id', None)!r}, "
            f"key={'not loaded' if key is None else f'RSA-{key.key_size}'}, "
            f"ttl={getattr(self, '_ttl', None)!r})"
        )

    def __getstate__(self) -> NoReturn:
        _refuse_pickling()

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickling()


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@functools.lru_cache(maxsize=64)
def _cached_origin(origin: str) -> str:
    return normalize_origin(origin)


def _origin_claim(origin: object) -> str:
    """The page origin, validated; cached, since one kernel signs for a handful of pages."""
    return _cached_origin(origin) if isinstance(origin, str) else normalize_origin(origin)


def _refuse_pickling() -> NoReturn:
    raise TypeError(
        "a TokenSigner holds a private key and cannot be pickled or copied; build a new one "
        "where it is needed (e.g. from the key file)"
    )


def _check_vendor_id(vendor_id: object) -> str:
    if not isinstance(vendor_id, str):
        raise TypeError(
            f"vendor_id must be a str (your Workato vendor id), not {type(vendor_id).__name__}"
        )
    if not vendor_id or ":" in vendor_id:
        raise ValueError(
            f"vendor_id {vendor_id!r} is empty or contains ':'; expected your Workato vendor id "
            "(':' separates the segments of a token's subject)"
        )
    return vendor_id


def _check_ttl(ttl: object) -> int | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise TypeError(f"ttl must be a whole number of seconds or None, not {type(ttl).__name__}")
    if ttl <= 0:
        raise ValueError(
            f"ttl must be a positive number of seconds (or None for tokens without exp), got {ttl}"
        )
    if ttl > MAX_TTL:
        shown = str(ttl) if ttl < 10**12 else "a number of more than 12 digits"
        raise ValueError(
            f"ttl must be at most {MAX_TTL} seconds (a day), got {shown}: a token lets whoever "
            "holds it act for the customer until it expires, and each view gets a fresh one, "
            "so it needs to live only minutes (the default is 600)"
        )
    return ttl


def id_segment(value: object, name: str = "customer_id") -> str:
    """Write a customer or user id as one segment of a token's ``sub``; refuse one that cannot be.

    Args:
        value: a str, an int or an ExternalId.
        name: the argument's name, for the error message.

    Raises:
        TypeError: not a str, int or ExternalId.
        ValueError: empty, negative, or a str holding ``:``.
    """
    return _id_segment(value, name)


def _id_segment(value: object, name: str) -> str:
    """Write a customer or user id as one segment of ``sub``."""
    if isinstance(value, ExternalId):
        return value.encoded
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(
            f"{name} must be a str, an int or an ExternalId, not {type(value).__name__}"
        )
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
        return str(value)
    if not value or ":" in value:
        example = value if value else "AM10:XV303"
        raise ValueError(
            f"{name} {value!r} is empty or contains ':', which separates the segments of a "
            f"token's subject; use ExternalId({example!r}) for an external id"
        )
    return value


# --- key loading -----------------------------------------------------------------------------
# The loaders below return either a key or a problem (a str, or a _Refusal) instead of raising, so
# no exception ever travels through a frame that holds key bytes or the passphrase.

_KEY_CLASSES = get_args(PrivateKeyTypes) + get_args(PublicKeyTypes)
_PUBLIC_KEY_CLASSES = get_args(PublicKeyTypes)


@dataclass(frozen=True)
class _Refusal:
    message: str
    error: type[Exception] = InvalidKeyError


def _load_private_key(
    private_key: object, passphrase: object, notes: list[str]
) -> rsa.RSAPrivateKey | _Refusal:
    """The key, or why not; warnings go to `notes`, for the caller to give without the key."""
    loaded = _load_key(private_key, passphrase, notes)
    return _Refusal(loaded) if isinstance(loaded, str) else loaded


def _load_key(
    private_key: object, passphrase: object, notes: list[str]
) -> rsa.RSAPrivateKey | str | _Refusal:
    if passphrase is not None and not isinstance(passphrase, (str, bytes)):
        return _Refusal(
            f"passphrase must be a str, bytes or None, not {type(passphrase).__name__}", TypeError
        )
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if isinstance(private_key, rsa.RSAPrivateKey):
        if password is not None:
            return (
                "a passphrase was given with a key object; the passphrase only decrypts "
                "encrypted PEM. Pass passphrase=None"
            )
        return _check_key_object(private_key)
    if isinstance(private_key, (bytes, bytearray, memoryview)):
        data = bytes(private_key)
        if _PEM_MARKER.encode() not in data:
            return (
                "the private key bytes are not PEM (no '-----BEGIN' line); pass the PEM text, "
                "or a file path as a str or pathlib.Path"
            )
        return _load_pem(data, password, source="the private key")
    if isinstance(private_key, str) and _PEM_MARKER in private_key:
        return _load_pem(private_key.encode("utf-8"), password, source="the private key")
    if isinstance(private_key, (str, os.PathLike)):
        path = os.path.expanduser(os.fsdecode(os.fspath(private_key)))  # "~/keys/x.pem" too
        return _load_key_file(path, password, notes)
    if isinstance(private_key, _KEY_CLASSES):
        return _check_key_object(private_key)
    return _Refusal(
        "private_key must be PEM text or bytes, a path to a PEM file, or a cryptography "
        f"RSAPrivateKey, not {type(private_key).__name__}",
        TypeError,
    )


def _load_key_file(path: str, password: bytes | None, notes: list[str]) -> rsa.RSAPrivateKey | str:
    shown = _shown_path(path)
    if shown is None:
        return (
            "the private key is not PEM text (no '-----BEGIN' line) and names no existing file; "
            "pass the whole PEM, including its '-----BEGIN ... PRIVATE KEY-----' line, or a path"
        )
    read = read_key_file(path, "private key")
    if isinstance(read, str):
        return read
    data, mode = read
    if os.name == "posix" and mode & 0o077:
        notes.append(
            f"the private key file {shown} can be read or changed by users other than its owner "
            f"(mode {stat.S_IMODE(mode):o}); restrict it with: chmod 600 {shown}"
        )
    if _PEM_MARKER.encode() not in data:
        return f"the file {shown} does not hold a PEM key (no '-----BEGIN' line)"
    return _load_pem(data, password, source=f"the private key in {shown}")


def read_key_file(path: str, what: str) -> tuple[bytes, int] | str:
    """The bytes and mode of the key file at `path`, or why it cannot be one (a str).

    Checked before anything is read: a FIFO, a device such as ``/dev/zero`` or a file larger than
    any PEM key is refused, so a wrong path can neither hang nor fill memory. The file is opened
    without blocking (a FIFO with no writer would wait forever) and read up to the limit only.
    """
    shown = _shown_path(path) or "the given path"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return f"no {what} file at {shown}; check the path (or pass the PEM text itself)"
    except IsADirectoryError:
        return f"{shown} is a directory, not a {what} file"
    except PermissionError:
        return f"cannot read the {what} file {shown}: permission denied"
    except OSError as error:
        return f"cannot read the {what} file {shown}: {error.strerror or type(error).__name__}"
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return f"{shown} is a directory, not a {what} file"
        if not stat.S_ISREG(info.st_mode):
            return (
                f"{shown} is not a regular file (a device, FIFO or socket); expected a PEM "
                f"{what} file"
            )
        if info.st_size > MAX_KEY_FILE_BYTES:
            return (
                f"{shown} is {info.st_size} bytes, larger than any PEM key "
                f"(at most {MAX_KEY_FILE_BYTES}); check that it is the {what} file"
            )
        data = b""
        while len(data) <= MAX_KEY_FILE_BYTES:
            chunk = os.read(fd, MAX_KEY_FILE_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as error:
        return f"cannot read the {what} file {shown}: {error.strerror or type(error).__name__}"
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE_BYTES:  # it grew while we looked
        return f"{shown} is larger than any PEM key (at most {MAX_KEY_FILE_BYTES} bytes)"
    return data, info.st_mode


def _shown_path(path: str) -> str | None:
    """The path as it may appear in a message, or None if it may be key material instead."""
    if not path or len(path) > 4096 or "\n" in path or "\r" in path:
        return None
    if _BASE64ISH.fullmatch(path) and not os.path.exists(path):
        return None  # most likely a bare base64 key body, not a file name
    return repr(path)


def _load_pem(data: bytes, password: bytes | None, *, source: str) -> rsa.RSAPrivateKey | str:
    labels = set(_PEM_LABEL.findall(data.decode("ascii", "replace")))
    if not any(label.endswith("PRIVATE KEY") for label in labels) and any(
        label.endswith("PUBLIC KEY") or label == "CERTIFICATE" for label in labels
    ):
        return (
            f"{source} is a public key or certificate, but signing needs the private key. "
            "Pass the private key PEM ('-----BEGIN PRIVATE KEY-----' or "
            "'-----BEGIN RSA PRIVATE KEY-----'); public_key_pem() derives the public one"
        )
    if "OPENSSH PRIVATE KEY" in labels:
        return (
            f"{source} is in OpenSSH format; convert it to PEM with: ssh-keygen -p -m PEM -f "
            f"<file>, or generate a PEM key with: openssl genrsa -out key.pem {MIN_RSA_BITS}"
        )
    encrypted = "ENCRYPTED PRIVATE KEY" in labels or b"Proc-Type: 4,ENCRYPTED" in data
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        key = None
    except ValueError:
        if encrypted and password is not None:
            return f"{source} could not be decrypted: wrong passphrase (or a damaged file)"
        return (
            f"{source} is not a valid PEM private key (it could not be parsed); expected an RSA "
            f"key in PKCS#1 or PKCS#8 PEM. {_GENERATE_HINT}"
        )
    except UnsupportedAlgorithm:
        return (
            f"{source} uses a key type or encryption this cryptography build cannot load; "
            f"expected an RSA key in PKCS#1 or PKCS#8 PEM. {_GENERATE_HINT}"
        )
    if key is None:  # cryptography's TypeError: a passphrase missing or not needed
        if password is None:
            return f"{source} is encrypted; pass its passphrase with passphrase=..."
        if encrypted:
            return f"{source} is encrypted and the passphrase given is empty; pass its passphrase"
        return (
            f"a passphrase was given but {source} is not encrypted; pass passphrase=None "
            "(or check that this is the key you meant)"
        )
    return _check_key_object(key)


def _check_key_object(key: object) -> rsa.RSAPrivateKey | str:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            return (
                f"the private key is {key.key_size}-bit RSA; Workato verifies RS256 tokens with "
                f"keys of at least {MIN_RSA_BITS} bits. {_GENERATE_HINT}"
            )
        return key
    if isinstance(key, _PUBLIC_KEY_CLASSES):
        return (
            "this is a public key, but signing needs the private key; public_key_pem() derives "
            "the public key from it"
        )
    return (
        f"the private key is {_key_kind(key)}, but Workato's tokens are RS256, which needs an RSA "
        f"key of at least {MIN_RSA_BITS} bits. {_GENERATE_HINT}"
    )


def _key_kind(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC ({key.curve.name}) key"
    names = {
        ed25519.Ed25519PrivateKey: "an Ed25519 key",
        ed448.Ed448PrivateKey: "an Ed448 key",
        dsa.DSAPrivateKey: "a DSA key",
        x25519.X25519PrivateKey: "an X25519 key",
        x448.X448PrivateKey: "an X448 key",
    }
    for cls, name in names.items():
        if isinstance(key, cls):
            return name
    return f"a {type(key).__name__}"
