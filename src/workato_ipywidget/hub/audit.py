"""One JSON line per token minted and per request refused: who, for which customer, and why.

The lines go to stdout (the hub's log) and, when the policy names one, to an append-only file. A
line never holds a token, the key, or the caller's hub token: only the hub token's id.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

__all__ = ["AuditLog"]

_MAX_FIELD = 200


class AuditLog:
    """Writes audit lines to stdout and, optionally, a file.

    Args:
        path: a file the lines are appended to as well (created if missing, mode 0600).
        stream: where else the lines go; stdout by default.
    """

    def __init__(self, path: Path | None = None, stream: IO[str] | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
            self._file = path.open("a", encoding="utf-8", buffering=1)

    def mint(self, *, user: str, customer: str, jti: str, exp: int | None, origin: str,
             token_id: str | None) -> None:  # fmt: skip
        """Record a token minted for `user`, acting for `customer`, for a page at `origin`."""
        self._write(
            event="mint", user=user, customer=customer, jti=jti, exp=exp, origin=origin,
            token_id=token_id,
        )  # fmt: skip

    def refused(self, *, reason: str, user: str | None = None, customer: object = None,
                origin: object = None, token_id: str | None = None) -> None:  # fmt: skip
        """Record a refused request and why (the same text the caller got)."""
        self._write(
            event="refused", user=user, customer=_shown(customer), jti=None, exp=None,
            origin=_shown(origin), token_id=token_id, reason=reason,
        )  # fmt: skip

    def _write(self, **fields: Any) -> None:
        line = json.dumps(
            {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **fields},
            separators=(",", ":"),
        )
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()
            if self._file is not None:
                self._file.write(line + "\n")

    def close(self) -> None:
        """Close the audit file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _shown(value: object) -> str | None:
    """A caller-supplied value as an audit field: a short string, or None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_FIELD else text[: _MAX_FIELD - 1] + "…"
