"""Redaction on the hot path: `protocol.parse` with the kernel remembering many issued tokens.

Every string of every iframe message passes `redaction.redact`, which also looks for pieces of
the tokens this process issued (issue 17.2). This measures what remembering them costs: the same
mix of Workato-shaped messages parsed with no token remembered and with as many as the kernel
keeps (512), interleaved rounds, and one long error text (2,000 characters) alone.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric import rsa

from workato_ipywidget import TokenSigner, protocol, redaction

from .measure import Figure, Settings, interleaved, rate, ratios, summarize

BENCHMARK = "Redaction"
TARGET = 0.8
"""Messages/s with 512 remembered tokens, at least this share of the rate with none."""
REMEMBERED = 512

MESSAGES: list[object] = [
    json.dumps({"type": "heightChange", "payload": {"height": 420}}),
    {"type": "connectionStatusChange", "payload": {"id": 7, "provider": "salesforce",
                                                    "connected": True}},
    json.dumps({"type": "navigated", "payload": {
        "url": "https://app.workato.com/recipes/1234?tab=jobs&folder_id=77", "title": "Recipe"}}),
    {"type": "error", "payload": {"message": "Could not connect: the remote host refused the "
                                             "OAuth callback (invalid_grant)"}},
]  # fmt: skip
LONG_ERROR = {"type": "error", "payload": {"message": "x" * 40 + "ab12" * 490}}


def run(settings: Settings) -> list[Figure]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = TokenSigner("v-bench", key)
    tokens = [signer.sign(f"c{i}", origin="http://localhost:8888") for i in range(REMEMBERED)]
    seconds = settings.round_seconds

    def parse_all() -> None:
        for message in MESSAGES:
            protocol.parse(message)

    def with_tokens(call: object) -> object:
        def measure() -> float:
            for token in tokens:
                redaction.remember(token)
            return rate(call, seconds) * (len(MESSAGES) if call is parse_all else 1)  # type: ignore[arg-type]

        return measure

    def without_tokens(call: object) -> object:
        def measure() -> float:
            redaction.forget_all()
            return rate(call, seconds) * (len(MESSAGES) if call is parse_all else 1)  # type: ignore[arg-type]

        return measure

    def parse_long() -> None:
        protocol.parse(LONG_ERROR)

    samples = interleaved(
        {
            "none": without_tokens(parse_all),  # type: ignore[dict-item]
            "remembered": with_tokens(parse_all),  # type: ignore[dict-item]
            "long_none": without_tokens(parse_long),  # type: ignore[dict-item]
            "long_remembered": with_tokens(parse_long),  # type: ignore[dict-item]
        },
        settings.rounds,
    )
    redaction.forget_all()
    share = summarize(ratios(samples["remembered"], samples["none"]))
    long_share = summarize(ratios(samples["long_remembered"], samples["long_none"]))
    return [
        Figure(BENCHMARK, "`protocol.parse`, no token remembered (baseline)", "messages/s",
               summarize(samples["none"]), notes=["heights, a status, a navigation, an error"]),
        Figure(
            BENCHMARK,
            f"`protocol.parse`, {REMEMBERED} issued tokens remembered",
            "messages/s",
            summarize(samples["remembered"]),
            baseline="none remembered",
            ratio=share,
            target=f">= {TARGET}x none",
            met=share.median >= TARGET,
            why=""
            if share.median >= TARGET
            else "the search for issued tokens' pieces in each string (redaction.py _Issued.spans)",
        ),
        Figure(
            BENCHMARK,
            f"a 2,000-character error, {REMEMBERED} tokens remembered",
            "messages/s",
            summarize(samples["long_remembered"]),
            baseline="none remembered",
            ratio=long_share,
            notes=["one long base64-like run: the worst case for the piece search"],
        ),
    ]  # fmt: skip
