"""No token, jti or key material escapes: not into synced state, reprs, logs, exceptions (with
their chains, tracebacks and frame locals), the sandbox's records, or a saved notebook."""

from __future__ import annotations

import base64
import datetime
import json
import logging
import textwrap
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import nbformat
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa, x25519
from cryptography.x509.oid import NameOID
from fakes import PAGE_ORIGIN, FakeFrontend
from nbclient import NotebookClient

import workato_ipywidget
from workato_ipywidget import ConnectionWidget, InvalidKeyError, TokenSigner
from workato_ipywidget.sandbox import Sandbox

PACKAGE_DIR = str(Path(workato_ipywidget.__file__).parent)
VENDOR = "vendor-s"
PASSPHRASE = "tr0ub4dor&3-secret-passphrase"
WRONG_PASSPHRASE = "hunter2-almost-the-passphrase"
PKCS1 = serialization.PrivateFormat.TraditionalOpenSSL
PKCS8 = serialization.PrivateFormat.PKCS8


# --- what must never leak -------------------------------------------------------------------------


def pem_of(
    key: Any, fmt: serialization.PrivateFormat = PKCS8, passphrase: str | None = None
) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


def body_lines(pem_text: str) -> list[str]:
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


def int_b64(value: int, urlsafe: bool = False) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if urlsafe:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return base64.b64encode(raw).decode()


@dataclass
class Needles:
    """Named secrets to look for; failures name the secret, never print it."""

    named: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        if value:  # an empty signature (alg none) is in every text
            self.named[name] = value

    def add_pem(self, name: str, pem_text: str) -> None:
        for i, line in enumerate(body_lines(pem_text)):
            if len(line) >= 16:  # a short last line could match by chance
                self.add(f"{name} line {i}", line)

    def add_token(self, name: str, token: str) -> None:
        _header, payload, signature = token.split(".")
        self.add(f"{name}", token)
        self.add(f"{name} payload", payload)
        self.add(f"{name} signature", signature)
        jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
        if jti:
            self.add(f"{name} jti", jti)

    def leaked_in(self, *texts: str) -> list[str]:
        joined = "\n".join(texts)
        return sorted(name for name, value in self.named.items() if value in joined)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key_needles(key: rsa.RSAPrivateKey, material: dict[str, Any]) -> Needles:
    """Every form of the private key's material, and the passphrases."""
    needles = Needles()
    for name in ("pkcs1", "pkcs8", "enc1", "enc8", "openssh"):
        needles.add_pem(f"{name} pem", material[name])
    needles.add("DER base64", base64.b64encode(material["der"]).decode()[:64])
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    needles.add("modulus base64", int_b64(n))
    needles.add("modulus base64url", int_b64(n, urlsafe=True))
    needles.add("modulus hex", f"{n:x}")
    needles.add("modulus decimal", str(n))
    needles.add("private exponent decimal", str(numbers.d))
    needles.add("private exponent base64url", int_b64(numbers.d, urlsafe=True))
    needles.add("prime p decimal", str(numbers.p))
    needles.add("passphrase", PASSPHRASE)
    needles.add("wrong passphrase", WRONG_PASSPHRASE)
    return needles


@pytest.fixture(scope="module")
def signer(key: rsa.RSAPrivateKey) -> TokenSigner:
    return TokenSigner(VENDOR, pem_of(key, PKCS8, PASSPHRASE), passphrase=PASSPHRASE)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything: the root logger and our whole logger tree, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")
    return caplog


