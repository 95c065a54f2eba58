"""Removes secrets from text: signed tokens, PEM blocks and the URL parameter that carries a token.

One rule for every string that comes from outside the kernel (an iframe's message, an exception, a
user's token provider) on its way to synced state, the event log, a callback or a log line. It has
no dependencies, so `protocol.py` can apply it to each string before anything else sees it.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact"]

REDACTED = "[redacted]"

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


def redact(text: str) -> str:
    """Replace anything shaped like a JWT, a PEM block or a token parameter's value by
    ``[redacted]``."""
    if "eyJ" not in text and "-----" not in text and "_token" not in text.lower():
        return text  # the common case (a height, a provider id), without three scans
    text = _PEM_BLOCK.sub(REDACTED, text)
    text = _TOKEN_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    return _JWT_SHAPE.sub(REDACTED, text)
