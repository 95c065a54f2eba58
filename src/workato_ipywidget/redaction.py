"""Removes secrets from text: signed tokens, PEM blocks and the URL parameter that carries a token.

One rule for every string that comes from outside the kernel (an iframe's message, an exception, a
user's token provider) on its way to synced state, the event log, a callback or a log line. It has
no dependencies, so `protocol.py` can apply it to each string before anything else sees it.

Besides shapes, it knows the tokens this process issued (`remember`, called by the signer and for
every token a widget hands to a view): any run of `MIN_RUN` or more of their characters is
redacted wherever it appears, so a token wrapped over lines, split between fields or cut in half
leaves no usable piece, and its guessable first line is not enough to rebuild it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.parse
from collections import OrderedDict

__all__ = ["MIN_RUN", "REDACTED", "forget_all", "percent_decoded", "redact", "remember"]

REDACTED = "[redacted]"
MIN_RUN = 24
"""The shortest run of an issued token's characters that `redact` removes."""

# A JWT, or a truncated one: base64url of '{"' is 'eyJ'; then segments joined by '.', or by a
# percent-encoded '.' (%2E, or %252E when encoded twice) when a page re-encodes its URL.
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:(?:\.|%2[Ee]|%252[Ee])[A-Za-z0-9_-]*)*")
# A PEM block, also when its newlines are escaped ("\\n") or its END line was cut off.
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.DOTALL)
# Workato's token parameter, whatever it holds, with its '=' plain or percent-encoded (once or
# twice): in a query, a fragment, a path or a text. Its value runs to the next separator.
_TOKEN_PARAM = re.compile(
    r"(workato_dl_token(?:=|%3[Dd]|%253[Dd]))(?:(?!%26|%2526|%23|%2523)[^&#;\s\"'<>])*",
    re.IGNORECASE,
)

# Issued tokens are indexed by their GRAM-character pieces at every STRIDE-th offset: any run of
# MIN_RUN characters of a token holds one whole (GRAM + STRIDE <= MIN_RUN), so a text is searched
# by looking each of its GRAM-character windows up in a dict, then growing a hit to its full run.
_GRAM = 16
_STRIDE = 8
_MAX_TOKENS = 512
"""Issued tokens remembered at once (the oldest go first; expired ones go at once)."""
_MAX_TOKEN_LENGTH = 8192
_HITS_PER_GRAM = 4  # a piece every token shares (the header) needs only a few to grow from
# A run of a JWT's characters: base64url and the '.' between its segments (not '/', so a URL's
# path is no run).
_TOKEN_CHARS = re.compile(rf"[A-Za-z0-9_.-]{{{MIN_RUN},}}")
# Pieces of one token redacted by different rules ("[redacted].[redacted]") are said once.
_REDACTED_RUN = re.compile(r"\[redacted\](?:\.\[redacted\])+")


class _Issued:
    """The tokens this process issued and not yet expired, indexed for `redact`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: OrderedDict[str, float | None] = OrderedDict()
        # gram -> ((token, offset), ...); replaced whole, so readers need no lock.
        self.grams: dict[str, tuple[tuple[str, int], ...]] = {}

    def add(self, token: str) -> None:
        if not MIN_RUN <= len(token) <= _MAX_TOKEN_LENGTH:
            return
        expires = _expiry_of(token)
        with self._lock:
            now = time.time()
            for old, at in list(self._expiry.items()):
                if at is not None and at < now:
                    self._drop(old)
            if token in self._expiry:
                self._expiry.move_to_end(token)
                return
            while len(self._expiry) >= _MAX_TOKENS:
                self._drop(next(iter(self._expiry)))
            self._expiry[token] = expires
            for offset in range(0, len(token) - _GRAM + 1, _STRIDE):
                gram = token[offset : offset + _GRAM]
                hits = self.grams.get(gram, ())
                self.grams[gram] = ((token, offset), *hits[: _HITS_PER_GRAM - 1])

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()
            self.grams = {}

    def _drop(self, token: str) -> None:
        del self._expiry[token]
        for offset in range(0, len(token) - _GRAM + 1, _STRIDE):
            gram = token[offset : offset + _GRAM]
            kept = tuple(hit for hit in self.grams.get(gram, ()) if hit[0] != token)
            if kept:
                self.grams[gram] = kept
            else:
                self.grams.pop(gram, None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where `text` holds runs of at least MIN_RUN characters of an issued token."""
        grams = self.grams
        found: list[tuple[int, int]] = []
        for run in _TOKEN_CHARS.finditer(text):
            first, end = run.span()
            hits = [i for i in range(first, end - _GRAM + 1) if text[i : i + _GRAM] in grams]
            covered = first
            for i in hits:
                if i < covered:
                    continue  # inside a run already found
                best = None
                for token, offset in grams.get(text[i : i + _GRAM], ()):
                    left = 0
                    while (
                        i - left > first
                        and offset - left > 0
                        and text[i - left - 1] == token[offset - left - 1]
                    ):
                        left += 1
                    right = i + _GRAM
                    at = offset + _GRAM
                    while right < end and at < len(token) and text[right] == token[at]:
                        right += 1
                        at += 1
                    if right - (i - left) >= MIN_RUN and (best is None or right > best[1]):
                        best = (i - left, right)
                if best is not None:
                    found.append(best)
                    covered = best[1]
        return found


def _expiry_of(token: str) -> float | None:
    """A JWT's `exp`, read without verifying (it only decides how long to remember it)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and abs(exp) < 1e12:
        return float(exp)
    return None


_ISSUED = _Issued()


def remember(token: str) -> None:
    """Note a token this process issued, so that `redact` removes its pieces until it expires."""
    if isinstance(token, str):
        _ISSUED.add(token)


def forget_all() -> None:
    """Forget every remembered token (for tests and benchmarks that need a clean start)."""
    _ISSUED.clear()


def redact(text: str) -> str:
    """Replace anything shaped like a JWT, a PEM block or a token parameter's value, and any run
    of MIN_RUN or more characters of a token this process issued, by ``[redacted]``.

    Percent-encoding hides nothing: when decoding the text (up to four times) reveals a secret
    that the text as written does not show, the decoded text comes back, redacted.
    """
    cleaned = _redact_plain(text)
    if "%" not in cleaned:
        return cleaned
    plain = percent_decoded(cleaned)
    revealed = _redact_plain(plain)
    return cleaned if revealed == plain else revealed


_DECODINGS = 4


def percent_decoded(text: str) -> str:
    """`text` percent-decoded until it stops changing, at most four times: what `redact` looks
    for secrets in, and what a page path is checked in before it is kept.

    Args:
        text: the text as written.

    Returns:
        The decoded text.
    """
    for _ in range(_DECODINGS):
        text, before = urllib.parse.unquote(text), text
        if text == before:
            break
    return text


def _redact_plain(text: str) -> str:
    if len(text) >= MIN_RUN and _ISSUED.grams:
        spans = _ISSUED.spans(text)
        if spans:
            pieces: list[str] = []
            at = 0
            for start, end in spans:
                if pieces and text[at:start] in ("", "."):  # the next segment of one token
                    at = end
                    continue
                pieces += [text[at:start], REDACTED]
                at = end
            text = "".join([*pieces, text[at:]])
    if "eyJ" not in text and "-----" not in text and "_token" not in text.lower():
        return text  # the common case (a height, a provider id), without three scans
    text = _PEM_BLOCK.sub(REDACTED, text)
    text = _TOKEN_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT_SHAPE.sub(REDACTED, text)
    return _REDACTED_RUN.sub(REDACTED, text) if ".[" in text else text
