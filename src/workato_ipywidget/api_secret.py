"""The Embedded API token's safekeeping: its shape check, and its removal from every text the
client or the HTTP libraries write.

A server may echo the token back in any form: literally, percent-encoded (once or twice, upper or
lower hex, ``+`` for spaces), as HTML entities or JSON escapes, or only a long piece of it.
`TokenScrubber` removes each of these from a text; `install_log_filter` applies every live
client's scrubber to the records of httpx's and httpcore's loggers, so that their INFO and DEBUG
lines (which quote reason phrases and response headers) never carry it.
"""

from __future__ import annotations

import html
import json
import logging
import re
import urllib.parse
import weakref
from typing import Any

from .records import json_kind
from .redaction import REDACTED

__all__ = ["Hidden", "TokenScrubber", "install_log_filter", "token_problem"]

# An API token as Workato issues them: visible ASCII, no spaces (anything else cannot be a header).
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")
# A piece of the token this long, found anywhere, is the token: shorter runs could be chance.
_MIN_PIECE = 24
_ROUNDS = 4
_JSON_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\[\\/\"bfnrt]")
_HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class Hidden:
    """A secret whose repr shows nothing: what a verbose traceback prints of a frame's locals.

    Args:
        value: the secret.
    """

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"


def token_problem(api_token: object) -> Exception | None:
    """Why `api_token` cannot be one, as the exception to raise; the message never echoes it.

    Args:
        api_token: what the caller passed as the token.

    Returns:
        A TypeError or ValueError to raise, or None for a token of the right shape.
    """
    if not isinstance(api_token, str):
        return TypeError(
            f"api_token must be a str (the Embedded API client's token), not {json_kind(api_token)}"
        )
    if not api_token:
        return ValueError(
            "api_token is empty; pass the token of an API client with Embedded API access"
        )
    if not _TOKEN_SHAPE.fullmatch(api_token):
        return ValueError(
            "api_token holds whitespace or non-ASCII characters, so it cannot be an API token; "
            "check for a stray newline or quote when it was read from a file or variable"
        )
    if api_token.lower().startswith("bearer"):
        return ValueError(
            "api_token starts with 'Bearer'; pass the token alone, the client adds 'Bearer '"
        )
    return None


class TokenScrubber:
    """Removes one API token, in any of the encodings a server might echo, from texts.

    Args:
        token: the API token (already checked by `token_problem`).
    """

    __slots__ = ("__weakref__", "_pieces", "_token")

    def __init__(self, token: str) -> None:
        self._token = Hidden(token)
        size = min(len(token), _MIN_PIECE)
        self._pieces = Hidden(
            "\n".join(sorted({token[i : i + size] for i in range(len(token) - size + 1)}))
        )

    def __repr__(self) -> str:
        return "TokenScrubber(<hidden>)"

    def scrub(self, text: str) -> str:
        """`text` without the token: each literal run of it, and each run that decoding the text
        (percent, ``+``, HTML entities, JSON escapes; up to four layers) would reveal, replaced by
        ``[redacted]``.

        Args:
            text: any text from outside (a server's message, a log line).

        Returns:
            The text; decoded where a decoding revealed the token.
        """
        for _ in range(_ROUNDS):
            text = self._cut(text)
            revealing = next((d for d in _decodings(text) if self._found(d)), None)
            if revealing is None:
                return text
            text = revealing
        text = self._cut(text)
        return REDACTED if any(self._found(d) for d in _decodings(text)) else text

    def scrub_json(self, value: Any) -> Any:
        """`value` (decoded JSON) with every string in it scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.scrub_json(item) for item in value)
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_json(v) for k, v in value.items()}
        return value

    def _found(self, text: str) -> bool:
        return any(piece in text for piece in self._pieces.value.split("\n"))

    def _cut(self, text: str) -> str:
        """Replace every maximal run of `text` covered by pieces of the token."""
        if not self._found(text):
            return text
        covered = [False] * len(text)
        for piece in self._pieces.value.split("\n"):
            start = text.find(piece)
            while start != -1:
                for i in range(start, start + len(piece)):
                    covered[i] = True
                start = text.find(piece, start + 1)
        out: list[str] = []
        for i, char in enumerate(text):
            if not covered[i]:
                out.append(char)
            elif i == 0 or not covered[i - 1]:
                out.append(REDACTED)
        return "".join(out)


def _decodings(text: str) -> list[str]:
    """The texts `text` could stand for once decoded one layer, each only when it differs."""
    found: list[str] = []
    if "%" in text or "+" in text:
        found.append(urllib.parse.unquote_plus(text))
        found.append(urllib.parse.unquote(text))
    if "&" in text:
        found.append(html.unescape(text))
    if "\\" in text:
        found.append(_JSON_ESCAPE.sub(_json_char, text))
    return [candidate for candidate in found if candidate != text]


def _json_char(match: re.Match[str]) -> str:
    try:
        decoded: str = json.loads(f'"{match.group(0)}"')
    except ValueError:
        return match.group(0)
    return decoded


_LIVE: weakref.WeakSet[TokenScrubber] = weakref.WeakSet()


class _HttpLogScrubber(logging.Filter):
    """Rewrites an httpx or httpcore record whose text holds a live client's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrubbers = list(_LIVE)
        if not scrubbers:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted: leave it to logging's own report
            return True
        cleaned = message
        for scrubber in scrubbers:
            cleaned = scrubber.scrub(cleaned)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = _HttpLogScrubber()


def install_log_filter(scrubber: TokenScrubber) -> None:
    """Keep `scrubber`'s token out of every record of httpx's and httpcore's loggers while
    `scrubber` lives (a logger's filter sees only records logged on it, so each logger of
    theirs gets it).

    Args:
        scrubber: a client's scrubber; forgotten when the client is.
    """
    _LIVE.add(scrubber)
    names = set(_HTTP_LOGGERS)
    names.update(
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith(("httpx.", "httpcore."))
    )
    for name in sorted(names):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
