"""The token scrubber: whatever a server wraps around the token, and however it encodes it, the
scrubbed text holds no form of it and keeps the rest."""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable

from hypothesis import assume, given
from hypothesis import strategies as st

from workato_ipywidget.api_secret import TokenScrubber

VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
TOKENS = st.text(VISIBLE, min_size=24, max_size=64)
AROUND = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)

ENCODINGS: list[Callable[[str], str]] = [
    lambda t: t,
    lambda t: urllib.parse.quote(t, safe=""),
    lambda t: urllib.parse.quote(t, safe="").lower(),
    lambda t: urllib.parse.quote_plus(t),
    lambda t: urllib.parse.quote(urllib.parse.quote(t, safe=""), safe=""),
    lambda t: html.escape(t),
    lambda t: "".join(f"&#{ord(c)};" for c in t),
    lambda t: "".join(f"\\u{ord(c):04x}" for c in t),
]


def revealed(token: str, text: str) -> bool:
    """Any 24 characters of the token, in the text or in its one-layer decodings."""
    views = [text, urllib.parse.unquote(text), urllib.parse.unquote_plus(text), html.unescape(text)]
    pieces = {token[i : i + 24] for i in range(len(token) - 23)}
    return any(piece in view for piece in pieces for view in views)


@given(token=TOKENS, before=AROUND, after=AROUND, encoding=st.sampled_from(ENCODINGS))
def test_no_encoding_of_the_token_survives(
    token: str, before: str, after: str, encoding: Callable[[str], str]
) -> None:
    scrubbed = TokenScrubber(token).scrub(f"{before}{encoding(token)}{after}")

    assert not revealed(token, scrubbed)


@given(token=TOKENS, text=AROUND)
def test_a_text_without_the_token_is_left_as_it_is(token: str, text: str) -> None:
    assume(not revealed(token, text))  # a random text that happens to hold it is another case

    assert TokenScrubber(token).scrub(text) == text


def test_the_text_around_the_token_is_kept() -> None:
    token = "abcdefghijklmnopqrstuvwxyz0123456789"

    scrubbed = TokenScrubber(token).scrub(f"bad token {urllib.parse.quote(token)}, try again")

    assert scrubbed == "bad token [redacted], try again"


def test_a_short_token_is_scrubbed_whole_only() -> None:
    scrubber = TokenScrubber("s3cr3t-short")

    assert scrubber.scrub("token s3cr3t-short here") == "token [redacted] here"
    assert scrubber.scrub("s3cr3t-sh is only a piece") == "s3cr3t-sh is only a piece"
    assert "s3cr3t" not in repr(scrubber)