def exception_texts(exc: BaseException) -> list[str]:
    """Everything an exception can show: str, repr, args, the whole chain and its traceback,
    and the locals of our package's frames as a verbose traceback (%xmode Verbose) prints them."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *map(repr, current.args)]
        current = current.__cause__ or current.__context__
    verbose = traceback.TracebackException.from_exception(exc, capture_locals=True)
    chain: list[traceback.TracebackException] = []
    node: traceback.TracebackException | None = verbose
    while node is not None and len(chain) < 10:
        chain.append(node)
        node = node.__cause__ or node.__context__
    for item in chain:
        for frame in item.stack:
            if frame.filename.startswith(PACKAGE_DIR):
                texts.append(f"{frame.filename}:{frame.lineno} {frame.locals!r}")
    return texts


# --- key-loading refusals -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCase:
    """A TokenSigner construction that must be refused; `build` gets the module's material."""

    build: Callable[[dict[str, Any], Path], object]
    says: str
    error: type[Exception] = InvalidKeyError


def _cert_pem(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workato-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_file(tmp: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp / "vendor-key.pem"
    path.write_text(text)
    path.chmod(mode)
    return path


KEY_CASES: dict[str, KeyCase] = {
    "wrong passphrase, PKCS#8 text": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc8"], passphrase=WRONG_PASSPHRASE),
        "wrong passphrase",
    ),
    "wrong passphrase as bytes, PKCS#1 bytes": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc1"].encode(), passphrase=WRONG_PASSPHRASE.encode()),
        "wrong passphrase",
    ),
    "wrong passphrase, group-readable key file": KeyCase(
        lambda m, tmp: TokenSigner(
            VENDOR, _key_file(tmp, m["enc8"], 0o644), passphrase=WRONG_PASSPHRASE
        ),
        "wrong passphrase",
    ),
    "no passphrase for an encrypted key": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc8"]), "passphrase="
    ),
    "empty passphrase for an encrypted key": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc1"], passphrase=""), "empty"
    ),
    "passphrase for a plain key": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["pkcs8"], passphrase=PASSPHRASE), "not encrypted"
    ),
    "passphrase of the wrong type": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc8"], passphrase=12345),  # type: ignore[arg-type]
        "passphrase must be",
        TypeError,
    ),
    "1024-bit RSA, encrypted key file": KeyCase(
        lambda m, tmp: TokenSigner(VENDOR, _key_file(tmp, m["short_enc"]), passphrase=PASSPHRASE),
        "1024-bit",
    ),
    "1024-bit RSA key object": KeyCase(lambda m, _: TokenSigner(VENDOR, m["short"]), "1024-bit"),
    "EC key, PKCS#8": KeyCase(lambda m, _: TokenSigner(VENDOR, m["ec8"]), "EC (secp384r1)"),
    "EC key, 'EC PRIVATE KEY' PEM": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["ec1"]), "EC (secp384r1)"
    ),
    "Ed448 key": KeyCase(lambda m, _: TokenSigner(VENDOR, m["ed448"]), "Ed448"),
    "X25519 key": KeyCase(lambda m, _: TokenSigner(VENDOR, m["x25519"]), "X25519"),
    "DSA key": KeyCase(lambda m, _: TokenSigner(VENDOR, m["dsa"]), "DSA"),
    "public key PEM": KeyCase(lambda m, _: TokenSigner(VENDOR, m["public"]), "public key"),
    "certificate PEM": KeyCase(lambda m, _: TokenSigner(VENDOR, m["cert"]), "certificate"),
    "OpenSSH key": KeyCase(lambda m, _: TokenSigner(VENDOR, m["openssh"]), "OpenSSH"),
    "PEM cut short": KeyCase(
        lambda m, _: TokenSigner(VENDOR, "\n".join(m["pkcs8"].splitlines()[:8])),
        "not a valid PEM private key",
    ),
    "DER bytes": KeyCase(lambda m, _: TokenSigner(VENDOR, m["der"]), "not PEM"),
    "PEM body without its BEGIN line": KeyCase(
        lambda m, _: TokenSigner(VENDOR, "\n".join(body_lines(m["pkcs1"]))), "-----BEGIN"
    ),
    "PEM inside a dict": KeyCase(
        lambda m, _: TokenSigner(VENDOR, {"key": m["pkcs8"]}),  # type: ignore[arg-type]
        "not dict",
        TypeError,
    ),
    "good key, empty vendor id": KeyCase(
        lambda m, _: TokenSigner("", m["enc8"], passphrase=PASSPHRASE), "vendor_id", ValueError
    ),
    "good key, vendor id with a colon": KeyCase(
        lambda m, _: TokenSigner("ven:dor", m["pkcs1"]), "vendor_id", ValueError
    ),
    "good key, ttl not positive": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["enc8"], passphrase=PASSPHRASE, ttl=0),
        "ttl",
        ValueError,
    ),
    "good key, ttl of the wrong type": KeyCase(
        lambda m, _: TokenSigner(VENDOR, m["pkcs8"], ttl="600"),  # type: ignore[arg-type]
        "ttl",
        TypeError,
    ),
}


