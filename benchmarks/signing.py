"""Signing: `TokenSigner.sign` against the raw RSA operation, PyJWT, and `openssl speed`.

Each round runs every variant for the same time; the raw variant signs the very bytes a token's
signature covers, with the key loaded once, so its rate is the ceiling `sign` can approach.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import jwt
import nanoid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from workato_ipywidget import TokenSigner

from .measure import Figure, Settings, interleaved, rate, ratios, summarize

BENCHMARK = "Signing"
VENDOR, CUSTOMER, ORIGIN = "v-bench", "customer-42", "http://localhost:8888"
SIGN_TARGET = 0.9
# `openssl speed rsa2048` prints e.g. "rsa 2048 bits 0.000708s 0.000020s   1412.4  49855.9"
_OPENSSL_RSA2048 = re.compile(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+[\d.]+", re.MULTILINE)


def run(settings: Settings) -> list[Figure]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    signer = TokenSigner(VENDOR, key)
    signing_input = signer.sign(CUSTOMER, origin=ORIGIN).rsplit(".", 1)[0].encode("ascii")
    pkcs1v15, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def claims() -> dict[str, object]:
        iat = int(time.time())
        sub = f"{VENDOR}:{CUSTOMER}"
        return {
            "sub": sub,
            "jti": nanoid.generate(),
            "iat": iat,
            "exp": iat + 600,
            "origin": ORIGIN,
        }

    calls = {
        "raw": lambda: key.sign(signing_input, pkcs1v15, sha256),
        "signer": lambda: signer.sign(CUSTOMER, origin=ORIGIN),
        "pyjwt_key": lambda: jwt.encode(claims(), key, algorithm="RS256"),
        "pyjwt_pem": lambda: jwt.encode(claims(), pem, algorithm="RS256"),
    }
    seconds = settings.round_seconds
    rates = interleaved({name: lambda c=c: rate(c, seconds) for name, c in calls.items()},
                        settings.rounds)  # fmt: skip
    builds = interleaved(
        {
            "load_pem": lambda: (
                1000 / rate(lambda: serialization.load_pem_private_key(pem.encode(), None), seconds)
            ),
            "signer_init": lambda: 1000 / rate(lambda: TokenSigner(VENDOR, pem), seconds),
        },
        settings.rounds,
    )
    openssl = openssl_sign_rate(settings.openssl_seconds)

    raw = summarize(rates["raw"])
    ours = summarize(rates["signer"])
    vs_raw = summarize(ratios(rates["signer"], rates["raw"]))
    overhead_us = (1 / ours.median - 1 / raw.median) * 1e6
    sign_notes = [f"{overhead_us:.0f} µs per token besides the RSA operation"]
    figures: list[Figure] = []
    raw_baseline, raw_ratio = "", None
    if openssl is not None:
        figures.append(
            Figure(
                BENCHMARK,
                f"`openssl speed -seconds {settings.openssl_seconds} rsa2048` (reference)",
                "signs/s",
                summarize([openssl]),
                notes=["the system's `openssl` CLI; cryptography bundles its own OpenSSL"],
            )
        )
        raw_baseline = "`openssl speed`"
        raw_ratio = summarize([r / openssl for r in rates["raw"]])
        sign_notes.append(f"{ours.median / openssl:.2f}x `openssl speed`")
    figures += [
        Figure(
            BENCHMARK,
            "raw cryptography `key.sign` (baseline)",
            "signs/s",
            raw,
            baseline=raw_baseline,
            ratio=raw_ratio,
        ),
        Figure(
            BENCHMARK,
            "`TokenSigner.sign`",
            "tokens/s",
            ours,
            baseline="raw cryptography",
            ratio=vs_raw,
            target=f">= {SIGN_TARGET}x raw",
            met=vs_raw.median >= SIGN_TARGET,
            notes=sign_notes,
            why=""
            if vs_raw.median >= SIGN_TARGET
            else f"{overhead_us:.0f} µs of work per token besides the RSA operation (claims, JSON, "
            "nanoid, base64); look for it in TokenSigner.sign (token.py)",
        ),
        Figure(
            BENCHMARK,
            "`jwt.encode` with a preloaded key",
            "tokens/s",
            summarize(rates["pyjwt_key"]),
            baseline="raw cryptography",
            ratio=summarize(ratios(rates["pyjwt_key"], rates["raw"])),
        ),
        Figure(
            BENCHMARK,
            "naive `jwt.encode` with the PEM text",
            "tokens/s",
            summarize(rates["pyjwt_pem"]),
            baseline="`TokenSigner.sign`",
            ratio=summarize(ratios(rates["pyjwt_pem"], rates["signer"])),
            notes=["parses and checks the PEM key on every call"],
        ),
        Figure(BENCHMARK, "`load_pem_private_key` (baseline)", "ms", summarize(builds["load_pem"])),
        Figure(
            BENCHMARK,
            "`TokenSigner(vendor, pem)`, once per kernel",
            "ms",
            summarize(builds["signer_init"]),
            baseline="`load_pem_private_key`",
            ratio=summarize(ratios(builds["signer_init"], builds["load_pem"])),
        ),
    ]
    return figures


def openssl_sign_rate(seconds: int) -> float | None:
    """RSA-2048 signs/s from `openssl speed`, or None without openssl (or when `seconds` is 0)."""
    executable = shutil.which("openssl")
    if executable is None or seconds <= 0:
        return None
    done = subprocess.run(
        [executable, "speed", "-seconds", str(seconds), "rsa2048"],
        capture_output=True,
        text=True,
        timeout=seconds * 10 + 30,
        check=False,
    )
    return parse_openssl_speed(done.stdout)


def parse_openssl_speed(output: str) -> float | None:
    """The "sign/s" figure of the rsa 2048 line of `openssl speed` output, if present."""
    match = _OPENSSL_RSA2048.search(output)
    return float(match.group(1)) if match else None
