"""TokenSigner: which keys it takes, which it refuses (and how), and the tokens it signs."""

from __future__ import annotations

import copy
import os
import pickle
import stat
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from workato_ipywidget import token as token_module
from workato_ipywidget.redaction import redact
from workato_ipywidget.token import ExternalId, InvalidKeyError, TokenSigner

VENDOR = "v1"
PASSPHRASE = "correct horse battery staple"
NANOID_ALPHABET = set("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
PKCS1 = serialization.PrivateFormat.TraditionalOpenSSL
PKCS8 = serialization.PrivateFormat.PKCS8


# --- keys, made once per module and never written anywhere but tmp_path ---------------------------


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def short_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def signer(signing_key: rsa.RSAPrivateKey) -> TokenSigner:
    return TokenSigner(VENDOR, signing_key)


def pem(key: Any, fmt: serialization.PrivateFormat = PKCS8, passphrase: str | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase is not None
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


def public_pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def body_lines(pem_text: str) -> list[str]:
    """The secret part of a PEM: every line but the BEGIN/END markers."""
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


def decode(token: str, key: rsa.RSAPrivateKey, **options: Any) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, public_pem(key), algorithms=["RS256"], options={"require": ["iat"], **options}
    )
    return claims


def write_key(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def refusal(
    build: Callable[[], object], *, secrets: Sequence[str] = (), error: type = InvalidKeyError
) -> str:
    """Run a constructor that must refuse; check no secret and no chained exception leaks."""
    with pytest.raises(error) as caught:
        build()
    exc = caught.value
    assert exc.__cause__ is None
    assert exc.__context__ is None
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    shown = "".join(traceback.format_list(ours) + traceback.format_exception_only(type(exc), exc))
    for secret in secrets:
        assert secret not in shown
    return str(exc)


# --- keys it takes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "passphrase", "as_bytes"),
    [
        (PKCS1, None, False),
        (PKCS8, None, False),
        (PKCS1, None, True),
        (PKCS8, None, True),
        (PKCS8, PASSPHRASE, False),
        (PKCS1, PASSPHRASE, True),
    ],
    ids=["pkcs1-str", "pkcs8-str", "pkcs1-bytes", "pkcs8-bytes", "pkcs8-encrypted", "pkcs1-enc"],
)
def test_pem_keys_in_every_accepted_form_sign_verifiable_tokens(
    signing_key: rsa.RSAPrivateKey,
    fmt: serialization.PrivateFormat,
    passphrase: str | None,
    as_bytes: bool,
) -> None:
    text = pem(signing_key, fmt, passphrase)
    key: str | bytes = text.encode() if as_bytes else text
    secret: str | bytes | None = passphrase
    if passphrase is not None and as_bytes:
        secret = passphrase.encode()

    signer = TokenSigner(VENDOR, key, passphrase=secret)

    assert decode(signer.sign("c1"), signing_key)["sub"] == "v1:c1"


@pytest.mark.parametrize("as_path", [str, Path], ids=["str-path", "pathlib-path"])
def test_a_key_file_path_is_read(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path, as_path: Callable[[Path], Any]
) -> None:
    path = write_key(tmp_path / "key.pem", pem(signing_key, PKCS1))

    signer = TokenSigner(VENDOR, as_path(path))

    assert decode(signer.sign("c1"), signing_key)["sub"] == "v1:c1"


def test_a_key_path_under_the_home_directory_may_start_with_a_tilde(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_key(tmp_path / "key.pem", pem(signing_key, PKCS1))

    signer = TokenSigner(VENDOR, "~/key.pem")

    assert decode(signer.sign("c1"), signing_key)["sub"] == "v1:c1"


def test_an_encrypted_key_file_is_read_with_its_passphrase(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = write_key(tmp_path / "key.pem", pem(signing_key, PKCS8, PASSPHRASE))

    signer = TokenSigner(VENDOR, path, passphrase=PASSPHRASE)

    assert decode(signer.sign(7), signing_key)["sub"] == "v1:7"


def test_a_key_object_is_used_as_is(signing_key: rsa.RSAPrivateKey) -> None:
    signer = TokenSigner(VENDOR, signing_key)

    assert decode(signer.sign("c1"), signing_key)["sub"] == "v1:c1"


def test_the_key_is_loaded_once_not_per_token(
    signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = TokenSigner(VENDOR, pem(signing_key))

    def no_more_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the key was loaded again")

    monkeypatch.setattr(token_module.serialization, "load_pem_private_key", no_more_loading)
    monkeypatch.setattr(token_module.serialization, "load_pem_public_key", no_more_loading)

    assert decode(signer.sign("c1"), signing_key)["sub"] == "v1:c1"
    assert signer.public_key_pem() == public_pem(signing_key)


def test_public_key_pem_is_the_key_to_register_with_workato(
    signer: TokenSigner, signing_key: rsa.RSAPrivateKey
) -> None:
    text = signer.public_key_pem()

    assert text.startswith("-----BEGIN PUBLIC KEY-----\n")
    loaded = serialization.load_pem_public_key(text.encode())
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers() == signing_key.public_key().public_numbers()


# --- keys it refuses ------------------------------------------------------------------------------


def test_an_ec_key_is_refused_by_name() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    text = pem(key)

    for given in (text, key):
        message = refusal(lambda given=given: TokenSigner(VENDOR, given), secrets=body_lines(text))
        assert "EC (secp256r1)" in message
        assert "RSA" in message


def test_an_ed25519_key_is_refused_by_name() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    text = pem(key)

    for given in (text, key):
        message = refusal(lambda given=given: TokenSigner(VENDOR, given), secrets=body_lines(text))
        assert "Ed25519" in message


def test_an_rsa_key_under_2048_bits_is_refused_with_how_to_make_one(
    short_key: rsa.RSAPrivateKey,
) -> None:
    text = pem(short_key, PKCS1)

    for given in (text, short_key):
        message = refusal(lambda given=given: TokenSigner(VENDOR, given), secrets=body_lines(text))
        assert "1024-bit" in message
        assert "2048" in message
        assert "openssl genrsa -out key.pem 2048" in message


@pytest.mark.parametrize("fmt", ["spki", "pkcs1"])
def test_a_public_key_pem_is_refused_as_not_private(
    signing_key: rsa.RSAPrivateKey, fmt: str
) -> None:
    public_format = (
        serialization.PublicFormat.SubjectPublicKeyInfo
        if fmt == "spki"
        else serialization.PublicFormat.PKCS1
    )
    text = signing_key.public_key().public_bytes(serialization.Encoding.PEM, public_format).decode()

    message = refusal(lambda: TokenSigner(VENDOR, text), secrets=body_lines(text))

    assert "public key" in message
    assert "private key" in message


def test_a_public_key_object_is_refused_as_not_private(signing_key: rsa.RSAPrivateKey) -> None:
    message = refusal(lambda: TokenSigner(VENDOR, signing_key.public_key()))  # type: ignore[arg-type]

    assert "public key" in message


def test_a_wrong_passphrase_is_refused_without_echoing_it(
    signing_key: rsa.RSAPrivateKey,
) -> None:
    for fmt in (PKCS1, PKCS8):
        text = pem(signing_key, fmt, PASSPHRASE)
        wrong = "hunter2-not-it"

        message = refusal(
            lambda text=text, wrong=wrong: TokenSigner(VENDOR, text, passphrase=wrong),
            secrets=[*body_lines(text), wrong, PASSPHRASE],
        )

        assert "wrong passphrase" in message


def test_a_missing_passphrase_for_an_encrypted_key_is_refused(
    signing_key: rsa.RSAPrivateKey,
) -> None:
    text = pem(signing_key, PKCS8, PASSPHRASE)

    message = refusal(lambda: TokenSigner(VENDOR, text), secrets=body_lines(text))

    assert "encrypted" in message
    assert "passphrase=" in message


def test_an_empty_passphrase_for_an_encrypted_key_is_refused(
    signing_key: rsa.RSAPrivateKey,
) -> None:
    text = pem(signing_key, PKCS1, PASSPHRASE)

    message = refusal(lambda: TokenSigner(VENDOR, text, passphrase=""), secrets=body_lines(text))

    assert "empty" in message


def test_a_passphrase_for_an_unencrypted_key_is_refused(signing_key: rsa.RSAPrivateKey) -> None:
    text = pem(signing_key)

    message = refusal(
        lambda: TokenSigner(VENDOR, text, passphrase=PASSPHRASE),
        secrets=[*body_lines(text), PASSPHRASE],
    )

    assert "not encrypted" in message
    assert "passphrase=None" in message


def test_a_passphrase_with_a_key_object_is_refused(signing_key: rsa.RSAPrivateKey) -> None:
    message = refusal(
        lambda: TokenSigner(VENDOR, signing_key, passphrase=PASSPHRASE), secrets=[PASSPHRASE]
    )

    assert "passphrase=None" in message


def test_a_missing_key_file_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "key.pem"

    message = refusal(lambda: TokenSigner(VENDOR, path))

    assert str(path) in message
    assert "no private key file" in message


def test_a_directory_is_refused_as_a_key_file(tmp_path: Path) -> None:
    message = refusal(lambda: TokenSigner(VENDOR, tmp_path))

    assert str(tmp_path) in message
    assert "directory" in message


def test_an_unreadable_key_file_is_refused_naming_the_path(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = pem(signing_key)
    path = write_key(tmp_path / "key.pem", text, mode=0o000)

    def denied(*args: object, **kwargs: object) -> None:  # as for anyone but root
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(token_module.os, "open", denied)

    message = refusal(lambda: TokenSigner(VENDOR, path), secrets=body_lines(text))

    assert str(path) in message
    assert "permission denied" in message


def test_a_file_without_pem_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = write_key(tmp_path / "key.txt", "just some notes\n")

    message = refusal(lambda: TokenSigner(VENDOR, path), secrets=["just some notes"])

    assert str(path) in message
    assert "PEM" in message


def test_a_key_file_with_a_corrupt_key_is_refused_without_its_contents(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    lines = pem(signing_key).splitlines()
    text = "\n".join([lines[0], *lines[1:6], lines[-1]]) + "\n"  # body cut short
    path = write_key(tmp_path / "key.pem", text)

    message = refusal(lambda: TokenSigner(VENDOR, path), secrets=body_lines(text))

    assert "not a valid PEM private key" in message
    assert str(path) in message


@pytest.mark.parametrize(
    "garbage",
    [
        "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN RSA PRIVATE KEY-----\n\x00\xff\xfe\n-----END RSA PRIVATE KEY-----\n",
    ],
    ids=["base64-junk", "binary-junk"],
)
def test_garbage_pem_is_refused(garbage: str | bytes) -> None:
    message = refusal(lambda: TokenSigner(VENDOR, garbage), secrets=["Tm90IGEga2V5"])

    assert "not a valid PEM private key" in message


def test_bytes_that_are_not_pem_are_refused(signing_key: rsa.RSAPrivateKey) -> None:
    der = signing_key.private_bytes(serialization.Encoding.DER, PKCS8, serialization.NoEncryption())

    message = refusal(lambda: TokenSigner(VENDOR, der))

    assert "not PEM" in message


def test_a_pem_body_without_its_begin_line_is_not_echoed_as_a_path(
    signing_key: rsa.RSAPrivateKey,
) -> None:
    text = pem(signing_key)
    body = "\n".join(body_lines(text))

    for given in (body, body_lines(text)[3], "".join(body_lines(text))):
        message = refusal(lambda given=given: TokenSigner(VENDOR, given), secrets=body_lines(text))
        assert "-----BEGIN" in message


def test_an_openssh_key_is_refused_with_how_to_convert_it(signing_key: rsa.RSAPrivateKey) -> None:
    text = signing_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()

    message = refusal(lambda: TokenSigner(VENDOR, text), secrets=body_lines(text))

    assert "OpenSSH" in message
    assert "ssh-keygen -p -m PEM" in message


def test_a_key_of_the_wrong_type_is_a_type_error() -> None:
    message = refusal(lambda: TokenSigner(VENDOR, 12345), error=TypeError)  # type: ignore[arg-type]

    assert "int" in message


def test_a_passphrase_of_the_wrong_type_is_a_type_error(signing_key: rsa.RSAPrivateKey) -> None:
    text = pem(signing_key, PKCS8, PASSPHRASE)

    message = refusal(
        lambda: TokenSigner(VENDOR, text, passphrase=42),  # type: ignore[arg-type]
        secrets=body_lines(text),
        error=TypeError,
    )

    assert "passphrase" in message


# --- key file permissions -------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_open_to_group_or_others_gets_a_warning(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path, mode: int
) -> None:
    path = write_key(tmp_path / "key.pem", pem(signing_key), mode=mode)

    with pytest.warns(UserWarning, match="chmod 600") as caught:
        TokenSigner(VENDOR, path)

    message = str(caught[0].message)
    assert str(path) in message
    assert f"{mode:o}" in message
    assert caught[0].filename == __file__  # points at the caller, not at token.py


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_key_file_only_its_owner_can_read_gets_no_warning(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    path = write_key(tmp_path / "key.pem", pem(signing_key), mode=0o600)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TokenSigner(VENDOR, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- vendor id and ttl ----------------------------------------------------------------------------


@pytest.mark.parametrize("vendor_id", ["", "ven:dor"])
def test_an_empty_vendor_id_or_one_with_a_colon_is_refused(
    signing_key: rsa.RSAPrivateKey, vendor_id: str
) -> None:
    with pytest.raises(ValueError, match="vendor_id") as caught:
        TokenSigner(vendor_id, signing_key)

    assert "':'" in str(caught.value)


@pytest.mark.parametrize("vendor_id", [None, 17, b"v1"])
def test_a_vendor_id_that_is_not_a_str_is_refused(
    signing_key: rsa.RSAPrivateKey, vendor_id: object
) -> None:
    with pytest.raises(TypeError, match="vendor_id must be a str"):
        TokenSigner(vendor_id, signing_key)  # type: ignore[arg-type]


@pytest.mark.parametrize("ttl", [0, -5])
def test_a_ttl_that_is_not_positive_is_refused(signing_key: rsa.RSAPrivateKey, ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number of seconds"):
        TokenSigner(VENDOR, signing_key, ttl=ttl)


@pytest.mark.parametrize("ttl", [True, 1.5, "600"])
def test_a_ttl_that_is_not_an_int_is_refused(signing_key: rsa.RSAPrivateKey, ttl: object) -> None:
    with pytest.raises(TypeError, match="ttl must be a whole number of seconds"):
        TokenSigner(VENDOR, signing_key, ttl=ttl)  # type: ignore[arg-type]


@pytest.mark.parametrize("ttl", [86_401, 10**9, 10**400])
def test_a_ttl_longer_than_a_day_is_refused_saying_why(
    signing_key: rsa.RSAPrivateKey, ttl: int
) -> None:
    with pytest.raises(ValueError, match=r"at most 86400 seconds \(a day\)") as caught:
        TokenSigner(VENDOR, signing_key, ttl=ttl)

    assert "act for the customer until it expires" in str(caught.value)
    assert len(str(caught.value)) < 300  # a 400-digit ttl is not echoed


def test_a_ttl_of_exactly_a_day_is_accepted(signing_key: rsa.RSAPrivateKey) -> None:
    token = TokenSigner(VENDOR, signing_key, ttl=86_400).sign("c1")

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 86_400


def test_vendor_id_and_ttl_are_readable(signing_key: rsa.RSAPrivateKey) -> None:
    signer = TokenSigner("acme", signing_key, ttl=30)

    assert (signer.vendor_id, signer.ttl) == ("acme", 30)


# --- the tokens -----------------------------------------------------------------------------------


def test_the_header_is_exactly_rs256_jwt(signer: TokenSigner) -> None:
    token = signer.sign("c1")

    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}


def test_a_token_carries_sub_jti_iat_and_exp(
    signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    monkeypatch.setattr(token_module.time, "time", lambda: now)
    signer = TokenSigner(VENDOR, signing_key, ttl=120)

    claims = decode(signer.sign("cust-1"), signing_key)

    assert set(claims) == {"sub", "jti", "iat", "exp"}
    assert claims["sub"] == "v1:cust-1"
    assert claims["iat"] == int(now)
    assert claims["exp"] == int(now) + 120
    assert len(claims["jti"]) == 21
    assert set(claims["jti"]) <= NANOID_ALPHABET


def test_a_token_without_ttl_has_no_exp(signing_key: rsa.RSAPrivateKey) -> None:
    signer = TokenSigner(VENDOR, signing_key, ttl=None)

    claims = decode(signer.sign("c1"), signing_key)

    assert "exp" not in claims
    assert "iat" in claims


def test_the_default_lifetime_is_ten_minutes(signer: TokenSigner, signing_key: Any) -> None:
    claims = decode(signer.sign("c1"), signing_key)

    assert claims["exp"] - claims["iat"] == 600


def test_an_expired_token_fails_verification(
    signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_module.time, "time", lambda: 1_000_000.0)
    token = TokenSigner(VENDOR, signing_key, ttl=60).sign("c1")

    with pytest.raises(jwt.ExpiredSignatureError):
        decode(token, signing_key)


def test_the_origin_claim_is_the_normalized_page_origin(
    signer: TokenSigner, signing_key: rsa.RSAPrivateKey
) -> None:
    claims = decode(signer.sign("c1", origin="HTTPS://Notebooks.Example.com:443/"), signing_key)

    assert claims["origin"] == "https://notebooks.example.com"
    assert "origin" not in decode(signer.sign("c1"), signing_key)


@pytest.mark.parametrize(
    "origin", ["null", "https://example.com/path", "example.com", "", "https://u:p@example.com"]
)
def test_an_invalid_origin_is_refused(signer: TokenSigner, origin: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        signer.sign("c1", origin=origin)


def test_user_id_becomes_the_third_segment_of_sub(
    signer: TokenSigner, signing_key: rsa.RSAPrivateKey
) -> None:
    claims = decode(signer.sign("c1", user_id="u-9"), signing_key)

    assert claims["sub"] == "v1:c1:u-9"


def test_int_ids_are_written_in_decimal(signer: TokenSigner) -> None:
    assert signer.subject(42, user_id=0) == "v1:42:0"


def test_external_ids_are_written_as_e_and_the_url_encoded_id(
    signer: TokenSigner, signing_key: rsa.RSAPrivateKey
) -> None:
    token = signer.sign(ExternalId("AM10:XV303"), user_id=ExternalId("jane@example.com/ü"))

    assert decode(token, signing_key)["sub"] == "v1:EAM10%3AXV303:Ejane%40example.com%2F%C3%BC"


@pytest.mark.parametrize("bad", ["", "AM10:XV303"])
@pytest.mark.parametrize("which", ["customer_id", "user_id"])
def test_a_plain_id_that_is_empty_or_has_a_colon_points_to_external_id(
    signer: TokenSigner, bad: str, which: str
) -> None:
    ids: dict[str, Any] = {"customer_id": "c1", "user_id": None, which: bad}

    with pytest.raises(ValueError, match=which) as caught:
        signer.sign(ids["customer_id"], user_id=ids["user_id"])

    assert "use ExternalId(" in str(caught.value)
    if bad:
        assert 'ExternalId("AM10:XV303")' in str(caught.value).replace("'", '"')


@pytest.mark.parametrize("bad", [True, False, 1.5, None, b"c1", ["c1"]])
def test_a_customer_id_of_the_wrong_type_is_refused(signer: TokenSigner, bad: object) -> None:
    with pytest.raises(TypeError, match="customer_id must be a str, an int or an ExternalId"):
        signer.sign(bad)  # type: ignore[arg-type]


def test_a_negative_int_id_is_refused(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match="user_id must not be negative"):
        signer.sign("c1", user_id=-1)


def test_an_empty_external_id_is_refused() -> None:
    with pytest.raises(ValueError, match="ExternalId is empty"):
        ExternalId("")
    with pytest.raises(TypeError, match="ExternalId takes a str"):
        ExternalId(5)  # type: ignore[arg-type]


def test_jti_is_unique_over_ten_thousand_signed_tokens(signer: TokenSigner) -> None:
    jtis = {jwt.decode(signer.sign("c1"), options={"verify_signature": False})["jti"]
            for _ in range(10_000)}  # fmt: skip

    assert len(jtis) == 10_000


# --- nothing leaks --------------------------------------------------------------------------------


def test_repr_shows_vendor_key_size_and_ttl_only(signing_key: rsa.RSAPrivateKey) -> None:
    text = pem(signing_key)

    assert repr(TokenSigner("acme", text)) == "TokenSigner(vendor_id='acme', key=RSA-2048, ttl=600)"
    assert repr(TokenSigner("acme", text, ttl=None)).endswith("ttl=None)")
    assert not any(line in repr(TokenSigner("acme", text)) for line in body_lines(text))


def test_a_signer_cannot_be_pickled_or_copied(signer: TokenSigner) -> None:
    for leak in (pickle.dumps, copy.copy, copy.deepcopy, lambda s: s.__getstate__()):
        with pytest.raises(TypeError, match="holds a private key"):
            leak(signer)


# --- redact ---------------------------------------------------------------------------------------


def test_redact_removes_a_token_wherever_it_appears(signer: TokenSigner) -> None:
    token = signer.sign("c1")
    text = f"provider failed for https://x/y?workato_dl_token={token}&a=1 (token was {token})"

    redacted = redact(text)

    assert token not in redacted
    assert redacted == "provider failed for https://x/y?workato_dl_token=[redacted]&a=1 " + (
        "(token was [redacted])"
    )


def test_redact_removes_a_truncated_token(signer: TokenSigner) -> None:
    token = signer.sign("c1")

    assert redact("got " + token[:60] + "…") == "got [redacted]…"


def test_redact_removes_pem_blocks_raw_escaped_or_cut_short(signing_key: Any) -> None:
    text = pem(signing_key, PKCS1)
    escaped = text.replace("\n", "\\n")
    cut = text[: len(text) // 2]

    assert redact(f"bad key: {text}!") == "bad key: [redacted]\n!"
    assert redact(f"ValueError('{escaped}')") == "ValueError('[redacted]\\n')"
    assert redact(f"oops {cut}") == "oops [redacted]"


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "Connection 12 refused: origin http://localhost:8888 is not allowed (eyJ is short)."

    assert redact(text) == text


# --- key files that are no files -------------------------------------------------------------


def test_a_device_as_the_key_file_is_refused_before_reading_it() -> None:
    with pytest.raises(InvalidKeyError, match="'/dev/zero' is not a regular file"):
        TokenSigner(VENDOR, "/dev/zero")


def test_a_fifo_as_the_key_file_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)  # no writer: reading it would wait forever

    with pytest.raises(InvalidKeyError, match="is not a regular file"):
        TokenSigner(VENDOR, fifo)


def test_a_key_file_larger_than_any_key_is_refused_before_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "key.pem"
    with big.open("wb") as file:
        file.truncate(token_module.MAX_KEY_FILE_BYTES + 1)  # sparse: nothing is written
    big.chmod(0o600)

    with pytest.raises(InvalidKeyError, match=r"is 65537 bytes, larger than any PEM key"):
        TokenSigner(VENDOR, big)