@pytest.fixture(scope="module")
def material(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP384R1())
    return {
        "pkcs1": pem_of(key, PKCS1),
        "pkcs8": pem_of(key, PKCS8),
        "enc1": pem_of(key, PKCS1, PASSPHRASE),
        "enc8": pem_of(key, PKCS8, PASSPHRASE),
        "der": key.private_bytes(serialization.Encoding.DER, PKCS8, serialization.NoEncryption()),
        "openssh": pem_of(key, serialization.PrivateFormat.OpenSSH),
        "public": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "cert": _cert_pem(key),
        "short": short,
        "short_enc": pem_of(short, PKCS8, PASSPHRASE),
        "ec8": pem_of(ec_key, PKCS8),
        "ec1": pem_of(ec_key, PKCS1),
        "ed448": pem_of(ed448.Ed448PrivateKey.generate()),
        "x25519": pem_of(x25519.X25519PrivateKey.generate()),
        "dsa": pem_of(dsa.generate_private_key(key_size=1024)),
    }


@pytest.fixture(scope="module")
def all_key_needles(key_needles: Needles, material: dict[str, Any]) -> Needles:
    needles = Needles(dict(key_needles.named))
    for name in ("short_enc", "ec8", "ec1", "ed448", "x25519", "dsa"):
        needles.add_pem(name, material[name])
    needles.add_pem("short", pem_of(material["short"]))
    return needles


@pytest.mark.parametrize("case", list(KEY_CASES), ids=list(KEY_CASES))
def test_a_refused_key_leaks_nothing_in_its_error_chain_traceback_logs_or_warnings(
    case: str,
    material: dict[str, Any],
    all_key_needles: Needles,
    tmp_path: Path,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    spec = KEY_CASES[case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(spec.error) as info:
            spec.build(material, tmp_path)

    exc = info.value
    assert spec.says in str(exc)
    assert exc.__cause__ is None
    assert exc.__context__ is None
    shown = [*exception_texts(exc), debug_logs.text, *(str(w.message) for w in caught)]
    assert all_key_needles.leaked_in(*shown) == []


def test_a_verbose_traceback_of_a_refused_signer_shows_it_without_key_material(
    material: dict[str, Any], all_key_needles: Needles
) -> None:
    """IPython's %xmode Verbose prints every frame's locals, `self` of a half-built signer too."""
    for given in (("", material["pkcs8"]), (VENDOR, material["ec8"])):
        with pytest.raises(ValueError, match=r"vendor_id|EC \(") as info:
            TokenSigner(*given)

        verbose = traceback.TracebackException.from_exception(info.value, capture_locals=True)
        ours = [f for f in verbose.stack if f.filename.startswith(PACKAGE_DIR)]
        shown = "".join(traceback.StackSummary.from_list(ours).format())
        assert "self = TokenSigner(vendor_id=" in shown
        assert "key=not loaded" in shown
        assert all_key_needles.leaked_in(shown) == []


def test_a_group_readable_key_file_warns_without_its_contents(
    material: dict[str, Any], key_needles: Needles, tmp_path: Path
) -> None:
    path = _key_file(tmp_path, material["enc1"], 0o640)

    with pytest.warns(UserWarning, match="chmod 600") as caught:
        TokenSigner(VENDOR, path, passphrase=PASSPHRASE)

    assert key_needles.leaked_in(*(str(w.message) for w in caught)) == []


def test_a_key_file_warning_raised_as_an_error_leaves_no_key_in_the_traceback(
    material: dict[str, Any], all_key_needles: Needles, tmp_path: Path
) -> None:
    """With warnings as errors (-W error, filterwarnings=error), the permission warning is raised:
    its traceback, frame locals included (verbose tracebacks, error trackers), must be clean."""
    path = _key_file(tmp_path, material["enc8"], 0o644)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="chmod 600") as info:
            TokenSigner(VENDOR, path, passphrase=PASSPHRASE)

    assert all_key_needles.leaked_in(*exception_texts(info.value)) == []


def test_a_signer_repr_shows_no_key_material_whatever_the_key_form(
    key: rsa.RSAPrivateKey, material: dict[str, Any], key_needles: Needles, tmp_path: Path
) -> None:
    signers = [
        TokenSigner(VENDOR, material["pkcs1"]),
        TokenSigner(VENDOR, material["pkcs8"].encode()),
        TokenSigner(VENDOR, material["enc8"], passphrase=PASSPHRASE),
        TokenSigner(VENDOR, _key_file(tmp_path, material["enc1"]), passphrase=PASSPHRASE.encode()),
        TokenSigner(VENDOR, key, ttl=None),
    ]

    shown = [text for s in signers for text in (repr(s), str(s), f"{s!r:>10}", ascii(s))]

    assert key_needles.leaked_in(*shown) == []
    assert shown[0] == "TokenSigner(vendor_id='vendor-s', key=RSA-2048, ttl=600)"


# --- the widget: state, repr, event log and logs --------------------------------------------------


def token_in(reply: dict[str, Any]) -> str:
    assert reply["kind"] == "load", reply
    return urllib.parse.parse_qs(urllib.parse.urlsplit(reply["url"]).query)["workato_dl_token"][0]


def widget_surfaces(widget: ConnectionWidget, page: FakeFrontend | None = None) -> list[str]:
    """What a notebook can save or show of a widget, plus what it told the page in errors."""
    texts = [
        json.dumps(widget.get_state(), default=str),
        repr(widget),
        str(widget.error),
        repr(widget.events),
    ]
    if page is not None:
        texts += [m["message"] for m in page.sent if m.get("kind") == "load_error"]
    return texts


def test_state_repr_events_and_logs_hold_no_token_across_loads_reloads_and_errors(
    signer: TokenSigner, key_needles: Needles, debug_logs: pytest.LogCaptureFixture
) -> None:
    widget = ConnectionWidget(1234, signer=signer, customer_id="cust-1")
    page = FakeFrontend(widget)
    needles = Needles(dict(key_needles.named))
    seen: list[Any] = []
    widget.on_message(seen.append)

    for view in ("view-1", "view-2"):
        needles.add_token(f"{view} token", token_in(page.ready(view=view)))
    widget.reload()
    reloaded = token_in(page.ready(view="view-1"))
    needles.add_token("reloaded token", reloaded)
    page.post({"type": "heightChange", "payload": {"height": 300}})
    page.post(
        {"type": "connectionStatusChange", "payload": {"provider": "jira", "connected": True}}
    )
    # Workato (or a proxy) echoing the token back in its error texts:
    page.post({"type": "error", "payload": {"message": f"invalid token {reloaded}"}})
    page.post(
        json.dumps(
            {
                "type": "error",
                "payload": {
                    "message": "rejected",
                    "type": f"bad_token:{reloaded}",
                    "details": {"token": reloaded, "url": f"?workato_dl_token={reloaded}"},
                },
            }
        )
    )
    page.post(
        {
            "type": "connectionStatusChange",
            "payload": {"connected": False, "error": f"token {reloaded} expired"},
        }
    )
    page.post({"type": "loaded", "payload": {"url": f"https://x/y?workato_dl_token={reloaded}"}})

    assert widget.status == "error"
    assert "[redacted]" in widget.error
    surfaces = [*widget_surfaces(widget), repr(seen), debug_logs.text]
    assert needles.leaked_in(*surfaces) == []
    assert "workato_dl_token" not in json.dumps(widget.get_state(), default=str)
    assert "workato_dl_token" not in repr(widget)


def _raises_with_token_in_message(token: str) -> Exception:
    return RuntimeError(f"the vault answered {token} but it was refused")


def _raises_with_token_in_cause(token: str) -> Exception:
    try:
        raise LookupError(f"cached token {token} is stale")
    except LookupError as inner:
        outer = ConnectionError("vault unreachable")
        outer.__cause__ = inner
        return outer


def _raises_with_token_in_context(token: str) -> Exception:
    try:
        raise KeyError(token)
    except KeyError:
        try:
            raise ValueError("no token for this origin") from None
        except ValueError as exc:
            exc.__suppress_context__ = False  # shown as "During handling of the above…"
            return exc


def _raises_with_token_in_a_note(token: str) -> Exception:
    exc = PermissionError("refused")
    if hasattr(exc, "add_note"):  # Python 3.11+
        exc.add_note(f"token was {token}")
    else:  # pragma: no cover - Python 3.10
        exc.args = (f"refused {token}",)
    return exc


def _raises_with_pem_in_message(pem_text: str) -> Exception:
    return ValueError(f"could not use key {pem_text!r}")


PROVIDER_FAILURES: dict[str, Callable[[str, str], Exception]] = {
    "token in the message": lambda token, _: _raises_with_token_in_message(token),
    "token in the __cause__": lambda token, _: _raises_with_token_in_cause(token),
    "token in the __context__": lambda token, _: _raises_with_token_in_context(token),
    "token in a note": lambda token, _: _raises_with_token_in_a_note(token),
    "PEM in the message": lambda _, pem_text: _raises_with_pem_in_message(pem_text),
    "PEM with real newlines": lambda _, pem_text: RuntimeError(f"bad key:\n{pem_text}"),
}


@pytest.mark.parametrize("failure", list(PROVIDER_FAILURES), ids=list(PROVIDER_FAILURES))
def test_a_raising_token_provider_leaks_nothing_into_errors_state_or_logs(
    failure: str,
    signer: TokenSigner,
    material: dict[str, Any],
    key_needles: Needles,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    needles = Needles(dict(key_needles.named))
    leaked_token = signer.sign("cust-1", origin=PAGE_ORIGIN)
    needles.add_token("provider's token", leaked_token)

    def provider(origin: str) -> str:
        raise PROVIDER_FAILURES[failure](leaked_token, material["pkcs8"])

    widget = ConnectionWidget(5, token_provider=provider)
    page = FakeFrontend(widget)
    reply = page.ready()

    assert reply["kind"] == "load_error"
    assert "token_provider raised" in reply["message"]
    assert widget.status == "error"
    assert "token_provider failed" in debug_logs.text  # the DEBUG traceback was logged
    assert needles.leaked_in(*widget_surfaces(widget, page), debug_logs.text) == []


@pytest.mark.parametrize(
    "garbage",
    ["pem", "token with a space", "token as bytes", "token in a dict", "four segments", "newline"],
)
def test_a_token_provider_returning_garbage_leaks_nothing(
    garbage: str,
    signer: TokenSigner,
    material: dict[str, Any],
    key_needles: Needles,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    needles = Needles(dict(key_needles.named))
    token = signer.sign("cust-1")
    needles.add_token("provider's token", token)
    returned = {
        "pem": material["pkcs8"],
        "token with a space": f"{token} ",
        "token as bytes": token.encode(),
        "token in a dict": {"token": token},
        "four segments": f"{token}.extra",
        "newline": token.replace(".", ".\n", 1),
    }[garbage]

    widget = ConnectionWidget(5, token_provider=lambda origin: returned)  # type: ignore[arg-type,return-value]
    page = FakeFrontend(widget)
    reply = page.ready()

    assert reply["kind"] == "load_error"
    assert "token_provider returned" in reply["message"]
    assert needles.leaked_in(*widget_surfaces(widget, page), debug_logs.text) == []


@pytest.mark.parametrize(
    "origin",
    [
        "https://nb.example/{token}",
        "https://nb.example/?t={token}",
        "https://user:{token}@nb.example",
        "javascript:{token}",
        "{token}",
        "https://nb.example#{token}",
    ],
)
def test_a_load_with_a_malformed_origin_leaks_nothing(
    origin: str, signer: TokenSigner, debug_logs: pytest.LogCaptureFixture
) -> None:
    needles = Needles()
    token = signer.sign("someone-else")
    needles.add_token("hostile token", token)
    widget = ConnectionWidget(1234, signer=signer, customer_id="cust-1")
    page = FakeFrontend(widget)

    page.deliver({"kind": "ready", "view": "v1", "origin": origin.format(token=token)})
    page.deliver({"kind": "silent", "view": "v1", "origin": origin.format(token=token)})

    assert page.sent[0]["kind"] == "load_error"
    assert widget.status == "error"
    assert needles.leaked_in(*widget_surfaces(widget, page), debug_logs.text) == []


def test_rejected_iframe_messages_carrying_a_token_are_logged_without_it(
    signer: TokenSigner, debug_logs: pytest.LogCaptureFixture
) -> None:
    """Rejection reasons quote at most 40 characters of an offending value: never a secret."""
    needles = Needles()
    token = signer.sign("cust-1", origin=PAGE_ORIGIN)
    needles.add_token("token", token)
    payload_segment = token.split(".")[1]
    page = FakeFrontend(ConnectionWidget(1234, signer=signer, customer_id="cust-1"))

    for value in (token, payload_segment, f"x{token}"):
        page.post({"type": "heightChange", "payload": {"height": value}})
        page.post({"type": "connectionStatusChange", "payload": {"connected": value}})
        page.post({"type": "connectionStatusChange", "payload": {"id": [value]}})
        page.post({"type": "error", "payload": {"message": {"text": value}}})
        page.post({"type": value, "payload": value})
        page.post(value)
        page.post(f'{{"type": "heightChange", "payload": {{"height": "{value}"')
        page.deliver({"kind": value, "view": "view-1"})
        page.deliver({"kind": "message", "view": value})

    assert "rejected a message from the iframe" in debug_logs.text
    assert page.widget.events == ()
    assert needles.leaked_in(debug_logs.text, *widget_surfaces(page.widget, page)) == []


# --- the sandbox: access logs and refusal records -------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(key: rsa.RSAPrivateKey) -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.register_public_key(
            VENDOR,
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        server.add_customer("cust-1")
        server.add_connection(1, "salesforce", customer_id="cust-1")
        yield server


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> int:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            error.read()
            return int(error.code)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": f"{VENDOR}:cust-1",
        "jti": f"jti-{time.monotonic_ns()}",
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return base


def refused_tokens(key: rsa.RSAPrivateKey, sandbox: Sandbox) -> dict[str, tuple[str, str]]:
    """Tokens the sandbox must refuse, each with the path (and query) it is sent to."""
    now = int(time.time())
    page = "/direct_link/embedded/connections/1"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    replayed = sandbox.signer.sign("cust-1")
    none_header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{none_header}.{b64url(json.dumps(claims()).encode())}."
    return {
        "replayed": (replayed, page),
        "expired": (jwt.encode(claims(iat=now - 7200, exp=now - 3600), key, "RS256"), page),
        "signed by another key": (jwt.encode(claims(), stranger, "RS256"), page),
        "unknown vendor": (jwt.encode(claims(sub="nobody:cust-1"), key, "RS256"), page),
        "malformed origin claim": (jwt.encode(claims(origin="not an origin"), key, "RS256"), page),
        "alg none": (unsigned, page),
        "unknown connection": (
            sandbox.signer.sign("cust-1"),
            "/direct_link/embedded/connections/9",
        ),
        "unknown path": (sandbox.signer.sign("cust-1"), "/no/such/page"),
        "api without auth": (sandbox.signer.sign("cust-1"), "/api/managed_users/1/connections"),
    }


def test_sandbox_logs_and_refusals_never_hold_a_refused_token(
    key: rsa.RSAPrivateKey, sandbox: Sandbox, debug_logs: pytest.LogCaptureFixture
) -> None:
    cases = refused_tokens(key, sandbox)
    needles = Needles()
    before = len(sandbox.refusals)
    replayed = cases["replayed"][0]
    assert (
        fetch(f"{sandbox.base_url}/direct_link/embedded/connections/1?workato_dl_token={replayed}")
        == 200
    )

    for name, (token, path) in cases.items():
        needles.add_token(name, token)
        assert fetch(f"{sandbox.base_url}{path}?workato_dl_token={token}") in {401, 404}, name
    # The token where a page secret or an API token belongs:
    bearer = sandbox.signer.sign("cust-1")
    needles.add_token("bearer", bearer)
    api = f"{sandbox.base_url}/api/managed_users/1/connections"
    assert fetch(api, {"Authorization": f"Bearer {bearer}"}) == 401
    action = f"{sandbox.base_url}/direct_link/embedded/connections/1/authorize"
    assert fetch(action, {"X-Sandbox-Page-Secret": bearer}, method="POST") == 403
    fetch(f"{sandbox.base_url}/no/such/page")  # its log line is written after all the above

    records = sandbox.refusals[before:]
    assert {r.code for r in records} >= {
        "replayed_token",
        "expired_token",
        "invalid_token",
        "unknown_vendor",
        "unknown_connection",
        "unauthorized",
        "invalid_page_secret",
    }
    refusals = [f"{r.code} {r.message} {r.path}" for r in records]
    assert "/direct_link/embedded/connections/1" in debug_logs.text  # the access log was captured
    assert needles.leaked_in(debug_logs.text, *refusals, repr(sandbox)) == []
    assert "workato_dl_token" not in debug_logs.text + "".join(refusals)


# --- a notebook executed and saved with its widget state ------------------------------------------

NOTEBOOK_CELLS = [
    # Our loggers print into the cell outputs, so the saved notebook holds whatever they say.
    """
    import json, logging, os, sys, urllib.parse
    handler = logging.StreamHandler(sys.stdout)
    handler.setLevel(logging.DEBUG)
    logging.getLogger("workato_ipywidget").addHandler(handler)
    logging.getLogger("workato_ipywidget").setLevel(logging.DEBUG)
    from workato_ipywidget import ConnectionWidget, TokenSigner
    signer = TokenSigner(
        "vendor-s", os.environ["SECRETS_TEST_KEY"], passphrase=os.environ["SECRETS_TEST_PASS"]
    )
    w = ConnectionWidget(1234, signer=signer, customer_id="cust-1")
    sent, minted = [], []
    _send = w.send
    def capture(content, buffers=None):
        sent.append(content)
        _send(content, buffers)
    w.send = capture
    def deliver(widget, content):  # exactly what the bridge's model.send(content) becomes
        widget._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )
    w
    """,
    """
    deliver(w, {"kind": "ready", "view": "nb-view", "origin": "http://localhost:8888"})
    deliver(w, {"kind": "message", "view": "nb-view",
                "message": {"type": "heightChange", "payload": {"height": 480}}})
    deliver(w, {"kind": "message", "view": "nb-view", "message": json.dumps(
        {"type": "connectionStatusChange",
         "payload": {"id": 1234, "provider": "salesforce", "connected": True}})})
    print(w.status, w.height, w.provider)
    """,
    """
    w.reload()
    deliver(w, {"kind": "ready", "view": "nb-view", "origin": "http://localhost:8888"})
    echoed = urllib.parse.unquote(sent[-1]["url"].rsplit("=", 1)[1])  # the URL's token
    deliver(w, {"kind": "message", "view": "nb-view",
                "message": {"type": "error", "payload": {"message": "Invalid token " + echoed}}})
    del echoed
    print(w.status, w.error)
    w.events
    """,
    """
    def vault(origin):
        minted.append(signer.sign("cust-1", origin=origin))
        raise RuntimeError("vault refused " + minted[-1])
    w2 = ConnectionWidget(99, token_provider=vault)
    w2.send = lambda content, buffers=None: sent.append(content)
    deliver(w2, {"kind": "ready", "view": "nb-view-2", "origin": "http://localhost:8888"})
    print(w2.status, w2.error)
    display(w2)
    print(repr(w), repr(signer))
    """,
    """
    with open(os.environ["SECRETS_TEST_OUT"], "w") as out:  # outside the notebook
        json.dump({"sent": sent, "minted": minted}, out)
    """,
]


def test_a_notebook_saved_with_widget_state_holds_no_token_jti_or_key_material(
    material: dict[str, Any],
    key_needles: Needles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    public_pem_of_key: bytes,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    # nbclient logs every kernel message at DEBUG, tokens included: that is this test process's
    # own log, not the notebook's, and it would only flood a failure report.
    debug_logs.set_level(logging.INFO, logger="traitlets")
    key_path = _key_file(tmp_path, material["enc8"])
    out = tmp_path / "minted.json"  # the kernel reports its tokens here, never in the notebook
    monkeypatch.setenv("SECRETS_TEST_KEY", str(key_path))
    monkeypatch.setenv("SECRETS_TEST_PASS", PASSPHRASE)
    monkeypatch.setenv("SECRETS_TEST_OUT", str(out))
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in NOTEBOOK_CELLS]

    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True).execute()

    saved = nbformat.writes(notebook)
    reported = json.loads(out.read_text())
    loads = [m for m in reported["sent"] if m.get("kind") == "load"]
    assert len(loads) == 2
    assert len(reported["minted"]) == 1
    needles = Needles(dict(key_needles.named))
    for i, token in enumerate([*map(token_in, loads), *reported["minted"]]):
        jwt.decode(token, public_pem_of_key, algorithms=["RS256"])  # real tokens were minted
        needles.add_token(f"token {i}", token)
    assert needles.leaked_in(saved) == []
    assert "workato_dl_token" not in saved
    # ... and the test is not vacuous: the state and the outputs were saved.
    states = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [s["state"] for s in states.values() if s["state"].get("connection_id") == 1234]
    assert len(ours) == 1
    assert ours[0]["status"] == "error"
    assert "[redacted]" in ours[0]["error"]
    outputs = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    assert "connected 480 salesforce" in outputs
    assert "ErrorMessage(message='Invalid token [redacted]'" in outputs  # w.events was shown
    assert "token_provider raised RuntimeError: vault refused [redacted]" in outputs


@pytest.fixture(scope="module")
def public_pem_of_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_needles_find_what_they_look_for(key_needles: Needles, material: dict[str, Any]) -> None:
    """Guard the guard: each kind of needle really matches where the secret is shown."""
    assert "pkcs8 pem line 3" in key_needles.leaked_in(material["pkcs8"])
    assert "passphrase" in key_needles.leaked_in(f"pass={PASSPHRASE!r}")
